// Version-3 signature packets (RFC 4880 §5.2.2; made by `gpg1 --force-v3-sigs`, old PGP),
// and version 2, the same format under an older number, which x/crypto/openpgp and gpg read too.
// openpgp.js 6 drops them silently, so the message would read as "not signed", while
// x/crypto/openpgp (Portieris, containers/image's openpgp build) verifies v3 signatures
// from RSA and DSA keys, and gpg 2 (skopeo) verifies them too. gate checks them here with
// node:crypto against the key openpgp.js parsed, under the rules it applies to v4:
// MD5/SHA-1/RIPEMD-160 refused, future-dated refused, and the key judged exactly as
// openpgp.js judges a v4 signer (getSigningKey at the signature's creation time): RSA
// under 2048 bits and DSA refused, primary not expired or revoked, a subkey only with a
// valid signing binding and back-signature, a revoked subkey refused whenever revoked.
// A v3 packet has no subpackets, so no expiration time: the signature never expires by
// itself (containers/image checks expiry on v4 signatures only).

import { createHash } from 'node:crypto';
import * as openpgp from 'openpgp';
import type { SignedMessageResult, TrustedKeys } from './openpgp.js';
import { readPackets, TAG, type Packet } from './packets.js';
import { rsaPkcs1Valid } from './rsa-fast-path.js';

const SIGNATURE_TYPE = { binary: 0x00, text: 0x01 } as const;
const RSA_SIGNING = new Set([1, 3]); // RSA encrypt-or-sign, RSA sign-only
const KEY_ALGORITHM_NAMES: Record<number, string> = { 1: 'RSA', 2: 'RSA encrypt-only', 3: 'RSA sign-only', 16: 'ElGamal', 17: 'DSA', 18: 'ECDH', 19: 'ECDSA', 22: 'EdDSA', 27: 'Ed25519', 28: 'Ed448' };

/** OpenPGP hash IDs (RFC 4880 §9.4); the ones without a node name are refused, as for v4. */
const HASHES: Record<number, { name: string; node?: string }> = {
  1: { name: 'MD5' },
  2: { name: 'SHA1' },
  3: { name: 'RIPEMD160' },
  8: { name: 'SHA256', node: 'sha256' },
  9: { name: 'SHA384', node: 'sha384' },
  10: { name: 'SHA512', node: 'sha512' },
  11: { name: 'SHA224', node: 'sha224' },
};

export interface V3Signature {
  signatureType: number;
  /** Claimed by the signer; covered by the signature. */
  created: Date;
  /** The five hashed octets: signature type and creation time. */
  hashedTrailer: Uint8Array;
  /** 16 hex digits, upper case. */
  issuerKeyID: string;
  publicKeyAlgorithm: number;
  hashAlgorithm: number;
  hashPrefix: Uint8Array;
  mpis: Uint8Array[];
}

export interface V3SignedMessage {
  untrustedLiteral: Uint8Array;
  signature: V3Signature;
}

export type V3ReadResult = { ok: true; message: V3SignedMessage } | { ok: false; message: string };

/**
 * The v3 signed message in an (uncompressed) packet sequence, or undefined when its
 * signature packets are all newer versions, for openpgp.js to read.
 */
export function readV3SignedMessage(bytes: Uint8Array): V3ReadResult | undefined {
  let packets: Packet[];
  try {
    packets = readPackets(bytes).filter((p) => p.tag !== TAG.marker);
  } catch (e) {
    return { ok: false, message: `not an OpenPGP message: ${(e as Error).message}` };
  }
  if (!packets.some((p) => p.tag === TAG.signature && (p.body[0] === 2 || p.body[0] === 3))) return undefined;
  try {
    return parseV3SignedMessage(packets);
  } catch (e) {
    return { ok: false, message: `malformed version-3 signed message: ${(e as Error).message}` };
  }
}

