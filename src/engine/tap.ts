// Where the evidence of a decision enters from outside, as one small interface: a tag's digest,
// a store's blobs for a digest, a Notary repository's files. A run without a tap reaches the
// network as always; `gate record` taps each answer to keep it, `gate test` answers from what was
// kept and never reaches the network (testing/). Nothing else of a decision changes: the same
// kinds verify the same bytes, so a recorded allow is an allow only if the bytes still pass.

import type { EvidenceLookup } from '../signatures/evidence.js';
import type { NotaryAccess } from '../signatures/notary-server.js';

/**
 * Which lookup of stored evidence: the store (and whether cosign storage is read too), the
 * repository, the digest — and all else its answer depends on, so that no two questions share
 * an answer: `access`, who asks (the workload's namespace, pull secrets and service account:
 * the credentials it has in the cluster); `settings`, how the store is read (a storeSecret,
 * sigstore attachments, the cosign storage configured for the scope).
 */
export interface LookupKey {
  store: string;
  cosign: string;
  repository: string;
  digest: string;
  access: string;
  settings: string;
}

export interface EvidenceTap {
  /** The digest of a tag reference (`host/path:tag`), asked with `access`'s credentials. */
  tag(reference: string, access: string, live: () => Promise<string>): Promise<string>;
  lookup(key: LookupKey, live: () => Promise<EvidenceLookup>): Promise<EvidenceLookup>;
  /** Access to a GUN's trust data on a trust server, each file fetched through the tap. */
  notary(server: string, gun: string, access: string, live: () => Promise<NotaryAccess>): Promise<NotaryAccess>;
}

/** Who asks, as a tap key: what decides the credentials a workload has in the cluster. */
export function accessKey(use: { namespace: string; pullSecrets: readonly string[]; serviceAccount: string }): string {
  return JSON.stringify([use.namespace, [...use.pullSecrets].sort(), use.serviceAccount]);
}
