// A verdict store in a folder: one content-addressed file per key, written atomically
// (a temporary file renamed into place) so that concurrent generate runs can share the
// folder. How long an entry lives is a filesystem detail here: never longer than the
// store's TTL from the file's mtime, whatever the entry claims.

import { randomBytes } from 'node:crypto';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readBounded } from '../input/bounded-read.js';
import { asCachedVerdict, type CachedVerdict, type VerdictStore } from './verdict-store.js';

/** An entry is a short verdict and a date: anything larger was not written by gate. */
export const MAX_CACHE_ENTRY_BYTES = 64 * 1024;

interface Entry extends CachedVerdict {
  /** Epoch ms after which the entry is ignored. */
  expires: number;
}

export class FileVerdictStore implements VerdictStore {
  constructor(
    private readonly dir: string,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  async get(key: string): Promise<CachedVerdict | undefined> {
    const file = this.file(key);
    try {
      // Only a regular file is read (a FIFO planted in a shared cache folder would block): anything else is a miss.
      const read = await readBounded(file, MAX_CACHE_ENTRY_BYTES);
      if (read.kind !== 'ok') return undefined;
      const entry = JSON.parse(new TextDecoder().decode(read.bytes)) as Partial<Entry>;
      const verdict = asCachedVerdict(entry);
      if (!verdict || typeof entry.expires !== 'number') return undefined;
      const written = (await stat(file)).mtimeMs;
      return Math.min(entry.expires, written + this.ttlMs) > this.now() ? verdict : undefined;
    } catch {
      return undefined;
    }
  }

  async put(key: string, verdict: CachedVerdict, ttlMs: number = this.ttlMs): Promise<void> {
    const file = this.file(key);
    const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const entry: Entry = { ...verdict, expires: this.now() + Math.min(ttlMs, this.ttlMs) };
    try {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await writeFile(temporary, JSON.stringify(entry), { mode: 0o600 });
      await rename(temporary, file);
    } catch {
      // ignored: a cache that cannot be written only costs time
    }
  }

  /** A key is a sha256 in hex (cache/key.ts): nothing else can name a path inside the folder. */
  private file(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`not a cache key: ${key.slice(0, 80)}`);
    return path.join(this.dir, key.slice(0, 2), `${key}.json`);
  }
}