function parseV3SignedMessage(packets: Packet[]): V3ReadResult {
  const signatures = packets.filter((p) => p.tag === TAG.signature).length;
  if (signatures !== 1) return { ok: false, message: `the message carries ${signatures} signatures; a simple-signing blob has exactly one` };
  const [onePass, literal, signaturePacket] = packets;
  if (packets.length !== 3 || onePass.tag !== TAG.onePassSignature || literal.tag !== TAG.literal || signaturePacket.tag !== TAG.signature) {
    return {
      ok: false,
      message: `a version-3 signed message is a one-pass signature, a literal data and a signature packet; this one has packet types ${packets.map((p) => p.tag).join(', ')}`,
    };
  }
  const signature = parseSignature(signaturePacket.body);
  const described = parseOnePass(onePass.body);
  if (
    described.signatureType !== signature.signatureType ||
    described.hashAlgorithm !== signature.hashAlgorithm ||
    described.publicKeyAlgorithm !== signature.publicKeyAlgorithm ||
    described.issuerKeyID !== signature.issuerKeyID
  ) {
    return { ok: false, message: 'the one-pass signature packet does not describe the version-3 signature that follows (type, hash, key algorithm or key ID differ)' };
  }
  return { ok: true, message: { untrustedLiteral: literalData(literal.body), signature } };
}

