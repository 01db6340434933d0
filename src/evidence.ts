// The vocabulary between the signature stores (signatures/, the I/O edge) and the
// requirement kinds (verify/, pure): a stored blob, still untrusted, with everything the
// store knew about it, and what a lookup found. Made in one place (`untrustedBlob`), so
// that the hash the crypto memo keys on covers every part a kind can read.

import { createHash } from 'node:crypto';

export type BlobFormat = 'simple-signing' | 'sigstore-json' | 'sigstore-attachment' | 'sigstore-bundle' | 'notary-metadata';

export interface Evidence {
  format: BlobFormat;
  /** The media type the store declares (a sigstore-json mimeType, an attachment layer's mediaType). */
  mediaType?: string;
  /**
   * simple-signing: the OpenPGP bytes (after any `\0simple-signing\n` prefix);
   * sigstore-json: the JSON document; sigstore-attachment: the layer's bytes;
   * sigstore-bundle: a sigstore bundle (JSON), the layer of an OCI 1.1 referrer;
   * notary-metadata: a Notary v1 metadata file (its name in `location`), kept between runs.
   */
  bytes: Uint8Array;
  /** sigstore-json annotations, or an attachment layer's (the signature, certificate, bundle). */
  annotations?: Readonly<Record<string, string>>;
  /** Where it was found, for messages. */
  location: string;
  /**
   * sha256 (hex) over format, media type, annotations and bytes: all a kind's crypto step
   * can read, so that two blobs share a memoised verification only when it cannot tell
   * them apart (cosign layers share their payload bytes and differ in annotations).
   */
  sha256: string;
}

/** What a store found for a digest: every blob, where it looked, and why nothing, when it can tell. */
export interface EvidenceFound {
  blobs: readonly Evidence[];
  /** Human-readable description of where gate looked. */
  searched: string;
  /** Why nothing was found, when the store can tell (a missing folder, a numbering gap). */
  note?: string;
  /** Set when no store is configured for the image: how to say where its signatures are. */
  unconfigured?: string;
}

/** The one way to make an Evidence: its hash is computed here, over every part. */
export function untrustedBlob(parts: Omit<Evidence, 'sha256'>): Evidence {
  const hash = createHash('sha256');
  const annotations = parts.annotations ? Object.entries(parts.annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : null;
  hash.update(JSON.stringify([parts.format, parts.mediaType ?? null, annotations]));
  hash.update('\u0000');
  hash.update(parts.bytes);
  return { ...parts, sha256: hash.digest('hex') };
}

/**
 * How a Notary v1 reader (verify/notary/) gets a file of a repository from its store
 * (signatures/notary-server.ts): by name (`root.json`, `snapshot.<sha256>.json`…), bounded;
 * undefined when the server has none (404); a TransportError when it cannot answer.
 */
export type NotaryFetch = (name: string, maxBytes: number) => Promise<Uint8Array | undefined>;
