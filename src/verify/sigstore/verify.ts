// The crypto step of a cosign signature, in both storage formats, against committed
// trust only. Pure: evidence bytes + trust + nothing else; the signing time comes from
// the evidence (a verified Rekor SET or RFC 3161 stamp), never from the clock.
//
// What @sigstore/verify does: the certificate chain to the trusted Fulcio CAs at the
// signing time, SCTs against the CT logs, the Rekor SET / inclusion proof / checkpoint
// and the entry body against the signature, RFC 3161 stamps against the TSAs.
// What gate does by hand, and why:
//   - the signature itself (node:crypto, the hash chosen by the key type as sigstore's
//     signers choose it): the library hashes with SHA-256 whatever the key, which fails
//     Ed25519 and P-384/P-521 signatures;
//   - a legacy `.sig` layer is turned into the v0.1 bundle the library reads (it has no
//     reader for cosign's annotations);
//   - the Rekor body's public key against the signer (cosign checks it; the library does not);
//   - the codeSigning EKU of a Fulcio leaf, and its identity claims (identity.ts);
//   - the signed payload: a legacy payload parsed as strictly as containers/image does,
//     an in-toto statement read for its subjects and predicate type. The library accepts
//     a correctly signed payload for another digest: the digest is compared in kind.ts.
// The key that verifies comes from the policy only, never from the signature material.

import { createHash, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { X509Certificate, ASN1Obj } from '@sigstore/core';
import { toSignedEntity, Verifier, VerificationError, type SignedEntity } from '@sigstore/verify';
import type { Evidence } from '../../evidence.js';
import { COSIGN_SIGNATURE_TYPE, parseSimpleSigningPayload } from '../simple-signing/payload.js';
import type { ReasonCode } from '../verdict.js';
import { certificateIdentity, type CertificateIdentity } from './identity.js';
import { materialFor, type PolicyKey, type SigstoreTrust } from './trust.js';

export const LEGACY_LAYER_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const BUNDLE_MEDIA_TYPE_PREFIX = 'application/vnd.dev.sigstore.bundle';
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const IN_TOTO_STATEMENTS = new Set(['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1']);
const CODE_SIGNING_EKU = '1.3.6.1.5.5.7.3.3';

export const ANNOTATIONS = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
  timestamp: 'dev.sigstore.cosign/rfc3161timestamp',
  predicateType: 'dev.sigstore.bundle.predicateType',
} as const;

/** What a verified cosign signature claims, and who made it. */
export interface CosignClaim {
  format: 'legacy' | 'bundle';
  /** The manifest digests the signature covers (`sha256:…`). */
  digests: string[];
  /** Legacy payloads name a repository (critical.identity.docker-reference). */
  dockerReference?: string;
  /** Bundles: the in-toto predicate type. */
  predicateType?: string;
  signer: { key: PolicyKey } | { certificate: CertificateIdentity };
  /** The signing time the evidence proves (SET or RFC 3161), ISO. */
  signedAt?: string;
}

export type CosignVerified = { ok: true; claim: CosignClaim; signer: string } | { ok: false; reason: ReasonCode; message: string };

class Refusal extends Error {
  constructor(
    readonly reason: ReasonCode,
    message: string,
  ) {
    super(message);
  }
}

const fail = (reason: ReasonCode, message: string): never => {
  throw new Refusal(reason, message);
};

export function isLegacyLayer(blob: Evidence): boolean {
  return blob.format === 'sigstore-attachment' && blob.mediaType === LEGACY_LAYER_TYPE;
}

export function isBundle(blob: Evidence): boolean {
  return blob.format === 'sigstore-bundle';
}

export function verifyCosign(blob: Evidence, trust: SigstoreTrust): CosignVerified {
  try {
    return isBundle(blob) ? verifyBundle(blob, trust) : verifyLegacy(blob, trust);
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, reason: e.reason, message: e.message };
    if (e instanceof VerificationError) return { ok: false, reason: libraryReason(e), message: libraryMessage(e) };
    // Anything else (a TypeError inside a library on odd input) is no verification: a denial, never a pass.
    return { ok: false, reason: 'BAD_SIGNATURE', message: `the signature could not be verified: ${(e as Error).message}` };
  }
}

// ——— legacy `.sig` layers ———