/** Reads fixed-size fields, throwing on a short body. */
function reader(bytes: Uint8Array) {
  let pos = 0;
  const take = (n: number): Uint8Array => {
    if (pos + n > bytes.length) throw new Error('truncated packet');
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  return { take, byte: () => take(1)[0], remaining: () => bytes.length - pos };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

function parseSignature(body: Uint8Array): V3Signature {
  const r = reader(body);
  r.byte(); // version 2 or 3, checked by the caller
  const hashedLength = r.byte();
  if (hashedLength !== 5) throw new Error(`hashed material of ${hashedLength} octets (a v3 signature has 5)`);
  const hashedTrailer = r.take(5);
  const created = new Date(Buffer.from(hashedTrailer).readUInt32BE(1) * 1000);
  const issuerKeyID = hex(r.take(8));
  const publicKeyAlgorithm = r.byte();
  const hashAlgorithm = r.byte();
  const hashPrefix = r.take(2);
  const mpis: Uint8Array[] = [];
  while (r.remaining() > 0) {
    const [high, low] = r.take(2);
    mpis.push(r.take(Math.ceil(((high << 8) | low) / 8)));
  }
  return { signatureType: hashedTrailer[0], created, hashedTrailer, issuerKeyID, publicKeyAlgorithm, hashAlgorithm, hashPrefix, mpis };
}

function parseOnePass(body: Uint8Array): Pick<V3Signature, 'signatureType' | 'hashAlgorithm' | 'publicKeyAlgorithm' | 'issuerKeyID'> {
  const r = reader(body);
  const version = r.byte();
  if (version !== 3) throw new Error(`one-pass signature packet version ${version}`);
  const signatureType = r.byte();
  const hashAlgorithm = r.byte();
  const publicKeyAlgorithm = r.byte();
  return { signatureType, hashAlgorithm, publicKeyAlgorithm, issuerKeyID: hex(r.take(8)) };
}

function literalData(body: Uint8Array): Uint8Array {
  const r = reader(body);
  r.byte(); // format: b, t or u
  r.take(r.byte()); // file name
  r.take(4); // date
  return r.take(r.remaining());
}

/**
 * x/crypto/openpgp's text canonicalisation: a LF is hashed as CRLF unless it is the
 * octet right after a CR (which passes unexamined, so CR CR LF becomes CR CR CR LF).
 */
export function canonicalText(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let afterCR = false;
  for (const c of data) {
    if (afterCR) afterCR = false;
    else if (c === 0x0d) afterCR = true;
    else if (c === 0x0a) out.push(0x0d);
    out.push(c);
  }
  return Uint8Array.from(out);
}

export async function verifyV3SignedMessage(message: V3SignedMessage, trusted: TrustedKeys, now: Date): Promise<SignedMessageResult> {
  const sig = message.signature;
  const bad = (text: string): SignedMessageResult => ({ ok: false, code: 'BAD_SIGNATURE', message: `version-3 signature: ${text}` });
  if (sig.signatureType !== SIGNATURE_TYPE.binary && sig.signatureType !== SIGNATURE_TYPE.text) {
    return bad(`signature type 0x${sig.signatureType.toString(16).padStart(2, '0')} is not a document signature (binary 0x00 or text 0x01)`);
  }
  // openpgp.js 6 does not export its KeyID class: match the (sub)keys' IDs as hex.
  const issuer = trusted.keys
    .map((primary) => ({ primary, signingKey: primary.getKeys().find((k) => k.getKeyID().toHex().toUpperCase() === sig.issuerKeyID) }))
    .find((candidate) => candidate.signingKey !== undefined);
  if (!issuer?.signingKey) {
    return { ok: false, code: 'UNTRUSTED_KEY', message: `signed by key ID ${sig.issuerKeyID} (a version-3 signature), which is not one of the policy's keys` };
  }
  const { primary, signingKey } = issuer;
  const algorithmName = KEY_ALGORITHM_NAMES[sig.publicKeyAlgorithm] ?? `algorithm ${sig.publicKeyAlgorithm}`;
  if (signingKey.keyPacket.algorithm !== sig.publicKeyAlgorithm) {
    return bad(`made with ${algorithmName}, but key ID ${sig.issuerKeyID} is a ${KEY_ALGORITHM_NAMES[signingKey.keyPacket.algorithm] ?? 'different'} key`);
  }
  const hash = HASHES[sig.hashAlgorithm];
  if (!hash) return bad(`unknown hash algorithm ${sig.hashAlgorithm}`);
  if (!hash.node) return bad(`insecure message hash algorithm ${hash.name}: gate refuses MD5, SHA-1 and RIPEMD-160 signatures; sign with SHA-256`);

  const keyProblem = await signingKeyProblem(primary, signingKey, sig.created);
  if (!RSA_SIGNING.has(sig.publicKeyAlgorithm)) {
    // DSA keys fail keyProblem (openpgp.js refuses them for v4 too); x/crypto/openpgp cannot read a v3 ECDSA/EdDSA signature.
    return bad(keyProblem ?? `made with a ${algorithmName} key, which Portieris' OpenPGP library reads only in version-4 signatures: sign again with gpg 2`);
  }
  const signed = Buffer.concat([sig.signatureType === SIGNATURE_TYPE.text ? canonicalText(message.untrustedLiteral) : message.untrustedLiteral, sig.hashedTrailer]);
  const digest = createHash(hash.node).update(signed).digest();
  if (digest[0] !== sig.hashPrefix[0] || digest[1] !== sig.hashPrefix[1]) return bad('signature error: Signed digest did not match');
  if (!rsaSignatureValid(hash.node, signed, signingKey.keyPacket.publicParams, sig.mpis)) return bad('signature error: Signature verification failed');
  if (sig.created > now) {
    return bad(`signature dated after ${now.toISOString()} (a signer clock running ahead?): created ${sig.created.toISOString()}`);
  }
  if (keyProblem) return bad(`signature error: ${keyProblem}`);
  return { ok: true, signedPayload: message.untrustedLiteral, signerFingerprint: primary.getFingerprint().toUpperCase() };
}

/** The key rules openpgp.js applies to a v4 signer (createVerificationObject), at the signature's creation time. */
async function signingKeyProblem(primary: openpgp.PublicKey, signingKey: openpgp.PublicKey | openpgp.Subkey, created: Date): Promise<string | undefined> {
  if (signingKey.getCreationTime() > created) return 'Key is newer than the signature';
  try {
    await primary.getSigningKey(signingKey.getKeyID(), created);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** RSASSA-PKCS1-v1_5 (RFC 4880 §5.2.2) over `signed`, with the key's modulus and exponent. */
function rsaSignatureValid(hashName: string, signed: Uint8Array, publicParams: object, mpis: Uint8Array[]): boolean {
  const { n, e } = publicParams as { n?: Uint8Array; e?: Uint8Array };
  return n !== undefined && e !== undefined && mpis.length === 1 && rsaPkcs1Valid(hashName, signed, publicParams, mpis[0]);
}
