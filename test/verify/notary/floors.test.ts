// Rollback floors from an earlier run's files (verify/notary/floors.ts): only a set that
// verifies under today's root counts, so a cache entry signed by other keys sets no floor;
// a delegation that vanishes while the snapshot does not move on is a rollback, one removed
// in a newer snapshot is not. Repositories generated and signed by the tests; clock injected.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rollbackAgainst } from '../../../src/verify/notary/floors.js';
import { loadRepository, type Repository } from '../../../src/verify/notary/repository.js';
import { ecdsaKey, generateRepo, rootCertKey, type GenKey, type RepoOptions } from '../../helpers/notary-repo.js';

const GUN = 'registry.example.com/shop/web';
const D1 = 'ab'.repeat(32);
const NOW = new Date();

async function load(options: Omit<RepoOptions, 'gun'>): Promise<Repository> {
  const files = await generateRepo({ gun: GUN, ...options });
  const loaded = await loadRepository(async (name) => files.get(name), { gun: GUN, now: NOW });
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.failure.message);
  return loaded.repository;
}

describe('rollback floors from an earlier run', () => {
  let root: GenKey;
  it('refuses a lower version under the same root, naming role and versions', async () => {
    root = await rootCertKey(GUN);
    const seen = await load({ root, targets: { v1: D1 }, versions: { timestamp: 7, snapshot: 7, targets: 7 } });
    const fresh = await load({ root, targets: { v1: D1 }, versions: { timestamp: 3, snapshot: 3, targets: 3 } });
    assert.deepEqual(rollbackAgainst(fresh, seen), { kind: 'rollback', message: 'version 3 is lower than current version 7 (timestamp, seen by an earlier run)' });
    assert.equal(rollbackAgainst(seen, fresh), undefined, 'newer than seen: fine');
  });

  it('sets no floor from a set under another root (a planted cache entry costs nothing)', async () => {
    const planted = await load({ targets: { v1: D1 }, versions: { timestamp: 99, snapshot: 99, targets: 99 } });
    const fresh = await load({ root, targets: { v1: D1 } });
    assert.equal(rollbackAgainst(fresh, planted), undefined);
  });

  it('a delegation that vanished: a rollback while the snapshot stays, not once the snapshot moved on', async () => {
    const alice = ecdsaKey();
    const seen = await load({ root, targets: { v1: D1 }, releases: { targets: { v1: D1 }, signer: alice }, versions: { snapshot: 4 } });
    const same = await load({ root, targets: { v1: D1 }, versions: { snapshot: 4 } });
    assert.match(rollbackAgainst(same, seen)?.message ?? '', /targets\/releases was seen at version 1 by an earlier run and is missing from snapshot version 4/);
    const moved = await load({ root, targets: { v1: D1 }, versions: { snapshot: 5 } });
    assert.equal(rollbackAgainst(moved, seen), undefined);
  });
});
