// Turns the PATH arguments of `gate check` into manifest texts: files as given,
// folders walked for *.yaml, *.yml and *.json (skipping .git, node_modules and .gate),
// and `-` for stdin. Every read is bounded, and a symlink may not lead out of the
// folder being checked.

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

const MANIFEST_GLOB = '**/*.{yaml,yml,json}';
const SKIPPED_FOLDERS = ['**/.git/**', '**/node_modules/**', '**/.gate/**'];

export interface InputIO {
  cwd: string;
  readStdin(limit: number): Promise<Uint8Array>;
}

export async function readInputs(paths: string[], io: InputIO): Promise<InputText[]> {
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
      throw new GateError('INPUT_UNREADABLE', `cannot read ${given}: ${describeErrno(e)}`, { file: given });
    }
    if (info.isDirectory()) {
      const files = await manifestFilesUnder(absolute, given);
      for (const file of files) inputs.push(await readManifestFile(file, io.cwd));
    } else {
      inputs.push(await readManifestFile(absolute, io.cwd));
    }
  }
  return inputs;
}

async function manifestFilesUnder(folder: string, given: string): Promise<string[]> {
  const entries = await fg(MANIFEST_GLOB, {
    cwd: folder,
    absolute: true,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: false,
    ignore: SKIPPED_FOLDERS,
  });
  if (entries.length === 0) {
    throw new GateError('INPUT_UNREADABLE', `no *.yaml, *.yml or *.json files under ${given}`, { file: given });
  }
  const root = await realpath(folder);
  for (const entry of entries) {
    const real = await realpath(entry).catch(() => entry);
    if (real !== root && !real.startsWith(root + path.sep)) {
      throw new GateError('INPUT_UNREADABLE', `refusing to follow a symlink out of ${given}: it points to ${real}`, { file: entry });
    }
  }
  return entries.sort();
}

async function readManifestFile(absolute: string, cwd: string): Promise<InputText> {
  const name = displayName(absolute, cwd);
  const read = await readBounded(absolute, MAX_MANIFEST_BYTES);
  switch (read.kind) {
    case 'ok':
      return { name, text: decode(read.bytes, name) };
    case 'absent':
      throw new GateError('INPUT_UNREADABLE', `cannot read ${name}: no such file or directory`, { file: name });
    case 'too-large':
      throw new GateError('INPUT_INVALID', `larger than ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB; refusing to read it`, { file: name });
    case 'error':
      throw new GateError('INPUT_UNREADABLE', `cannot read ${name}: ${read.message}`, { file: name });
  }
}

export function displayName(absolute: string, cwd: string): string {
  const relative = path.relative(cwd, absolute);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
}

function decode(bytes: Uint8Array, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new GateError('INPUT_INVALID', 'not UTF-8 text', { file: name });
  }
}
