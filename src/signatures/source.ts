// The one interface of a signature store (lookaside over file or http, the registry's
// extension API, sigstore attachments): a manifest digest in, every blob found out,
// typed (evidence.ts), with failures as values. stores.ts picks the stores for an image.

import { TransportError } from '../registry/http.js';
import type { ImageReference } from '../reference/reference.js';
import type { EvidenceLookup, UntrustedBlob } from './evidence.js';

export interface SignatureSource {
  /** Blobs stored for the manifest `digest` of `ref`'s repository. */
  lookup(ref: ImageReference, digest: string): Promise<EvidenceLookup>;
}

/** Limits from containers/image: more is a server error, not a signature list. */
export const MAX_SIGNATURES = 128;
export const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;

/** Runs a lookup whose transport throws, turning a TransportError into a failed lookup. */
export async function guarded(searched: string, body: () => Promise<UntrustedBlob[]>): Promise<EvidenceLookup> {
  try {
    return { ok: true, blobs: await body(), searched };
  } catch (e) {
    if (e instanceof TransportError) return { ok: false, failure: e.failure, searched };
    throw e;
  }
}

/** A store that finds nothing, and says where it did not look. */
export function nowhere(searched: string): SignatureSource {
  return { lookup: async () => ({ ok: true, blobs: [], searched }) };
}
