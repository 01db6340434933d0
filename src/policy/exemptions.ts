// Which exemption of .gate/config.yaml covers an image, whether it still holds, and
// what it does to a decision. Pure: the clock is an argument. An exemption's pattern matches the image string as
// written, with the same rules as a Portieris repository pattern, so that one mental
// model serves both files.

import type { Warning } from '../errors.js';
import { allow, type Verdict } from '../verify/verdict.js';
import type { Exemption } from './settings.js';
import { patternMatchesImage } from './wildcard.js';

export interface ExemptionMatch {
  exemption: Exemption;
  expired: boolean;
}

/** An exemption that holds wins over one that expired; otherwise the first in the file. */
export function findExemption(image: string, namespace: string, exemptions: readonly Exemption[], now: Date): ExemptionMatch | undefined {
  const matching = exemptions.filter((e) => (e.namespace === null || e.namespace === namespace) && (e.image === image || patternMatchesImage(e.image, image)));
  const holding = matching.find((e) => !hasExpired(e, now));
  if (holding) return { exemption: holding, expired: false };
  return matching.length > 0 ? { exemption: matching[0], expired: true } : undefined;
}

/** `expires` is the last day the exemption holds: it ends at the next midnight, UTC (epoch ms). */
export function exemptionEnd(exemption: Exemption): number {
  const [y, m, d] = exemption.expires.split('-').map(Number);
  return Date.UTC(y, m - 1, d + 1);
}

export function hasExpired(exemption: Exemption, now: Date): boolean {
  return now.getTime() >= exemptionEnd(exemption);
}

/** An exemption that holds makes the image EXEMPT without verifying it: no decision is needed. */
export function needsDecision(match: ExemptionMatch | undefined): boolean {
  return match === undefined || match.expired;
}

export interface ExemptionApplied {
  verdict: Verdict;
  /** An expired exemption the image no longer needs: it should be removed. */
  warning?: Warning;
}

/**
 * The verdict once the exemption (if any) is taken into account:
 *  - one that holds: EXEMPT, unverified, saying until when, where, whose and why; when a
 *    decision was made anyway (gate explain), what it would have been;
 *  - one that expired: a denial names it, a pass comes with a warning to remove it.
 * `decided` is the Decider's verdict; it may be left out only when needsDecision() is false.
 */
export function applyExemption(match: ExemptionMatch | undefined, image: string, decided?: Verdict): ExemptionApplied {
  if (match && !match.expired) {
    const { exemption } = match;
    const without = decided ? ` (without the exemption: ${decided.reason}: ${decided.message})` : '';
    return { verdict: allow('EXEMPT', `exempted until ${exemption.expires} by ${exemption.origin.file}:${exemption.origin.line} (owner ${exemption.owner}): ${exemption.reason}; not verified${without}`) };
  }
  if (!decided) throw new Error('applyExemption: no exemption holds, so a decision is needed');
  if (!match) return { verdict: decided };
  const { exemption } = match;
  const where = `the exemption at ${exemption.origin.file}:${exemption.origin.line} ("${exemption.image}", owner ${exemption.owner})`;
  if (!decided.allowed) return { verdict: { ...decided, message: `${decided.message}; ${where} expired after ${exemption.expires}` } };
  return { verdict: decided, warning: { ...exemption.origin, message: `${where} expired after ${exemption.expires}, and ${image} passes without it: remove the exemption` } };
}
