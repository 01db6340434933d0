// What a signature store hands back: every blob it found, typed by format and still
// untrusted, or why the lookup failed (a transport failure, not a verdict). Which blobs a
// requirement consumes is the requirement's business, not the store's.

import type { Evidence, EvidenceFound } from '../evidence.js';
import type { StoreFailure } from '../registry/http.js';

export type { FailureKind, StoreFailure } from '../registry/http.js';

export type { BlobFormat } from '../evidence.js';
/** A stored blob, still untrusted (src/evidence.ts: made by untrustedBlob only). */
export type UntrustedBlob = Evidence;

export type EvidenceLookup =
  | ({
      ok: true;
      blobs: UntrustedBlob[];
      /** Read from the evidence cache (cache/), not fetched in this run: a denial on it is decided again on fresh evidence. */
      cached?: true;
    } & Omit<EvidenceFound, 'blobs'>)
  | { ok: false; failure: StoreFailure; searched: string };
