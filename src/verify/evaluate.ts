// The verdict on the evidence: the requirements that need signatures (policy/admission.ts
// has decided everything else), applied the way containers/image's prSignedBy applies
// them: they are AND-ed, and any one good signature satisfies one. Each requirement
// goes through its kind (verify/kinds.ts): crypto through `verify`, which the caller
// memoises by (kind, blob, trust), then acceptance (digest, identity), which is cheap
// and runs every time. NO_SIGNATURE says where gate looked and what it left aside.

import type { EvidenceFound } from '../evidence.js';
import type { Evidence, Requirement, SignatureKind, Target, Trust, Verified } from './kind.types.js';
import { allow, deny, SIGNATURE_FAILURE_RANK, type ReasonCode, type Verdict } from './verdict.js';

/** A requirement that needs signatures, with the trust its kind built from the key. */
export interface ResolvedRequirement {
  requirement: Requirement;
  kind: SignatureKind;
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
export async function evaluateRequirements(requirements: readonly ResolvedRequirement[], target: Target, found: EvidenceFound, verify: VerifyOnce): Promise<Verdict> {
  // Nothing to evaluate is not a signature: an allow here would be an allow without evidence.
  if (requirements.length === 0) return deny('UNSUPPORTED', 'no requirement to evaluate on the evidence', 'this is a bug in gate: please report it', target.digest);
  const accepted: string[] = [];
  const signers: string[] = [];
  for (const [i, resolved] of requirements.entries()) {
    const outcome = await evaluateRequirement(resolved, target, found.blobs, verify);
    const label = resolved.kind.label(resolved.requirement);
    const which = requirements.length > 1 ? `requirement ${i + 1} of ${requirements.length} (${label}): ` : '';
    if (!outcome.passed) {
      const hint = resolved.kind.hint(outcome.reason, resolved.requirement, resolved.trust, target);
      if (outcome.reason !== 'NO_SIGNATURE') return deny(outcome.reason, which + outcome.message, hint, target.digest);
      return deny('NO_SIGNATURE', which + outcome.message + noSignatureDetail(resolved.kind, found), found.unconfigured ?? hint, target.digest);
    }
    accepted.push(`${outcome.signer} (${label} from ${resolved.trust.source}) for "${outcome.signedReference}" in ${outcome.location}`);
    signers.push(outcome.signer);
  }
  return { ...allow('SIGNED', `signed by ${accepted.join(' and ')}`, target.digest), signers };
}

/** What the kind left aside, and where gate looked. */
function noSignatureDetail(kind: SignatureKind, found: EvidenceFound): string {
  const ignored = found.blobs.filter((b) => !kind.consumes(b));
  const formats = [...new Set(ignored.map((b) => (b.format.startsWith('sigstore') ? 'sigstore' : b.format)))].join(' or ');
  const aside = ignored.length > 0 ? ` (${ignored.length} ${formats} signature(s) found, which ${kind.type} ignores)` : '';
  return `${aside}; looked in ${found.searched}${found.note ? ` (${found.note})` : ''}`;
}

/** What became of each blob a requirement reads, under each requirement in order. */
export type BlobFates = Array<{ location: string; outcomes: RequirementOutcome[] }>;

/**
 * Every blob under every requirement, for `gate explain`: containers/image stops at the
 * first good signature, and so does the verdict; explain shows what became of each.
 * With a memoised `verify` this costs no crypto beyond the verdict's.
 */
export async function everyOutcome(requirements: readonly ResolvedRequirement[], target: Target, blobs: readonly Evidence[], verify: VerifyOnce): Promise<BlobFates> {
  const rows: BlobFates = [];
  for (const blob of blobs.filter((b) => requirements.some((r) => r.kind.consumes(b)))) {
    const outcomes = [];
    for (const resolved of requirements) {
      outcomes.push(resolved.kind.consumes(blob) ? await checkBlob(resolved, target, blob, verify) : { passed: false as const, reason: 'NO_SIGNATURE' as const, message: `a ${blob.format} blob, which ${resolved.kind.type} does not read` });
    }
    rows.push({ location: blob.location, outcomes });
  }
  return rows;
}
