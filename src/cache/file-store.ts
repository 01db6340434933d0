// The evidence cache in a folder, shared by concurrent runs (gate generate in one
// repo-server, CI jobs on one runner): one file per key, <dir>/<key>.json.
//  - written atomically: a new temporary file (O_EXCL, never through a symlink) renamed
//    into place, so a reader sees a whole entry or none, and a run killed mid-write leaves
//    only a temporary file that nobody reads and a later pruning removes;
//  - read bounded, regular files only, never through a symlink, opened without blocking:
//    a FIFO or a link to /dev/zero planted at an entry's path is a miss;
//  - bounded in size: a run that wrote prunes the folder (at most every five minutes,
//    which the mtime of <dir>/pruned tells): expired entries and stale temporary files
//    go, then the oldest entries until the folder is within its bound.
// Entries are read and written with synchronous calls: each is a few syscalls on a local
// folder, where the promise API cost a 1,000-image run a few hundred milliseconds of its
// thread. The folder must be local (a tmp folder, an emptyDir).

import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { EvidenceBackend } from './evidence-cache.js';

/** How often the folder is pruned, at most: a run that pruned spares the runs of the next minutes the scan. */
const PRUNE_EVERY_MS = 5 * 60_000;
/** The file whose mtime says when the folder was last pruned. */
const PRUNED = 'pruned';
/** A temporary file older than this belongs to a run that died. */
const STALE_TEMPORARY_MS = 10 * 60_000;
const ENTRY = /^[0-9a-f]{64}\.json$/;
const TEMPORARY = /^[0-9a-f]{64}\.json\.\d+\.[0-9a-f]+\.tmp$/;
/** Never blocks (a FIFO opens at once), never follows a symlink, never becomes a controlling terminal. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW | constants.O_NOCTTY;
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export interface FileStoreOptions {
  now: () => number;
  /** The folder's bound, in bytes of entries. */
  maxBytes: number;
  /** Entries older than this are removed when the folder is pruned. */
  ttlMs: number;
}

export class FileEvidenceStore implements EvidenceBackend {
  readonly label: string;
  private made = false;
  private written = 0;

  constructor(
    private readonly dir: string,
    private readonly options: FileStoreOptions,
  ) {
    this.label = `folder ${dir}`;
  }

  /** Absent, too large, not a regular file, unreadable: each only a miss. */
  async get(key: string, maxBytes: number): Promise<Uint8Array | undefined> {
    const file = this.file(key);
    let fd: number;
    try {
      fd = openSync(file, READ_FLAGS);
    } catch {
      return undefined;
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile() || stat.size > maxBytes) return undefined;
      // One byte more than the size: a file that grew since is not read past the bound.
      const buffer = Buffer.alloc(Math.min(stat.size + 1, maxBytes + 1));
      let total = 0;
      while (total < buffer.length) {
        const read = readSync(fd, buffer, total, buffer.length - total, total);
        if (read === 0) break;
        total += read;
      }
      return total > maxBytes ? undefined : buffer.subarray(0, total);
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  async put(key: string, entry: Uint8Array): Promise<void> {
    const file = this.file(key);
    if (!this.made) {
      // A new folder starts its pruning clock: nothing in it is old yet.
      if (mkdirSync(this.dir, { recursive: true, mode: 0o700 }) !== undefined) touch(path.join(this.dir, PRUNED));
      this.made = true;
    }
    const temporary = `${file}.${process.pid}.${(this.written++).toString(16)}.tmp`;
    const fd = openSync(temporary, WRITE_FLAGS, 0o600);
    try {
      for (let done = 0; done < entry.length; ) done += writeSync(fd, entry, done);
    } catch (e) {
      closeSync(fd);
      remove(temporary);
      throw e;
    }
    closeSync(fd);
    renameSync(temporary, file);
  }

  /** After a run that wrote, when no run pruned the folder in the last minutes: pruned to its bound. */
  async close(): Promise<void> {
    if (this.written === 0) return;
    const marker = path.join(this.dir, PRUNED);
    let last = 0;
    try {
      last = lstatSync(marker).mtimeMs;
    } catch {
      // never pruned
    }
    const now = this.options.now();
    // A marker from the future (a planted one, a clock set back) does not stop pruning.
    if (last <= now && last + PRUNE_EVERY_MS > now) return;
    touch(marker);
    pruneFolder(this.dir, this.options);
  }

  /** A key is a sha256 in hex (cache/key.ts): nothing else can name a path inside the folder. */
  private file(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`not a cache key: ${key.slice(0, 80)}`);
    return path.join(this.dir, `${key}.json`);
  }
}

/**
 * Removes temporary files of dead runs, expired entries, then the oldest entries until the
 * folder holds at most `maxBytes`. Only names gate writes are touched; a file that another
 * run removes first is not an error.
 */
export function pruneFolder(dir: string, options: FileStoreOptions): void {
  const now = options.now();
  const entries: Array<{ file: string; size: number; mtimeMs: number }> = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const entry = ENTRY.test(name);
    if (!entry && !TEMPORARY.test(name)) continue;
    const file = path.join(dir, name);
    let stat;
    try {
      stat = lstatSync(file);
    } catch {
      continue;
    }
    if (!entry) {
      if (stat.mtimeMs + STALE_TEMPORARY_MS < now) remove(file);
    } else if (!stat.isFile() || stat.mtimeMs + options.ttlMs < now) {
      remove(file);
    } else {
      entries.push({ file, size: stat.size, mtimeMs: stat.mtimeMs });
    }
  }
  let total = entries.reduce((sum, e) => sum + e.size, 0);
  entries.sort((a, b) => a.mtimeMs - b.mtimeMs);
  for (const entry of entries) {
    if (total <= options.maxBytes) break;
    remove(entry.file);
    total -= entry.size;
  }
}

/** Creates or empties `file` (best effort: the marker only saves work). */
function touch(file: string): void {
  try {
    closeSync(openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600));
  } catch {
    // the next run prunes instead
  }
}

function remove(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // gone already, or another run's
  }
}