function verifyLegacy(blob: Evidence, trust: SigstoreTrust): CosignVerified {
  const a = blob.annotations ?? {};
  const payload = Buffer.from(blob.bytes);
  const signature = strictBase64(a[ANNOTATIONS.signature], `the ${ANNOTATIONS.signature} annotation`);
  // With the log ignored and no Rekor key to check a SET with, the SET is not read (policy-controller's key authority without ctlog).
  const set = a[ANNOTATIONS.bundle] !== undefined && !ignoresLog(trust) ? readSET(a[ANNOTATIONS.bundle]) : undefined;
  const stamp = a[ANNOTATIONS.timestamp] !== undefined ? readStampAnnotation(a[ANNOTATIONS.timestamp]) : undefined;
  const keyless = trust.settings.keyless;
  let leaf: Buffer | undefined;
  if (keyless) {
    const pem = a[ANNOTATIONS.certificate];
    if (pem === undefined || pem === '') fail('UNTRUSTED_KEY', 'the signature carries no Fulcio certificate (it was made with a key), but the policy requires a keyless signature');
    leaf = pemToDer(pem!, 'the certificate annotation');
  }
  const signedBy = keyless ? undefined : policyKeyFor(trust, (key) => verifyRaw(key, payload, signature, trust.settings.hash), set ? namedKey(loggedKeyOf(set.body)) : undefined);
  const entryKey = keyless ? leaf! : signedBy!.key.export({ type: 'spki', format: 'der' });
  if (set) checkRekorBody(set.body, entryKey, signature, payload);
  if (!set && !(keyless ? false : trust.settings.insecureIgnoreTlog)) {
    fail('BAD_SIGNATURE', keyless ? 'the signature has no Rekor entry (no dev.sigstore.cosign/bundle annotation): nothing proves when the short-lived certificate was used' : 'the signature has no Rekor entry (no dev.sigstore.cosign/bundle annotation), and the policy requires the transparency log (insecureIgnoreTlog is not set)');
  }
  const bundle = bundleFromJSON({
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: {
      ...(keyless ? { x509CertificateChain: { certificates: [{ rawBytes: leaf!.toString('base64') }] } } : { publicKey: { hint: '' } }),
      tlogEntries: set ? [set.entry] : [],
      timestampVerificationData: { rfc3161Timestamps: stamp ? [{ signedTimestamp: stamp }] : [] },
    },
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') }, signature: signature.toString('base64') },
  });
  const signed = runVerifier(bundle, payload, trust, signedBy, set !== undefined, (key) => verifyRaw(key, payload, signature, keyless ? undefined : trust.settings.hash));
  const parsed = parseSimpleSigningPayload(payload, COSIGN_SIGNATURE_TYPE);
  if (!parsed.ok) fail('BAD_SIGNATURE', `invalid signature payload: ${parsed.message}`);
  const p = parsed.ok ? parsed.payload : undefined!;
  return done({ format: 'legacy', digests: [p.dockerManifestDigest], dockerReference: p.dockerReference, ...signed });
}

interface SET {
  entry: unknown;
  body: Buffer;
}

/** The Rekor SET annotation, read field by field: {SignedEntryTimestamp, Payload: {body, integratedTime, logIndex, logID}}. */
function readSET(text: string): SET {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    fail('BAD_SIGNATURE', 'the Rekor bundle annotation is not JSON');
  }
  const o = value as { SignedEntryTimestamp?: unknown; Payload?: { body?: unknown; integratedTime?: unknown; logIndex?: unknown; logID?: unknown } };
  const p = o?.Payload;
  if (typeof o?.SignedEntryTimestamp !== 'string' || typeof p !== 'object' || p === null || typeof p.body !== 'string' || !Number.isSafeInteger(p.integratedTime) || !Number.isSafeInteger(p.logIndex) || typeof p.logID !== 'string' || !/^[0-9a-f]{64}$/.test(p.logID)) {
    fail('BAD_SIGNATURE', 'the Rekor bundle annotation lacks SignedEntryTimestamp or Payload {body, integratedTime, logIndex, logID}');
  }
  const body = strictBase64(p!.body as string, 'the Rekor entry body');
  let kind: { kind?: unknown; apiVersion?: unknown };
  try {
    kind = JSON.parse(body.toString('utf8')) as typeof kind;
  } catch {
    return fail('BAD_SIGNATURE', 'the Rekor entry body is not JSON');
  }
  if (typeof kind.kind !== 'string' || typeof kind.apiVersion !== 'string') fail('BAD_SIGNATURE', 'the Rekor entry body names no kind and apiVersion');
  return {
    body,
    entry: {
      logIndex: String(p!.logIndex),
      logId: { keyId: Buffer.from(p!.logID as string, 'hex').toString('base64') },
      kindVersion: { kind: kind.kind, version: kind.apiVersion },
      integratedTime: String(p!.integratedTime),
      inclusionPromise: { signedEntryTimestamp: o.SignedEntryTimestamp },
      canonicalizedBody: body.toString('base64'),
    },
  };
}

