// The trust a sigstoreSigned requirement verifies with, built from committed material
// only: the policy's public keys, a Fulcio CA (caPath/caData), Rekor keys and a sigstore
// trusted_root.json. Nothing is fetched (no TUF): an air-gapped run trusts exactly what
// the repository holds. The key store (policy/keys.ts) reads the files and hands the
// bytes over as one document (`MaterialFile[]`), so that the trust's hash covers them all.

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { X509Certificate } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';

/** One piece of material as the key store read it. */
export interface MaterialFile {
  role: 'key' | 'ca' | 'rekor' | 'trustedRoot' | 'tsaRoot' | 'settings';
  /** Where it came from, for messages (`.gate/keys/release.pub`, `keyData of …`). */
  source: string;
  /** The bytes, base64. */
  bytes: string;
}

export interface TrustSettings {
  keyless: boolean;
  /** Key-based only: a signature without a transparency-log entry is accepted. */
  insecureIgnoreTlog: boolean;
  /** Keyless: no SCT is required even when the trust has CT logs (policy-controller's insecureIgnoreSCT). */
  ignoreSCT?: boolean;
  /** Keyless: an SCT is required even when the trust has no CT log (policy-controller's default): then nothing verifies. */
  requireSCT?: boolean;
  /** The hash key signatures are checked with (policy-controller's key.hashAlgorithm); absent: by key type. */
  hash?: 'sha224' | 'sha256' | 'sha384' | 'sha512';
  /** An RFC 3161 stamp by a trusted TSA is required (policy-controller's rfc3161timestamp). */
  requireTimestamp?: boolean;
}

export interface PolicyKey {
  key: KeyObject;
  /** sha256 of the SPKI DER, hex: what messages and explain show. */
  id: string;
  source: string;
}

export interface SigstoreTrust {
  settings: TrustSettings;
  keys: PolicyKey[];
  /** CAs, Rekor logs, CT logs and TSAs, in @sigstore/verify's form (its key finder is set per policy key). */
  material: Omit<TrustMaterial, 'publicKey'>;
  /** Whether the trust has CT logs: then a Fulcio certificate must carry a verified SCT. */
  requireSCT: boolean;
  /** The materials' sources, for messages. */
  sources: string[];
}

const FOREVER = { start: new Date(0), end: new Date(8.64e15) };

export type Built = { ok: true; trust: SigstoreTrust; ids: string[]; warnings: string[] } | { ok: false; message: string };

export function buildTrust(files: MaterialFile[]): Built {
  const warnings: string[] = [];
  const settingsFile = files.find((f) => f.role === 'settings');
  if (!settingsFile) return { ok: false, message: 'the trust material has no settings (a bug in gate)' };
  const settings = JSON.parse(Buffer.from(settingsFile.bytes, 'base64').toString('utf8')) as TrustSettings;

  let material: Omit<TrustMaterial, 'publicKey'> = { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] };
  for (const file of files.filter((f) => f.role === 'trustedRoot')) {
    const read = readTrustedRoot(file);
    if (!read.ok) return read;
    // Validity windows are judged by the signing time of each signature, and said by gate policy lint (kind.validity).
    material = read.material;
  }

  // policy-controller's rfc3161timestamp.trustRootRef: the TSAs of that root are trusted too.
  for (const file of files.filter((f) => f.role === 'tsaRoot')) {
    const read = readTrustedRoot(file);
    if (!read.ok) return read;
    material.timestampAuthorities.push(...read.material.timestampAuthorities);
  }
  if (settings.requireTimestamp && material.timestampAuthorities.length === 0) return { ok: false, message: 'an RFC 3161 timestamp is required, but the trust root names no timestamp authority' };

  const keys: PolicyKey[] = [];
  for (const file of files.filter((f) => f.role === 'key' || f.role === 'rekor')) {
    const read = readPublicKey(file);
    if (!read.ok) return read;
    if (file.role === 'key') keys.push(read.key);
    else material.tlogs.push({ logID: Buffer.from(read.key.id, 'hex'), baseURL: file.source, publicKey: read.key.key, validFor: FOREVER });
  }
  for (const file of files.filter((f) => f.role === 'ca')) {
    const certs = readCertificates(file);
    if (!certs.ok) return certs;
    material.certificateAuthorities.push({ certChain: certs.certs, validFor: FOREVER });
  }

  if (settings.keyless && material.certificateAuthorities.length === 0) return { ok: false, message: 'a keyless requirement needs a Fulcio CA: the trusted root has none, and fulcio.caPath is not set' };
  if (!settings.insecureIgnoreTlog && material.tlogs.length === 0) return { ok: false, message: 'the transparency log cannot be checked: there is no Rekor key (rekorPublicKeyPath, or tlogs in the trusted root)' };
  if (!settings.keyless && keys.length === 0) return { ok: false, message: 'no public key' };
  const ids = settings.keyless ? material.certificateAuthorities.map((ca) => `fulcio-ca:${fingerprint(ca.certChain[ca.certChain.length - 1].publicKey)}`) : keys.map((k) => `sha256:${k.id}`);
  const sources = files.filter((f) => f.role !== 'settings').map((f) => f.source);
  return { ok: true, trust: { settings, keys, material, requireSCT: settings.ignoreSCT !== true && (settings.requireSCT === true || material.ctlogs.length > 0), sources }, ids, warnings };
}

