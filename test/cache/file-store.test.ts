// The evidence cache in a folder: entries written whole or not at all (a real process
// killed mid-write), never read through a FIFO, a device or a symlink, bounded by size
// with the oldest going first, and shared safely by concurrent writers.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeEvidence, encodeEvidence, MAX_ENTRY_BYTES } from '../../src/cache/entry.js';
import { FileEvidenceStore, pruneFolder } from '../../src/cache/file-store.js';
import { evidenceCacheKey } from '../../src/cache/key.js';
import { untrustedBlob } from '../../src/evidence.js';
import { mustRun, requireTool } from '../helpers/tools.js';

const HOUR = 3600_000;
const FETCHED = Date.now();
const key = (n: number) => evidenceCacheKey({ store: 'https://s', repository: 'r/a', digest: `sha256:${String(n).padStart(64, '0')}`, attachments: false });
const entryOf = (n: number, size = 16) =>
  encodeEvidence({ searched: `entry ${n}`, blobs: [untrustedBlob({ format: 'simple-signing', bytes: new Uint8Array(size).fill(n % 251), location: `l${n}` })] }, FETCHED)!;
/** What a get gave back, comparable with what was put. */
const bytesOf = (read: Uint8Array | undefined) => (read ? Buffer.from(read) : undefined);

/** The entries and temporary files in a cache folder (not its pruning marker). */
async function entryFiles(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((n) => n !== 'pruned').sort();
}

const entryName = (n: number) => `${key(n)}.json`;

