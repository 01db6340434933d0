// The outer layers of a simple-signing blob, read before openpgp.js sees it, for two
// reasons:
//  - bounded decompression: a few megabytes of compressed zeros must not become
//    gigabytes in memory (openpgp.js inflates without a limit);
//  - the message layout containers/image accepts (x/crypto/openpgp ReadMessage): after
//    any compression, a one-pass signature packet comes first. A literal first is "not
//    signed"; a signature packet first is not the simple-signing layout either.

import { inflateRawSync, inflateSync } from 'node:zlib';

/** A simple-signing payload is a few hundred bytes; this leaves room and stops bombs. */
export const MAX_DECOMPRESSED_BYTES = 4 * 1024 * 1024;
const MAX_COMPRESSION_LAYERS = 3;

export const TAG = { signature: 2, onePassSignature: 4, compressed: 8, marker: 10, literal: 11 } as const;

export interface Packet {
  tag: number;
  body: Uint8Array;
  /** Its body came in partial-length chunks (openpgp.js allows them only in data packets). */
  partial?: true;
}

export type UnwrapResult = { ok: true; packets: Uint8Array } | { ok: false; message: string };

/** The uncompressed packet sequence of a signed message, or why it is not one. */
export function unwrapSignedMessage(blob: Uint8Array): UnwrapResult {
  let current = blob;
  for (let layer = 0; layer <= MAX_COMPRESSION_LAYERS; layer++) {
    let packets: Packet[];
    try {
      packets = readPackets(current).filter((p) => p.tag !== TAG.marker);
    } catch (e) {
      return { ok: false, message: `not an OpenPGP message: ${(e as Error).message}` };
    }
    const first = packets[0];
    if (!first) return { ok: false, message: 'not an OpenPGP message: no packets' };
    switch (first.tag) {
      case TAG.onePassSignature:
        return { ok: true, packets: current };
      case TAG.compressed: {
        const inflated = decompress(first.body);
        if (!inflated.ok) return inflated;
        current = inflated.packets;
        continue;
      }
      case TAG.literal:
        return { ok: false, message: 'not signed' };
      case TAG.signature:
        return { ok: false, message: 'not signed: the signature packet precedes the data (a detached signature is not a simple-signing blob)' };
      default:
        return { ok: false, message: `not a signed message (it starts with OpenPGP packet type ${first.tag})` };
    }
  }
  return { ok: false, message: `more than ${MAX_COMPRESSION_LAYERS} nested compression layers` };
}

function decompress(body: Uint8Array): UnwrapResult {
  const algorithm = body[0];
  const data = body.subarray(1);
  const options = { maxOutputLength: MAX_DECOMPRESSED_BYTES };
  try {
    switch (algorithm) {
      case 0:
        return { ok: true, packets: data };
      case 1:
        return { ok: true, packets: new Uint8Array(inflateRawSync(data, options)) };
      case 2:
        return { ok: true, packets: new Uint8Array(inflateSync(data, options)) };
      case 3:
        return { ok: false, message: 'BZip2-compressed signatures are not supported: sign with gpg\'s default (ZIP) compression' };
      default:
        return { ok: false, message: `unknown OpenPGP compression algorithm ${algorithm}` };
    }
  } catch (e) {
    const tooLarge = e instanceof RangeError || /larger than|buffer/i.test((e as Error).message);
    return {
      ok: false,
      message: tooLarge ? `the compressed message expands to more than ${MAX_DECOMPRESSED_BYTES} bytes` : `corrupt compressed data: ${(e as Error).message}`,
    };
  }
}

/** Splits a byte string into OpenPGP packets (RFC 4880 §4.2, old and new formats); throws on malformed framing. */
export function readPackets(bytes: Uint8Array): Packet[] {
  const packets: Packet[] = [];
  let pos = 0;
  const need = (n: number): void => {
    if (pos + n > bytes.length) throw new Error('truncated packet');
  };
  while (pos < bytes.length) {
    const header = bytes[pos++];
    if ((header & 0x80) === 0) throw new Error(`invalid packet header 0x${header.toString(16)}`);
    if ((header & 0x40) === 0) {
      const tag = (header >> 2) & 0x0f;
      const lengthType = header & 0x03;
      let length: number;
      if (lengthType === 3) {
        length = bytes.length - pos;
      } else {
        const size = [1, 2, 4][lengthType];
        need(size);
        length = 0;
        for (let i = 0; i < size; i++) length = length * 256 + bytes[pos++];
      }
      need(length);
      packets.push({ tag, body: bytes.subarray(pos, pos + length) });
      pos += length;
      continue;
    }
    const tag = header & 0x3f;
    const chunks: Uint8Array[] = [];
    for (;;) {
      need(1);
      const first = bytes[pos++];
      let length: number;
      let partial = false;
      if (first < 192) {
        length = first;
      } else if (first < 224) {
        need(1);
        length = ((first - 192) << 8) + bytes[pos++] + 192;
      } else if (first === 255) {
        need(4);
        length = ((bytes[pos] << 24) >>> 0) + (bytes[pos + 1] << 16) + (bytes[pos + 2] << 8) + bytes[pos + 3];
        pos += 4;
      } else {
        length = 1 << (first & 0x1f);
        partial = true;
      }
      need(length);
      chunks.push(bytes.subarray(pos, pos + length));
      pos += length;
      if (!partial) break;
    }
    packets.push({ tag, body: chunks.length === 1 ? chunks[0] : concat(chunks), ...(chunks.length > 1 ? { partial: true as const } : {}) });
  }
  return packets;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
