// The verdict for one image under one Portieris policy, in two pure steps, dispatched
// through the requirement kinds (verify/kinds.ts) and never on a type string:
//  - `preflight` decides everything that needs no evidence: the trust section, the
//    Vulnerability Advisor, the reference containers/image must read, and each
//    requirement that decides alone (reject denies; insecureAcceptAnything is met).
//    ACCEPT_ANYTHING comes only from an empty requirement list or from requirements
//    that are all met without evidence, as in Portieris.
//  - `evaluateRequirements` applies the requirements that need signatures, the way
//    containers/image's prSignedBy does: they are AND-ed, and any one good signature
//    satisfies one. Crypto goes through `verify`, which the caller memoises by (blob,
//    trust); acceptance (digest, identity) is cheap and runs every time.

import type { Policy } from '../policy/types.js';
import { parseReference, repositoryName, type ImageReference } from '../reference/reference.js';
import type { Evidence, KindRegistry, Requirement, SignatureKind, Target, Trust, Verified } from './kind.types.js';
import { allow, deny, SIGNATURE_FAILURE_RANK, type ReasonCode, type Verdict } from './verdict.js';

/** A requirement that needs signatures, with its kind. */
export interface PendingRequirement {
  requirement: Requirement;
  kind: SignatureKind;
}

export type Preflight =
  | { done: true; verdict: Verdict }
  | { done: false; ref: ImageReference; pending: PendingRequirement[] };

/**
 * `image` is the image string as written; `pattern` the repository pattern that
 * selected `policy`. Tags are the caller's business (admission decides whether one
 * can be verified): preflight only reads what the policy asks.
 */
