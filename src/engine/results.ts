// From decisions to report results: one result per (image string, namespace), decided
// once per set of pull secrets, exemptions applied (policy/exemptions.ts), and the order
// every view shows them in. The decisions themselves are the Decider's (engine/decider.ts).

import type { Decider, Decision } from './decider.js';
import type { Warning } from '../errors.js';
import type { ImageUse } from '../manifests/extract.js';
import { applyExemption, findExemption, needsDecision, type ExemptionMatch } from '../policy/exemptions.js';
import type { Exemption } from '../policy/settings.js';
import type { ExemptionRef, ImageResult } from '../report/model.js';

/** One group per (image string, namespace); a use with a problem of its own is its own group. */
export function groupUses(uses: readonly ImageUse[]): ImageUse[][] {
  return [...groupBy(uses, (use) => [use.image, use.namespace, use.problem?.message ?? ''].join('\u0000')).values()];
}

/**
 * The result for one group: an exemption that holds, else the Decider's verdict per set
 * of pull secrets, combined, with an expired exemption named; `warnings` gets what the
 * exemption has to say.
 */
export async function decideGroup(group: ImageUse[], decider: Pick<Decider, 'decide'>, exemptions: readonly Exemption[], now: Date, warnings: Warning[]): Promise<ImageResult> {
  const { image, namespace } = group[0];
  const exempt = findExemption(image, namespace, exemptions, now);
  if (!needsDecision(exempt)) return toResult(group, { verdict: applyExemption(exempt, image).verdict, policy: null }, exempt);
  // Uses with other pull secrets may see other things: each set is decided on its own.
  const bySecrets = groupBy(group, (use) => use.pullSecrets.join(','));
  const decided = await Promise.all([...bySecrets.values()].map(async (uses) => ({ uses, decision: await decider.decide(uses[0]) })));
  const decision = combine(decided);
  const applied = applyExemption(exempt, image, decision.verdict);
  if (applied.warning) warnings.push(applied.warning);
  return toResult(group, { ...decision, verdict: applied.verdict }, exempt);
}

/**
 * One decision for uses decided apart: when their verdicts differ, the first denial
 * stands for all, saying which uses it concerns.
 */
export function combine(decided: Array<{ uses: ImageUse[]; decision: Decision }>): Decision {
  const first = decided[0].decision;
  if (decided.every(({ decision }) => decision.verdict.allowed === first.verdict.allowed && decision.verdict.reason === first.verdict.reason)) return first;
  const denied = decided.find(({ decision }) => !decision.verdict.allowed) ?? decided[0];
  const secrets = denied.uses[0].pullSecrets.length > 0 ? `pull secrets ${denied.uses[0].pullSecrets.join(', ')}` : 'no pull secret';
  const others = decided.filter((d) => d !== denied).map(({ uses, decision }) => `${uses.length} use(s) with ${uses[0].pullSecrets.join(', ') || 'no pull secret'}: ${decision.verdict.reason}`);
  const verdict = { ...denied.decision.verdict, message: `for the ${denied.uses.length} use(s) with ${secrets}: ${denied.decision.verdict.message} (other uses: ${others.join('; ')})` };
  return { ...denied.decision, verdict };
}

export function toResult(group: ImageUse[], decided: Decision, exempt?: ExemptionMatch): ImageResult {
  const first = group[0];
  const sources = group.map((use) => ({ ...use.source, pullSecrets: use.pullSecrets }));
  const { verdict } = decided;
  return {
    image: first.image,
    digest: verdict.digest ?? null,
    namespace: first.namespace,
    verdict: verdict.allowed ? 'allow' : 'deny',
    reason: verdict.reason,
    message: verdict.message,
    ...(verdict.hint ? { hint: verdict.hint } : {}),
    policy: decided.policy,
    ...(exempt ? { exemption: exemptionRef(exempt) } : {}),
    ...(decided.pin ? { pin: decided.pin } : {}),
    sources,
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
