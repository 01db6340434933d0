// The lookaside store (containers/image docs/signature-protocols.md):
//   <base>/<repository path without host>@<algorithm>=<hex>/signature-<N>, N = 1, 2, …
// read until the first missing one, from a folder (file://) or a web server (http[s]://).
// Bounded: at most 128 signatures of 4 MiB each; any blob gate cannot type fails the
// whole lookup, and so does any answer but the blob or "absent" (containers/image).

import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBounded } from '../input/bounded-read.js';
import type { ImageReference } from '../reference/reference.js';
import { basicAuthorization, type Credential } from '../registry/credentials.js';
import { redact, TransportError, type HttpClient, type StoreFailure } from '../registry/http.js';
import type { EvidenceLookup, UntrustedBlob } from './evidence.js';
import { typedBlob } from './format.js';
import { MAX_SIGNATURE_BYTES, MAX_SIGNATURES, type SignatureSource } from './source.js';

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

export type BlobRead = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'absent' } | { kind: 'failed'; failure: StoreFailure };

/** Where the numbered blobs of a lookaside come from; every answer is a value. */
export interface BlobReader {
  /** The name of `url` in messages. */
  where(url: string): string;
  read(url: string, location: string): Promise<BlobRead>;
  /** A reason not to read at all (credentials that may not travel). */
  refusal?: StoreFailure;
  /** How to repair a blob that is no signature, when the reader can say. */
  repair?(location: string, armoured: boolean): string;
  /** Why nothing was found, when the reader can tell. */
  whyEmpty?(ref: ImageReference, digest: string): Promise<string | undefined>;
}

export class Lookaside implements SignatureSource {
  constructor(
    private readonly base: string,
    private readonly reader: BlobReader,
  ) {}

  async lookup(ref: ImageReference, digest: string): Promise<EvidenceLookup> {
    const searched = this.reader.where(lookasideSignatureUrl(this.base, ref, digest, 1)).replace(/signature-1$/, 'signature-N');
    const failed = (failure: StoreFailure): EvidenceLookup => ({ ok: false, failure, searched });
    if (this.reader.refusal) return failed(this.reader.refusal);
    const blobs: UntrustedBlob[] = [];
    for (let index = 1; ; index++) {
      if (index > MAX_SIGNATURES) return failed({ kind: 'too-many', message: `more than ${MAX_SIGNATURES} signatures in ${searched}; assuming the store is broken` });
      const url = lookasideSignatureUrl(this.base, ref, digest, index);
      const location = this.reader.where(url);
      const read = await this.reader.read(url, location);
      if (read.kind === 'absent') break;
      if (read.kind === 'failed') return failed(read.failure);
      const typed = typedBlob(read.bytes, location);
      if (!typed.ok) {
        const hint = this.reader.repair?.(location, typed.armoured);
        return failed({ kind: 'malformed', message: `${location}: ${typed.message}`, ...(hint ? { hint } : {}) });
      }
      blobs.push(typed.blob);
    }
    const note = blobs.length === 0 ? await this.reader.whyEmpty?.(ref, digest) : undefined;
    return { ok: true, blobs, searched, ...(note ? { note } : {}) };
  }
}

/** A lookaside folder; `show` turns a file path into the name used in messages (relative to the working directory). */
export function fileLookaside(base: string, show: (file: string) => string = (file) => file): Lookaside {
  return new Lookaside(base, {
    where: (url) => show(fileURLToPath(url)),
    async read(url, location) {
      const read = await readBounded(fileURLToPath(url), MAX_SIGNATURE_BYTES);
      if (read.kind === 'ok') return { kind: 'bytes', bytes: read.bytes };
      if (read.kind === 'absent') return { kind: 'absent' };
      if (read.kind === 'error') return { kind: 'failed', failure: { kind: 'unreachable', message: `cannot read ${location}: ${read.message}` } };
      return { kind: 'failed', failure: { kind: 'malformed', message: `${location} is larger than ${MAX_SIGNATURE_BYTES} bytes` } };
    },
    repair: (location, armoured) =>
      armoured ? `store the binary signature: gpg --dearmor < ${location} > ${location}.bin && mv ${location}.bin ${location}` : 'replace the file with a signature made by skopeo or gpg --sign',
    // A missing lookaside folder, a numbering that does not start at 1, or skopeo's local store is worth saying.
    async whyEmpty(ref, digest) {
      const folder = fileURLToPath(base);
      const local = isSkopeoLocalStore(folder)
        ? `${path.resolve(folder)} is skopeo's and podman's default local signature store: signatures written there stay on the machine that signed (a CI runner), and the in-cluster webhook never reads it; publish them to a web server and set simple.storeURL`
        : undefined;
      const notes = (why: string | undefined) => [why, local].filter((n) => n !== undefined).join('; ') || undefined;
      if (!(await stat(folder).then((s) => s.isDirectory(), () => false))) return notes(`the lookaside folder ${show(folder)} does not exist`);
      const dir = path.dirname(fileURLToPath(lookasideSignatureUrl(base, ref, digest, 1)));
      const names = await readdir(dir).catch(() => [] as string[]);
      const others = names.filter((n) => n.startsWith('signature'));
      return notes(others.length > 0 ? `${show(dir)} holds ${others.join(', ')} but no signature-1: the numbering starts at 1 and stops at the first gap` : undefined);
    },
  });
}

/**
 * containers/image's built-in lookaside for root (/var/lib/containers/sigstore) and for
 * rootless users (~/.local/share/containers/sigstore): where `skopeo copy --sign-by`
 * writes when no registries.d says otherwise.
 */
function isSkopeoLocalStore(folder: string): boolean {
  const normal = path.resolve(folder);
  return normal === '/var/lib/containers/sigstore' || normal.endsWith(`${path.sep}.local${path.sep}share${path.sep}containers${path.sep}sigstore`);
}

/**
 * A lookaside over http(s): a 404 ends the list. A storeSecret's credentials go to the
 * lookaside's own origin only, and over plain HTTP only where `cleartextAllowed` says so.
 */
export function httpLookaside(base: string, http: HttpClient, credential?: Credential, cleartextAllowed: (hostPort: string) => boolean = () => false): Lookaside {
  const origin = new URL(base);
  const refusal: StoreFailure | undefined =
    credential && origin.protocol === 'http:' && !cleartextAllowed(origin.host)
      ? {
          kind: 'auth',
          message: `refusing to send ${credential.source} in clear text to ${origin.origin}`,
          hint: `serve the lookaside over https, or name ${origin.host} with --insecure-registry if plain HTTP is intended`,
        }
      : undefined;
  const headers: Record<string, string> = credential ? { authorization: basicAuthorization(credential) } : {};
  return new Lookaside(base, {
    where: redact,
    ...(refusal ? { refusal } : {}),
    async read(url, location) {
      try {
        const response = await http.fetch(url, { headers, maxBytes: MAX_SIGNATURE_BYTES });
        if (response.status === 404) return { kind: 'absent' };
        if (response.status === 401 || response.status === 403) {
          const message = `${location}: ${response.status}${credential ? ` with ${credential.source}` : ' without credentials'}`;
          return { kind: 'failed', failure: { kind: 'auth', message, hint: 'set simple.storeSecret in the policy to a Secret with data.username and data.password for the lookaside' } };
        }
        if (response.status !== 200) return { kind: 'failed', failure: { kind: 'unreachable', message: `${location}: the lookaside answered ${response.status}` } };
        return { kind: 'bytes', bytes: response.body };
      } catch (e) {
        if (e instanceof TransportError) return { kind: 'failed', failure: e.failure };
        throw e;
      }
    },
  });
}
