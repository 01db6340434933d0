// The one Report every output format is a view of. Its JSON form is the stable
// contract of DESIGN.md §3 (plus `hint` per result and top-level `warnings`).

import type { Warning } from '../errors.js';
import type { ImageSource } from '../manifests/extract.js';
import type { PolicyKind } from '../policy/types.js';
import { exitCodeFor, type ReasonCode } from '../verify/verdict.js';

export interface PolicyRef {
  kind: PolicyKind;
  name: string;
  namespace: string | null;
  /** The repository pattern that matched. */
  repository: string;
}

export interface ReportSource extends ImageSource {
  /** Pull secrets of the pod spec, then of its service account when that is in the input. */
  pullSecrets: string[];
}

export interface ImageResult {
  image: string;
  digest: string | null;
  namespace: string;
  verdict: 'allow' | 'deny';
  reason: ReasonCode;
  message: string;
  hint?: string;
  policy: PolicyRef | null;
  /** The exemption of .gate/config.yaml that covers the image (reason EXEMPT), or that expired. */
  exemption?: ExemptionRef;
  /**
   * For a tag whose digest passed signature verification: the reference to write
   * instead (`name@sha256:…`, the tag dropped), which `gate pin` proposes.
   */
  pin?: string;
  sources: ReportSource[];
}

export interface ExemptionRef {
  image: string;
  namespace: string | null;
  reason: string;
  owner: string;
  /** YYYY-MM-DD: the last day the exemption holds (UTC). */
  expires: string;
  expired: boolean;
  file: string;
  line: number;
}

export interface Report {
  gateVersion: string;
  summary: { images: number; allowed: number; denied: number };
  results: ImageResult[];
  warnings: Warning[];
  /** Not serialised: what was read, for the text view. */
  scanned: { files: number; objects: number };
}

/** 0, 1 or 3 for a finished report (verify/verdict.ts exitCodeFor). */
export function exitCodeOf(report: Report): 0 | 1 | 3 {
  return exitCodeFor(report.results.map((r) => ({ allowed: r.verdict === 'allow', reason: r.reason })));
}

export function summarise(results: ImageResult[]): Report['summary'] {
  const allowed = results.filter((r) => r.verdict === 'allow').length;
  return { images: results.length, allowed, denied: results.length - allowed };
}
