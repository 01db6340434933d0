// Turns the PATH arguments of `gate check` into manifest texts: files as given,
// folders walked for *.yaml, *.yml and *.json (skipping .git, node_modules, .gate and
// --exclude patterns), and `-` for stdin. Every read is bounded. Symlinks are followed
// as Argo CD and kubectl follow them, but only while they stay inside the repository:
// one that leads out of it stops the run.

import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { GateError } from '../errors.js';
import { describeErrno, fileType, readOrFail } from './bounded-read.js';

export interface InputText {
  /** Name used in reports: relative to the working directory when inside it. */
  name: string;
  text: string;
}

/** A manifest file larger than this is refused (Argo CD's own install.yaml is 2 MB). */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;
/** All manifests of one run together (files and stdin): what gate holds in memory at once. */
export const MAX_TOTAL_INPUT_BYTES = 48 * 1024 * 1024;
/** Manifest files read in one run (the 397-file corpus of real repositories is far below). */
export const MAX_MANIFEST_FILES = 10_000;
/** Entries (files, folders, links) a folder walk looks at before giving up. */
export const MAX_WALK_ENTRIES = 100_000;
/** Folders nested deeper than this under a walked folder only appear in hostile input. */
export const MAX_WALK_DEPTH = 64;
export const STDIN_NAME = '<stdin>';

const MANIFEST_NAME = /\.(?:yaml|yml|json)$/;
const SKIPPED_FOLDERS = ['**/.git/**', '**/node_modules/**', '**/.gate/**'];

export interface InputIO {
  cwd: string;
  readStdin(limit: number): Promise<Uint8Array>;
}

/** `exclude`: glob patterns, relative to each folder walked, of files to leave out. */
export async function readInputs(paths: string[], io: InputIO, exclude: string[] = []): Promise<InputText[]> {
  const inputs: InputText[] = [];
  const budget = new ByteBudget(MAX_TOTAL_INPUT_BYTES, 'the manifests given', 'check fewer or smaller folders in separate runs, or leave files out with --exclude');
  for (const given of paths) {
    if (given === '-') {
      const bytes = await io.readStdin(MAX_MANIFEST_BYTES);
      budget.spend(bytes.length, STDIN_NAME);
      inputs.push({ name: STDIN_NAME, text: decode(bytes, STDIN_NAME) });
      continue;
    }
    const absolute = path.resolve(io.cwd, given);
    let info;
    try {
      info = await stat(absolute);
    } catch (e) {
      throw new GateError('INPUT_UNREADABLE', `cannot read it: ${describeErrno(e)}`, { file: given });
    }
    if (info.isDirectory()) {
      const files = await listFiles(absolute, (name) => MANIFEST_NAME.test(name), exclude, io.cwd);
      if (files.length === 0) throw new GateError('INPUT_UNREADABLE', 'no *.yaml, *.yml or *.json files in this folder', { file: given });
      if (inputs.length + files.length > MAX_MANIFEST_FILES) throw tooManyFiles(given);
      for (const file of files) inputs.push(await readManifestFile(file, io.cwd, budget));
    } else {
      if (inputs.length + 1 > MAX_MANIFEST_FILES) throw tooManyFiles(given);
      inputs.push(await readManifestFile(absolute, io.cwd, budget));
    }
  }
  return inputs;
}

function tooManyFiles(given: string): GateError {
  return new GateError('LIMIT_EXCEEDED', `more than ${MAX_MANIFEST_FILES} manifest files in one run (the limit); check a smaller folder, or leave files out with --exclude`, { file: given });
}

/** Bytes read so far against a limit over several files: the limit is named when crossed. */
export class ByteBudget {
  private used = 0;
  constructor(
    readonly limit: number,
    private readonly what: string,
    private readonly advice: string,
  ) {}

  spend(bytes: number, file: string): void {
    this.used += bytes;
    if (this.used > this.limit) {
      throw new GateError('LIMIT_EXCEEDED', `${this.what} hold more than ${mebibytes(this.limit)} together (the limit); ${this.advice}`, { file });
    }
  }
}

export function mebibytes(bytes: number): string {
  return `${bytes / 1024 / 1024} MiB`;
}

/**
 * Files under `folder` whose name `wanted` accepts, sorted. A symlink is followed when
 * its target is inside the repository that holds `folder` (or inside `folder` when
 * there is no repository); any symlink that leads elsewhere is an error. A wanted name
 * that is neither a file nor a folder (a FIFO, a socket, a device) is an error too: it is
 * never opened. The walk stops with an error past MAX_WALK_DEPTH or MAX_WALK_ENTRIES.
 */
