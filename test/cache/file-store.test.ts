// The folder verdict store: what it gives back, for how long (a clock injected, the
// file's mtime set with utimes), and what it refuses to vouch for.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileVerdictStore, MAX_CACHE_ENTRY_BYTES } from '../../src/cache/file-store.js';
import { decisionKey } from '../../src/cache/key.js';
import type { CachedVerdict } from '../../src/cache/verdict-store.js';

const HOUR = 3600_000;
const VERDICT: CachedVerdict = { reason: 'SIGNED', message: 'signed by ABCD for "r/a:1"', digest: `sha256:${'1'.repeat(64)}`, signers: ['ABCD'] };

function keyFor(n: number): string {
  return decisionKey({ gateVersion: 't', digest: String(n), intended: 'r/a:1', requirements: [], store: 's', credentials: null });
}

async function entryFile(dir: string, key: string): Promise<string> {
  return path.join(dir, key.slice(0, 2), `${key}.json`);
}

describe('FileVerdictStore', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gate-store-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('gives back the whole verdict it was given, from a 0600 file named by the key', async () => {
    const now = Date.now();
    const store = new FileVerdictStore(dir, HOUR, () => now);
    await store.put(keyFor(1), VERDICT);
    assert.deepEqual(await store.get(keyFor(1)), VERDICT);
    assert.equal((await stat(await entryFile(dir, keyFor(1)))).mode & 0o777, 0o600);
    assert.equal(await store.get(keyFor(2)), undefined);
  });

  it('misses once the TTL has passed, by the injected clock', async () => {
    // Behind the real clock, so that a filesystem with coarse mtimes cannot cut the entry short.
    let now = Date.now() - 5000;
    const store = new FileVerdictStore(dir, HOUR, () => now);
    await store.put(keyFor(3), VERDICT);
    now += HOUR - 1;
    assert.ok(await store.get(keyFor(3)));
    now += 1;
    assert.equal(await store.get(keyFor(3)), undefined);
  });

  it('a shorter TTL given to put holds; a longer one is capped by the store', async () => {
    let now = Date.now() - 5000;
    const store = new FileVerdictStore(dir, HOUR, () => now);
    await store.put(keyFor(4), VERDICT, 1000);
    await store.put(keyFor(5), VERDICT, 10 * HOUR);
    now += 1000;
    assert.equal(await store.get(keyFor(4)), undefined);
    assert.ok(await store.get(keyFor(5)));
    now += HOUR;
    assert.equal(await store.get(keyFor(5)), undefined);
  });

  it('never trusts an entry longer than the TTL from its mtime, whatever it claims', async () => {
    const now = Date.now();
    const store = new FileVerdictStore(dir, HOUR, () => now);
    const file = await entryFile(dir, keyFor(6));
    await store.put(keyFor(6), VERDICT);
    await writeFile(file, JSON.stringify({ ...VERDICT, expires: now + 1000 * HOUR }));
    assert.ok(await store.get(keyFor(6)), 'a fresh file is read');
    const old = new Date(now - 2 * HOUR);
    await utimes(file, old, old);
    assert.equal(await store.get(keyFor(6)), undefined);
  });

  it('misses on an entry of another shape, malformed JSON, or one past the size bound', async () => {
    const now = Date.now();
    const store = new FileVerdictStore(dir, HOUR, () => now);
    const cases = [
      JSON.stringify({ message: 'signed by X', expires: now + HOUR }),
      JSON.stringify({ ...VERDICT, reason: 'ACCEPT_ANYTHING', expires: now + HOUR }),
      JSON.stringify({ ...VERDICT, signers: [1], expires: now + HOUR }),
      '{"reason": "SIGNED",',
      JSON.stringify({ ...VERDICT, message: 'x'.repeat(MAX_CACHE_ENTRY_BYTES), expires: now + HOUR }),
    ];
    for (const [i, text] of cases.entries()) {
      await store.put(keyFor(100 + i), VERDICT);
      await writeFile(await entryFile(dir, keyFor(100 + i)), text);
      assert.equal(await store.get(keyFor(100 + i)), undefined, text.slice(0, 60));
    }
  });

  it('leaves no temporary file behind and keeps "message" readable at the top of the entry', async () => {
    const store = new FileVerdictStore(dir, HOUR, () => Date.now());
    await store.put(keyFor(7), VERDICT);
    const folder = path.dirname(await entryFile(dir, keyFor(7)));
    assert.deepEqual((await readdir(folder)).filter((f) => f.endsWith('.tmp')), []);
    assert.equal((JSON.parse(await readFile(await entryFile(dir, keyFor(7)), 'utf8')) as { message: string }).message, VERDICT.message);
  });

  it('refuses a key that is not a sha256, so that no key names a path outside the folder', async () => {
    const store = new FileVerdictStore(dir, HOUR, () => Date.now());
    await assert.rejects(store.put('../../etc/passwd', VERDICT), /not a cache key/);
    await assert.rejects(store.get('../x'), /not a cache key/);
  });
});
