// Which evidence cache a run uses: a folder (--cache-dir, a path or a file:// URL; gate
// generate's default is $GATE_CACHE_DIR or <tmp>/gate-cache), Redis (--cache-redis or
// $GATE_CACHE_REDIS), or both — the folder is read first and both are written.

import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GateError, errorMessage } from '../errors.js';
import { EvidenceCache, type EvidenceBackend } from './evidence-cache.js';
import { MAX_ENTRY_BYTES } from './entry.js';
import { FileEvidenceStore } from './file-store.js';
import { checkRedisUrl, redactRedisUrl, RedisEvidenceStore } from './redis-store.js';

export interface CacheSettings {
  /** A folder: a path (relative to cwd) or a file:// URL. */
  dir?: string;
  /** redis:// or rediss:// URL. */
  redis?: string;
  /** Used when the Redis URL carries no password. */
  redisPassword?: string;
  /** Trust roots for a rediss:// host:port. */
  redisCa?: (hostPort: string) => Promise<string[]>;
  /** Relative folders are resolved from here. */
  cwd: string;
  /** How long evidence is used after it was fetched. */
  ttlMs: number;
  /** The folder's bound in bytes. */
  maxBytes: number;
  /** Connect and per-command limit for Redis. */
  redisTimeoutMs: number;
  now: () => number;
  warn: (message: string) => void;
}

/** undefined: no cache for this run. */
export function openEvidenceCache(settings: CacheSettings): EvidenceCache | undefined {
  const backends: EvidenceBackend[] = [];
  if (settings.dir !== undefined) {
    backends.push(new FileEvidenceStore(cacheFolder(settings.dir, settings.cwd), { now: settings.now, maxBytes: settings.maxBytes, ttlMs: settings.ttlMs }));
  }
  if (settings.redis !== undefined) {
    const problem = checkRedisUrl(settings.redis);
    if (problem) throw new GateError('USAGE', `--cache-redis (or GATE_CACHE_REDIS): ${problem}`);
    const hostPort = new URL(settings.redis).host;
    backends.push(
      new RedisEvidenceStore({
        url: settings.redis,
        password: settings.redisPassword,
        timeoutMs: settings.redisTimeoutMs,
        ...(settings.redisCa ? { ca: () => settings.redisCa!(hostPort) } : {}),
      }),
    );
  }
  if (backends.length === 0) return undefined;
  return new EvidenceCache(backends, { ttlMs: settings.ttlMs, now: settings.now, warn: settings.warn, maxEntryBytes: MAX_ENTRY_BYTES });
}

function cacheFolder(location: string, cwd: string): string {
  if (/^rediss?:\/\//i.test(location)) {
    throw new GateError('USAGE', `--cache-dir names a folder; for Redis use --cache-redis ${redactRedisUrl(location)}`);
  }
  if (!/^file:\/\//i.test(location)) return path.resolve(cwd, location);
  try {
    return path.resolve(cwd, fileURLToPath(location));
  } catch (e) {
    throw new GateError('USAGE', `--cache-dir ${location}: not a local file URL (${errorMessage(e)})`);
  }
}

/** `gate generate` caches by default (Argo CD regenerates often): $GATE_CACHE_DIR, else <tmp>/gate-cache. */
export function generateCacheLocation(env: NodeJS.ProcessEnv): string {
  return env.GATE_CACHE_DIR ?? path.join(tmpdir(), 'gate-cache');
}
