// The pure side of cosign verification, without a registry: evidence made by the tests'
// signers (helpers/cosign.ts), typed as the stores type it, and trust built from files as
// the key store hands them over.

import { untrustedBlob, type Evidence } from '../../../src/evidence.js';
import { buildTrust, type MaterialFile, type SigstoreTrust } from '../../../src/verify/sigstore/trust.js';
import { BUNDLE_TYPE, LEGACY_LAYER, SIGN_PREDICATE, type LegacyLayer } from '../../helpers/cosign.js';

export function legacyEvidence(layer: LegacyLayer): Evidence {
  return untrustedBlob({ format: 'sigstore-attachment', mediaType: LEGACY_LAYER, bytes: layer.payload, annotations: layer.annotations, location: 'test .sig layer 1' });
}

export function bundleEvidence(json: string, predicateType: string = SIGN_PREDICATE): Evidence {
  return untrustedBlob({ format: 'sigstore-bundle', mediaType: BUNDLE_TYPE, bytes: Buffer.from(json), annotations: { 'dev.sigstore.bundle.predicateType': predicateType }, location: 'test referrer' });
}

export interface TrustInput {
  keys?: string[];
  ca?: string;
  rekor?: string[];
  trustedRoot?: string;
  keyless?: boolean;
  insecureIgnoreTlog?: boolean;
  /** policy-controller's settings (trust.ts TrustSettings). */
  requireSCT?: boolean;
  hash?: 'sha256' | 'sha384' | 'sha512';
  requireTimestamp?: boolean;
}

export function trustOf(input: TrustInput): SigstoreTrust {
  const file = (role: MaterialFile['role'], text: string, i = 0): MaterialFile => ({ role, source: `${role}-${i}`, bytes: Buffer.from(text).toString('base64') });
  const files: MaterialFile[] = [
    file('settings', JSON.stringify({ keyless: input.keyless === true, insecureIgnoreTlog: input.insecureIgnoreTlog === true, ...(input.requireSCT ? { requireSCT: true } : {}), ...(input.hash ? { hash: input.hash } : {}), ...(input.requireTimestamp ? { requireTimestamp: true } : {}) })),
    ...(input.trustedRoot ? [file('trustedRoot', input.trustedRoot)] : []),
    ...(input.keys ?? []).map((k, i) => file('key', k, i)),
    ...(input.ca ? [file('ca', input.ca)] : []),
    ...(input.rekor ?? []).map((k, i) => file('rekor', k, i)),
  ];
  const built = buildTrust(files);
  if (!built.ok) throw new Error(built.message);
  return built.trust;
}
