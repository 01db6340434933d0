// The lookaside store (containers/image docs/signature-protocols.md):
//   <base>/<repository path without host>@<algorithm>=<hex>/signature-<N>, N = 1, 2, …
// read until the first missing one. Bounded: at most 128 signatures of 4 MiB each.

import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBounded } from '../input/bounded-read.js';
import type { ImageReference } from '../reference/reference.js';
import type { UntrustedSignature } from '../verify/evaluate.js';
import { sniffSignatureBlob } from './format.js';
import { MAX_SIGNATURE_BYTES, MAX_SIGNATURES, type SignatureLookupResult, type SignatureSource } from './source.js';

/** The URL of signature `index` (1-based). The base keeps its path; the repository is appended after a `/`. */
export function lookasideSignatureUrl(base: string, ref: ImageReference, digest: string, index: number): string {
  const [algorithm, hex] = digest.split(':');
  const url = new URL(base);
  // As containers/image: the base path as written, then "/" and the repository
  // ("https://host" has an empty path; "https://host/" gives "//").
  const basePath = url.pathname === '/' && !base.endsWith('/') ? '' : url.pathname;
  url.pathname = `${basePath}/${ref.path}@${algorithm}=${hex}/signature-${index}`;
  return url.href;
}

export class FileLookaside implements SignatureSource {
  /** `show` turns a file path into the name used in messages (relative to the working directory). */
  constructor(
    private readonly base: string,
    private readonly show: (file: string) => string = (file) => file,
  ) {}

  async lookup(ref: ImageReference, digest: string): Promise<SignatureLookupResult> {
    const searched = this.show(fileURLToPath(lookasideSignatureUrl(this.base, ref, digest, 1))).replace(/signature-1$/, 'signature-N');
    const signatures: UntrustedSignature[] = [];
    let ignored = 0;
    for (let index = 1; ; index++) {
      if (index > MAX_SIGNATURES) {
        return { ok: false, reason: 'BAD_SIGNATURE', message: `more than ${MAX_SIGNATURES} signatures in ${searched}; assuming the store is broken`, searched };
      }
      const file = fileURLToPath(lookasideSignatureUrl(this.base, ref, digest, index));
      const location = this.show(file);
      const read = await readBounded(file, MAX_SIGNATURE_BYTES);
      if (read.kind === 'absent') break;
      if (read.kind === 'error') return { ok: false, reason: 'UNREACHABLE', message: `cannot read ${location}: ${read.message}`, searched };
      if (read.kind === 'too-large') {
        return { ok: false, reason: 'BAD_SIGNATURE', message: `${location} is larger than ${MAX_SIGNATURE_BYTES} bytes`, searched };
      }
      const sniffed = sniffSignatureBlob(read.bytes);
      if (sniffed.format === 'unknown') {
        const hint = sniffed.armoured ? `store the binary signature: gpg --dearmor < ${location} > ${location}.bin && mv ${location}.bin ${location}` : 'replace the file with a signature made by skopeo or gpg --sign';
        return { ok: false, reason: 'BAD_SIGNATURE', message: `${location}: ${sniffed.message}`, hint, searched };
      }
      if (sniffed.format === 'simple-signing') signatures.push({ bytes: sniffed.blob, location });
      else ignored++;
    }
    const note = signatures.length + ignored === 0 ? await this.whyEmpty(ref, digest) : undefined;
    return { ok: true, signatures, ignored, searched, ...(note ? { note } : {}) };
  }

  /** A missing lookaside folder or a numbering that does not start at 1 is worth saying. */
  private async whyEmpty(ref: ImageReference, digest: string): Promise<string | undefined> {
    const base = fileURLToPath(this.base);
    if (!(await stat(base).then((s) => s.isDirectory(), () => false))) return `the lookaside folder ${this.show(base)} does not exist`;
    const folder = path.dirname(fileURLToPath(lookasideSignatureUrl(this.base, ref, digest, 1)));
    const names = await readdir(folder).catch(() => [] as string[]);
    const others = names.filter((n) => n.startsWith('signature'));
    return others.length > 0 ? `${this.show(folder)} holds ${others.join(', ')} but no signature-1: the numbering starts at 1 and stops at the first gap` : undefined;
  }
}
