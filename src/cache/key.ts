// The keys remembered answers are filed under, in one place, each saying whether the
// credential set is part of it: a decision kept between runs (decisionKey), and inside a
// run a lookup of stored evidence (evidenceKey) and a tag's digest (tagKey). Pure: the
// same parts give the same key in any process.

import { createHash } from 'node:crypto';

export interface DecisionKeyParts {
  gateVersion: string;
  /** The manifest digest the signatures must be for. */
  digest: string;
  /** The reference the signatures must name (a tag defaulted to latest), as a string. */
  intended: string;
  /** Each requirement's share of the answer, in order: its key material (or its hash) and its identity rule. */
  requirements: unknown[];
  /** Where the signatures are read: a storeURL, a lookaside base, or `registry:<host>`. */
  store: string;
  /**
   * The credential set the evidence was read with, or null when the answer must not
   * depend on it. That is a decision, written down here:
   *  - inside a run it is part of the answer (a lookup or a tag resolution): what one
   *    workload's pull secrets may read, another's may not, and each must get its own
   *    AUTH_FAILED;
   *  - the folder cache between runs passes null: a SIGNED verdict is about public key
   *    material and the digest's signatures, and one folder serves one host's runs. A
   *    later run's tag resolution still uses its own credentials, but a digest-pinned
   *    image is then allowed for a workload that might not have been able to read the
   *    signatures itself;
   *  - a store shared between tenants (Redis behind several repo-servers) must pass the
   *    credential set, or that last point crosses from one tenant to another.
   */
  credentials: string | null;
}

/** sha256 (hex) of the parts: a fixed-length name that reveals none of them. */
export function decisionKey(parts: DecisionKeyParts): string {
  const { gateVersion, digest, intended, requirements, store, credentials } = parts;
  return createHash('sha256').update(JSON.stringify([gateVersion, digest, intended, requirements, store, credentials])).digest('hex');
}

/**
 * What one lookup of stored evidence is memoised under in a run: the store, the
 * repository and digest, whether attachments were read, the store secret asked for,
 * and — always — the credential set (what one workload's pull secrets may read,
 * another's may not; each gets its own answer and its own AUTH_FAILED).
 */
export function evidenceKey(parts: { store: string; repository: string; digest: string; attachments: boolean; storeSecret: string; credentials: string }): string {
  return JSON.stringify([parts.store, parts.repository, parts.digest, parts.attachments, parts.storeSecret, parts.credentials]);
}

/** What one tag resolution is memoised under in a run: the reference and — always — the credential set. */
export function tagKey(parts: { reference: string; credentials: string }): string {
  return JSON.stringify([parts.reference, parts.credentials]);
}
