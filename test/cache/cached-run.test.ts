// A verdict from the cache of an earlier run says what the first run said: the warnings
// about where the webhook reads signatures come from choosing the store, which a cached
// decision does too (found when --fail-on-warn let a retry of a failed sync pass).

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gateJson } from '../helpers/gate.js';
import { copyExample } from '../helpers/in-process.js';

describe('a run answered from the verdict cache', () => {
  it('carries the same verdicts and the same warnings as the run that filled it', async () => {
    const example = await copyExample('shop');
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'gate-cache-run-'));
    try {
      // The key Secret not declared deployed, the key-secret rule at warn: a warning each run must carry.
      const config = (await readFile(path.join(example.dir, '.gate/config.yaml'), 'utf8')).replace(/^keySecrets:\n(- .*\n|  .*\n)*/m, 'rules: {key-secret: warn}\n');
      await writeFile(path.join(example.dir, '.gate/config.yaml'), config);
      const first = await gateJson(['check', 'apps', '--cache-dir', cacheDir], { cwd: example.dir });
      const second = await gateJson(['check', 'apps', '--cache-dir', cacheDir], { cwd: example.dir });
      assert.equal(first.code, 0, first.stderr);
      assert.ok(second.report.results.every((r) => / \(verified by an earlier run; cached\)$/.test(r.message)), 'the second run is answered from the cache');
      assert.deepEqual(second.report.results.map((r) => [r.image, r.reason]), first.report.results.map((r) => [r.image, r.reason]));
      assert.ok(first.report.warnings.some((w) => /needs keySecret "shop-release": gate found the key only in/.test(w.message)), JSON.stringify(first.report.warnings));
      assert.deepEqual(second.report.warnings, first.report.warnings);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
      await example.dispose();
    }
  });
});
