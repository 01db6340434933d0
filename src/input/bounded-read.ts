// Reading a file whole, but never more than a limit: repository content is untrusted,
// and a multi-gigabyte "manifest" or signature must not exhaust memory.

import { open } from 'node:fs/promises';

export type BoundedRead =
  | { kind: 'ok'; bytes: Uint8Array }
  | { kind: 'absent' }
  | { kind: 'too-large' }
  | { kind: 'error'; message: string };

/** Reads a whole regular file if it is no larger than `limit`; never reads more than limit+1 bytes. */
export async function readBounded(file: string, limit: number): Promise<BoundedRead> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'absent' };
    return { kind: 'error', message: describeErrno(e) };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { kind: 'error', message: 'not a regular file' };
    if (stat.size > limit) return { kind: 'too-large' };
    const buffer = Buffer.alloc(stat.size + 1);
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
    default:
      return err.code ?? String(e);
  }
}