export async function listFiles(folder: string, wanted: (name: string) => boolean, ignore: string[], cwd: string, repositoryRoot?: string): Promise<string[]> {
  const root = await realpath(repositoryRoot ?? (await findRepositoryRoot(folder)) ?? folder);
  const shown = displayName(folder, cwd);
  // One level more than the limit, so that an entry past it is seen and named.
  const stream = fg.stream('**/*', { cwd: folder, dot: true, onlyFiles: false, followSymbolicLinks: false, objectMode: true, deep: MAX_WALK_DEPTH + 1, ignore: [...SKIPPED_FOLDERS, ...ignore] });
  const files: string[] = [];
  let seen = 0;
  try {
    for await (const item of stream) {
      const entry = item as unknown as fg.Entry;
      if (++seen > MAX_WALK_ENTRIES) {
        throw new GateError('LIMIT_EXCEEDED', `the folder holds more than ${MAX_WALK_ENTRIES} files and folders (the limit for one walk); check a smaller folder, or leave parts out with --exclude`, { file: shown });
      }
      const file = path.join(folder, entry.path);
      if (entry.path.split('/').length > MAX_WALK_DEPTH) {
        throw new GateError('LIMIT_EXCEEDED', `folders nested more than ${MAX_WALK_DEPTH} deep (the limit); check a smaller folder, or leave the deep part out with --exclude`, { file: displayName(file, cwd) });
      }
      if (entry.dirent.isSymbolicLink()) {
        const target = await realpath(file).catch(() => undefined);
        if (target === undefined) {
          if (wanted(entry.name)) throw new GateError('INPUT_UNREADABLE', 'a symlink to nothing', { file: displayName(file, cwd) });
          continue;
        }
        if (target !== root && !target.startsWith(root + path.sep)) {
          throw new GateError('INPUT_UNREADABLE', `a symlink that leads out of the repository (to ${target}); refusing to follow it`, { file: displayName(file, cwd) });
        }
        if (!wanted(entry.name)) continue;
        const info = await stat(target);
        if (info.isFile()) files.push(file);
        else if (!info.isDirectory()) throw notRegular(file, cwd, `a symlink to ${fileType(info)}`);
      } else if (wanted(entry.name) && !entry.dirent.isDirectory()) {
        if (!entry.dirent.isFile()) throw notRegular(file, cwd, fileType(entry.dirent));
        files.push(file);
      }
    }
  } catch (e) {
    if (e instanceof GateError) throw e;
    // fast-glob's own errors (a path too long, a folder it may not read) are about the walk.
    const where = (e as { path?: string }).path;
    throw new GateError('INPUT_UNREADABLE', `cannot walk the folder: ${describeErrno(e)}${where ? ` at ${displayName(where, cwd)}` : ''}`, { file: shown });
  } finally {
    (stream as unknown as { destroy(): void }).destroy();
  }
  return files.sort();
}

function notRegular(file: string, cwd: string, what: string): GateError {
  return new GateError('INPUT_UNREADABLE', `not a regular file (${what}); gate reads only regular files, remove it or leave it out with --exclude`, { file: displayName(file, cwd) });
}

/** The folder holding `.git` at or above `start`, if any. */
export async function findRepositoryRoot(start: string): Promise<string | undefined> {
  let dir = start;
  for (;;) {
    try {
      await stat(path.join(dir, '.git'));
      return dir;
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
  }
}

async function readManifestFile(absolute: string, cwd: string, budget: ByteBudget): Promise<InputText> {
  const name = displayName(absolute, cwd);
  const bytes = await readOrFail(absolute, MAX_MANIFEST_BYTES, {
    file: name,
    unreadable: (problem) => `cannot read it: ${problem}`,
    absent: 'no such file or directory',
    tooLarge: { code: 'LIMIT_EXCEEDED', message: `larger than ${mebibytes(MAX_MANIFEST_BYTES)} (the limit for one manifest file); refusing to read it` },
  });
  budget.spend(bytes.length, name);
  return { name, text: decode(bytes, name) };
}

/** Relative to the working directory when that stays short, absolute otherwise. */
export function displayName(absolute: string, cwd: string): string {
  const relative = path.relative(cwd, absolute);
  if (relative === '' || path.isAbsolute(relative)) return absolute;
  return relative.split(path.sep).filter((s) => s === '..').length <= 2 ? relative : absolute;
}

function decode(bytes: Uint8Array, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new GateError('INPUT_INVALID', 'not UTF-8 text', { file: name });
  }
}

/** Whether a path exists; anything but "no such file" (a permission, a loop) is an error, not a no. */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new GateError('INPUT_UNREADABLE', `cannot read it: ${describeErrno(e)}`, { file: p });
  }
}
