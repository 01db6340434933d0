// What kind of signature a stored blob is, decided from its first bytes exactly as
// containers/image's internal/signature FromBlob does, and the one place a stored blob
// becomes an UntrustedBlob. An unrecognised blob is an error that fails the whole
// lookup (an armoured signature included).

import { untrustedBlob } from '../evidence.js';
import type { UntrustedBlob } from './evidence.js';

export type SniffedBlob =
  | { format: 'simple-signing'; blob: Uint8Array }
  | { format: 'sigstore-json'; blob: Uint8Array; mimeType?: string; annotations?: Record<string, string> }
  | { format: 'unknown'; message: string; armoured?: boolean };

/** A stored blob typed for the evaluators, or why it is no signature gate knows. */
export function typedBlob(bytes: Uint8Array, location: string): { ok: true; blob: UntrustedBlob } | { ok: false; message: string; armoured: boolean } {
  const sniffed = sniffSignatureBlob(bytes);
  if (sniffed.format === 'unknown') return { ok: false, message: sniffed.message, armoured: sniffed.armoured === true };
  const lifted = sniffed.format === 'sigstore-json' ? { ...(sniffed.mimeType !== undefined ? { mediaType: sniffed.mimeType } : {}), ...(sniffed.annotations ? { annotations: sniffed.annotations } : {}) } : {};
  return { ok: true, blob: untrustedBlob({ format: sniffed.format, bytes: sniffed.blob, location, ...lifted }) };
}

// OpenPGP packet headers that start a simple-signing blob: compressed data
// (0xA0-0xA3 old format, 0xC8 new), one-pass signature (0x90-0x92 and 0x3D, as
// containers/image lists them, and 0xC4), signature (0x88-0x8B, 0xC2).
const OPENPGP_FIRST_BYTES = new Set([0xa0, 0xa1, 0xa2, 0xa3, 0xc8, 0x90, 0x91, 0x92, 0x3d, 0xc4, 0x88, 0x89, 0x8a, 0x8b, 0xc2]);

export function sniffSignatureBlob(blob: Uint8Array): SniffedBlob {
  if (blob.length === 0) return { format: 'unknown', message: 'empty signature blob' };
  if (OPENPGP_FIRST_BYTES.has(blob[0])) return { format: 'simple-signing', blob };
  if (blob[0] !== 0x00) {
    const armoured = blob[0] === 0x2d;
    const what = armoured ? ' (armoured text: the lookaside holds binary signatures, not gpg --armor output)' : '';
    return { format: 'unknown', message: `unrecognized signature format, starting with binary 0x${blob[0].toString(16)}${what}`, armoured };
  }
  const newline = blob.indexOf(0x0a, 1);
  if (newline < 0) return { format: 'unknown', message: 'invalid signature format, missing newline' };
  const name = blob.subarray(1, newline);
  if (name.some((b) => b < 32 || b >= 0x7f)) return { format: 'unknown', message: 'invalid signature format, non-ASCII byte' };
  const format = new TextDecoder().decode(name);
  const data = blob.subarray(newline + 1);
  if (format === 'simple-signing') return { format: 'simple-signing', blob: data };
  if (format === 'sigstore-json') {
    const read = readSigstoreJson(data);
    return typeof read === 'string' ? { format: 'unknown', message: `invalid sigstore-json signature: ${read}` } : { format: 'sigstore-json', blob: data, ...read };
  }
  return { format: 'unknown', message: `unrecognized signature format "${format}"` };
}

/**
 * containers/image decodes a sigstore-json blob ({mimeType, payload (base64), annotations})
 * when it reads the list, and a decoding error fails the whole lookup; gate does the same
 * even though a signedBy requirement then ignores the blob.
 */
function readSigstoreJson(data: Uint8Array): string | { mimeType?: string; annotations?: Record<string, string> } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { ignoreBOM: true }).decode(data));
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const { mimeType, payload, annotations } = value as Record<string, unknown>;
  if (mimeType !== undefined && mimeType !== null && typeof mimeType !== 'string') return 'mimeType is not a string';
  if (payload !== undefined && payload !== null && (typeof payload !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(payload) || payload.length % 4 !== 0)) {
    return 'payload is not base64';
  }
  if (annotations !== undefined && annotations !== null) {
    if (typeof annotations !== 'object' || Array.isArray(annotations)) return 'annotations is not an object';
    if (Object.values(annotations).some((v) => typeof v !== 'string')) return 'an annotation is not a string';
  }
  return {
    ...(typeof mimeType === 'string' ? { mimeType } : {}),
    ...(annotations ? { annotations: { ...(annotations as Record<string, string>) } } : {}),
  };
}
