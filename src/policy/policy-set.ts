// The policies of a run: every ImagePolicy and ClusterImagePolicy validated, bounded,
// and the same policy twice accepted only when both copies agree.

import { GateError } from '../errors.js';
import type { ManifestObject } from '../manifests/document.js';
import type { PolicyResource, PolicySet } from './types.js';
import { validatePolicy } from './validate.js';
import type { KindRegistry } from '../verify/kind.types.js';

/** Policies (ImagePolicy and ClusterImagePolicy, from .gate/ and the manifests) in one run; real clusters have tens. */
export const MAX_POLICIES = 5_000;
/** Repository patterns over all policies: every image is compared with each of them. */
export const MAX_POLICY_REPOSITORIES = 10_000;

/** Validates every policy; the same policy twice is fine only if both copies agree. */
export function buildPolicySet(objects: ManifestObject[], defaultNamespace: string, kinds: KindRegistry): PolicySet {
  if (objects.length > MAX_POLICIES) {
    const { file, line } = objects[MAX_POLICIES];
    throw new GateError('LIMIT_EXCEEDED', `more than ${MAX_POLICIES} ImagePolicies and ClusterImagePolicies (the limit for one run); merge policies that share requirements into one with several repositories`, { file, line });
  }
  const byId = new Map<string, PolicyResource>();
  let repositories = 0;
  for (const object of objects) {
    const policy = validatePolicy(object, defaultNamespace, kinds);
    repositories += policy.repositories.length;
    if (repositories > MAX_POLICY_REPOSITORIES) {
      throw new GateError('LIMIT_EXCEEDED', `more than ${MAX_POLICY_REPOSITORIES} repository patterns over all policies (the limit for one run); use wildcards ("registry.example.com/team/*") instead of listing repositories one by one`, policy.origin);
    }
    const id = `${policy.kind}/${policy.namespace ?? ''}/${policy.name}`;
    const existing = byId.get(id);
    if (existing && existing.fingerprint !== policy.fingerprint) {
      throw new GateError(
        'POLICY_CONFLICT',
        `${policy.kind} "${policy.name}"${policy.namespace ? ` in namespace "${policy.namespace}"` : ''} is defined twice with different content (also at ${existing.origin.file}:${existing.origin.line})`,
        policy.origin,
      );
    }
    if (!existing) byId.set(id, policy);
  }
  const all = [...byId.values()];
  return {
    imagePolicies: all.filter((p) => p.kind === 'ImagePolicy'),
    clusterImagePolicies: all.filter((p) => p.kind === 'ClusterImagePolicy'),
  };
}
