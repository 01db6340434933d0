// What the Decider asks of a verdict cache between runs, whatever holds it (a folder
// today; a shared store such as Redis later). Only SIGNED verdicts are put: a denial is
// always decided afresh, and so is which digest a tag points to.

import type { ReasonCode } from '../verify/verdict.js';

/** A verdict as remembered: enough to give the same answer again, not only its text. */
export interface CachedVerdict {
  reason: Extract<ReasonCode, 'SIGNED'>;
  /** The verdict's message as it was first given ("signed by …"). */
  message: string;
  /** The manifest digest the signatures were verified for. */
  digest: string;
  /** Fingerprints of the keys that signed, when the verdict names them (empty otherwise). */
  signers: string[];
}

export interface VerdictStore {
  /** undefined for a miss, an expired entry, or anything the store cannot vouch for. */
  get(key: string): Promise<CachedVerdict | undefined>;
  /** Best effort: a store that cannot be written only costs time. `ttlMs` defaults to the store's own. */
  put(key: string, verdict: CachedVerdict, ttlMs?: number): Promise<void>;
}

/** The shape check every backend applies to what it reads back: anything else is a miss. */
export function asCachedVerdict(value: unknown): CachedVerdict | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { reason, message, digest, signers } = value as Record<string, unknown>;
  if (reason !== 'SIGNED' || typeof message !== 'string' || typeof digest !== 'string') return undefined;
  if (!Array.isArray(signers) || !signers.every((s) => typeof s === 'string')) return undefined;
  return { reason, message, digest, signers: [...signers] as string[] };
}
