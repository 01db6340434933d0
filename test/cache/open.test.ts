import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { generateCacheLocation, openEvidenceCache, type CacheSettings } from '../../src/cache/open.js';
import { untrustedBlob } from '../../src/evidence.js';
import { GateError } from '../../src/errors.js';

const SETTINGS: Omit<CacheSettings, 'cwd'> = { ttlMs: 60_000, maxBytes: 1 << 20, redisTimeoutMs: 500, now: () => Date.now(), warn: () => undefined };
const PARTS = { store: 'https://s', repository: 'r/a', digest: 'sha256:1', attachments: false };
const FOUND = { searched: 's', blobs: [untrustedBlob({ format: 'simple-signing', bytes: new Uint8Array([0xa3]), location: 'l' })] };

describe('openEvidenceCache', () => {
  it('no folder and no Redis, no cache', () => {
    assert.equal(openEvidenceCache({ cwd: '/', ...SETTINGS }), undefined);
  });

  it('a relative folder is resolved from cwd, and a file:// URL names a folder too', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gate-open-'));
    try {
      const cache = openEvidenceCache({ dir: 'cache', cwd: dir, ...SETTINGS })!;
      cache.put(PARTS, FOUND);
      await cache.close();
      assert.ok((await readdir(path.join(dir, 'cache'))).length > 0);
      const again = openEvidenceCache({ dir: pathToFileURL(path.join(dir, 'cache')).href, cwd: '/', ...SETTINGS })!;
      assert.deepEqual((await again.get(PARTS))?.blobs, FOUND.blobs);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a Redis URL given as a folder, or a URL that is not redis:// or rediss://, is a usage error without its password', () => {
    const usage = (message: RegExp) => (e: unknown) => e instanceof GateError && e.code === 'USAGE' && message.test(e.message) && !e.message.includes('secret');
    assert.throws(() => openEvidenceCache({ dir: 'redis://user:secret@cache.example.com:6379/0', cwd: '/', ...SETTINGS }), usage(/--cache-dir names a folder; for Redis use --cache-redis redis:\/\/user:…@cache\.example\.com:6379\/0/));
    assert.throws(() => openEvidenceCache({ redis: 'memcached://:secret@cache.example.com', cwd: '/', ...SETTINGS }), usage(/memcached:\/\/:…@cache\.example\.com is not a redis:\/\/ or rediss:\/\/ URL/));
    assert.throws(() => openEvidenceCache({ redis: 'redis:///0', cwd: '/', ...SETTINGS }), usage(/names no host/));
    // A password with a / makes the URL unparsable: nothing up to the last @ is shown.
    assert.throws(() => openEvidenceCache({ redis: 'redis://:pa/secret@cache.example.com:6379', cwd: '/', ...SETTINGS }), usage(/not a URL: redis:\/\/…@cache\.example\.com:6379/));
  });

  it('generate caches in $GATE_CACHE_DIR, else in the temporary folder', () => {
    assert.equal(generateCacheLocation({ GATE_CACHE_DIR: '/var/cache/gate' }), '/var/cache/gate');
    assert.equal(generateCacheLocation({}), path.join(tmpdir(), 'gate-cache'));
  });
});
