// The evidence cache in a folder, end to end with the real CLI, real skopeo signatures and
// a real lookaside web server: a second run verifies the cached bytes instead of fetching
// them; whatever is planted in the folder (the signed image's entry under the unsigned
// image's key, a FIFO, a link to /dev/zero) costs a fetch or a denial, never an allow; and
// concurrent runs share the folder.

import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeEvidence } from '../../src/cache/entry.js';
import { gateJson, gateMeasured } from '../helpers/gate.js';
import { GpgHome } from '../helpers/gpg.js';
import { storeWorld, type StoreWorld } from '../helpers/store-world.js';
import { mustRun, requireTool } from '../helpers/tools.js';

describe('the evidence cache in a folder (--cache-dir)', () => {
  let world: StoreWorld;
  let dir: string;
  before(async () => {
    world = await storeWorld();
    dir = await mkdtemp(path.join(tmpdir(), 'gate-folder-cache-'));
  });
  after(async () => {
    await world?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const entryPath = (cache: string, key: string) => path.join(cache, `${key}.json`);
  const reasons = (report: { results: Array<{ image: string; reason: string }> }) => Object.fromEntries(report.results.map((r) => [r.image, r.reason]));

  it('a second run verifies the cached signatures again and fetches none of them', async () => {
    const cache = path.join(dir, 'second-run');
    const repo = await world.repo({}, [world.signed]);
    try {
      const before = world.signatureRequests(world.signed);
      const first = await gateJson(['check', 'apps', '--cache-dir', cache], { cwd: repo.dir });
      assert.equal(first.code, 0, first.stderr);
      assert.equal(world.signatureRequests(world.signed) - before, 2, 'signature-1, then the 404 of signature-2');
      const entry = decodeEvidence(await readFile(entryPath(cache, world.cacheKey(world.signed))), Date.now(), 3600_000);
      assert.equal(entry?.blobs.length, 1, 'the folder holds the fetched signature');
      const second = await gateJson(['check', 'apps', '--cache-dir', cache], { cwd: repo.dir });
      assert.equal(second.code, 0, second.stderr);
      assert.equal(world.signatureRequests(world.signed) - before, 2, 'nothing fetched the second time');
      assert.equal(second.report.results[0].reason, 'SIGNED');
      assert.match(second.report.results[0].message, /signatures read from the evidence cache of an earlier run and verified again/);
    } finally {
      await repo.dispose();
    }
  });

  it("denies the unsigned image when the signed image's entry is copied under its key (anyone can compute it), and fetches its evidence again", async () => {
    const cache = path.join(dir, 'poisoned');
    const repo = await world.repo();
    try {
      const first = await gateJson(['check', 'apps', '--cache-dir', cache], { cwd: repo.dir });
      assert.deepEqual(reasons(first.report), { [world.signed.image]: 'SIGNED', [world.unsigned.image]: 'NO_SIGNATURE' });
      const planted = entryPath(cache, world.cacheKey(world.unsigned));
      await copyFile(entryPath(cache, world.cacheKey(world.signed)), planted);
      const before = world.signatureRequests(world.unsigned);
      const second = await gateJson(['check', 'apps', '--cache-dir', cache], { cwd: repo.dir });
      assert.equal(second.code, 1);
      assert.deepEqual(reasons(second.report), { [world.signed.image]: 'SIGNED', [world.unsigned.image]: 'NO_SIGNATURE' });
      assert.equal(world.signatureRequests(world.unsigned) - before, 1, 'the denial was decided on a fresh fetch');
    } finally {
      await repo.dispose();
    }
  });

  it('a cached signature is judged with the keys of this run: another key denies it', async () => {
    const cache = path.join(dir, 'rotated');
    const other = await GpgHome.create();
    const repo = await world.repo({}, [world.signed]);
    try {
      assert.equal((await gateJson(['check', 'apps', '--cache-dir', cache], { cwd: repo.dir })).code, 0);
      await repo.write('.gate/keys/release.asc', await other.exportPublic(await other.generateKey('Other <other@example.com>')));
      const second = await gateJson(['check', 'apps', '--cache-dir', cache], { cwd: repo.dir });
      assert.equal(second.code, 1);
      assert.equal(second.report.results[0].reason, 'UNTRUSTED_KEY', second.report.results[0].message);
    } finally {
      await repo.dispose();
      await other.dispose();
    }
  });

  for (const planted of ['a FIFO', 'a symlink to /dev/zero'] as const) {
    it(`${planted} at an entry's path is a miss: the run fetches and finishes`, async () => {
      requireTool('mkfifo');
      const cache = path.join(dir, planted.replace(/\W+/g, '-'));
      const repo = await world.repo({}, [world.signed]);
      try {
        assert.equal((await gateJson(['check', 'apps', '--cache-dir', cache], { cwd: repo.dir })).code, 0);
        const file = entryPath(cache, world.cacheKey(world.signed));
        await rm(file);
        if (planted === 'a FIFO') await mustRun('mkfifo', [file]);
        else await symlink('/dev/zero', file);
        const before = world.signatureRequests(world.signed);
        const second = await gateMeasured(['check', 'apps', '--cache-dir', cache, '-o', 'json'], { cwd: repo.dir, limitSeconds: 10 });
        assert.equal(second.code, 0, second.stderr);
        assert.equal(JSON.parse(second.stdout).results[0].reason, 'SIGNED');
        assert.ok(world.signatureRequests(world.signed) > before, 'fetched instead');
        assert.ok(second.peakRssMb < 300, `read without bound: ${second.peakRssMb} MB`);
      } finally {
        await repo.dispose();
      }
    });
  }

  it('is shared by six concurrent runs: the same report from each, and whole entries only', async () => {
    const cache = path.join(dir, 'concurrent');
    const repo = await world.repo();
    try {
      const runs = await Promise.all(Array.from({ length: 6 }, () => gateJson(['check', 'apps', '--cache-dir', cache], { cwd: repo.dir })));
      assert.deepEqual(runs.map((r) => r.code), [1, 1, 1, 1, 1, 1]);
      for (const r of runs) assert.deepEqual(reasons(r.report), { [world.signed.image]: 'SIGNED', [world.unsigned.image]: 'NO_SIGNATURE' });
      const files = (await readdir(cache, { recursive: true })).filter((f) => f.endsWith('.json'));
      assert.equal(files.length, 1, 'one entry: the signed image (nothing is kept for an image without signatures)');
      assert.ok(decodeEvidence(await readFile(path.join(cache, files[0])), Date.now(), 3600_000));
      assert.deepEqual((await readdir(cache, { recursive: true })).filter((f) => f.endsWith('.tmp')), []);
    } finally {
      await repo.dispose();
    }
  });
});