describe('FileEvidenceStore', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gate-evidence-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const store = (folder = dir, maxBytes = 1024 * 1024) => new FileEvidenceStore(folder, { now: Date.now, maxBytes, ttlMs: HOUR });

  it('gives back the bytes it was given, from a 0600 file named by the key in a 0700 folder, and leaves no temporary file', async () => {
    const folder = path.join(dir, 'plain');
    await store(folder).put(key(1), entryOf(1));
    assert.deepEqual(bytesOf(await store(folder).get(key(1), MAX_ENTRY_BYTES)), Buffer.from(entryOf(1)));
    const file = path.join(folder, entryName(1));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(folder)).mode & 0o777, 0o700);
    assert.deepEqual(await entryFiles(folder), [entryName(1)]);
    assert.equal(await store(folder).get(key(2), MAX_ENTRY_BYTES), undefined);
  });

  it('misses, without blocking, on a FIFO, a symlink to /dev/zero, a symlink to a real entry and an entry past the bound', async () => {
    requireTool('mkfifo');
    const folder = path.join(dir, 'planted');
    const s = store(folder);
    for (const n of [10, 11, 12, 13, 14]) await s.put(key(n), entryOf(n));
    const file = (n: number) => path.join(folder, entryName(n));
    await rm(file(10));
    await mustRun('mkfifo', [file(10)]);
    await rm(file(11));
    await symlink('/dev/zero', file(11));
    await rm(file(12));
    await symlink(file(13), file(12));
    await writeFile(file(14), Buffer.alloc(MAX_ENTRY_BYTES + 1, 0x20));
    const started = Date.now();
    for (const n of [10, 11, 12, 14]) assert.equal(await s.get(key(n), MAX_ENTRY_BYTES), undefined, `entry ${n}`);
    assert.ok(Date.now() - started < 5000, 'no read blocked');
    assert.deepEqual(bytesOf(await s.get(key(13), MAX_ENTRY_BYTES)), Buffer.from(entryOf(13)), 'the link target itself is an entry');
  });

  it('refuses a key that is not a sha256, so that no key names a path outside the folder', async () => {
    await assert.rejects(store().put('../../etc/passwd', entryOf(1)), /not a cache key/);
    await assert.rejects(store().get('../x', 10), /not a cache key/);
  });

  it('prunes to its bound, oldest first, with expired entries and the temporary files of dead runs, at most every five minutes', async () => {
    const folder = path.join(dir, 'bounded');
    const size = entryOf(99, 1000).length;
    const options = { now: Date.now, maxBytes: 3 * size, ttlMs: HOUR };
    const now = Date.now();
    const at = async (name: string, ms: number) => utimes(path.join(folder, name), new Date(ms), new Date(ms));
    const writer = new FileEvidenceStore(folder, options);
    for (const n of [20, 21, 22, 23, 24]) await writer.put(key(n), entryOf(n, 1000));
    // 20 expired, 21 the oldest of those left, then 22, 23, 24.
    await at(entryName(20), now - 2 * HOUR);
    await at(entryName(21), now - 50 * 60_000);
    await at(entryName(22), now - 40 * 60_000);
    await at(entryName(23), now - 30 * 60_000);
    const dead = `${key(24)}.json.123.abcdef.tmp`;
    const live = `${key(24)}.json.456.abcdef.tmp`;
    await writeFile(path.join(folder, dead), 'half an ent');
    await writeFile(path.join(folder, live), 'being writ');
    await at(dead, now - 20 * 60_000);
    await writeFile(path.join(folder, 'README'), 'not gate\'s: left alone');
    // The folder was made by this writer a moment ago: nothing is pruned yet.
    await writer.close();
    assert.equal((await entryFiles(folder)).filter((f) => f.endsWith('.json')).length, 5);
    // Five minutes later, a run that wrote prunes.
    await at('pruned', now - 6 * 60_000);
    const later = new FileEvidenceStore(folder, options);
    await later.put(key(24), entryOf(24, 1000));
    await later.close();
    const left = await entryFiles(folder);
    for (const gone of [entryName(20), entryName(21), dead]) assert.ok(!left.includes(gone), `${gone} should be gone`);
    for (const kept of [entryName(22), entryName(23), entryName(24), live, 'README']) assert.ok(left.includes(kept), `${kept} should be kept`);
  });

  it('several writers of the same keys leave each entry whole (one process; test/cache/folder-cache.test.ts runs six at once)', async () => {
    const folder = path.join(dir, 'concurrent');
    const writers = Array.from({ length: 6 }, () => store(folder));
    await Promise.all(writers.flatMap((w) => Array.from({ length: 20 }, (_, n) => w.put(key(100 + n), entryOf(100 + n, 5000)))));
    for (let n = 0; n < 20; n++) assert.deepEqual(bytesOf(await store(folder).get(key(100 + n), MAX_ENTRY_BYTES)), Buffer.from(entryOf(100 + n, 5000)));
    assert.ok((await entryFiles(folder)).every((f) => f.endsWith('.json')), 'no temporary file left');
  });

  it('a process killed in the middle of writing leaves whole entries or none, never a torn one', async () => {
    const folder = path.join(dir, 'killed');
    await mkdir(folder);
    // A real writer process, putting large entries as fast as it can, killed with SIGKILL.
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/cache-writer.js');
    const child = spawn(process.execPath, [script, folder], { stdio: ['ignore', 'pipe', 'inherit'] });
    let written = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        written += chunk.toString().split('\n').filter(Boolean).length;
        if (written >= 3) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const files = await entryFiles(folder);
    assert.ok(files.some((f) => f.endsWith('.json')), 'the writer wrote entries before it was killed');
    for (const file of files.filter((f) => f.endsWith('.json'))) {
      const bytes = await readFile(path.join(folder, file));
      assert.ok(decodeEvidence(bytes, Date.now(), HOUR), `${file} is a whole entry`);
    }
    // The next run reads every entry whole or misses it, and the next pruning removes what the killed run left.
    for (const file of files.filter((f) => f.endsWith('.tmp'))) {
      const old = new Date(Date.now() - HOUR);
      await utimes(path.join(folder, file), old, old);
    }
    pruneFolder(folder, { now: Date.now, maxBytes: 1024 * 1024 * 1024, ttlMs: HOUR });
    assert.ok((await entryFiles(folder)).every((f) => f.endsWith('.json')));
  });
});
