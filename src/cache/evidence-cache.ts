// The cache of evidence between runs: the bytes a store lookup fetched for a digest, kept
// in one or more backends (a folder, Argo CD's Redis), read in order and written to all.
// A backend that fails is a warning and is left alone for the rest of the run: the cache
// may cost time, never a verdict. Writes wait for the end of the run (close), when the
// decisions are made: then they cost no decision any time, and Redis gets them in one burst.

import type { Evidence } from '../evidence.js';
import { decodeEvidence, encodeEvidence, type CachedEvidence } from './entry.js';
import { evidenceCacheKey, type EvidenceCacheParts } from './key.js';

/** Where entries are kept: bytes under a key (a sha256 in hex), each with its time to live. */
export interface EvidenceBackend {
  /** What it is, for warnings: never a password. */
  readonly label: string;
  /** The entry's bytes, or undefined for a miss; never more than `maxBytes` (a larger entry is a miss). Throws when the backend cannot answer. */
  get(key: string, maxBytes: number): Promise<Uint8Array | undefined>;
  put(key: string, entry: Uint8Array, ttlMs: number): Promise<void>;
  /** The end of the run: connections closed, the folder kept within its bounds. */
  close(): Promise<void>;
}

export interface EvidenceCacheOptions {
  /** How long an entry is used after its bytes were fetched. */
  ttlMs: number;
  now: () => number;
  warn: (message: string) => void;
  /** How large one entry may be. */
  maxEntryBytes: number;
  /** A backend slower than this for one entry is given up for the run (default 1 s): a cache must not cost more than a fetch. */
  slowMs?: number;
}

const SLOW_MS = 1000;

export class EvidenceCache {
  private readonly failed = new Set<EvidenceBackend>();
  /** Entries to write when the run closes, each to the backends named. */
  private readonly queued: Array<{ key: string; entry: Uint8Array; ttlMs: number; backends: readonly EvidenceBackend[] }> = [];
  /** Hits and misses of the run, for --verbose and the benchmark. */
  readonly counts = { hits: 0, misses: 0, writes: 0 };

  constructor(
    private readonly backends: readonly EvidenceBackend[],
    private readonly options: EvidenceCacheOptions,
  ) {}

  /** The evidence an earlier run fetched, still untrusted, or undefined. */
  async get(parts: EvidenceCacheParts): Promise<CachedEvidence | undefined> {
    const key = evidenceCacheKey(parts);
    const missed: EvidenceBackend[] = [];
    for (const backend of this.live()) {
      const started = this.options.now();
      const bytes = await this.guarded(backend, () => backend.get(key, this.options.maxEntryBytes));
      const took = this.options.now() - started;
      if (took > (this.options.slowMs ?? SLOW_MS)) this.giveUp(backend, `it took ${took} ms to answer for one entry`);
      const found = bytes && decodeEvidence(bytes, this.options.now(), this.options.ttlMs);
      if (found) {
        this.counts.hits++;
        // A hit in a shared backend (Redis) is kept in the nearer one (the folder) too, for the rest of its life.
        const left = found.fetched + this.options.ttlMs - this.options.now();
        if (bytes && left > 0 && missed.length > 0) this.queued.push({ key, entry: bytes, ttlMs: left, backends: missed });
        return found;
      }
      missed.push(backend);
    }
    this.counts.misses++;
    return undefined;
  }

  /** Keeps what a lookup just fetched (non-empty), in every backend, when the run closes. */
  put(parts: EvidenceCacheParts, found: { searched: string; blobs: readonly Evidence[] }): void {
    if (found.blobs.length === 0) return;
    const entry = encodeEvidence(found, this.options.now());
    if (!entry || entry.length > this.options.maxEntryBytes) return;
    this.queued.push({ key: evidenceCacheKey(parts), entry, ttlMs: this.options.ttlMs, backends: this.backends });
  }

  /** Writes what the run kept, then closes every backend. */
  async close(): Promise<void> {
    const writes: Array<Promise<void>> = [];
    for (const { key, entry, ttlMs, backends } of this.queued.splice(0)) {
      for (const backend of backends) {
        if (this.failed.has(backend)) continue;
        writes.push(this.guarded(backend, () => backend.put(key, entry, ttlMs)).then(() => void (this.failed.has(backend) || this.counts.writes++)));
      }
    }
    await Promise.all(writes);
    await Promise.all(this.backends.map((b) => this.guarded(b, () => b.close(), true)));
  }

  private live(): EvidenceBackend[] {
    return this.backends.filter((b) => !this.failed.has(b));
  }

  /** A backend that fails is said once and not asked again in this run. */
  private async guarded<T>(backend: EvidenceBackend, work: () => Promise<T>, closing = false): Promise<T | undefined> {
    if (this.failed.has(backend) && !closing) return undefined;
    try {
      return await work();
    } catch (e) {
      this.giveUp(backend, e instanceof Error ? e.message : String(e));
      return undefined;
    }
  }

  private giveUp(backend: EvidenceBackend, why: string): void {
    if (this.failed.has(backend)) return;
    this.failed.add(backend);
    this.options.warn(`the evidence cache ${backend.label} is unavailable (${why}): this run goes on without it, fetching every signature itself`);
  }
}
