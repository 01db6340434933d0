// Sigstore attachments: the `sha256-<hex>.sig` tag of the image's repository, an OCI
// image manifest whose layers are the signatures (cosign's layout), read where
// registries.d says use-sigstore-attachments: true — as containers/image reads them
// (signatures/cosign.ts, legacySignatures). A signedBy requirement leaves them aside;
// a broken attachment fails the lookup, as in containers/image.

import type { RegistryClient } from '../registry/client.js';
import type { CredentialCandidate } from '../registry/credentials.js';
import type { ImageReference } from '../reference/reference.js';
import { legacySignatures, registryContent } from './cosign.js';
import type { EvidenceLookup } from './evidence.js';
import { guarded, type SignatureSource } from './source.js';

export class SigstoreAttachments implements SignatureSource {
  constructor(
    private readonly registry: RegistryClient,
    private readonly credentials: CredentialCandidate[],
  ) {}

  async lookup(ref: ImageReference, digest: string): Promise<EvidenceLookup> {
    const searched = `sigstore attachments ${ref.domain}/${ref.path}:${digest.replace(':', '-')}.sig`;
    return guarded(searched, () => legacySignatures(registryContent(this.registry, ref, this.credentials), digest));
  }
}