/** cosign's rfc3161timestamp annotation: {"SignedRFC3161Timestamp": <base64 DER>}. */
function readStampAnnotation(text: string): string {
  let value: { SignedRFC3161Timestamp?: unknown };
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    return fail('BAD_SIGNATURE', 'the RFC 3161 timestamp annotation is not JSON');
  }
  if (typeof value?.SignedRFC3161Timestamp !== 'string') fail('BAD_SIGNATURE', 'the RFC 3161 timestamp annotation has no SignedRFC3161Timestamp');
  return strictBase64(value.SignedRFC3161Timestamp as string, 'the RFC 3161 timestamp').toString('base64');
}

/**
 * The logged entry must be this signature, over this payload, by this key or
 * certificate (cosign's check; @sigstore/verify compares only signature and digest).
 */
function checkRekorBody(body: Buffer, signerDer: Buffer, signature: Buffer, payload: Buffer): void {
  let entry: { kind?: unknown; spec?: { signature?: { content?: unknown; publicKey?: { content?: unknown } }; data?: { hash?: { algorithm?: unknown; value?: unknown } } } };
  try {
    entry = JSON.parse(body.toString('utf8')) as typeof entry;
  } catch {
    return fail('BAD_SIGNATURE', 'the Rekor entry body is not JSON');
  }
  if (entry.kind !== 'hashedrekord') fail('BAD_SIGNATURE', `the Rekor entry is a ${String(entry.kind)} entry; a cosign signature layer is logged as hashedrekord`);
  const spec = entry.spec;
  const hash = spec?.data?.hash;
  if (hash?.algorithm !== 'sha256' || hash.value !== createHash('sha256').update(payload).digest('hex')) fail('BAD_SIGNATURE', 'the Rekor entry is for other data than this payload (or not a sha256 hash)');
  const logSignature = spec?.signature?.content;
  if (typeof logSignature !== 'string' || !Buffer.from(logSignature, 'base64').equals(signature)) fail('BAD_SIGNATURE', 'the Rekor entry holds another signature');
  const loggedKey = spec?.signature?.publicKey?.content;
  const logged = typeof loggedKey === 'string' ? Buffer.from(loggedKey, 'base64').toString('utf8') : '';
  const der = logged.includes('-----BEGIN') ? pemToDer(logged, 'the Rekor entry\'s public key') : Buffer.alloc(0);
  if (!der.equals(signerDer)) fail('BAD_SIGNATURE', 'the Rekor entry was logged for another key or certificate than the one that signed');
}

/** The PEM a hashedrekord body names, unverified (for wording a denial only). */
function loggedKeyOf(body: Buffer): string | undefined {
  try {
    const content = (JSON.parse(body.toString('utf8')) as { spec?: { signature?: { publicKey?: { content?: unknown } } } }).spec?.signature?.publicKey?.content;
    return typeof content === 'string' ? Buffer.from(content, 'base64').toString('utf8') : undefined;
  } catch {
    return undefined;
  }
}

// ——— bundles (cosign v3, OCI 1.1 referrers) ———

