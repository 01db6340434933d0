// Which exemption of .gate/config.yaml covers an image, and whether it still holds.
// Pure: the clock is an argument. An exemption's pattern matches the image string as
// written, with the same rules as a Portieris repository pattern, so that one mental
// model serves both files.

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

/** `expires` is the last day the exemption holds: it ends at the next midnight, UTC. */
export function hasExpired(exemption: Exemption, now: Date): boolean {
  const [y, m, d] = exemption.expires.split('-').map(Number);
  return now.getTime() >= Date.UTC(y, m - 1, d + 1);
}