/** The trust material for one verification: `key` answers every key lookup (the hint in a signature is never trusted). */
export function materialFor(trust: SigstoreTrust, key?: PolicyKey): TrustMaterial {
  return {
    ...trust.material,
    publicKey: () => {
      if (!key) throw new Error('no policy key');
      return { publicKey: key.key, validFor: () => true };
    },
  };
}

function readTrustedRoot(file: MaterialFile): { ok: true; material: Omit<TrustMaterial, 'publicKey'> } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(file.bytes, 'base64').toString('utf8'));
  } catch {
    return { ok: false, message: `${file.source} is not JSON` };
  }
  const mediaType = (json as { mediaType?: unknown } | null)?.mediaType;
  if (typeof mediaType !== 'string' || !mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) {
    return { ok: false, message: `${file.source} is not a sigstore trusted root (its mediaType is ${JSON.stringify(mediaType ?? null)}, expected application/vnd.dev.sigstore.trustedroot+json;version=0.1 or …v0.2+json)` };
  }
  try {
    const { publicKey: _ignored, ...material } = toTrustMaterial(TrustedRoot.fromJSON(json));
    return { ok: true, material };
  } catch (e) {
    return { ok: false, message: `${file.source} cannot be read as a trusted root: ${(e as Error).message}` };
  }
}

const KEY_TYPES = new Set(['ec', 'rsa', 'ed25519']);

function readPublicKey(file: MaterialFile): { ok: true; key: PolicyKey } | { ok: false; message: string } {
  const text = Buffer.from(file.bytes, 'base64').toString('utf8');
  if (!text.includes('-----BEGIN PUBLIC KEY-----')) return { ok: false, message: `${file.source} is not a PEM public key (-----BEGIN PUBLIC KEY-----, as cosign generate-key-pair writes cosign.pub)` };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch (e) {
    return { ok: false, message: `${file.source} cannot be read as a public key: ${(e as Error).message}` };
  }
  const type = key.asymmetricKeyType ?? '';
  if (!KEY_TYPES.has(type)) return { ok: false, message: `${file.source} is a ${type} key; cosign signs with ECDSA, RSA or Ed25519 keys` };
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (type === 'ec' && !['prime256v1', 'secp384r1', 'secp521r1'].includes(curve ?? '')) return { ok: false, message: `${file.source} is an ECDSA key on ${curve}; sigstore uses P-256, P-384 or P-521` };
  return { ok: true, key: { key, id: fingerprint(key.export({ type: 'spki', format: 'der' })), source: file.source } };
}

function readCertificates(file: MaterialFile): { ok: true; certs: X509Certificate[] } | { ok: false; message: string } {
  const text = Buffer.from(file.bytes, 'base64').toString('utf8');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return { ok: false, message: `${file.source} holds no PEM certificate` };
  try {
    return { ok: true, certs: blocks.map((pem) => X509Certificate.parse(pem)) };
  } catch (e) {
    return { ok: false, message: `${file.source}: a certificate cannot be parsed: ${(e as Error).message}` };
  }
}

function fingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}