function verifyBundle(blob: Evidence, trust: SigstoreTrust): CosignVerified {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(JSON.parse(Buffer.from(blob.bytes).toString('utf8')));
  } catch (e) {
    return { ok: false, reason: 'BAD_SIGNATURE', message: `not a valid sigstore bundle: ${(e as Error).message}` };
  }
  if (ignoresLog(trust)) bundle = { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [] } };
  if (bundle.content.$case !== 'dsseEnvelope') fail('BAD_SIGNATURE', 'the bundle holds a message signature (a blob signature), not the DSSE envelope cosign writes for an image');
  const envelope = (bundle.content as { dsseEnvelope: { payloadType: string; payload: Buffer; signatures: Array<{ sig: Buffer }> } }).dsseEnvelope;
  if (envelope.signatures.length !== 1) fail('BAD_SIGNATURE', `the DSSE envelope has ${envelope.signatures.length} signatures; exactly one is allowed`);
  const material = bundle.verificationMaterial.content;
  const keyless = trust.settings.keyless;
  if (keyless && material.$case === 'publicKey') fail('UNTRUSTED_KEY', 'the bundle was signed with a key, but the policy requires a keyless (Fulcio) signature');
  if (!keyless && material.$case !== 'publicKey') fail('UNTRUSTED_KEY', 'the bundle was signed with a Fulcio certificate, but the policy requires a key-based signature');
  const pae = preAuthEncoding(envelope.payloadType, envelope.payload);
  const sig = envelope.signatures[0].sig;
  const hint = material.$case === 'publicKey' ? material.publicKey.hint : undefined;
  const signedBy = keyless ? undefined : policyKeyFor(trust, (key) => verifyRaw(key, pae, sig, trust.settings.hash), namedKey(hint));
  const hasTlog = bundle.verificationMaterial.tlogEntries.length > 0;
  if (!hasTlog && !(keyless ? false : trust.settings.insecureIgnoreTlog)) {
    fail('BAD_SIGNATURE', keyless ? 'the bundle has no transparency-log entry' : 'the bundle has no transparency-log entry, and the policy requires one (insecureIgnoreTlog is not set)');
  }
  const signerDer = keyless ? certificateDer(bundle) : signedBy!.key.export({ type: 'spki', format: 'der' });
  for (const entry of bundle.verificationMaterial.tlogEntries) checkLoggedVerifier(entry.canonicalizedBody, signerDer);
  const signed = runVerifier(bundle, undefined, trust, signedBy, hasTlog, (key) => verifyRaw(key, pae, sig, keyless ? undefined : trust.settings.hash));
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) fail('BAD_SIGNATURE', `the DSSE payload type is "${envelope.payloadType}", not ${IN_TOTO_PAYLOAD_TYPE}`);
  const statement = readStatement(envelope.payload);
  return done({ format: 'bundle', digests: statement.digests, predicateType: statement.predicateType, ...signed });
}

function certificateDer(bundle: Bundle): Buffer {
  const material = bundle.verificationMaterial.content;
  if (material.$case === 'certificate') return material.certificate.rawBytes;
  if (material.$case === 'x509CertificateChain' && material.x509CertificateChain.certificates.length > 0) return material.x509CertificateChain.certificates[0].rawBytes;
  return fail('BAD_SIGNATURE', 'the bundle holds no certificate');
}

/**
 * A logged DSSE entry must name the key or certificate that signed (cosign's check;
 * @sigstore/verify compares only the signature and payload hash).
 */
function checkLoggedVerifier(body: Buffer, signerDer: Buffer): void {
  let entry: { kind?: unknown; apiVersion?: unknown; spec?: { signatures?: Array<{ verifier?: unknown }>; content?: { envelope?: { signatures?: Array<{ publicKey?: unknown }> } } } };
  try {
    entry = JSON.parse(body.toString('utf8')) as typeof entry;
  } catch {
    return fail('BAD_SIGNATURE', 'the transparency-log entry body is not JSON');
  }
  if ((entry.kind === 'dsse' || entry.kind === 'hashedrekord') && entry.apiVersion === '0.0.2') {
    return fail('UNSUPPORTED', `the bundle's log entry is a Rekor v2 entry (${String(entry.kind)} 0.0.2), whose signer gate does not check yet: sign with a Rekor v1 log (cosign's default signing config), or keep a .sig signature`);
  }
  const logged = entry.kind === 'dsse' ? entry.spec?.signatures?.[0]?.verifier : entry.kind === 'intoto' ? entry.spec?.content?.envelope?.signatures?.[0]?.publicKey : undefined;
  if (typeof logged !== 'string') return fail('BAD_SIGNATURE', `the transparency-log entry (${String(entry.kind)}) names no verifier; a cosign bundle is logged as dsse or intoto`);
  const text = Buffer.from(logged, 'base64').toString('utf8');
  if (!pemToDer(text, 'the logged verifier').equals(signerDer)) fail('BAD_SIGNATURE', 'the transparency-log entry was logged for another key or certificate than the one that signed');
}

