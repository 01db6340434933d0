// What a signature store hands back: every blob it found, typed by format and still
// untrusted, or why the lookup failed (a transport failure, not a verdict). Which blobs a
// requirement consumes is the requirement's business, not the store's.

import type { StoreFailure } from '../registry/http.js';

export type { FailureKind, StoreFailure } from '../registry/http.js';

export type BlobFormat = 'simple-signing' | 'sigstore-json' | 'sigstore-attachment';

export interface UntrustedBlob {
  format: BlobFormat;
  /** The media type the store declares (a sigstore-json mimeType, an attachment layer's mediaType). */
  mediaType?: string;
  /**
   * simple-signing: the OpenPGP bytes (after any `\0simple-signing\n` prefix);
   * sigstore-json: the JSON document; sigstore-attachment: the layer's bytes.
   */
  bytes: Uint8Array;
  /** sigstore-json annotations, or an attachment layer's (the signature, certificate, bundle). */
  annotations?: Readonly<Record<string, string>>;
  /** Where it was found, for messages. */
  location: string;
  /** Hex sha256 of `bytes`, for memo keys. */
  sha256: string;
}

export type EvidenceLookup =
  | {
      ok: true;
      blobs: UntrustedBlob[];
      /** Human-readable description of where gate looked. */
      searched: string;
      /** Why nothing was found, when the store can tell (a missing folder, a numbering gap). */
      note?: string;
      /** Set when no store is configured for the image: how to say where its signatures are. */
      unconfigured?: string;
    }
  | { ok: false; failure: StoreFailure; searched: string };
