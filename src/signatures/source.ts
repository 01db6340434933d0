// Where signatures live is a transport concern; evaluation only sees the blobs.
// Every store (file lookaside now; HTTP lookaside, the registry extension API and
// sigstore attachments later) implements this one interface.

import { TransportError } from '../registry/http.js';
import type { ImageReference } from '../reference/reference.js';
import type { ReasonCode } from '../verify/verdict.js';
import type { UntrustedSignature } from '../verify/evaluate.js';

export interface SignatureLookup {
  /** Simple-signing blobs, unverified. */
  signatures: UntrustedSignature[];
  /** Blobs of other formats (sigstore), which a signedBy requirement ignores. */
  ignored: number;
  /** Human-readable description of where gate looked. */
  searched: string;
  /** Why nothing was found, when the store can tell (a missing folder, a numbering gap). */
  note?: string;
}

export type SignatureLookupResult =
  | ({ ok: true } & SignatureLookup)
  | { ok: false; reason: ReasonCode; message: string; hint?: string; searched: string };

export interface SignatureSource {
  /** Signatures stored for the manifest `digest` of `ref`'s repository. */
  lookup(ref: ImageReference, digest: string): Promise<SignatureLookupResult>;
}

/** Limits from containers/image: more is a server error, not a signature list. */
export const MAX_SIGNATURES = 128;
export const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;

/** Runs a lookup, turning a transport failure into a failed lookup with its reason. */
export async function guarded(searched: string, body: () => Promise<SignatureLookup>): Promise<SignatureLookupResult> {
  try {
    return { ok: true, ...(await body()) };
  } catch (e) {
    if (e instanceof TransportError) return { ok: false, reason: e.reason, message: e.message, ...(e.hint ? { hint: e.hint } : {}), searched };
    throw e;
  }
}