function preAuthEncoding(type: string, body: Buffer): Buffer {
  const t = Buffer.from(type, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${body.length} `), body]);
}

/** An in-toto statement: its sha256 subjects and predicate type. */
function readStatement(payload: Buffer): { digests: string[]; predicateType: string } {
  let value: { _type?: unknown; subject?: unknown; predicateType?: unknown };
  try {
    value = JSON.parse(payload.toString('utf8')) as typeof value;
  } catch {
    return fail('BAD_SIGNATURE', 'the signed in-toto statement is not JSON');
  }
  if (typeof value?._type !== 'string' || !IN_TOTO_STATEMENTS.has(value._type)) fail('BAD_SIGNATURE', `the signed statement's _type is ${JSON.stringify(value?._type ?? null)}, not an in-toto statement`);
  if (typeof value.predicateType !== 'string') fail('BAD_SIGNATURE', 'the signed statement has no predicateType');
  if (!Array.isArray(value.subject)) fail('BAD_SIGNATURE', 'the signed statement has no subject list');
  const digests: string[] = [];
  for (const subject of value.subject as Array<{ digest?: { sha256?: unknown } }>) {
    const hex = subject?.digest?.sha256;
    if (typeof hex === 'string' && /^[0-9a-f]{64}$/.test(hex)) digests.push(`sha256:${hex}`);
  }
  return { digests, predicateType: value.predicateType as string };
}

// ——— shared ———

/** A key-based trust that ignores the transparency log and has no Rekor key: log entries are not read at all. */
function ignoresLog(trust: SigstoreTrust): boolean {
  return !trust.settings.keyless && trust.settings.insecureIgnoreTlog && trust.material.tlogs.length === 0;
}

/**
 * The policy key whose signature check passes. None: UNTRUSTED_KEY — or BAD_SIGNATURE when
 * the material names a policy key (`named`: the sha256 of the SPKI it claims, unverified,
 * used only to word the denial): then the bytes were changed after signing.
 */
function policyKeyFor(trust: SigstoreTrust, check: (key: KeyObject) => boolean, named?: string): PolicyKey {
  const key = trust.keys.find((k) => check(k.key));
  if (key) return key;
  const claimed = named !== undefined ? trust.keys.find((k) => k.id === named) : undefined;
  const hash = trust.settings.hash ? `, or it was made with another hash than the policy's ${trust.settings.hash} (key.hashAlgorithm)` : '';
  if (claimed) return fail('BAD_SIGNATURE', `the signature names the policy's key sha256:${claimed.id.slice(0, 16)}… (${claimed.source}) but does not verify with it: the payload or the signature was changed after signing${hash}`);
  return fail('UNTRUSTED_KEY', `the signature does not verify with ${trust.keys.length === 1 ? 'the policy\'s key' : `any of the policy's ${trust.keys.length} keys`} (sha256:${trust.keys.map((k) => k.id.slice(0, 16)).join('…, sha256:')}…)`);
}

/** The sha256 (hex) of the SPKI a Rekor body or a bundle hint names, when it can be read. */
function namedKey(pemOrHint: string | undefined): string | undefined {
  if (!pemOrHint) return undefined;
  if (/^[A-Za-z0-9+/]{43}=$/.test(pemOrHint)) return Buffer.from(pemOrHint, 'base64').toString('hex');
  try {
    return createHash('sha256').update(pemToDer(pemOrHint, 'key')).digest('hex');
  } catch {
    return undefined;
  }
}

/** The chain, SCTs, tlog and timestamps through @sigstore/verify, with gate's own signature check. */
function runVerifier(bundle: Bundle, artifact: Buffer | undefined, trust: SigstoreTrust, key: PolicyKey | undefined, hasTlog: boolean, check: (key: KeyObject) => boolean): Omit<CosignClaim, 'format' | 'digests'> {
  const entity: SignedEntity = toSignedEntity(bundle, artifact);
  entity.signature.verifySignature = check;
  const keyless = trust.settings.keyless;
  const verifier = new Verifier(materialFor(trust, key), {
    tlogThreshold: hasTlog ? 1 : 0,
    ctlogThreshold: keyless && trust.requireSCT ? 1 : 0,
    // A keyless signature needs a proven time (SET or RFC 3161) to check the short-lived certificate against.
    timestampThreshold: keyless ? 1 : 0,
  });
  if (keyless && entity.timestamps.length === 0) fail('BAD_SIGNATURE', 'the signature has neither a Rekor SET nor an RFC 3161 timestamp: nothing proves when the short-lived certificate was used');
  verifier.verify(entity);
  if (trust.settings.requireTimestamp && !entity.timestamps.some((t) => t.$case === 'timestamp-authority')) fail('BAD_SIGNATURE', 'the policy requires an RFC 3161 timestamp (rfc3161timestamp), and the signature has none');
  const signedAt = signingTime(entity);
  if (!keyless) return { signer: { key: key! }, ...(signedAt ? { signedAt } : {}) };
  const der = (entity.key as { certificate: X509Certificate }).certificate.tbsCertificate ? (entity.key as { certificate: X509Certificate }).certificate : undefined;
  if (!der) fail('BAD_SIGNATURE', 'no certificate');
  if (!hasCodeSigning(der!)) fail('UNTRUSTED_KEY', 'the certificate is not issued for code signing (no codeSigning extended key usage)');
  const identity = certificateIdentity(der!.root.toDER());
  if (!identity.ok) fail('BAD_SIGNATURE', identity.message);
  return { signer: { certificate: identity.ok ? identity.identity : undefined! }, ...(signedAt ? { signedAt } : {}) };
}

function signingTime(entity: SignedEntity): string | undefined {
  for (const t of entity.timestamps) {
    if (t.$case === 'transparency-log' && t.tlogEntry.inclusionPromise) return new Date(Number(t.tlogEntry.integratedTime) * 1000).toISOString();
    if (t.$case === 'timestamp-authority') return t.timestamp.signingTime.toISOString();
  }
  return undefined;
}

function hasCodeSigning(cert: X509Certificate): boolean {
  const ext = cert.extension('2.5.29.37');
  if (!ext) return false;
  try {
    return ASN1Obj.parseBuffer(Buffer.from(ext.value)).subs.some((s) => s.toOID() === CODE_SIGNING_EKU);
  } catch {
    return false;
  }
}

/** The signature check sigstore's signers imply: the hash by key type. */
export function verifyRaw(key: KeyObject, data: Buffer, signature: Buffer, chosen?: string): boolean {
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const byType = type === 'ec' && curve === 'secp384r1' ? 'sha384' : type === 'ec' && curve === 'secp521r1' ? 'sha512' : 'sha256';
  const hash = type === 'ed25519' ? null : (chosen ?? byType);
  try {
    return cryptoVerify(hash, data, key, signature);
  } catch {
    return false;
  }
}

function done(claim: CosignClaim): CosignVerified {
  const who = 'key' in claim.signer ? `key sha256:${claim.signer.key.id.slice(0, 16)}… (${claim.signer.key.source})` : describeSigner(claim.signer.certificate);
  return { ok: true, claim, signer: who };
}

function describeSigner(identity: CertificateIdentity): string {
  const subject = [...identity.emails, ...identity.uris, ...identity.others].join(', ');
  return `${subject || 'a certificate without subject'} (issuer ${identity.issuer ?? 'none'})`;
}

function strictBase64(value: string | undefined, what: string): Buffer {
  if (value === undefined || value === '') return fail('BAD_SIGNATURE', `${what} is missing`);
  const clean = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) fail('BAD_SIGNATURE', `${what} is not base64`);
  return Buffer.from(clean, 'base64');
}

function pemToDer(pem: string, what: string): Buffer {
  const match = /-----BEGIN [A-Z ]+-----([\s\S]*?)-----END [A-Z ]+-----/.exec(pem);
  if (!match) return fail('BAD_SIGNATURE', `${what} is not PEM`);
  return strictBase64(match[1], what);
}

function libraryReason(e: VerificationError): ReasonCode {
  switch (e.code) {
    case 'CERTIFICATE_ERROR':
    case 'PUBLIC_KEY_ERROR':
      return 'UNTRUSTED_KEY';
    default:
      return 'BAD_SIGNATURE';
  }
}

function libraryMessage(e: VerificationError): string {
  const cause = (e as { cause?: unknown }).cause;
  const detail = cause instanceof Error && cause.message !== e.message ? ` (${cause.message})` : '';
  const what: Record<string, string> = {
    CERTIFICATE_ERROR: 'the certificate does not chain to a trusted Fulcio CA at the signing time, or has no valid SCT',
    TLOG_ERROR: 'the transparency-log entry does not verify against the trusted Rekor keys',
    TLOG_INCLUSION_PROOF_ERROR: 'the inclusion proof does not lead to the checkpoint\'s tree',
    TLOG_INCLUSION_PROMISE_ERROR: 'the Rekor SET does not verify against the trusted Rekor keys',
    TLOG_BODY_ERROR: 'the transparency-log entry is for another signature or payload',
    TIMESTAMP_ERROR: 'the timestamps do not verify against the trusted timestamp authorities',
    SIGNATURE_ERROR: 'the signature does not verify',
    PUBLIC_KEY_ERROR: 'the key is not valid at the signing time',
  };
  return `${what[e.code] ?? e.code}: ${e.message}${detail}`;
}
