// The common simple-signing blob — one version-4 signature by an RSA key over a SHA-2
// hash, what gpg and skopeo make by default — verified with node:crypto on a key object
// built once, where openpgp.js imports the key into WebCrypto for every signature (about
// 0.45 ms of a 0.6 ms verification, most of a 1,000-image run's crypto).
//
// It can only say yes. Every check openpgp.js makes for a message signature
// (SignaturePacket.verify and createVerificationObject in openpgp.js 6) is made here on
// openpgp.js' own parsing of the packets and its own key rules (getSigningKey at the
// signature's creation time); anything else — another algorithm, hash, version or layout,
// any failed check, any surprise in openpgp.js' internals — returns undefined, and the
// caller verifies with openpgp.js, whose answer and words stand. So a failure reads the
// same as before, and an allow needs every check to pass here.
// test/verify/simple-signing/rsa-fast-path.test.ts holds both paths to the same answers.

import { constants, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import * as openpgp from 'openpgp';
import { readPackets, TAG } from './packets.js';

/** OpenPGP hash IDs this path verifies (RFC 4880 §9.4), with node's names; no default config rejects them. */
const SHA2: Readonly<Record<number, string>> = { 8: 'sha256', 9: 'sha384', 10: 'sha512', 11: 'sha224' };
/** RSA (Encrypt or Sign), RSA Sign-Only. */
const RSA: ReadonlySet<number> = new Set([1, 3]);
/** Binary and text document signatures: the only ones a message carries. */
const DOCUMENT: ReadonlySet<number> = new Set([0x00, 0x01]);

/** Packets read from bytes (a method openpgp.js' published types leave out). */
interface Readable {
  read(bytes: Uint8Array): void | Promise<void>;
}

/** A one-pass signature packet's fields (left out of openpgp.js' published types). */
interface OnePassFields {
  issuerKeyID: openpgp.KeyID;
  signatureType: number | null;
  hashAlgorithm: number | null;
  publicKeyAlgorithm: number | null;
}

/** What this path reads of a SignaturePacket beyond openpgp.js' published types. */
interface SignatureInternals {
  toHash(signatureType: number, data: unknown, detached?: boolean): Uint8Array;
  params: Promise<{ s?: Uint8Array }> | { s?: Uint8Array };
}

const keys = new WeakMap<object, KeyObject>();

/** The node:crypto key of an RSA key packet, built once per packet. */
function rsaKey(publicParams: object): KeyObject {
  let key = keys.get(publicParams);
  if (!key) {
    const { n, e } = publicParams as { n: Uint8Array; e: Uint8Array };
    key = createPublicKey({ key: { kty: 'RSA', n: Buffer.from(n).toString('base64url'), e: Buffer.from(e).toString('base64url') }, format: 'jwk' });
    keys.set(publicParams, key);
  }
  return key;
}

/**
 * RSASSA-PKCS1-v1_5 over `signed` with `hashName`: the signature MPI drops leading zero
 * octets, the PKCS#1 signature is as long as the modulus.
 */
export function rsaPkcs1Valid(hashName: string, signed: Uint8Array, publicParams: object, s: Uint8Array): boolean {
  const { n } = publicParams as { n?: Uint8Array };
  if (!n || s.length > n.length) return false;
  const signature = Buffer.alloc(n.length);
  signature.set(s, n.length - s.length);
  try {
    return verify(hashName, signed, { key: rsaKey(publicParams), padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false; // a key or signature OpenSSL cannot use verifies nothing
  }
}

/**
 * The signed literal data and the signer when `packetBytes` (a signed message,
 * uncompressed) is a one-pass signature, a literal data and one version-4 RSA/SHA-2
 * signature packet by the same key, made by one of `trusted` and holding at `now` by every
 * rule openpgp.js applies; undefined for anything else (openpgp.js then decides, on its
 * own reading of the bytes).
 */
export async function verifyCommonSignature(packetBytes: Uint8Array, trusted: readonly openpgp.PublicKey[], now: Date): Promise<{ payload: Uint8Array; signer: openpgp.PublicKey } | undefined> {
  try {
    // Exactly three packets, framed as openpgp.js reads them: no marker packets (it wants two
    // bytes of any packet), partial lengths only in the literal data (it refuses them elsewhere).
    const packets = readPackets(packetBytes);
    if (packets.length !== 3 || packets[0].tag !== TAG.onePassSignature || packets[1].tag !== TAG.literal || packets[2].tag !== TAG.signature || packets[2].body[0] !== 4) return undefined;
    if (packets[0].partial || packets[2].partial) return undefined;
    // openpgp.js' own packet classes read the bodies: the fields, subpackets and hashing are its.
    const onePassPacket = new openpgp.OnePassSignaturePacket();
    await (onePassPacket as unknown as Readable).read(packets[0].body);
    const onePass = onePassPacket as unknown as OnePassFields;
    const literal = new openpgp.LiteralDataPacket();
    await (literal as unknown as Readable).read(packets[1].body);
    const signature = new openpgp.SignaturePacket();
    await (signature as unknown as Readable).read(packets[2].body);
    const { version, signatureType, hashAlgorithm, publicKeyAlgorithm, created, signedHashValue } = signature;
    if (version !== 4 || signatureType === null || !DOCUMENT.has(signatureType) || publicKeyAlgorithm === null || !RSA.has(publicKeyAlgorithm)) return undefined;
    const hashName = hashAlgorithm === null ? undefined : SHA2[hashAlgorithm];
    if (!hashName || !created || !signedHashValue) return undefined;
    // openpgp.js picks the signer by the one-pass packet's key ID and checks the signature's: here both must be one.
    if (!onePass.issuerKeyID.equals(signature.issuerKeyID) || onePass.signatureType !== signatureType || onePass.hashAlgorithm !== hashAlgorithm || onePass.publicKeyAlgorithm !== publicKeyAlgorithm) {
      return undefined;
    }

    // The key: the first trusted key holding the issuer's key ID, and of its keys the first with that ID, of the signature's algorithm.
    const signer = trusted.find((k) => k.getKeys(signature.issuerKeyID).length > 0);
    const signingKey = signer?.getKeys(signature.issuerKeyID)[0];
    // getKeys lets a wildcard key ID match any key; SignaturePacket.verify does not.
    if (!signer || !signingKey || !signature.issuerKeyID.equals(signingKey.getKeyID()) || signingKey.keyPacket.algorithm !== publicKeyAlgorithm) return undefined;

    // The signed bytes as openpgp.js composes them (data, hashed subpackets, trailer), the hash prefix, the math.
    const internals = signature as unknown as SignatureInternals;
    const signed = internals.toHash(signatureType, literal);
    const digest = createHash(hashName).update(signed).digest();
    if (digest[0] !== signedHashValue[0] || digest[1] !== signedHashValue[1]) return undefined;
    const { s } = await internals.params;
    if (!(s instanceof Uint8Array) || !rsaPkcs1Valid(hashName, signed, signingKey.keyPacket.publicParams, s)) return undefined;

    // Dates, hashes, critical subpackets and notations, revocation keys: SignaturePacket.verify's rules.
    if (created > now || now >= signature.getExpirationTime()) return undefined;
    if (openpgp.config.rejectHashAlgorithms.has(hashAlgorithm!) || openpgp.config.rejectMessageHashAlgorithms.has(hashAlgorithm!)) return undefined;
    if (signature.unknownSubpackets.some((p) => p.critical)) return undefined;
    if (signature.rawNotations.some((n) => n.critical && !openpgp.config.knownNotations.includes(n.name))) return undefined;
    if (signature.revocationKeyClass !== null) return undefined;

    // The key at the signature's creation time: createVerificationObject's rules.
    if (signingKey.getCreationTime() > created) return undefined;
    await signer.getSigningKey(signingKey.getKeyID(), created);

    const payload = (literal as unknown as { getBytes(): unknown }).getBytes();
    return payload instanceof Uint8Array ? { payload, signer } : undefined;
  } catch {
    return undefined;
  }
}