export function preflight(policy: Policy, image: string, pattern: string, kinds: KindRegistry): Preflight {
  const done = (verdict: Verdict): Preflight => ({ done: true, verdict });
  if (policy.trust) {
    const outcome = decideAlone(policy.trust, kinds, pattern);
    if (outcome && !outcome.allowed) return done(outcome);
  }
  if (policy.vulnerabilityEnabled) {
    return done(deny('UNSUPPORTED', `the policy for "${pattern}" enables IBM Vulnerability Advisor checks (vulnerability.ICCRVA.enabled), which gate cannot evaluate`,
      'remove the vulnerability section from the policy gate reads, or verify these images in the cluster only'));
  }
  const requirements = [...(policy.trust ? [policy.trust] : []), ...(policy.simple?.requirements ?? [])];
  if ((policy.simple?.requirements ?? []).length === 0 && !policy.trust) {
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
  const pending: PendingRequirement[] = [];
  let accepted: Verdict | undefined;
  for (const requirement of requirements) {
    const kind = kinds[requirement.type];
    if (kind === undefined) return done(unsupported(requirement, pattern));
    if (kind.needs === 'signatures') {
      pending.push({ requirement, kind });
      continue;
    }
    const outcome = decideAlone(requirement, kinds, pattern)!;
    if (!outcome.allowed) return done(outcome);
    accepted ??= outcome;
  }
  if (pending.length === 0) return done(accepted!);
  return { done: false, ref, pending };
}

/** The outcome of a requirement whose kind decides without evidence; undefined when it needs evidence. */
function decideAlone(requirement: Requirement, kinds: KindRegistry, pattern: string): Verdict | undefined {
  const kind = kinds[requirement.type];
  if (kind === undefined) return unsupported(requirement, pattern);
  if (kind.needs === 'signatures') return undefined;
  const outcome = kind.decide(requirement, pattern);
  return outcome.accept ? allow('ACCEPT_ANYTHING', outcome.message) : deny(outcome.reason, outcome.message, outcome.hint);
}

/** A requirement no registered kind can evaluate: denied, never skipped. */
function unsupported(requirement: Requirement, pattern: string): Verdict {
  return deny('UNSUPPORTED', `the policy for "${pattern}" has a "${requirement.type}" requirement, which this gate cannot evaluate`,
    'upgrade gate, or leave these images to the in-cluster webhook and exempt them here');
}

/** A requirement that needs signatures, with the trust its kind built from the key. */
export interface ResolvedRequirement extends PendingRequirement {
  trust: Trust;
}

/** The crypto step of a kind for one blob and one trust; the caller memoises it. */
export type VerifyOnce = (kind: SignatureKind, blob: Evidence, trust: Trust) => Promise<Verified<unknown>>;

export type RequirementOutcome =
  | { passed: true; signer: string; location: string; signedReference: string }
  | { passed: false; reason: ReasonCode; message: string };

/** One requirement against every blob its kind reads: any one good signature passes it. */
export async function evaluateRequirement(resolved: ResolvedRequirement, target: Target, blobs: readonly Evidence[], verify: VerifyOnce): Promise<RequirementOutcome> {
  const consumed = blobs.filter((b) => resolved.kind.consumes(b));
  if (consumed.length === 0) {
    return { passed: false, reason: 'NO_SIGNATURE', message: 'A signature was required, but no signature exists' };
  }
  const rejections: Array<{ reason: ReasonCode; message: string }> = [];
  for (const blob of consumed) {
    const outcome = await checkBlob(resolved, target, blob, verify);
    if (outcome.passed) return outcome;
    rejections.push({ reason: outcome.reason, message: `${blob.location}: ${outcome.message}` });
  }
  const reason = SIGNATURE_FAILURE_RANK.find((r) => rejections.some((x) => x.reason === r)) ?? rejections[0].reason;
  const message =
    rejections.length === 1
      ? rejections[0].message
      : `none of the ${rejections.length} signatures were accepted: ${rejections.map((r) => r.message).join('; ')}`;
  return { passed: false, reason, message };
}

/** Crypto, then acceptance, for one blob. */
export async function checkBlob(resolved: ResolvedRequirement, target: Target, blob: Evidence, verify: VerifyOnce): Promise<RequirementOutcome> {
  const { kind, requirement, trust } = resolved;
  const verified = await verify(kind, blob, trust);
  if (!verified.ok) {
    const message = verified.reason === 'UNTRUSTED_KEY' ? `${verified.message} (trusted: ${trust.ids.join(', ')} from ${trust.source})` : verified.message;
    return { passed: false, reason: verified.reason, message };
  }
  const accepted = kind.accept(verified.claim, target, requirement);
  if (!accepted.ok) return { passed: false, reason: accepted.reason, message: accepted.message };
  return { passed: true, signer: verified.signer, location: blob.location, signedReference: accepted.signedReference };
}

/** All requirements must pass (AND); the first failure is the verdict. */
export async function evaluateRequirements(requirements: readonly ResolvedRequirement[], target: Target, blobs: readonly Evidence[], verify: VerifyOnce): Promise<Verdict> {
  const accepted: string[] = [];
  for (const [i, resolved] of requirements.entries()) {
    const outcome = await evaluateRequirement(resolved, target, blobs, verify);
    const label = resolved.kind.label(resolved.requirement);
    const which = requirements.length > 1 ? `requirement ${i + 1} of ${requirements.length} (${label}): ` : '';
    if (!outcome.passed) {
      return deny(outcome.reason, which + outcome.message, resolved.kind.hint(outcome.reason, resolved.requirement, resolved.trust, target), target.digest);
    }
    accepted.push(`${outcome.signer} (${label} from ${resolved.trust.source}) for "${outcome.signedReference}" in ${outcome.location}`);
  }
  return allow('SIGNED', `signed by ${accepted.join(' and ')}`, target.digest);
}

/**
 * Every blob under every requirement, for `gate explain`: containers/image stops at the
 * first good signature, and so does the verdict; explain shows what became of each.
 * With a memoised `verify` this costs no crypto beyond the verdict's.
 */
export async function everyOutcome(requirements: readonly ResolvedRequirement[], target: Target, blobs: readonly Evidence[], verify: VerifyOnce): Promise<Array<{ location: string; outcomes: RequirementOutcome[] }>> {
  const rows = [];
  for (const blob of blobs.filter((b) => requirements.some((r) => r.kind.consumes(b)))) {
    const outcomes = [];
    for (const resolved of requirements) {
      outcomes.push(resolved.kind.consumes(blob) ? await checkBlob(resolved, target, blob, verify) : { passed: false as const, reason: 'NO_SIGNATURE' as const, message: `a ${blob.format} blob, which ${resolved.kind.type} does not read` });
    }
    rows.push({ location: blob.location, outcomes });
  }
  return rows;
}
