// Portieris ImagePolicy / ClusterImagePolicy (portieris.cloud.ibm.com/v1), validated.
// Field names follow the CRD so a reader can map every value back to the YAML.

export interface Origin {
  file: string;
  line: number;
}

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
  /** Notary v1 (Portieris `trust`): gate cannot evaluate it, so an enabled trust policy denies. */
  trustEnabled: boolean;
  /** IBM Vulnerability Advisor: likewise unsupported, denies when enabled. */
  vulnerabilityEnabled: boolean;
  mutateImage?: boolean;
}

export interface SimplePolicy {
  requirements: Requirement[];
  storeURL?: string;
  storeSecret?: string;
}

export type Requirement =
  | { type: 'insecureAcceptAnything'; origin: Origin }
  | { type: 'reject'; origin: Origin }
  | SignedByRequirement;

export interface SignedByRequirement {
  type: 'signedBy';
  keySecret: string;
  keySecretNamespace?: string;
  signedIdentity: SignedIdentity;
  origin: Origin;
}

/**
 * Portieris' names for containers/image's signedIdentity types; an empty or absent
 * type is containers/image's default, matchRepoDigestOrExact.
 */
export type SignedIdentity =
  | { type: 'matchRepoDigestOrExact' }
  | { type: 'matchExact' }
  | { type: 'matchRepository' }
  | { type: 'matchExactReference'; dockerReference: string }
  | { type: 'matchExactRepository'; dockerRepository: string }
  | { type: 'remapIdentity'; prefix: string; signedPrefix: string };

export interface PolicySet {
  imagePolicies: PolicyResource[];
  clusterImagePolicies: PolicyResource[];
}
