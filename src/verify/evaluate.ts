// The verdict for one image under one Portieris policy. Two steps, both pure:
// `preflight` decides everything that needs no signature (unsupported policy parts,
// reject, accept-anything, an unpinned reference); `evaluateSignatures` applies the
// signedBy requirements to the signatures found, the way containers/image's
// prSignedBy does: requirements are AND-ed, and any one good signature satisfies one.

import type { Policy, SignedByRequirement, SignedIdentity } from '../policy/types.js';
import { parseReference, referenceString, repositoryName, type ImageReference } from '../reference/reference.js';
import { identityMatches, remap } from './identity.js';
import { verifySignedMessage, type TrustedKeys } from './openpgp.js';
import { parseSimpleSigningPayload } from './payload.js';
import { allow, deny, SIGNATURE_FAILURE_RANK, type ReasonCode, type Verdict } from './verdict.js';

export type Preflight =
  | { done: true; verdict: Verdict }
  | { done: false; ref: ImageReference; requirements: SignedByRequirement[] };

/**
 * `image` is the image string as written; `pattern` the repository pattern that
 * selected `policy`. `canResolveTags` is false while gate works offline: a tag then
 * cannot be verified.
 */
export function preflight(policy: Policy, image: string, pattern: string, canResolveTags: boolean): Preflight {
  const done = (verdict: Verdict): Preflight => ({ done: true, verdict });
  if (policy.trustEnabled) {
    return done(deny('UNSUPPORTED', `the policy for "${pattern}" enables Notary v1 content trust (trust.enabled), which gate cannot verify`,
      'verify these images with simple signing instead, or leave them to the in-cluster webhook and exempt them here'));
  }
  if (policy.vulnerabilityEnabled) {
    return done(deny('UNSUPPORTED', `the policy for "${pattern}" enables IBM Vulnerability Advisor checks (vulnerability.ICCRVA.enabled), which gate cannot evaluate`,
      'remove the vulnerability section from the policy gate reads, or verify these images in the cluster only'));
  }
  const requirements = policy.simple?.requirements ?? [];
  if (requirements.length === 0) {
    return done(allow('ACCEPT_ANYTHING', `the policy for "${pattern}" has no simple requirements: Portieris admits it without checking signatures`));
  }
  // From here on Portieris hands the image to containers/image, which parses it again
  // with its own grammar and refuses what that grammar refuses, whatever the requirements.
  const parsed = parseReference(image, 'containers-image');
  if (!parsed.ok) {
    return done(deny('INVALID_REFERENCE', `containers/image, which verifies signatures for Portieris, cannot read "${image}": ${parsed.message}`,
      'write the image with a lower-case repository, and a registry host that has a "." or ":" or is localhost'));
  }
  const ref = parsed.ref;
  if (ref.tag !== undefined && ref.digest !== undefined) {
    return done(deny('INVALID_REFERENCE', 'Docker references with both a tag and digest are currently not supported (containers/image, and so Portieris, refuse them)',
      `use "${repositoryName(ref)}@${ref.digest}" without the tag`));
  }
  if (requirements.some((r) => r.type === 'reject')) {
    return done(deny('REJECTED_BY_POLICY', `images matching "${pattern}" are rejected by policy (a "reject" requirement)`,
      'use an image from a repository the policy allows, or change the policy in a reviewed commit'));
  }
  const signedBy = requirements.filter((r): r is SignedByRequirement => r.type === 'signedBy');
  if (signedBy.length === 0) {
    return done(allow('ACCEPT_ANYTHING', `the policy for "${pattern}" accepts any image (insecureAcceptAnything)`));
  }
  if (ref.digest === undefined && !canResolveTags) {
    return done(deny('NOT_PINNED', `"${referenceString(ref)}" is a tag: gate needs a registry to resolve the tag to the digest that signatures cover, and this run is offline`,
      `pin the image by digest: image: ${repositoryName(ref)}@sha256:<digest> (skopeo inspect --format '{{.Digest}}' docker://${referenceString(ref)})`));
  }
  // A tag is resolved to its digest by the caller, which can reach the registry.
  return { done: false, ref, requirements: signedBy };
}

export interface UntrustedSignature {
  bytes: Uint8Array;
  /** Where it was read from, for messages (`file:///…/signature-2`). */
  location: string;
}

export interface ResolvedSignedBy {
  requirement: SignedByRequirement;
  trusted: TrustedKeys;
  /** Where the keys came from, for messages (`.gate/keys/team-key.asc`). */
  keySource: string;
  /** A hash of the exact key material (for caches: a revocation changes it). */
  keyMaterial?: string;
}

interface SignatureRejection {
  reason: ReasonCode;
  message: string;
}

export type RequirementOutcome =
  | { passed: true; signer: string; location: string; signedReference: string }
  | { passed: false; reason: ReasonCode; message: string };

/** One signedBy requirement against every signature found: any one good signature passes it. */
export async function evaluateSignedBy(
  resolved: ResolvedSignedBy,
  intended: ImageReference,
  digest: string,
  signatures: UntrustedSignature[],
  now: Date,
): Promise<RequirementOutcome> {
  if (signatures.length === 0) {
    return { passed: false, reason: 'NO_SIGNATURE', message: 'A signature was required, but no signature exists' };
  }
  const rejections: SignatureRejection[] = [];
  for (const signature of signatures) {
    const checked = await checkSignature(resolved, intended, digest, signature, now);
    if (checked.passed) return checked;
    rejections.push({ reason: checked.reason, message: `${signature.location}: ${checked.message}` });
  }
  const reason = SIGNATURE_FAILURE_RANK.find((r) => rejections.some((x) => x.reason === r)) ?? rejections[0].reason;
  const message =
    rejections.length === 1
      ? rejections[0].message
      : `none of the ${rejections.length} signatures were accepted: ${rejections.map((r) => r.message).join('; ')}`;
  return { passed: false, reason, message };
}

