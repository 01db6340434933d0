// What the evidence cache holds: the blobs one store lookup found for a digest, as bytes
// with their format, media type and annotations, and when they were fetched. Never a
// verdict: on a hit the kinds verify the bytes again with the run's own policy and keys,
// so an entry planted by whoever can write the cache can cost a fetch or a denial, never
// an allow. Pure: bytes in, values out; anything that is not exactly this shape is a miss.

import { untrustedBlob, type BlobFormat, type Evidence } from '../evidence.js';

/** Bumped when the shape changes: an entry of another version is a miss. */
export const ENTRY_VERSION = 1;
/** An entry larger than this is neither written nor read (a lookaside of 128 large signatures is not worth keeping). */
export const MAX_ENTRY_BYTES = 4 * 1024 * 1024;
/** Clocks of several repo-server replicas differ a little; an entry from further in the future is a miss. */
const CLOCK_SKEW_MS = 5 * 60_000;
const MAX_TEXT = 4096;
const FORMATS: ReadonlySet<BlobFormat> = new Set(['simple-signing', 'sigstore-json', 'sigstore-attachment', 'sigstore-bundle', 'notary-metadata']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** What a lookup found, as the cache keeps it. */
export interface CachedEvidence {
  /** Where the store looked, as the fetching run said it. */
  searched: string;
  blobs: Evidence[];
  /** Epoch ms when the bytes were fetched. */
  fetched: number;
}

interface EntryBlob {
  format: BlobFormat;
  mediaType?: string;
  annotations?: Record<string, string>;
  location: string;
  bytes: string;
}

/** The entry for what a lookup found (`blobs` non-empty), or undefined when it would be larger than the bound. */
export function encodeEvidence(found: { searched: string; blobs: readonly Evidence[] }, fetched: number): Uint8Array | undefined {
  const blobs: EntryBlob[] = found.blobs.map((b) => ({
    format: b.format,
    ...(b.mediaType !== undefined ? { mediaType: b.mediaType } : {}),
    ...(b.annotations ? { annotations: { ...b.annotations } } : {}),
    location: b.location,
    bytes: Buffer.from(b.bytes).toString('base64'),
  }));
  const bytes = Buffer.from(JSON.stringify({ gate: 'evidence', v: ENTRY_VERSION, fetched, searched: found.searched, blobs }), 'utf8');
  return bytes.length > MAX_ENTRY_BYTES ? undefined : bytes;
}

/** The evidence in an entry fetched less than `ttlMs` ago by `now`, or undefined for anything else. */
export function decodeEvidence(bytes: Uint8Array, now: number, ttlMs: number): CachedEvidence | undefined {
  if (bytes.length > MAX_ENTRY_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(value) || value.gate !== 'evidence' || value.v !== ENTRY_VERSION) return undefined;
  const { fetched, searched, blobs } = value;
  if (typeof fetched !== 'number' || !Number.isFinite(fetched) || fetched > now + CLOCK_SKEW_MS || fetched + ttlMs <= now) return undefined;
  if (!isText(searched) || !Array.isArray(blobs) || blobs.length === 0) return undefined;
  const evidence: Evidence[] = [];
  for (const blob of blobs) {
    const read = readBlob(blob);
    if (!read) return undefined;
    evidence.push(read);
  }
  return { searched, blobs: evidence, fetched };
}

function readBlob(value: unknown): Evidence | undefined {
  if (!isObject(value)) return undefined;
  const { format, mediaType, annotations, location, bytes } = value;
  if (typeof format !== 'string' || !FORMATS.has(format as BlobFormat)) return undefined;
  if (mediaType !== undefined && !isText(mediaType)) return undefined;
  if (!isText(location) || typeof bytes !== 'string' || bytes.length % 4 !== 0 || !BASE64.test(bytes)) return undefined;
  let readAnnotations: Record<string, string> | undefined;
  if (annotations !== undefined) {
    if (!isObject(annotations)) return undefined;
    const entries = Object.entries(annotations);
    if (!entries.every(([, v]) => typeof v === 'string')) return undefined;
    readAnnotations = Object.fromEntries(entries) as Record<string, string>;
  }
  // The hash the crypto memo keys on is computed again here, over the bytes read: an entry cannot claim one.
  return untrustedBlob({
    format: format as BlobFormat,
    bytes: new Uint8Array(Buffer.from(bytes, 'base64')),
    location,
    ...(mediaType !== undefined ? { mediaType } : {}),
    ...(readAnnotations ? { annotations: readAnnotations } : {}),
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TEXT;
}
