// Verdicts remembered across runs, on disk: a SIGNED verdict for (digest, identity,
// requirements and their keys, signature store) is reused for a while, so that Argo CD
// regenerating many apps that share images does not fetch and verify the same
// signatures again. Entries are content-addressed files written atomically (a
// temporary file renamed into place), so concurrent generate runs can share the folder.
// Denials are never cached, nor is which digest a tag points to.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readBounded } from './input/bounded-read.js';

/** An entry is a message and a date: anything larger was not written by gate. */
export const MAX_CACHE_ENTRY_BYTES = 64 * 1024;

export interface CachedVerdict {
  message: string;
  /** Epoch ms after which the entry is ignored. */
  expires: number;
}

export class VerdictCache {
  constructor(
    private readonly dir: string,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  static key(parts: unknown[]): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  }

  async get(key: string): Promise<CachedVerdict | undefined> {
    try {
      const file = this.file(key);
      // Only a regular file is read (a FIFO planted in a shared cache folder would block): anything else is a miss.
      const read = await readBounded(file, MAX_CACHE_ENTRY_BYTES);
      if (read.kind !== 'ok') return undefined;
      const entry = JSON.parse(new TextDecoder().decode(read.bytes)) as CachedVerdict;
      // Never longer than the TTL from when the file was written, whatever it claims.
      const written = (await stat(file)).mtimeMs;
      const expires = Math.min(entry.expires, written + this.ttlMs);
      if (typeof entry.message !== 'string' || typeof entry.expires !== 'number' || expires <= this.now()) return undefined;
      return entry;
    } catch {
      return undefined;
    }
  }

  /** Best effort: a cache that cannot be written only costs time. */
  async put(key: string, message: string): Promise<void> {
    const file = this.file(key);
    const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await writeFile(temporary, JSON.stringify({ message, expires: this.now() + this.ttlMs } satisfies CachedVerdict), { mode: 0o600 });
      await rename(temporary, file);
    } catch {
      // ignored
    }
  }

  private file(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.json`);
  }
}
