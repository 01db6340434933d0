// What `gate explain` shows: the steps of one decision, as data. The report views
// (report/explain.ts, JSON) render it; the command (commands/explain.ts) fills it from the
// Decider's step events.

import type { Warning } from '../errors.js';
import type { ExplainFields, Requirement } from '../verify/kind.types.js';
import type { ReasonCode } from '../verify/verdict.js';
import type { ExemptionRef } from './model.js';

/** What `gate explain` shows of a trust decision. */
export interface NotaryReading {
  gun: string;
  server?: { url: string; from: 'policy' | 'built-in map' };
  via?: string;
  pin: string;
  signers: Array<{ secret: string; name: string }>;
  repository?: {
    roles: Array<{ name: string; version: number; expires: string; threshold: number; keyIds: string[]; signs?: string }>;
    versions: Record<string, number>;
    expiries: Record<string, string>;
    warnings: string[];
  };
  floor?: string;
  comparison?: string;
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
    /** policy-controller: the ClusterImagePolicies of policy.sigstore.dev that match (all must pass; any one authority of each); absent: Portieris' selection. */
    format?: 'policy-controller';
    candidates: Array<{ kind: string; name: string; namespace: string | null; pattern: string; file: string; line: number; matches: boolean; exact: boolean; score: number; why: string; chosen: boolean }>;
    ignored: string[];
  };
  /** Each requirement's type and what its kind shows (signedBy: keySecret, keySource, fingerprints, identity). */
  requirements: Array<{ type: Requirement['type'] } & ExplainFields>;
  digest: { value: string; fromTag: boolean } | null;
  signatures: {
    searched: string;
    ok: boolean;
    reason?: ReasonCode;
    message?: string;
    ignored: number;
    /** Each signature under each requirement that reads signatures; `requirement` is its number in `requirements` (from 1). */
    each: Array<{ location: string; requirements: Array<{ requirement: number; passed: boolean; reason?: ReasonCode; message: string }> }>;
  } | null;
  /** A Portieris trust policy: what the trust server gave and how it compares; null otherwise. */
  trust: NotaryReading | null;
  verdict: { verdict: 'allow' | 'deny'; reason: ReasonCode; message: string; hint?: string; pin?: string };
  warnings: Warning[];
}
