// `gate explain IMAGE`: one image decided by the same engine as `gate check`, with the
// reasoning laid out — how the reference reads, every policy pattern considered and its
// score, the requirements and their keys, where signatures were looked for, and what
// became of each signature under each requirement.

import { prepare, type CheckIO, type CheckOptions } from './check.js';
import type { DecisionTrace } from './decide.js';
import type { Warning } from './errors.js';
import type { ImageUse } from './manifests/extract.js';
import { exemptionRef } from './engine/results.js';
import { applyExemption, findExemption, needsDecision } from './policy/exemptions.js';
import { rankCandidates } from './policy/select.js';
import type { Requirement } from './policy/types.js';
import { parseReference, referenceString } from './reference/reference.js';
import type { ExemptionRef } from './report/model.js';
import { checkSignature, describeIdentityRule } from './verify/evaluate.js';
import type { ReasonCode } from './verify/verdict.js';
import { GATE_VERSION } from './version.js';

export interface ExplainOptions extends Omit<CheckOptions, 'paths'> {
  /** Pull secrets to try, as a pod's imagePullSecrets would name them. */
  pullSecrets?: string[];
}

export interface Explanation {
  gateVersion: string;
  image: string;
  namespace: string;
  reference: {
    /** docker/distribution's reading (Portieris); null fields when it cannot read the image. */
    valid: boolean;
    message?: string;
    registry?: string;
    repository?: string;
    tag?: string;
    digest?: string;
    normalised?: string;
    /** Why containers/image, which verifies for Portieris, cannot read it; null when it can. */
    containersImageProblem: string | null;
  };
  exemption: ExemptionRef | null;
  policy: {
    scope: 'namespace' | 'cluster' | 'none';
    candidates: Array<{ kind: string; name: string; namespace: string | null; pattern: string; file: string; line: number; matches: boolean; exact: boolean; score: number; why: string; chosen: boolean }>;
    ignored: string[];
  };
  requirements: Array<{ type: Requirement['type']; keySecret?: string; keySource?: string; fingerprints?: string[]; identity?: string }>;
  digest: { value: string; fromTag: boolean } | null;
  signatures: {
    searched: string;
    ok: boolean;
    reason?: ReasonCode;
    message?: string;
    ignored: number;
    each: Array<{ location: string; requirements: Array<{ passed: boolean; reason?: ReasonCode; message: string }> }>;
  } | null;
  verdict: { verdict: 'allow' | 'deny'; reason: ReasonCode; message: string; hint?: string; pin?: string };
  warnings: Warning[];
}

export async function runExplain(image: string, options: ExplainOptions, io: CheckIO): Promise<Explanation> {
  const warnings: Warning[] = [];
  const trace: DecisionTrace = {};
  const engine = await prepare({ ...options, paths: ['.'], cacheDir: undefined }, io, [], warnings, trace);
  try {
    const use: ImageUse = {
      image,
      namespace: options.namespace,
      source: { file: '<command line>', line: 1, kind: 'Pod', name: null, namespace: options.namespace, path: 'image', generic: false },
      pullSecrets: options.pullSecrets ?? [],
      serviceAccount: 'default',
    };
    const decision = await engine.decider.decide(use, use.pullSecrets);
    warnings.push(...engine.decider.warnings, ...engine.keys.warnings);
    const exempt = findExemption(image, options.namespace, engine.settings.exemptions, engine.now);
    const { candidates, ignored } = rankCandidates(image, options.namespace, engine.policies);
    const chosen = trace.selection?.found ? trace.selection.match.rule : undefined;

    // The same rule as gate check; explain decided anyway, so an EXEMPT verdict also says what it would be without.
    const applied = applyExemption(exempt, image, decision.verdict);
    if (applied.warning) warnings.push(applied.warning);
    const final = applied.verdict;
    const verdict = !needsDecision(exempt)
      ? { verdict: 'allow' as const, reason: final.reason, message: final.message }
      : { verdict: final.allowed ? ('allow' as const) : ('deny' as const), reason: final.reason, message: final.message, ...(final.hint ? { hint: final.hint } : {}), ...(decision.pin ? { pin: decision.pin } : {}) };

    return {
      gateVersion: GATE_VERSION,
      image,
      namespace: options.namespace,
      reference: readReference(image),
      exemption: exempt ? exemptionRef(exempt) : null,
      policy: {
        scope: trace.selection?.scope ?? 'none',
        candidates: candidates.map((c) => ({
          kind: c.resource.kind, name: c.resource.name, namespace: c.resource.namespace, pattern: c.rule.name, file: c.rule.origin.file, line: c.rule.origin.line,
          matches: c.matches, exact: c.exact, score: c.quality, why: c.why, chosen: c.rule === chosen,
        })),
        ignored: ignored.map((r) => `${r.kind}/${r.name}`),
      },
      requirements: requirementsOf(trace, chosen?.policy.simple?.requirements ?? []),
      digest: trace.digest ?? null,
      signatures: await signatureFates(trace, engine.now),
      verdict,
      warnings,
    };
  } finally {
    await engine.close();
  }
}

function readReference(image: string): Explanation['reference'] {
  const parsed = parseReference(image);
  const strict = parseReference(image, 'containers-image');
  const containersImageProblem = strict.ok ? null : strict.message;
  if (!parsed.ok) return { valid: false, message: parsed.message, containersImageProblem };
  const { domain, path, tag, digest } = parsed.ref;
  return { valid: true, registry: domain, repository: path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}), normalised: referenceString(parsed.ref), containersImageProblem };
}

function requirementsOf(trace: DecisionTrace, declared: Requirement[]): Explanation['requirements'] {
  return declared.map((requirement) => {
    if (requirement.type !== 'signedBy') return { type: requirement.type };
    const resolved = trace.requirements?.find((r) => r.requirement === requirement);
    return {
      type: 'signedBy',
      keySecret: requirement.keySecret,
      ...(resolved ? { keySource: resolved.keySource, fingerprints: resolved.trusted.fingerprints } : {}),
      ...(trace.intended ? { identity: describeIdentityRule(requirement.signedIdentity, trace.intended) } : {}),
    };
  });
}

/** Every signature under every requirement: containers/image stops at the first good one, explain does not. */
async function signatureFates(trace: DecisionTrace, now: Date): Promise<Explanation['signatures']> {
  const { lookup, requirements, intended, digest } = trace;
  if (!lookup) return null;
  if (!lookup.ok) return { searched: lookup.searched, ok: false, reason: lookup.reason, message: lookup.message, ignored: 0, each: [] };
  const each = [];
  for (const signature of lookup.signatures) {
    const outcomes = [];
    for (const resolved of requirements ?? []) {
      const outcome = await checkSignature(resolved, intended!, digest!.value, signature, now);
      outcomes.push(
        outcome.passed
          ? { passed: true, message: `signed by ${outcome.signer} for "${outcome.signedReference}"` }
          : { passed: false, reason: outcome.reason, message: outcome.message },
      );
    }
    each.push({ location: signature.location, requirements: outcomes });
  }
  return { searched: lookup.searched, ok: true, ignored: lookup.ignored, each };
}
