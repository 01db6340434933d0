// Which policy governs an image, exactly as Portieris v0.14.2 decides
// (pkg/policy/policy.go GetPolicyToEnforce and types.go FindImagePolicy).
// Pure: data in, decision out.

import type { PolicyResource, PolicySet, RepositoryRule } from './types.js';
import { globMatches, patternMatchesImage } from './wildcard.js';

export interface PolicyMatch {
  resource: PolicyResource;
  rule: RepositoryRule;
  /** Literal equality with the image string (wins at once). */
  exact: boolean;
  /** Portieris' score: pattern length minus the number of `*`. */
  quality: number;
}

export type PolicySelection =
  | { found: true; match: PolicyMatch; scope: 'namespace' | 'cluster' }
  | { found: false; scope: 'namespace' | 'cluster' | 'none'; message: string };

/** The resources selection chooses from for a namespace, and those it leaves out. */
export interface PolicyScope {
  scope: 'namespace' | 'cluster' | 'none';
  /** In API order. */
  resources: PolicyResource[];
  /** The ClusterImagePolicies an ImagePolicy in the namespace shuts out. */
  ignored: PolicyResource[];
}

/**
 * Any ImagePolicy in the workload's namespace shuts out every ClusterImagePolicy there,
 * even when none of its repositories match.
 */
export function scopeFor(namespace: string, policies: PolicySet): PolicyScope {
  const index = indexOf(policies);
  const local = index.byNamespace.get(namespace) ?? [];
  if (local.length > 0) return { scope: 'namespace', resources: local, ignored: policies.clusterImagePolicies };
  return { scope: index.cluster.length > 0 ? 'cluster' : 'none', resources: index.cluster, ignored: [] };
}

/** The best pattern in scope; no match means deny. */
export function selectPolicy(image: string, namespace: string, policies: PolicySet): PolicySelection {
  const { scope, resources } = scopeFor(namespace, policies);
  if (scope === 'none') return { found: false, scope, message: `no ImagePolicy in namespace "${namespace}" and no ClusterImagePolicy at all` };
  const match = bestMatch(image, resources);
  if (match) return { found: true, match, scope };
  return {
    found: false,
    scope,
    message: scope === 'namespace'
      ? `no repository pattern matches "${image}" in the ImagePolicies of namespace "${namespace}" (${names(resources)}); ClusterImagePolicies do not apply where a namespace has an ImagePolicy`
      : `no repository pattern matches "${image}" in the ClusterImagePolicies (${names(resources)}) and namespace "${namespace}" has no ImagePolicy`,
  };
}

/**
 * Scans every repository of every resource in API-server order (by name). A pattern
 * without `*` equal to the image wins at once; otherwise the highest quality wins and
 * the first one wins a tie.
 */
export function bestMatch(image: string, resources: PolicyResource[]): PolicyMatch | undefined {
  let best: PolicyMatch | undefined;
  for (const resource of inApiOrder(resources)) {
    for (const rule of resource.repositories) {
      const score = scorePattern(rule.name, image);
      if (score.exact) return { resource, rule, exact: true, quality: score.quality };
      if (score.matches && (!best || score.quality > best.quality)) best = { resource, rule, exact: false, quality: score.quality };
    }
  }
  return best;
}

/** How one pattern fares against an image: an exact pattern wins at once, otherwise the quality counts. */
export function scorePattern(pattern: string, image: string): { matches: boolean; exact: boolean; quality: number } {
  if (!pattern.includes('*') && pattern === image) return { matches: true, exact: true, quality: image.length };
  return { matches: patternMatchesImage(pattern, image), exact: false, quality: pattern.length - countStars(pattern) };
}

export interface Candidate {
  resource: PolicyResource;
  rule: RepositoryRule;
  matches: boolean;
  exact: boolean;
  quality: number;
  /** Why it matches or not, in words. */
  why: string;
}

/**
 * Every pattern selection considered for the image, best first, as `gate explain` shows
 * them; `ignored` are the ClusterImagePolicies an ImagePolicy in the namespace shuts out.
 */
export function rankCandidates(image: string, namespace: string, policies: PolicySet): { candidates: Candidate[]; ignored: PolicyResource[] } {
  const { resources, ignored } = scopeFor(namespace, policies);
  const candidates: Candidate[] = [];
  for (const resource of resources) {
    for (const rule of resource.repositories) {
      const score = scorePattern(rule.name, image);
      candidates.push({ resource, rule, ...score, why: explainScore(rule.name, image, score) });
    }
  }
  // Stable sort keeps API order among equals, which is how ties are broken.
  const rank = (c: Candidate) => (c.exact ? 2 : c.matches ? 1 : 0);
  candidates.sort((a, b) => rank(b) - rank(a) || (a.matches && b.matches ? b.quality - a.quality : 0));
  return { candidates, ignored };
}

function explainScore(pattern: string, image: string, score: { matches: boolean; exact: boolean; quality: number }): string {
  if (score.exact) return 'equal to the image (a pattern without * that equals the image wins at once)';
  if (score.matches) return `matches, score ${score.quality} (pattern length minus its *)`;
  const slash = pattern.indexOf('/');
  const imageSlash = image.indexOf('/');
  if (slash >= 0 && (imageSlash < 0 || !globMatches(pattern.slice(0, slash), image.slice(0, imageSlash)))) {
    const host = imageSlash < 0 ? `and "${image}" has none` : `(${image.slice(0, imageSlash)})`;
    return `no match: the part before the first "/" (${pattern.slice(0, slash)}) must match the image's host part ${host}`;
  }
  return 'no match (patterns compare with the image string as written)';
}

/** A PolicySet's resources by namespace and in API order, computed once per set: selection runs once per image. */
interface PolicyIndex {
  byNamespace: Map<string, PolicyResource[]>;
  cluster: PolicyResource[];
}

const indexes = new WeakMap<PolicySet, PolicyIndex>();

function indexOf(policies: PolicySet): PolicyIndex {
  let index = indexes.get(policies);
  if (!index) {
    const byNamespace = new Map<string, PolicyResource[]>();
    for (const policy of inApiOrder(policies.imagePolicies)) {
      const same = byNamespace.get(policy.namespace ?? '');
      if (same) same.push(policy);
      else byNamespace.set(policy.namespace ?? '', [policy]);
    }
    index = { byNamespace, cluster: inApiOrder(policies.clusterImagePolicies) };
    indexes.set(policies, index);
  }
  return index;
}

/** Resources as the API server lists them: by name. */
export function inApiOrder(resources: readonly PolicyResource[]): PolicyResource[] {
  return [...resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function countStars(pattern: string): number {
  return pattern.split('*').length - 1;
}

function names(resources: PolicyResource[]): string {
  return inApiOrder(resources).map((r) => r.name).join(', ');
}
