// `gate explain IMAGE`: one image decided by the same engine as `gate check`, with the
// reasoning laid out — how the reference reads, every policy pattern considered and its
// score, the requirements and their keys, where signatures were looked for, and what
// became of each signature under each requirement.

import { prepare, type CheckIO, type CheckOptions } from '../engine/engine.js';
import type { DecisionStep } from '../engine/decider.js';
import { failureVerdict } from '../engine/failures.js';
import type { Warning } from '../errors.js';
import type { ImageUse } from '../manifests/extract.js';
import { exemptionRef } from '../engine/results.js';
import { applyExemption, findExemption, needsDecision } from '../policy/exemptions.js';
import { rankCandidates } from '../policy/select.js';
import type { Requirement } from '../policy/types.js';
import { parseReference, referenceString } from '../reference/reference.js';
import type { Explanation } from '../report/explanation.js';
import type { KindRegistry } from '../verify/kind.types.js';
import { GATE_VERSION } from '../version.js';

export interface ExplainOptions extends Omit<CheckOptions, 'paths'> {
  /** Pull secrets to try, as a pod's imagePullSecrets would name them. */
  pullSecrets?: string[];
}

export async function runExplain(image: string, options: ExplainOptions, io: CheckIO): Promise<Explanation> {
  const warnings: Warning[] = [];
  const steps: Steps = {};
  const engine = await prepare({ ...options, paths: ['.'], cacheDir: undefined, cacheRedis: undefined }, io, [], warnings);
  try {
    const use: ImageUse = {
      image,
      namespace: options.namespace,
      source: { file: '<command line>', line: 1, kind: 'Pod', name: null, namespace: options.namespace, path: 'image', generic: false },
      pullSecrets: options.pullSecrets ?? [],
      serviceAccount: 'default',
    };
    const decision = await engine.decider.decide(use, (step) => record(steps, step));
    warnings.push(...engine.decider.warnings);
    const exempt = findExemption(image, options.namespace, engine.settings.exemptions, engine.now);
    const { candidates, ignored } = rankCandidates(image, options.namespace, engine.policies);
    const chosen = steps.selection?.found ? steps.selection.match.rule : undefined;
    // Under policy.sigstore.dev's ClusterImagePolicies, the requirements are their authorities that read signatures.
    const declared = steps.sigstore ? (steps.requirements?.requirements ?? []).map((r) => r.requirement) : chosen ? [...(chosen.policy.trust ? [chosen.policy.trust] : []), ...(chosen.policy.simple?.requirements ?? [])] : [];

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
      policy: steps.sigstore ? {
        scope: 'cluster',
        format: 'policy-controller',
        candidates: steps.sigstore.policies.map((p) => ({
          kind: 'ClusterImagePolicy', name: p.name, namespace: null, pattern: p.glob, file: p.origin.file, line: p.origin.line,
          matches: true, exact: false, score: 0, why: `glob matches (policy.sigstore.dev${p.mode === 'warn' ? ', mode warn' : ''})`, chosen: true,
        })),
        ignored: [],
      } : {
        scope: steps.selection?.scope ?? 'none',
        candidates: candidates.map((c) => ({
          kind: c.resource.kind, name: c.resource.name, namespace: c.resource.namespace, pattern: c.rule.name, file: c.rule.origin.file, line: c.rule.origin.line,
          matches: c.matches, exact: c.exact, score: c.quality, why: c.why, chosen: c.rule === chosen,
        })),
        ignored: ignored.map((r) => `${r.kind}/${r.name}`),
      },
      requirements: requirementsOf(steps, declared, engine.decider.kinds),
      digest: steps.digest ?? null,
      signatures: signatureFates(steps, declared),
      trust: steps.notary ?? null,
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

/** What the Decider told of its steps, as explain keeps it. */
interface Steps {
  selection?: Extract<DecisionStep, { step: 'selection' }>['selection'];
  sigstore?: Extract<DecisionStep, { step: 'sigstore' }>;
  requirements?: Extract<DecisionStep, { step: 'requirements' }>;
  digest?: { value: string; fromTag: boolean };
  lookup?: Extract<DecisionStep, { step: 'evidence' }>['lookup'];
  fates?: Extract<DecisionStep, { step: 'fates' }>['fates'];
  notary?: Extract<DecisionStep, { step: 'notary' }>['reading'];
}

function record(steps: Steps, event: DecisionStep): void {
  switch (event.step) {
    case 'sigstore':
      steps.sigstore = event;
      break;
    case 'selection':
      steps.selection = event.selection;
      return;
    case 'requirements':
      steps.requirements = event;
      return;
    case 'digest':
      steps.digest = { value: event.value, fromTag: event.fromTag };
      return;
    case 'evidence':
      steps.lookup = event.lookup;
      return;
    case 'fates':
      steps.fates = event.fates;
      return;
    case 'notary':
      steps.notary = event.reading;
      return;
  }
}

function requirementsOf(steps: Steps, declared: Requirement[], kinds: KindRegistry): Explanation['requirements'] {
  return declared.map((requirement) => {
    const kind = Object.hasOwn(kinds, requirement.type) ? kinds[requirement.type] : undefined;
    const resolved = steps.requirements?.requirements.find((r) => r.requirement === requirement);
    return { type: requirement.type, ...(kind ? kind.explain(requirement, resolved?.trust, steps.requirements?.intended) : {}) };
  });
}

/** Every signature under every requirement, as the Decider judged each: containers/image stops at the first good one, explain does not. */
function signatureFates(steps: Steps, declared: Requirement[]): Explanation['signatures'] {
  const { lookup, requirements, fates } = steps;
  if (!lookup) return null;
  if (!lookup.ok) {
    const failed = failureVerdict(lookup.failure);
    return { searched: lookup.searched, ok: false, reason: failed.reason, message: failed.message, ignored: 0, each: [] };
  }
  const each = (fates ?? []).map((row) => ({
    location: row.location,
    requirements: row.outcomes.map((outcome, j) => ({
      // Its number in the Requirements list, which also holds requirements that read no signature.
      requirement: declared.indexOf(requirements!.requirements[j].requirement) + 1,
      ...(outcome.passed
        ? { passed: true, message: `signed by ${outcome.signer} for "${outcome.signedReference}"` }
        : { passed: false, reason: outcome.reason, message: outcome.message }),
    })),
  }));
  const resolved = requirements?.requirements ?? [];
  const ignored = lookup.blobs.filter((b) => !resolved.some((r) => r.kind.consumes(b))).length;
  return { searched: lookup.searched, ok: true, ignored, each };
}
