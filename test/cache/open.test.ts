import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { generateCacheLocation, openVerdictStore } from '../../src/cache/open.js';
import { decisionKey } from '../../src/cache/key.js';
import { GateError } from '../../src/errors.js';

const SETTINGS = { ttlMs: 60_000, now: () => Date.now() };
const KEY = decisionKey({ gateVersion: 't', digest: 'd', intended: 'i', requirements: [], store: 's', credentials: null });
const VERDICT = { reason: 'SIGNED' as const, message: 'signed by X', digest: 'd', signers: [] };

describe('openVerdictStore', () => {
  it('no location, no store', () => {
    assert.equal(openVerdictStore(undefined, { cwd: '/', ...SETTINGS }), undefined);
  });

  it('a relative folder is resolved from cwd, and a file:// URL names a folder too', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gate-open-'));
    try {
      await openVerdictStore('cache', { cwd: dir, ...SETTINGS })!.put(KEY, VERDICT);
      assert.deepEqual(await openVerdictStore(pathToFileURL(path.join(dir, 'cache')).href, { cwd: '/', ...SETTINGS })!.get(KEY), VERDICT);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a redis:// location is a usage error, without echoing its password', () => {
    assert.throws(
      () => openVerdictStore('redis://user:secret@cache.example.com:6379/0', { cwd: '/', ...SETTINGS }),
      (e: unknown) => e instanceof GateError && e.code === 'USAGE' && /not supported yet/.test(e.message) && !e.message.includes('secret'),
    );
  });

  it('generate caches in $GATE_CACHE_DIR, else in the temporary folder', () => {
    assert.equal(generateCacheLocation({ GATE_CACHE_DIR: '/var/cache/gate' }), '/var/cache/gate');
    assert.equal(generateCacheLocation({}), path.join(tmpdir(), 'gate-cache'));
  });
});
