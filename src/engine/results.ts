// From decisions to report results: one result per (image string, namespace), decided
// once per set of pull secrets, exemptions applied (policy/exemptions.ts), and the order
// every view shows them in. Each use keeps the verdict of its own set of pull secrets;
// the result sums them up. The decisions themselves are the Decider's (engine/decider.ts).

import type { Decider, Decision } from './decider.js';
import type { Warning } from '../errors.js';
import type { ImageUse } from '../manifests/extract.js';
import { applyExemption, findExemption, needsDecision, type ExemptionMatch } from '../policy/exemptions.js';
import type { Exemption } from '../policy/settings.js';
import type { ExemptionRef, ImageResult, ReportSource, UseVerdict } from '../report/model.js';
import type { Verdict } from '../verify/verdict.js';

/** Uses decided together (the same pull secrets) and what they came to. */
export interface DecidedUses {
  uses: ImageUse[];
  decision: Decision;
}

/** One group per (image string, namespace); a use with a problem of its own is its own group. */
export function groupUses(uses: readonly ImageUse[]): ImageUse[][] {
  return [...groupBy(uses, (use) => [use.image, use.namespace, use.problem?.message ?? ''].join('\u0000')).values()];
}

/**
 * The result for one group: an exemption that holds, else the Decider's verdict per set
 * of pull secrets, with an expired exemption named; `warnings` gets what the exemption
 * has to say (once, however many sets there are).
 */
export async function decideGroup(group: ImageUse[], decider: Pick<Decider, 'decide'>, exemptions: readonly Exemption[], now: Date, warnings: Warning[]): Promise<ImageResult> {
  const { image, namespace } = group[0];
  const exempt = findExemption(image, namespace, exemptions, now);
  if (!needsDecision(exempt)) return toResult(group, { verdict: applyExemption(exempt, image).verdict, policy: null }, exempt);
  // Uses with other pull secrets may see other things: each set is decided on its own.
  const bySecrets = groupBy(group, (use) => use.pullSecrets.join(','));
  const decided = await Promise.all([...bySecrets.values()].map(async (uses) => ({ uses, decision: await decider.decide(uses[0]) })));
  const said = new Set<string>();
  const applied = decided.map(({ uses, decision }) => {
    const { verdict, warning } = applyExemption(exempt, image, decision.verdict);
    if (warning && !said.has(warning.message)) {
      said.add(warning.message);
      warnings.push(warning);
    }
    return { uses, decision: { ...decision, verdict } };
  });
  return toResult(group, applied, exempt);
}

/**
 * The summary of uses decided apart: their common decision when they agree, else the
 * first denial, saying which uses it concerns and what the others came to.
 */
export function combine(decided: DecidedUses[]): Decision {
  const first = decided[0].decision;
  if (decided.every(({ decision }) => decision.verdict.allowed === first.verdict.allowed && decision.verdict.reason === first.verdict.reason)) return first;
  const denied = decided.find(({ decision }) => !decision.verdict.allowed) ?? decided[0];
  const secrets = denied.uses[0].pullSecrets.length > 0 ? `pull secrets ${denied.uses[0].pullSecrets.join(', ')}` : 'no pull secret';
  const others = decided.filter((d) => d !== denied).map(({ uses, decision }) => `${uses.length} use(s) with ${uses[0].pullSecrets.join(', ') || 'no pull secret'}: ${decision.verdict.reason}`);
  const verdict = { ...denied.decision.verdict, message: `for the ${denied.uses.length} use(s) with ${secrets}: ${denied.decision.verdict.message} (other uses: ${others.join('; ')})` };
  // A digest another use resolved is still the image's digest.
  verdict.digest ??= decided.map(({ decision }) => decision.verdict.digest).find((d) => d !== undefined);
  return { ...denied.decision, verdict };
}

/**
 * The result for a group: one decision for every use, or one per set of uses decided
 * together. Sources keep the group's order, each with its own set's verdict.
 */
export function toResult(group: ImageUse[], decided: Decision | DecidedUses[], exempt?: ExemptionMatch): ImageResult {
  const sets = Array.isArray(decided) ? decided : [{ uses: group, decision: decided }];
  const decisionOf = new Map<ImageUse, Decision>();
  for (const { uses, decision } of sets) for (const use of uses) decisionOf.set(use, decision);
  const summary = combine(sets);
  const first = group[0];
  const sources: ReportSource[] = group.map((use) => ({ ...use.source, pullSecrets: use.pullSecrets, ...useVerdict((decisionOf.get(use) ?? summary).verdict) }));
  const { verdict } = summary;
  return {
    image: first.image,
    digest: verdict.digest ?? null,
    namespace: first.namespace,
    verdict: verdict.allowed ? 'allow' : 'deny',
    reason: verdict.reason,
    message: verdict.message,
    ...(verdict.hint ? { hint: verdict.hint } : {}),
    policy: summary.policy,
    ...(exempt ? { exemption: exemptionRef(exempt) } : {}),
    ...(summary.pin ? { pin: summary.pin } : {}),
    sources,
  };
}

function useVerdict(verdict: Verdict): UseVerdict {
  return {
    verdict: verdict.allowed ? 'allow' : 'deny',
    reason: verdict.reason,
    message: verdict.message,
    ...(verdict.hint ? { hint: verdict.hint } : {}),
    digest: verdict.digest ?? null,
  };
}

export function exemptionRef({ exemption, expired }: ExemptionMatch): ExemptionRef {
  const { image, namespace, reason, owner, expires, origin } = exemption;
  return { image, namespace, reason, owner, expires, expired, file: origin.file, line: origin.line };
}

/** Denials first, then by where the image is first used: the order every view shows. */
export function byVerdictThenSource(a: ImageResult, b: ImageResult): number {
  const rank = (r: ImageResult) => (r.verdict === 'deny' ? 0 : 1);
  const where = (r: ImageResult) => (r.sources[0] ? `${r.sources[0].file}\u0000${String(r.sources[0].line).padStart(9, '0')}` : '');
  return rank(a) - rank(b) || where(a).localeCompare(where(b)) || a.image.localeCompare(b.image) || a.namespace.localeCompare(b.namespace);
}

/** `fn` over every item, at most `limit` at a time; results in the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const same = groups.get(k);
    if (same) same.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
