// Which verdict store a run uses, from the --cache-dir option: a folder (a path, or a
// file:// URL) is a FileVerdictStore. Other backends get their URL scheme here; until
// one exists, naming it is a usage error rather than a folder called "redis:".

import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GateError, errorMessage } from '../errors.js';
import { FileVerdictStore } from './file-store.js';
import type { VerdictStore } from './verdict-store.js';

export interface StoreSettings {
  /** Relative folders are resolved from here. */
  cwd: string;
  /** How long a verdict is reused. */
  ttlMs: number;
  now: () => number;
}

/** undefined: no cache for this run. */
export function openVerdictStore(location: string | undefined, settings: StoreSettings): VerdictStore | undefined {
  if (location === undefined) return undefined;
  if (/^rediss?:\/\//i.test(location)) {
    throw new GateError('USAGE', `--cache-dir ${location.replace(/\/\/[^@/]*@/, '//…@')}: a Redis verdict cache is not supported yet; give a folder`);
  }
  let folder = location;
  if (/^file:\/\//i.test(location)) {
    try {
      folder = fileURLToPath(location);
    } catch (e) {
      throw new GateError('USAGE', `--cache-dir ${location}: not a local file URL (${errorMessage(e)})`);
    }
  }
  return new FileVerdictStore(path.resolve(settings.cwd, folder), settings.ttlMs, settings.now);
}

/** `gate generate` caches by default (Argo CD regenerates often): $GATE_CACHE_DIR, else <tmp>/gate-cache. */
export function generateCacheLocation(env: NodeJS.ProcessEnv): string {
  return env.GATE_CACHE_DIR ?? path.join(tmpdir(), 'gate-cache');
}
