// Report files (`--output FORMAT=FILE`): checked before the run, so that minutes are not
// spent on registries for a report that cannot be written, and written only to regular
// files. A FIFO would block the write until some reader came, a device or a socket is
// not a report; gate refuses them all.

import { constants } from 'node:fs';
import { lstat, mkdir, open, rmdir, stat, unlink, access } from 'node:fs/promises';
import path from 'node:path';
import { describeErrno, fileType } from '../input/bounded-read.js';

/**
 * O_NONBLOCK: should the path have become a FIFO since the check, opening it fails at
 * once (ENXIO when no reader) instead of waiting for a reader; fstat then refuses it.
 */
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Why the report cannot be written to `file`, or undefined. An existing file is neither
 * emptied nor replaced (it may be an input); a missing one is created and removed again,
 * with any missing folders, because only trying tells (root passes access(2) on /proc,
 * where nothing can be created).
 */
export async function reportFileProblem(file: string): Promise<string | undefined> {
  const existing = await stat(file).catch(() => undefined);
  if (existing) {
    if (existing.isDirectory()) return 'it is a folder';
    if (!existing.isFile()) return notRegular(existing);
    return access(file, constants.W_OK).then(() => undefined, writeProblem);
  }
  const created: string[] = [];
  try {
    for (const folder of await missingFolders(path.dirname(file))) {
      await mkdir(folder);
      created.push(folder);
    }
    const handle = await open(file, 'wx');
    created.push(file);
    await handle.close();
    return undefined;
  } catch (e) {
    return writeProblem(e);
  } finally {
    for (const made of created.reverse()) await (made === file ? unlink(made) : rmdir(made)).catch(() => undefined);
  }
}

/** Writes the report, creating missing folders one by one (never mkdir -p: see makeFolders). */
export async function writeReportFile(file: string, text: string): Promise<void> {
  await makeFolders(path.dirname(file));
  const handle = await open(file, WRITE_FLAGS, 0o666);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw Object.assign(new Error(notRegular(info)), { code: 'ENOTREGULAR' });
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

/** Words for a failed write; `ENOTREGULAR` carries its own. */
export function writeProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOTREGULAR') return (e as Error).message;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a part of its path is a file, not a folder';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'ENOENT') return 'it cannot be created there (the file system refuses new files or folders)';
  if (code === 'ENXIO') return 'not a regular file (a FIFO or socket); gate writes reports only to regular files';
  return describeErrno(e);
}

function notRegular(info: Parameters<typeof fileType>[0]): string {
  return `not a regular file (${fileType(info)}); gate writes reports only to regular files`;
}

/** The folders above `dir` (itself included) that do not exist, outermost first. */
async function missingFolders(dir: string): Promise<string[]> {
  const missing: string[] = [];
  let current = dir;
  while (!(await lstat(current).catch(() => undefined))) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return missing;
}

/**
 * Node's recursive mkdir loops forever where a folder's parent exists but mkdir says
 * ENOENT (as in /proc: `-o json=/proc/nope/x.json` used to spin); one level at a time,
 * the first failure is final.
 */
async function makeFolders(dir: string): Promise<void> {
  for (const folder of await missingFolders(dir)) {
    await mkdir(folder).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
}
