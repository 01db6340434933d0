// Reading a file whole, but never more than a limit: repository content is untrusted,
// and a multi-gigabyte "manifest" or signature must not exhaust memory. Only regular
// files are read: a FIFO would block gate forever, /dev/zero never ends.

import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { GateError, type GateErrorCode } from '../errors.js';

export type BoundedRead =
  | { kind: 'ok'; bytes: Uint8Array }
  | { kind: 'absent' }
  | { kind: 'too-large' }
  | { kind: 'error'; message: string };

/**
 * open(2) flags that cannot block: O_NONBLOCK makes opening a FIFO for reading return at
 * once even with no writer (POSIX), where a plain open waits for one; O_NOCTTY keeps a
 * terminal from becoming gate's controlling terminal. A symlink is followed, so a link
 * to a FIFO opens the FIFO this way too, and fstat then refuses it. A unix socket cannot
 * be opened at all (ENXIO). On a regular file O_NONBLOCK changes nothing.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Opens `file` for reading only if it is a regular file, without ever blocking; `undefined`
 * when it does not exist. Anything else (FIFO, socket, device, folder) is a GateError-free
 * `{ problem }` so each caller words its own message.
 */
export async function openRegular(file: string, options: ReadOptions = {}): Promise<{ handle: FileHandle; size: number } | { problem: string } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, options.noFollow ? OPEN_FLAGS | constants.O_NOFOLLOW : OPEN_FLAGS);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { problem: describeErrno(e) };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      return { problem: `not a regular file (${fileType(stat)}); gate reads only regular files` };
    }
    return { handle, size: stat.size };
  } catch (e) {
    await handle.close();
    return { problem: describeErrno(e) };
  }
}

export interface ReadOptions {
  /** A symlink is refused (ELOOP) instead of followed: for files only gate itself writes, such as cache entries. */
  noFollow?: boolean;
}

/** Reads a whole regular file if it is no larger than `limit`; never reads more than limit+1 bytes. */
export async function readBounded(file: string, limit: number, options: ReadOptions = {}): Promise<BoundedRead> {
  const opened = await openRegular(file, options);
  if (opened === undefined) return { kind: 'absent' };
  if ('problem' in opened) return { kind: 'error', message: opened.problem };
  const { handle, size } = opened;
  try {
    if (size > limit) return { kind: 'too-large' };
    const buffer = Buffer.alloc(size + 1);
    let total = 0;
    while (total < buffer.length) {
      const { bytesRead } = await handle.read(buffer, total, buffer.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    if (total > limit) return { kind: 'too-large' };
    return { kind: 'ok', bytes: new Uint8Array(buffer.buffer, buffer.byteOffset, total) };
  } catch (e) {
    return { kind: 'error', message: describeErrno(e) };
  } finally {
    await handle.close();
  }
}

/** How a caller words a read that failed: each file gate reads has its own sentence. */
export interface ReadFailureWords {
  /** The file as the error's position names it; absent when the message names it itself. */
  file?: string;
  /** The message for a file that is missing or cannot be read, from what went wrong. */
  unreadable: (problem: string) => string;
  /** The code of that error (default INPUT_UNREADABLE). */
  code?: GateErrorCode;
  /** The error for a file past the limit. */
  tooLarge: { code: GateErrorCode; message: string };
  /** What a missing file is called (default "no such file"). */
  absent?: string;
}

/** The bytes of `file`, or a GateError worded by `what`: missing, unreadable, not regular, too large. */
export async function readOrFail(file: string, limit: number, what: ReadFailureWords): Promise<Uint8Array> {
  const bytes = await readIfPresentOrFail(file, limit, what);
  if (bytes === undefined) throw new GateError(what.code ?? 'INPUT_UNREADABLE', what.unreadable(what.absent ?? 'no such file'), at(what));
  return bytes;
}

/** readOrFail for a file that may be missing: undefined then. */
export async function readIfPresentOrFail(file: string, limit: number, what: ReadFailureWords): Promise<Uint8Array | undefined> {
  const read = await readBounded(file, limit);
  switch (read.kind) {
    case 'ok':
      return read.bytes;
    case 'absent':
      return undefined;
    case 'too-large':
      throw new GateError(what.tooLarge.code, what.tooLarge.message, at(what));
    case 'error':
      throw new GateError(what.code ?? 'INPUT_UNREADABLE', what.unreadable(read.message), at(what));
  }
}

function at(what: ReadFailureWords): { file: string } | undefined {
  return what.file === undefined ? undefined : { file: what.file };
}

/** What a non-regular file is, in words, for messages. */
export function fileType(stat: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSymbolicLink(): boolean }): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSymbolicLink()) return 'a symlink';
  return 'not a file';
}

export function describeErrno(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENXIO':
      // What open(2) says of a unix socket (and of a FIFO opened for writing with no reader).
      return 'not a regular file (a socket); gate reads only regular files';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    case 'ELOOP':
      return 'too many levels of symlinks';
    default:
      return err.code ?? String(e);
  }
}
