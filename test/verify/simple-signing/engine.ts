// What the tests under test/verify/simple-signing/ drive, from one place: the signedBy
// kind (src/verify/simple-signing/kind.ts) through the evaluator (src/verify/evaluate.ts),
// in the shapes the scenario tests were written in (a requirement with its keys, a blob
// with where it came from). Crypto runs through the kind's own verify step, at `now`.

import { createHash } from 'node:crypto';
import { checkBlob, evaluateRequirement, evaluateRequirements, type RequirementOutcome, type ResolvedRequirement, type VerifyOnce } from '../../../src/verify/evaluate.js';
import { untrustedBlob, type Evidence } from '../../../src/evidence.js';
import type { SignedByRequirement } from '../../../src/verify/simple-signing/config.js';
import { signedBy } from '../../../src/verify/simple-signing/kind.js';
import type { TrustedKeys } from '../../../src/verify/simple-signing/openpgp.js';
import type { ImageReference } from '../../../src/reference/reference.js';
import type { Verdict } from '../../../src/verify/verdict.js';

export { parseArmoredPublicKeys, verifySignedMessage, type TrustedKeys } from '../../../src/verify/simple-signing/openpgp.js';
export { parseSimpleSigningPayload } from '../../../src/verify/simple-signing/payload.js';
export { identityMatches, type SignedIdentity } from '../../../src/verify/identity.js';

/** A signedBy requirement with the keys it trusts and where they came from. */
export interface ResolvedSignedBy {
  requirement: SignedByRequirement;
  trusted: TrustedKeys;
  keySource: string;
}

/** A stored blob and where it was read. */
export interface UntrustedSignature {
  bytes: Uint8Array;
  location: string;
}

function resolved(r: ResolvedSignedBy): ResolvedRequirement {
  const sha256 = createHash('sha256').update(r.trusted.fingerprints.join()).digest('hex');
  return { requirement: r.requirement, kind: signedBy, trust: { value: r.trusted, ids: r.trusted.fingerprints, source: r.keySource, sha256 } };
}

function evidence(s: UntrustedSignature): Evidence {
  return untrustedBlob({ format: 'simple-signing', bytes: s.bytes, location: s.location });
}

const at = (now: Date): VerifyOnce => (kind, blob, trust) => kind.verify(blob, trust.value, now);

export function evaluateSignatures(requirements: ResolvedSignedBy[], intended: ImageReference, digest: string, signatures: UntrustedSignature[], now: Date): Promise<Verdict> {
  return evaluateRequirements(requirements.map(resolved), { digest, intended }, { blobs: signatures.map(evidence), searched: 'the scenario folder' }, at(now));
}

export function evaluateSignedBy(requirement: ResolvedSignedBy, intended: ImageReference, digest: string, signatures: UntrustedSignature[], now: Date): Promise<RequirementOutcome> {
  return evaluateRequirement(resolved(requirement), { digest, intended }, signatures.map(evidence), at(now));
}

export function checkSignature(requirement: ResolvedSignedBy, intended: ImageReference, digest: string, signature: UntrustedSignature, now: Date): Promise<RequirementOutcome> {
  return checkBlob(resolved(requirement), { digest, intended }, evidence(signature), at(now));
}
