// gate check called as a library, with the clock injected: for rules that depend on
// the date (exemption expiry) without sleeping or waiting for a date to come.

import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCheck, type CheckOptions } from '../../src/commands/check.js';
import type { Report } from '../../src/report/model.js';
import type { ProgressListener } from '../../src/report/progress.js';
import { PROJECT_ROOT } from './gate.js';

export async function checkAt(now: Date, cwd: string, options: Partial<CheckOptions> & { paths: string[] }, progress?: ProgressListener): Promise<Report> {
  return runCheck(
    { namespace: 'default', offline: true, ...options },
    { cwd, now: () => now, env: {}, readStdin: async () => new Uint8Array(), progress },
  );
}

/** A copy of a bundled example as a repository of its own (a .git folder marks its root). */
export async function copyExample(name: string): Promise<{ dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `gate-${name}-`));
  await cp(path.join(PROJECT_ROOT, 'examples', name), dir, { recursive: true });
  await mkdir(path.join(dir, '.git'));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** A progress listener that writes down what it is told, in order. */
export function recordingProgress(): { events: string[]; listener: ProgressListener } {
  const events: string[] = [];
  const listener: ProgressListener = {
    start: (images) => void events.push(`start ${images}`),
    tagResolved: () => void events.push('tag'),
    decided: () => void events.push('decided'),
    stop: () => void events.push('stop'),
  };
  return { events, listener };
}