export async function checkSignature(
  resolved: ResolvedSignedBy,
  intended: ImageReference,
  digest: string,
  signature: UntrustedSignature,
  now: Date,
): Promise<RequirementOutcome> {
  const crypto = await verifySignedMessage(signature.bytes, resolved.trusted, now);
  if (!crypto.ok) {
    const message = crypto.code === 'UNTRUSTED_KEY' ? `${crypto.message} (trusted: ${resolved.trusted.fingerprints.join(', ')} from ${resolved.keySource})` : crypto.message;
    return { passed: false, reason: crypto.code, message };
  }
  // Only now is the payload signed data; it is still a claim to check, not a fact.
  const parsed = parseSimpleSigningPayload(crypto.signedPayload);
  if (!parsed.ok) return { passed: false, reason: 'BAD_SIGNATURE', message: `invalid signature payload: ${parsed.message}` };
  const claim = parsed.payload;
  if (claim.dockerManifestDigest !== digest) {
    return { passed: false, reason: 'DIGEST_MISMATCH', message: `Signature for digest ${claim.dockerManifestDigest} does not match the image digest ${digest}` };
  }
  const rule = resolved.requirement.signedIdentity;
  if (!identityMatches(rule, intended, claim.dockerReference)) {
    return {
      passed: false,
      reason: 'IDENTITY_MISMATCH',
      message: `signed for "${claim.dockerReference}", but the policy requires ${describeIdentityRule(rule, intended)}`,
    };
  }
  return { passed: true, signer: crypto.signerFingerprint, location: signature.location, signedReference: claim.dockerReference };
}

/** All requirements must pass (AND); the first failure is the verdict. */
export async function evaluateSignatures(
  requirements: ResolvedSignedBy[],
  intended: ImageReference,
  digest: string,
  signatures: UntrustedSignature[],
  now: Date,
  evaluate: typeof evaluateSignedBy = evaluateSignedBy,
): Promise<Verdict> {
  const accepted: string[] = [];
  for (const [i, resolved] of requirements.entries()) {
    const outcome = await evaluate(resolved, intended, digest, signatures, now);
    const which = requirements.length > 1 ? `requirement ${i + 1} of ${requirements.length} (keySecret ${resolved.requirement.keySecret}): ` : '';
    if (!outcome.passed) return deny(outcome.reason, which + outcome.message, hintFor(outcome.reason, resolved, intended, digest), digest);
    accepted.push(`${outcome.signer} (keySecret ${resolved.requirement.keySecret} from ${resolved.keySource}) for "${outcome.signedReference}" in ${outcome.location}`);
  }
  return allow('SIGNED', `signed by ${accepted.join(' and ')}`, digest);
}

export function describeIdentityRule(rule: SignedIdentity, intended: ImageReference): string {
  const image = referenceString(intended);
  switch (rule.type) {
    case 'matchRepoDigestOrExact':
      return intended.digest !== undefined
        ? `any tag or digest of repository "${repositoryName(intended)}" (default matchRepoDigestOrExact)`
        : `exactly "${image}" (default matchRepoDigestOrExact)`;
    case 'matchExact':
      return `exactly "${image}" (matchExact)`;
    case 'matchRepository':
      return `repository "${repositoryName(intended)}" (matchRepository)`;
    case 'matchExactReference':
      return `exactly "${rule.dockerReference}" (matchExactReference)`;
    case 'matchExactRepository':
      return `repository "${rule.dockerRepository}" (matchExactRepository)`;
    case 'remapIdentity': {
      const remapped = remap(intended, rule.prefix, rule.signedPrefix);
      const target = remapped ? describeIdentityRule({ type: 'matchRepoDigestOrExact' }, remapped) : `a valid remapped name`;
      return `${target} after remapping "${rule.prefix}" to "${rule.signedPrefix}" (remapIdentity)`;
    }
  }
}

function hintFor(reason: ReasonCode, resolved: ResolvedSignedBy, intended: ImageReference, digest: string): string {
  const fingerprints = resolved.trusted.fingerprints.join(' or ');
  const repository = repositoryName(intended);
  switch (reason) {
    case 'NO_SIGNATURE':
      return `sign ${repository}@${digest} with the key in ${resolved.keySource} (${fingerprints}), e.g. skopeo copy --sign-by ${resolved.trusted.fingerprints[0]} …, and publish the signature where gate looked`;
    case 'UNTRUSTED_KEY':
      return `re-sign with a trusted key (${fingerprints}), or add the signer's public key to ${resolved.keySource} in a reviewed commit`;
    case 'IDENTITY_MISMATCH':
      return `re-sign the image as ${repository}:<tag> (skopeo copy --sign-by signs the reference it copies to), or widen signedIdentity in the policy`;
    case 'DIGEST_MISMATCH':
      return `the signature belongs to other image bytes: sign ${repository}@${digest} itself`;
    case 'BAD_SIGNATURE':
      return 'replace the broken signature: sign again with a valid, unexpired key';
    default:
      return '';
  }
}
