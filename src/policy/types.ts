// Portieris ImagePolicy / ClusterImagePolicy (portieris.cloud.ibm.com/v1), validated.
// Field names follow the CRD so a reader can map every value back to the YAML.

import type { Origin } from '../manifests/strict.js';
import type { Requirement } from '../verify/kind.types.js';
import type { SigstorePolicy } from './policy-controller/cip.js';

export type { Origin, Requirement };

export type PolicyKind = 'ImagePolicy' | 'ClusterImagePolicy';

export interface PolicyResource {
  kind: PolicyKind;
  name: string;
  /** ImagePolicy: the namespace it governs. ClusterImagePolicy: null. */
  namespace: string | null;
  repositories: RepositoryRule[];
  /** The annotation gate/require-digest: "true": tag references are denied (NOT_PINNED). */
  requireDigest: boolean;
  origin: Origin;
  /** Canonical JSON of the spec, to tell a harmless duplicate from a conflicting one. */
  fingerprint: string;
}

export interface RepositoryRule {
  /** The pattern as written (`registry.example.com/team/*`). */
  name: string;
  policy: Policy;
  origin: Origin;
}

export interface Policy {
  simple?: SimplePolicy;
  /** Notary v1 (Portieris `trust`), when enabled: read by the kind registered for the trust section. */
  trust?: Requirement;
  /** IBM Vulnerability Advisor: likewise unsupported, denies when enabled. */
  vulnerabilityEnabled: boolean;
  mutateImage?: boolean;
}

export interface SimplePolicy {
  requirements: Requirement[];
  storeURL?: string;
  storeSecret?: string;
}

export interface PolicySet {
  imagePolicies: PolicyResource[];
  clusterImagePolicies: PolicyResource[];
  /** sigstore policy-controller's ClusterImagePolicies (policy.sigstore.dev), read under webhook policy-controller or none. */
  sigstore?: SigstorePolicy[];
}
