// Notary v1 keys and their IDs (notary 0.7 tuf/data/keys.go, tuf/utils/x509.go). A key is
// {keytype, keyval: {public: base64}}: `ecdsa`/`rsa` hold SPKI DER, `ecdsa-x509`/`rsa-x509`
// a PEM certificate chain (leaf first), `ed25519` 32 raw bytes. Its TUF ID is the sha256 of
// the canonical JSON of {keytype, keyval: {private: null, public}}; the canonical ID of an
// x509 key is the TUF ID of the bare key in its leaf. Signatures (notary tuf/signed/verifiers.go):
// `ecdsa` is SHA-256 with raw r‖s, `eddsa` Ed25519, `rsapss` PSS (SHA-256, salt 32),
// `rsapkcs1v15`; RSA keys of at least 2048 bits.

import { createHash, createPublicKey, verify, X509Certificate, constants, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical.js';

export type KeyType = 'ecdsa' | 'ecdsa-x509' | 'rsa' | 'rsa-x509' | 'ed25519';
const KEY_TYPES = new Set<string>(['ecdsa', 'ecdsa-x509', 'rsa', 'rsa-x509', 'ed25519']);

export interface TufKey {
  /** The TUF key ID: what `keyids` and signatures name. */
  id: string;
  keytype: KeyType;
  /** The base64 `public` value as written. */
  public: string;
  key: KeyObject;
  /** x509 keys: the certificates, leaf first. */
  certificates?: X509Certificate[];
}

/** Standard base64 with padding, exactly as Go re-encodes it: another spelling of the same bytes is refused (one key, one ID). */
export function isStrictBase64(text: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(text) && Buffer.from(text, 'base64').toString('base64') === text;
}

export function keyId(keytype: string, publicB64: string): string {
  return createHash('sha256').update(canonicalJson({ keytype, keyval: { private: null, public: publicB64 } })).digest('hex');
}

/** A key as metadata writes it, or why it cannot be one (an unknown type never verifies). */
export function readKey(keytype: unknown, publicB64: unknown): { ok: true; key: TufKey } | { ok: false; message: string } {
  if (typeof keytype !== 'string' || !KEY_TYPES.has(keytype)) return { ok: false, message: `unknown key type ${JSON.stringify(keytype)}` };
  if (typeof publicB64 !== 'string' || !isStrictBase64(publicB64)) return { ok: false, message: 'a key whose public value is not canonical base64' };
  const bytes = Buffer.from(publicB64, 'base64');
  const id = keyId(keytype, publicB64);
  try {
    if (keytype === 'ed25519') {
      if (bytes.length !== 32) return { ok: false, message: 'an ed25519 key that is not 32 bytes' };
      const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), bytes]), format: 'der', type: 'spki' });
      return { ok: true, key: { id, keytype, public: publicB64, key } };
    }
    if (keytype === 'ecdsa' || keytype === 'rsa') {
      const key = createPublicKey({ key: bytes, format: 'der', type: 'spki' });
      if (key.asymmetricKeyType !== (keytype === 'ecdsa' ? 'ec' : 'rsa')) return { ok: false, message: `a ${keytype} key that holds a ${key.asymmetricKeyType} key` };
      return { ok: true, key: { id, keytype, public: publicB64, key } };
    }
    const text = bytes.toString('utf8');
    const blocks = text.match(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g) ?? [];
    if (blocks.length === 0 || blocks.some((b) => !b.startsWith('-----BEGIN CERTIFICATE-----'))) return { ok: false, message: `a ${keytype} key that is not a bundle of PEM certificates` };
    const pems = blocks;
    const certificates = pems.map((pem) => new X509Certificate(pem));
    const key = certificates[0].publicKey;
    if (key.asymmetricKeyType !== (keytype === 'ecdsa-x509' ? 'ec' : 'rsa')) return { ok: false, message: `a ${keytype} certificate for a ${key.asymmetricKeyType} key` };
    return { ok: true, key: { id, keytype: keytype as KeyType, public: publicB64, key, certificates } };
  } catch (e) {
    return { ok: false, message: `a ${keytype} key that cannot be read: ${(e as Error).message}` };
  }
}

/** The canonical ID: for an x509 key, the TUF ID of the bare key in its leaf (what notary key list and trust pinning name). */
export function canonicalKeyId(key: TufKey): string {
  if (!key.certificates) return key.id;
  const der = key.key.export({ type: 'spki', format: 'der' }).toString('base64');
  return keyId(key.keytype === 'ecdsa-x509' ? 'ecdsa' : 'rsa', der);
}

/** One signature by one key over the canonical bytes, by the signature's method. */
export function verifySignature(method: string, key: TufKey, message: Buffer, signature: Buffer): boolean {
  const type = key.key.asymmetricKeyType;
  try {
    switch (method.toLowerCase()) {
      case 'ecdsa': {
        if (type !== 'ec') return false;
        const size = Math.ceil(curveBits(key.key) / 8);
        if (signature.length !== 2 * size) return false;
        return verify('sha256', message, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature);
      }
      case 'eddsa':
        return type === 'ed25519' && verify(null, message, key.key, signature);
      case 'rsapss':
        return type === 'rsa' && rsaBits(key.key) >= 2048 && verify('sha256', message, { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
      case 'pycrypto-pkcs#1 pss':
        return type === 'rsa' && key.keytype === 'rsa' && rsaBits(key.key) >= 2048 && verify('sha256', message, { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
      case 'rsapkcs1v15':
        return type === 'rsa' && rsaBits(key.key) >= 2048 && verify('sha256', message, { key: key.key, padding: constants.RSA_PKCS1_PADDING }, signature);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

function curveBits(key: KeyObject): number {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve === 'secp384r1' ? 384 : curve === 'secp521r1' ? 521 : 256;
}

function rsaBits(key: KeyObject): number {
  return key.asymmetricKeyDetails?.modulusLength ?? 0;
}
