// The verdict under sigstore policy-controller's ClusterImagePolicies
// (policy/policy-controller/cip.ts): every CIP whose glob matches the image must pass, and
// a CIP passes when any one of its authorities does. An authority is a sigstoreSigned
// requirement judged by the kind on the image's cosign storage, or a static answer, or a
// field gate cannot evaluate (UNSUPPORTED). `mode: warn` turns a failure into a warning.
//
// What the cluster's policy-controller does differently, and gate predicts under
// `webhook: policy-controller`: it verifies only legacy `.sig` signatures for images
// today (signatureFormat: bundle fails there: policy-controller#1899/#1958, fix #1968
// open), so such an authority is denied UNSUPPORTED, with that reason. Under
// `webhook: none` gate judges by the signatures alone and reads bundles as the CIP asks.

import type { EvidenceLookup } from '../signatures/evidence.js';
import { globMatches } from '../policy/policy-controller/glob.js';
import type { Authority, SigstorePolicy } from '../policy/policy-controller/cip.js';
import type { Webhook } from '../policy/settings.js';
import type { ImageReference } from '../reference/reference.js';
import type { PolicyRef } from '../report/model.js';
import { evaluateRequirement, type VerifyOnce } from '../verify/evaluate.js';
import type { Target, Trust } from '../verify/kind.types.js';
import type { SigstoreSignedRequirement } from '../verify/sigstore/config.js';
import { sigstoreSigned } from '../verify/sigstore/kind.js';
import { allow, deny, SIGNATURE_FAILURE_RANK, type ReasonCode, type Verdict } from '../verify/verdict.js';
import { failureVerdict } from './failures.js';

export interface SigstoreDecisionIO {
  /** The trust of a requirement (the key store and the kind: engine/trust.ts). */
  trust(requirement: SigstoreSignedRequirement, label: string): Promise<Trust>;
  /** The image's cosign storage, read once per image in the run. */
  evidence(): Promise<EvidenceLookup>;
  verifyOnce: VerifyOnce;
  warn(message: string, origin: { file: string; line: number }): void;
}

