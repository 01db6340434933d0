// The one Report every output format is a view of. Its JSON form is the stable
// contract of DESIGN.md §3 (plus `hint` per result, the verdict of each use in
// `sources`, and top-level `warnings`).

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

/**
 * What one use of an image came to. Uses of one image string in one namespace can differ
 * (other pull secrets let other things in): each view attributes a denial to the uses
 * it concerns, never to all of them.
 */
export interface UseVerdict {
  verdict: 'allow' | 'deny';
  reason: ReasonCode;
  message: string;
  hint?: string;
  /** The digest this use's decision was about, when it got that far. */
  digest: string | null;
}

export interface ReportSource extends ImageSource, UseVerdict {
  /** The pull secrets the webhook would use: the pod spec's, else (none listed) its ServiceAccount's. */
  pullSecrets: string[];
}

/** One image string in one namespace; its verdict sums up its uses' (deny when any use is denied). */
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

/** 0, 1 or 3 for a finished report (verify/verdict.ts exitCodeFor), over every use's verdict. */
export function exitCodeOf(report: Report): 0 | 1 | 3 {
  const uses = report.results.flatMap((r): Array<Pick<UseVerdict, 'verdict' | 'reason'>> => (r.sources.length > 0 ? r.sources : [r]));
  return exitCodeFor(uses.map((u) => ({ allowed: u.verdict === 'allow', reason: u.reason })));
}

/** The uses of a result, denied ones first, each kind in its order. */
export function deniedFirst(result: ImageResult): ReportSource[] {
  return [...result.sources.filter((s) => s.verdict === 'deny'), ...result.sources.filter((s) => s.verdict === 'allow')];
}

/** True when the uses of a result did not all come to the same verdict and reason. */
export function usesDiffer(result: ImageResult): boolean {
  return result.sources.some((s) => s.verdict !== result.sources[0].verdict || s.reason !== result.sources[0].reason);
}

export function summarise(results: ImageResult[]): Report['summary'] {
  const allowed = results.filter((r) => r.verdict === 'allow').length;
  return { images: results.length, allowed, denied: results.length - allowed };
}
