// Which policy governs an image, exactly as Portieris v0.14.2 decides
// (pkg/policy/policy.go GetPolicyToEnforce and types.go FindImagePolicy).
// Pure: data in, decision out.

import type { PolicyResource, PolicySet, RepositoryRule } from './types.js';
import { patternMatchesImage } from './wildcard.js';

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

/**
 * Any ImagePolicy in the workload's namespace shuts out every ClusterImagePolicy
 * there, even when none of its repositories match. No match means deny.
 */
export function selectPolicy(image: string, namespace: string, policies: PolicySet): PolicySelection {
  const local = policies.imagePolicies.filter((p) => p.namespace === namespace);
  if (local.length > 0) {
    const match = bestMatch(image, local);
    if (match) return { found: true, match, scope: 'namespace' };
    return {
      found: false,
      scope: 'namespace',
      message: `no repository pattern matches "${image}" in the ImagePolicies of namespace "${namespace}" (${names(local)}); ClusterImagePolicies do not apply where a namespace has an ImagePolicy`,
    };
  }
  if (policies.clusterImagePolicies.length === 0) {
    return { found: false, scope: 'none', message: `no ImagePolicy in namespace "${namespace}" and no ClusterImagePolicy at all` };
  }
  const match = bestMatch(image, policies.clusterImagePolicies);
  if (match) return { found: true, match, scope: 'cluster' };
  return {
    found: false,
    scope: 'cluster',
    message: `no repository pattern matches "${image}" in the ClusterImagePolicies (${names(policies.clusterImagePolicies)}) and namespace "${namespace}" has no ImagePolicy`,
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
      const pattern = rule.name;
      if (!pattern.includes('*') && pattern === image) {
        return { resource, rule, exact: true, quality: image.length };
      }
      if (!patternMatchesImage(pattern, image)) continue;
      const quality = pattern.length - countStars(pattern);
      if (!best || quality > best.quality) best = { resource, rule, exact: false, quality };
    }
  }
  return best;
}

function inApiOrder(resources: PolicyResource[]): PolicyResource[] {
  return [...resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function countStars(pattern: string): number {
  return pattern.split('*').length - 1;
}

function names(resources: PolicyResource[]): string {
  return inApiOrder(resources).map((r) => r.name).join(', ');
}