/** The CIPs whose globs match the image pinned to `digest` (or as written). */
export function matchingPolicies(policies: readonly SigstorePolicy[], ref: ImageReference, digest: string, image: string): SigstorePolicy[] {
  return policies.filter((p) => p.globs.some((g) => globMatches(g.regexp, ref, digest, image))).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function policyRef(policy: SigstorePolicy, ref: ImageReference, digest: string, image: string): PolicyRef {
  const glob = policy.globs.find((g) => globMatches(g.regexp, ref, digest, image))?.glob ?? policy.globs[0].glob;
  return { kind: 'ClusterImagePolicy', name: policy.name, namespace: null, repository: glob };
}

type Outcome = { passed: true; signer?: string } | { passed: false; reason: ReasonCode; message: string; hint?: string };

/** Every matching CIP must pass (AND); the first enforced failure is the verdict. */
export async function decideSigstore(matching: readonly SigstorePolicy[], target: Target, webhook: Webhook, io: SigstoreDecisionIO): Promise<Verdict> {
  const signers: string[] = [];
  const warned: string[] = [];
  for (const policy of matching) {
    const outcome = await evaluatePolicy(policy, target, webhook, io);
    const label = `ClusterImagePolicy ${policy.name} (${policy.globs.map((g) => g.glob).join(', ')})`;
    if (outcome.passed) {
      if (outcome.signer) signers.push(`${outcome.signer} under ${label}`);
      continue;
    }
    if (policy.mode === 'warn') {
      const message = `${label} is in mode warn: policy-controller admits with a warning: ${outcome.reason}: ${outcome.message}`;
      io.warn(message, policy.origin);
      warned.push(message);
      continue;
    }
    return deny(outcome.reason, `${label}: ${outcome.message}`, outcome.hint, target.digest);
  }
  if (signers.length > 0) return { ...allow('SIGNED', `signed by ${signers.join(' and ')}`, target.digest), signers };
  const why = warned.length > 0 ? warned.join('; ') : `every matching ClusterImagePolicy passes without a signature (static: pass)`;
  return allow('ACCEPT_ANYTHING', why, target.digest);
}

/** Any one authority passes (OR); else the most telling failure, with every authority's. */
async function evaluatePolicy(policy: SigstorePolicy, target: Target, webhook: Webhook, io: SigstoreDecisionIO): Promise<Outcome> {
  if (policy.unsupported) return { passed: false, reason: 'UNSUPPORTED', message: `${policy.unsupported.field}: ${policy.unsupported.message}; gate denies rather than ignore it`, hint: 'verify the image with an authority gate can evaluate, or leave the CIP-level policy out of the policies gate reads' };
  const failures: Array<{ reason: ReasonCode; message: string; hint?: string }> = [];
  for (const authority of policy.authorities) {
    const outcome = await evaluateAuthority(authority, target, webhook, io);
    if (outcome.passed) return outcome;
    failures.push({ ...outcome, message: `authority ${authority.name}: ${outcome.message}` });
  }
  // A signature problem first, then an authority gate (or the webhook) cannot evaluate, then the rest (NO_SIGNATURE…).
  const reason = [...SIGNATURE_FAILURE_RANK, 'UNSUPPORTED' as const].find((r) => failures.some((f) => f.reason === r)) ?? failures[0].reason;
  const chosen = failures.find((f) => f.reason === reason)!;
  const message = failures.length === 1 ? failures[0].message : `no authority passed: ${failures.map((f) => f.message).join('; ')}`;
  return { passed: false, reason, message, ...(chosen.hint ? { hint: chosen.hint } : {}) };
}

async function evaluateAuthority(authority: Authority, target: Target, webhook: Webhook, io: SigstoreDecisionIO): Promise<Outcome> {
  switch (authority.kind) {
    case 'static':
      return authority.action === 'pass' ? { passed: true } : { passed: false, reason: 'REJECTED_BY_POLICY', message: authority.message ?? 'static: fail' };
    case 'unsupported':
      return { passed: false, reason: 'UNSUPPORTED', message: `${authority.field}: ${authority.message}; gate denies rather than ignore it`, hint: 'use an authority gate can evaluate offline (key.data, keyless with trustRootRef), or another policy for this image' };
    case 'signature': {
      if (webhook === 'policy-controller' && authority.format === 'bundle') {
        return {
          passed: false,
          reason: 'UNSUPPORTED',
          message: 'signatureFormat: bundle, which policy-controller cannot verify for image signatures yet ("bundle support for image signatures is not yet implemented": sigstore/policy-controller#1899, #1958; the fix, #1968, is open): the cluster would deny the image',
          hint: 'sign with cosign sign --new-bundle-format=false as well (the legacy .sig the webhook reads) and use signatureFormat: legacy; or set webhook: none where no policy-controller enforces',
        };
      }
      const label = `authority ${authority.name}`;
      const trust = await io.trust(authority.requirement, label);
      const found = await io.evidence();
      if (!found.ok) {
        const failure = failureVerdict(found.failure, target.digest);
        return { passed: false, reason: failure.reason, message: failure.message, ...(failure.hint ? { hint: failure.hint } : {}) };
      }
      const outcome = await evaluateRequirement({ requirement: authority.requirement, kind: sigstoreSigned, trust }, target, found.blobs, io.verifyOnce);
      if (outcome.passed) return { passed: true, signer: `${outcome.signer} (${label}) in ${outcome.location}` };
      const where = outcome.reason === 'NO_SIGNATURE' ? `; looked in ${found.searched}` : '';
      return { passed: false, reason: outcome.reason, message: `${outcome.message}${where}`, hint: sigstoreSigned.hint(outcome.reason, authority.requirement, trust as Trust<never>, target) };
    }
  }
}
