// The evidence cache in a folder, shared by concurrent runs (gate generate in one
// repo-server, CI jobs on one runner): one file per key, <dir>/<first two hex>/<key>.json.
//  - written atomically: a new temporary file (O_EXCL, never through a symlink) renamed
//    into place, so a reader sees a whole entry or none, and a run killed mid-write leaves
//    only a temporary file that nobody reads and the next pruning removes;
//  - read bounded, regular files only, never through a symlink: a FIFO or a link to
//    /dev/zero planted at an entry's path is a miss;
//  - bounded in size: when a run that wrote closes, expired entries and stale temporary
//    files go, then the oldest entries until the folder is within its bound.

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { readBounded } from '../input/bounded-read.js';
import type { EvidenceBackend } from './evidence-cache.js';

/** A temporary file older than this belongs to a run that died. */
const STALE_TEMPORARY_MS = 10 * 60_000;
const ENTRY = /^[0-9a-f]{64}\.json$/;
const TEMPORARY = /^[0-9a-f]{64}\.json\.\d+\.[0-9a-f]+\.tmp$/;
const SHARD = /^[0-9a-f]{2}$/;

export interface FileStoreOptions {
  now: () => number;
  /** The folder's bound, in bytes of entries. */
  maxBytes: number;
  /** Entries older than this are removed when the folder is pruned. */
  ttlMs: number;
}

export class FileEvidenceStore implements EvidenceBackend {
  readonly label: string;
  private wrote = false;
  private readonly shards = new Map<string, Promise<void>>();

  constructor(
    private readonly dir: string,
    private readonly options: FileStoreOptions,
  ) {
    this.label = `folder ${dir}`;
  }

  async get(key: string, maxBytes: number): Promise<Uint8Array | undefined> {
    const read = await readBounded(this.file(key), maxBytes, { noFollow: true });
    // Absent, too large, not a regular file, unreadable: each only a miss.
    return read.kind === 'ok' ? read.bytes : undefined;
  }

  async put(key: string, entry: Uint8Array): Promise<void> {
    const file = this.file(key);
    const shard = path.dirname(file);
    let made = this.shards.get(shard);
    if (!made) {
      made = mkdir(shard, { recursive: true, mode: 0o700 }).then(() => undefined);
      this.shards.set(shard, made);
    }
    await made;
    const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await handle.writeFile(entry);
    } catch (e) {
      await handle.close();
      await unlink(temporary).catch(() => undefined);
      throw e;
    }
    await handle.close();
    await rename(temporary, file);
    this.wrote = true;
  }

  /** After a run that wrote: the folder pruned to its bound. */
  async close(): Promise<void> {
    if (this.wrote) await pruneFolder(this.dir, this.options);
  }

  /** A key is a sha256 in hex (cache/key.ts): nothing else can name a path inside the folder. */
  private file(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`not a cache key: ${key.slice(0, 80)}`);
    return path.join(this.dir, key.slice(0, 2), `${key}.json`);
  }
}

/**
 * Removes temporary files of dead runs, expired entries, then the oldest entries until the
 * folder holds at most `maxBytes`. Only names gate writes are touched; a file that another
 * run removes first is not an error.
 */
export async function pruneFolder(dir: string, options: FileStoreOptions): Promise<void> {
  const now = options.now();
  const entries: Array<{ file: string; size: number; mtimeMs: number }> = [];
  const remove = (file: string) => unlink(file).catch(() => undefined);
  for (const shard of (await readdir(dir).catch(() => [] as string[])).filter((n) => SHARD.test(n))) {
    const folder = path.join(dir, shard);
    for (const name of await readdir(folder).catch(() => [] as string[])) {
      const file = path.join(folder, name);
      const stat = await lstat(file).catch(() => undefined);
      if (!stat) continue;
      if (TEMPORARY.test(name)) {
        if (stat.mtimeMs + STALE_TEMPORARY_MS < now) await remove(file);
      } else if (ENTRY.test(name)) {
        if (!stat.isFile() || stat.mtimeMs + options.ttlMs < now) await remove(file);
        else entries.push({ file, size: stat.size, mtimeMs: stat.mtimeMs });
      }
    }
  }
  let total = entries.reduce((sum, e) => sum + e.size, 0);
  entries.sort((a, b) => a.mtimeMs - b.mtimeMs);
  for (const entry of entries) {
    if (total <= options.maxBytes) break;
    await remove(entry.file);
    total -= entry.size;
  }
}
