// Turns the PATH arguments of `gate check` into manifest texts: files as given,
// folders walked for *.yaml, *.yml and *.json (skipping .git, node_modules, .gate and
// --exclude patterns), and `-` for stdin. Every read is bounded. Symlinks are followed
// as Argo CD and kubectl follow them, but only while they stay inside the repository:
// one that leads out of it stops the run.

import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { GateError } from '../errors.js';
import { describeErrno, readBounded } from './bounded-read.js';

export interface InputText {
  /** Name used in reports: relative to the working directory when inside it. */
  name: string;
  text: string;
}

/** A manifest file larger than this is refused (Argo CD's own install.yaml is 2 MB). */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;
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
  for (const given of paths) {
    if (given === '-') {
      const bytes = await io.readStdin(MAX_MANIFEST_BYTES);
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
      for (const file of files) inputs.push(await readManifestFile(file, io.cwd));
    } else {
      inputs.push(await readManifestFile(absolute, io.cwd));
    }
  }
  return inputs;
}

/**
 * Files under `folder` whose name `wanted` accepts, sorted. A symlink is followed when
 * its target is inside the repository that holds `folder` (or inside `folder` when
 * there is no repository); any symlink that leads elsewhere is an error.
 */
export async function listFiles(folder: string, wanted: (name: string) => boolean, ignore: string[], cwd: string, repositoryRoot?: string): Promise<string[]> {
  const root = await realpath(repositoryRoot ?? (await findRepositoryRoot(folder)) ?? folder);
  const entries = await fg('**/*', { cwd: folder, dot: true, onlyFiles: false, followSymbolicLinks: false, objectMode: true, ignore: [...SKIPPED_FOLDERS, ...ignore] });
  const files: string[] = [];
  for (const entry of entries) {
    const file = path.join(folder, entry.path);
    if (entry.dirent.isSymbolicLink()) {
      const target = await realpath(file).catch(() => undefined);
      if (target === undefined) {
        if (wanted(entry.name)) throw new GateError('INPUT_UNREADABLE', 'a symlink to nothing', { file: displayName(file, cwd) });
        continue;
      }
      if (target !== root && !target.startsWith(root + path.sep)) {
        throw new GateError('INPUT_UNREADABLE', `a symlink that leads out of the repository (to ${target}); refusing to follow it`, { file: displayName(file, cwd) });
      }
      if (wanted(entry.name) && (await stat(target)).isFile()) files.push(file);
    } else if (entry.dirent.isFile() && wanted(entry.name)) {
      files.push(file);
    }
  }
  return files.sort();
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

async function readManifestFile(absolute: string, cwd: string): Promise<InputText> {
  const name = displayName(absolute, cwd);
  const read = await readBounded(absolute, MAX_MANIFEST_BYTES);
  switch (read.kind) {
    case 'ok':
      return { name, text: decode(read.bytes, name) };
    case 'absent':
      throw new GateError('INPUT_UNREADABLE', 'cannot read it: no such file or directory', { file: name });
    case 'too-large':
      throw new GateError('INPUT_INVALID', `larger than ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB; refusing to read it`, { file: name });
    case 'error':
      throw new GateError('INPUT_UNREADABLE', `cannot read it: ${read.message}`, { file: name });
  }
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
