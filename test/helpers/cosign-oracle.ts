// An independent judge of key-based cosign signatures, beside @sigstore/verify and gate's
// code: written from the formats alone with node:crypto (no code shared with src/). It
// checks the signature over the exact payload bytes (or the DSSE PAE) with the hash the
// key type implies, the Rekor SET (ECDSA-SHA256 over the canonical JSON of body,
// integratedTime, logID, logIndex) with the Rekor key, and that the logged entry is this
// signature over this payload. It does not judge certificates, proofs or timestamps.

import { createHash, createPublicKey, verify } from 'node:crypto';

function hashFor(pem: string): string | null {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType === 'ed25519') return null;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : 'sha256';
}

function setValid(set: { SignedEntryTimestamp: string; Payload: { body: string; integratedTime: number; logIndex: number; logID: string } }, rekorPem: string): boolean {
  const p = set.Payload;
  // Keys in code-point order, no whitespace: RFC 8785 for these four fields.
  const canonical = `{"body":${JSON.stringify(p.body)},"integratedTime":${p.integratedTime},"logID":${JSON.stringify(p.logID)},"logIndex":${p.logIndex}}`;
  return verify('sha256', Buffer.from(canonical), createPublicKey(rekorPem), Buffer.from(set.SignedEntryTimestamp, 'base64'));
}

/** A legacy layer against one key and one Rekor key (`rekorPem` undefined: no tlog required). */
export function judgeLegacy(payload: Buffer, annotations: Record<string, string>, keyPem: string, rekorPem: string | undefined): boolean {
  const signature = Buffer.from(annotations['dev.cosignproject.cosign/signature'] ?? '', 'base64');
  let ok: boolean;
  try {
    ok = verify(hashFor(keyPem), payload, createPublicKey(keyPem), signature);
  } catch {
    return false;
  }
  if (!ok || rekorPem === undefined) return ok;
  const raw = annotations['dev.sigstore.cosign/bundle'];
  if (!raw) return false;
  const set = JSON.parse(raw) as Parameters<typeof setValid>[0];
  if (!setValid(set, rekorPem)) return false;
  const body = JSON.parse(Buffer.from(set.Payload.body, 'base64').toString('utf8')) as { spec: { data: { hash: { algorithm: string; value: string } }; signature: { content: string } } };
  return body.spec.data.hash.algorithm === 'sha256' && body.spec.data.hash.value === createHash('sha256').update(payload).digest('hex') && Buffer.from(body.spec.signature.content, 'base64').equals(signature);
}

/** A key-based v0.3 bundle's DSSE signature and its subject digest (no tlog). */
export function judgeBundleSignature(bundleJson: string, keyPem: string): { signed: boolean; digests: string[] } {
  const bundle = JSON.parse(bundleJson) as { dsseEnvelope: { payloadType: string; payload: string; signatures: Array<{ sig: string }> } };
  const env = bundle.dsseEnvelope;
  const body = Buffer.from(env.payload, 'base64');
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(env.payloadType)} ${env.payloadType} ${body.length} `), body]);
  let signed = false;
  try {
    signed = env.signatures.length === 1 && verify(hashFor(keyPem), pae, createPublicKey(keyPem), Buffer.from(env.signatures[0].sig, 'base64'));
  } catch {
    signed = false;
  }
  const statement = JSON.parse(body.toString('utf8')) as { subject?: Array<{ digest?: { sha256?: string } }> };
  return { signed, digests: (statement.subject ?? []).map((s) => `sha256:${s.digest?.sha256 ?? ''}`) };
}
