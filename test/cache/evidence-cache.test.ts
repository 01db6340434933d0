// The evidence cache over its backends: read in order, written to all, a hit further
// down kept nearer, a backend that fails said once and left alone, writes finished when
// the run closes. One backend is a real folder; the other is a map in this file (a
// stand-in for Redis, whose own tests run a real redis-server).

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { MAX_ENTRY_BYTES } from '../../src/cache/entry.js';
import { EvidenceCache, type EvidenceBackend } from '../../src/cache/evidence-cache.js';
import { FileEvidenceStore } from '../../src/cache/file-store.js';
import { untrustedBlob } from '../../src/evidence.js';

const HOUR = 3600_000;
const PARTS = { store: 'https://sigs.example.com', repository: 'registry.example.com/team/web', digest: `sha256:${'c'.repeat(64)}`, attachments: false };
const FOUND = { searched: 'https://sigs.example.com/…', blobs: [untrustedBlob({ format: 'simple-signing', bytes: new Uint8Array([0xa3, 9, 9]), location: 'signature-1' })] };

class MapBackend implements EvidenceBackend {
  readonly label = 'map (test stand-in)';
  readonly entries = new Map<string, Uint8Array>();
  failing?: Error;
  gets = 0;
  async get(key: string): Promise<Uint8Array | undefined> {
    this.gets++;
    if (this.failing) throw this.failing;
    return this.entries.get(key);
  }
  async put(key: string, entry: Uint8Array): Promise<void> {
    if (this.failing) throw this.failing;
    this.entries.set(key, entry);
  }
  async close(): Promise<void> {}
}

async function withFolder(fn: (folder: FileEvidenceStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gate-tiers-'));
  try {
    await fn(new FileEvidenceStore(dir, { now: Date.now, maxBytes: 1 << 20, ttlMs: HOUR }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const cacheOf = (backends: EvidenceBackend[], warnings: string[] = [], now = Date.now) =>
  new EvidenceCache(backends, { ttlMs: HOUR, now, warn: (m) => warnings.push(m), maxEntryBytes: MAX_ENTRY_BYTES });

describe('EvidenceCache', () => {
  it('writes every backend when the run closes, and gives the same blobs back', async () => {
    await withFolder(async (folder) => {
      const shared = new MapBackend();
      const first = cacheOf([folder, shared]);
      first.put(PARTS, FOUND);
      await first.close();
      assert.equal(shared.entries.size, 1);
      const hit = await cacheOf([folder, shared]).get(PARTS);
      assert.deepEqual(hit?.blobs, FOUND.blobs);
      assert.equal(shared.gets, 0, 'the folder answered first');
    });
  });

  it('keeps a hit of the shared backend in the folder too', async () => {
    await withFolder(async (folder) => {
      const shared = new MapBackend();
      const writer = cacheOf([shared]);
      writer.put(PARTS, FOUND);
      await writer.close();
      const reader = cacheOf([folder, shared]);
      assert.ok(await reader.get(PARTS));
      await reader.close();
      assert.ok(await cacheOf([folder]).get(PARTS), 'the folder holds it now');
    });
  });

  it('says once that a backend failed, asks it nothing more, and goes on with the others', async () => {
    await withFolder(async (folder) => {
      const broken = new MapBackend();
      broken.failing = new Error('ECONNREFUSED 127.0.0.1:6379');
      const warnings: string[] = [];
      const cache = cacheOf([broken, folder], warnings);
      assert.equal(await cache.get(PARTS), undefined);
      cache.put(PARTS, FOUND);
      assert.equal(await cache.get({ ...PARTS, digest: 'other' }), undefined);
      await cache.close();
      assert.equal(broken.gets, 1);
      assert.deepEqual(warnings, ['the evidence cache map (test stand-in) is unavailable (ECONNREFUSED 127.0.0.1:6379): this run goes on without it, fetching every signature itself']);
      assert.ok(await cacheOf([folder]).get(PARTS), 'the folder was still written');
    });
  });

  it('gives up a backend that takes longer than a second for one entry, by the injected clock', async () => {
    let now = Date.UTC(2026, 11, 7);
    const slow = new MapBackend();
    const warnings: string[] = [];
    const writer = cacheOf([slow], [], () => now);
    writer.put(PARTS, FOUND);
    await writer.close();
    const realGet = slow.get.bind(slow);
    slow.get = async (key: string) => {
      now += 1001;
      return realGet(key);
    };
    const cache = cacheOf([slow], warnings, () => now);
    assert.ok(await cache.get(PARTS), 'the slow answer is still used');
    assert.equal(await cache.get(PARTS), undefined, 'but the backend is not asked again');
    assert.equal(slow.gets, 1);
    assert.match(warnings[0], /map \(test stand-in\) is unavailable \(it took 1001 ms to answer for one entry\)/);
  });

  it('keeps no empty lookup, and nothing past its time to live', async () => {
    const backend = new MapBackend();
    let now = Date.UTC(2026, 11, 7);
    const cache = cacheOf([backend], [], () => now);
    cache.put(PARTS, { searched: 'nothing', blobs: [] });
    await cache.close();
    assert.equal(backend.entries.size, 0);
    cache.put(PARTS, FOUND);
    await cache.close();
    now += HOUR;
    assert.equal(await cache.get(PARTS), undefined);
  });
});
