// Where the evidence of a decision enters from outside, as one small interface: a tag's digest,
// a store's blobs for a digest, a Notary repository's files. A run without a tap reaches the
// network as always; `gate record` taps each answer to keep it, `gate test` answers from what was
// kept and never reaches the network (testing/). Nothing else of a decision changes: the same
// kinds verify the same bytes, so a recorded allow is an allow only if the bytes still pass.

import type { EvidenceLookup } from '../signatures/evidence.js';
import type { NotaryAccess } from '../signatures/notary-server.js';

/** Which lookup of stored evidence: the store (and whether cosign storage is read too), the repository, the digest. */
export interface LookupKey {
  store: string;
  cosign: string;
  repository: string;
  digest: string;
}

export interface EvidenceTap {
  /** The digest of a tag reference (`host/path:tag`). */
  tag(reference: string, live: () => Promise<string>): Promise<string>;
  lookup(key: LookupKey, live: () => Promise<EvidenceLookup>): Promise<EvidenceLookup>;
  /** Access to a GUN's trust data on a trust server, each file fetched through the tap. */
  notary(server: string, gun: string, live: () => Promise<NotaryAccess>): Promise<NotaryAccess>;
}
