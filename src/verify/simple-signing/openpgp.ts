// OpenPGP checks of a simple-signing blob, as containers/image's openpgp mechanism
// makes them: the blob is a signed message (not detached, not cleartext); the signer
// must be one of the policy's keys; the key identity is the PRIMARY key's fingerprint
// in upper-case hex even when a subkey signed; an expired signature is refused.
// `now` is passed in: no clock is read here.

import * as openpgp from 'openpgp';
import { readV3SignedMessage, verifyV3SignedMessage } from './openpgp-v3.js';
import { unwrapSignedMessage } from './packets.js';
import { verifyCommonSignature } from './rsa-fast-path.js';

export interface TrustedKeys {
  keys: openpgp.PublicKey[];
  /** Primary-key fingerprints, upper-case hex. */
  fingerprints: string[];
}

export type KeyParseResult =
  | { ok: true; trusted: TrustedKeys; /** Keys Portieris could not read, left out. */ dropped: string[] }
  | { ok: false; message: string };

/**
 * Portieris verifies with x/crypto/openpgp (containers/image built with
 * containers_image_openpgp), which reads RSA, DSA, ElGamal and NIST-curve ECDSA/ECDH
 * keys only; a key with any other (sub)key, Ed25519 for one, is skipped whole. gate
 * skips the same keys so that it never trusts a key the webhook cannot use.
 */
const NIST_CURVES = new Set(['nistP256', 'nistP384', 'nistP521', 'p256', 'p384', 'p521']);
function readableByPortieris(info: { algorithm: string; curve?: string }): boolean {
  if (/^rsa/.test(info.algorithm) || info.algorithm === 'dsa' || info.algorithm === 'elgamal') return true;
  if (info.algorithm === 'ecdsa' || info.algorithm === 'ecdh') return info.curve !== undefined && NIST_CURVES.has(info.curve);
  return false;
}

const PUBLIC_KEY_HEADER = '-----BEGIN PGP PUBLIC KEY BLOCK-----';

/** Every key of an armoured public key block is trusted (Portieris' rule). */
export async function parseArmoredPublicKeys(armored: string): Promise<KeyParseResult> {
  const header = /-----BEGIN PGP ([A-Z ]+)-----/.exec(armored);
  if (!header) {
    return { ok: false, message: 'no armoured OpenPGP block found (expected "PGP PUBLIC KEY BLOCK"): export the key with gpg --armor --export FINGERPRINT' };
  }
  const blocks = armored.match(/-----BEGIN PGP /g)?.length ?? 0;
  if (blocks > 1) {
    return {
      ok: false,
      message: `holds ${blocks} armoured blocks, and Portieris reads only the first: export every key into one block (gpg --armor --export FPR1 FPR2)`,
    };
  }
  if (!armored.includes(PUBLIC_KEY_HEADER)) {
    const secret = header[1].includes('PRIVATE');
    return {
      ok: false,
      message: secret
        ? 'this is a PRIVATE key block: commit only the public key (gpg --armor --export FINGERPRINT), and rotate the leaked key'
        : `expected "PGP PUBLIC KEY BLOCK", found "PGP ${header[1]}"`,
    };
  }
  let keys: openpgp.Key[];
  try {
    keys = await openpgp.readKeys({ armoredKeys: armored });
  } catch (e) {
    return { ok: false, message: `unreadable OpenPGP public key block: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (keys.length === 0) return { ok: false, message: 'the key block holds no keys' };
  if (keys.some((k) => k.isPrivate())) return { ok: false, message: 'the key block holds a private key: commit only public keys' };
  const usable: openpgp.PublicKey[] = [];
  const dropped: string[] = [];
  for (const key of keys as openpgp.PublicKey[]) {
    const algorithms = [key, ...key.subkeys].map((k) => k.getAlgorithmInfo() as { algorithm: string; curve?: string });
    const unreadable = algorithms.find((a) => !readableByPortieris(a));
    if (unreadable) dropped.push(`${key.getFingerprint().toUpperCase()} (${unreadable.curve ?? unreadable.algorithm})`);
    else usable.push(key);
  }
  if (usable.length === 0) {
    return {
      ok: false,
      message: `no key Portieris can use: ${dropped.join(', ')}; its OpenPGP library reads RSA, DSA and NIST-curve ECDSA keys only (gpg --quick-gen-key NAME rsa3072 sign)`,
    };
  }
  return { ok: true, trusted: { keys: usable, fingerprints: usable.map((k) => k.getFingerprint().toUpperCase()) }, dropped };
}

export type SignedMessageResult =
  | { ok: true; signedPayload: Uint8Array; signerFingerprint: string }
  | { ok: false; code: 'UNTRUSTED_KEY' | 'BAD_SIGNATURE'; message: string };

/** `openpgpOnly`: no common-case path (rsa-fast-path.ts); the tests hold both to the same answers. */
export async function verifySignedMessage(untrustedBlob: Uint8Array, trusted: TrustedKeys, now: Date, options: { openpgpOnly?: boolean } = {}): Promise<SignedMessageResult> {
  const bad = (message: string): SignedMessageResult => ({ ok: false, code: 'BAD_SIGNATURE', message });
  const unwrapped = unwrapSignedMessage(untrustedBlob);
  if (!unwrapped.ok) return bad(unwrapped.message);
  // openpgp.js would drop a version-3 signature packet unread; gate checks it itself.
  const v3 = readV3SignedMessage(unwrapped.packets);
  if (v3) return v3.ok ? verifyV3SignedMessage(v3.message, trusted, now) : bad(v3.message);
  // gpg's and skopeo's usual signature, verified without WebCrypto; anything it does not vouch for, openpgp.js judges.
  const common = options.openpgpOnly ? undefined : await verifyCommonSignature(unwrapped.packets, trusted.keys, now);
  if (common) return { ok: true, signedPayload: common.payload, signerFingerprint: common.signer.getFingerprint().toUpperCase() };
  let message: openpgp.Message<Uint8Array>;
  try {
    message = await openpgp.readMessage({ binaryMessage: unwrapped.packets });
  } catch (e) {
    return bad(`not an OpenPGP message: ${errorText(e)}`);
  }

  const signerIds = message.getSigningKeyIDs();
  if (signerIds.length === 0) return bad('not signed');
  if (signerIds.length > 1) return bad(`the message carries ${signerIds.length} signatures; a simple-signing blob has exactly one`);
  const signerId = signerIds[0];
  const signerKey = trusted.keys.find((k) => k.getKeys(signerId).length > 0);
  if (!signerKey) {
    return { ok: false, code: 'UNTRUSTED_KEY', message: `signed by key ID ${signerId.toHex().toUpperCase()}, which is not one of the policy's keys` };
  }

  let result: Awaited<ReturnType<typeof openpgp.verify<Uint8Array>>>;
  try {
    result = await openpgp.verify({ message, verificationKeys: [signerKey], format: 'binary', date: now });
  } catch (e) {
    return bad(`signature error: ${errorText(e)}`);
  }
  if (result.signatures.length !== 1) return bad('not signed');
  try {
    await result.signatures[0].verified;
  } catch (e) {
    const text = errorText(e);
    if (/expired/i.test(text)) return bad(`signature expired (checked at ${now.toISOString()}): ${text}`);
    if (/in the future/i.test(text)) return bad(`signature dated after ${now.toISOString()} (a signer clock running ahead?): ${text}`);
    return bad(`signature error: ${text}`);
  }
  const data = result.data;
  if (!(data instanceof Uint8Array)) return bad('signed content is not binary data');
  return { ok: true, signedPayload: data, signerFingerprint: signerKey.getFingerprint().toUpperCase() };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
