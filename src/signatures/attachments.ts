// Sigstore attachments: the `sha256-<hex>.sig` tag of the image's repository, an OCI
// image manifest whose layers are the signatures (cosign's layout), read where
// registries.d says use-sigstore-attachments: true. Every layer is downloaded, checked
// against its digest and returned with its media type and annotations; a broken
// attachment fails the lookup, as in containers/image.

import { MANIFEST_MEDIA_TYPES, type RegistryClient } from '../registry/client.js';
import type { CredentialCandidate } from '../registry/credentials.js';
import { TransportError } from '../registry/http.js';
import type { ImageReference } from '../reference/reference.js';
import type { EvidenceLookup, UntrustedBlob } from './evidence.js';
import { untrustedBlob } from '../evidence.js';
import { guarded, MAX_SIGNATURE_BYTES, MAX_SIGNATURES, type SignatureSource } from './source.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

interface UntrustedLayer {
  digest?: unknown;
  mediaType?: unknown;
  annotations?: unknown;
}

export class SigstoreAttachments implements SignatureSource {
  constructor(
    private readonly registry: RegistryClient,
    private readonly credentials: CredentialCandidate[],
  ) {}

  async lookup(ref: ImageReference, digest: string): Promise<EvidenceLookup> {
    const tag = digest.replace(':', '-') + '.sig';
    const searched = `sigstore attachments ${ref.domain}/${ref.path}:${tag}`;
    return guarded(searched, async () => {
      // Ask for every manifest type, then insist on an OCI image manifest (containers/image).
      const manifest = await this.registry.manifest(ref, tag, this.credentials, MANIFEST_MEDIA_TYPES);
      if (!manifest) return [];
      if (manifest.mediaType !== OCI_MANIFEST) throw new TransportError('malformed', `${searched} is a ${manifest.mediaType || 'manifest of unknown type'}, not an OCI image manifest`);
      let layers: UntrustedLayer[];
      try {
        layers = (JSON.parse(Buffer.from(manifest.bytes).toString('utf8')) as { layers?: UntrustedLayer[] }).layers ?? [];
      } catch {
        throw new TransportError('malformed', `${searched} is not JSON`);
      }
      if (layers.length > MAX_SIGNATURES) throw new TransportError('too-many', `${searched} has more than ${MAX_SIGNATURES} layers`);
      const blobs: UntrustedBlob[] = [];
      for (const [i, layer] of layers.entries()) {
        if (typeof layer.digest !== 'string' || !layer.digest.startsWith('sha256:')) throw new TransportError('malformed', `${searched} has a layer without a sha256 digest`);
        const bytes = await this.registry.blob(ref, layer.digest, this.credentials, MAX_SIGNATURE_BYTES);
        const annotations = stringsOf(layer.annotations);
        blobs.push(untrustedBlob({
          format: 'sigstore-attachment',
          bytes,
          location: `${searched} layer ${i + 1} (${layer.digest})`,
          ...(typeof layer.mediaType === 'string' ? { mediaType: layer.mediaType } : {}),
          ...(annotations ? { annotations } : {}),
        }));
      }
      return blobs;
    });
  }
}

/** The string-valued annotations of a layer (others are not annotations an evaluator can read). */
export function stringsOf(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
