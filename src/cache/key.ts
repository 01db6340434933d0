// The keys remembered answers are filed under, in one place, each saying whether the
// credential set is part of it: inside a run a lookup of stored evidence (evidenceKey)
// and a tag's digest (tagKey); between runs the evidence cache (evidenceCacheKey). Pure:
// the same parts give the same key in any process.

import { createHash } from 'node:crypto';

/**
 * What one lookup of stored evidence is memoised under in a run: the store, the
 * repository and digest, whether attachments were read, the store secret asked for,
 * and — always — the credential set (what one workload's pull secrets may read,
 * another's may not; each gets its own answer and its own AUTH_FAILED).
 */
export function evidenceKey(parts: { store: string; repository: string; digest: string; attachments: boolean; storeSecret: string; credentials: string }): string {
  return JSON.stringify([parts.store, parts.repository, parts.digest, parts.attachments, parts.storeSecret, parts.credentials]);
}

/** What one tag resolution is memoised under in a run: the reference and — always — the credential set. Never kept between runs. */
export function tagKey(parts: { reference: string; credentials: string }): string {
  return JSON.stringify([parts.reference, parts.credentials]);
}

/** Which evidence an entry of the cache between runs holds: content, not a decision. */
export interface EvidenceCacheParts {
  /** The store's identity: a storeURL or lookaside base, or `registry:<host>` for its signature API. */
  store: string;
  /** host/path of the image's repository. */
  repository: string;
  /** The manifest digest the blobs are stored for. */
  digest: string;
  /** Whether sigstore attachments were read after the store. */
  attachments: boolean;
}

/**
 * sha256 (hex) of the parts: a fixed-length name that reveals none of them. No
 * credential is part of it: only evidence read without one is kept between runs
 * (signatures/stores.ts), so any workload may use what any run fetched. No policy, key
 * or gate version either: the evidence is verified again by whatever reads it.
 */
export function evidenceCacheKey(parts: EvidenceCacheParts): string {
  return createHash('sha256').update(JSON.stringify(['gate evidence', parts.store, parts.repository, parts.digest, parts.attachments])).digest('hex');
}
