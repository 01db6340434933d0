// A run whose evidence comes from the cache of an earlier run says what the first run
// said: the warnings come from choosing the store and the key, which a cached run does too
// (found when --fail-on-warn let a retry of a failed sync pass).

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gateJson } from '../helpers/gate.js';
import { storeWorld, type StoreWorld } from '../helpers/store-world.js';

describe('a run answered from the evidence cache', () => {
  let world: StoreWorld;
  before(async () => {
    world = await storeWorld();
  });
  after(() => world?.stop());

  it('carries the same verdicts and the same warnings as the run that filled it', async () => {
    // The key Secret not declared deployed, the key-secret rule at warn: a warning each run must carry.
    const repo = await world.repo({ '.gate/config.yaml': 'rules: {key-secret: warn}\n' });
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'gate-cache-run-'));
    try {
      const first = await gateJson(['check', 'apps', '--cache-dir', cacheDir], { cwd: repo.dir });
      const fetched = world.signatureRequests(world.signed);
      const second = await gateJson(['check', 'apps', '--cache-dir', cacheDir], { cwd: repo.dir });
      assert.equal(world.signatureRequests(world.signed), fetched, 'the second run read the cache');
      assert.equal(first.code, 1, first.stderr);
      assert.match(second.report.results.find((r) => r.reason === 'SIGNED')!.message, /read from the evidence cache/);
      assert.deepEqual(second.report.results.map((r) => [r.image, r.reason]), first.report.results.map((r) => [r.image, r.reason]));
      assert.ok(first.report.warnings.some((w) => /needs keySecret "release": gate found the key only in/.test(w.message)), JSON.stringify(first.report.warnings));
      assert.deepEqual(second.report.warnings, first.report.warnings);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
      await repo.dispose();
    }
  });
});
