// Signatures the registry itself stores:
//  - the extension API (OpenShift-style), used instead of any lookaside when /v2/
//    answers X-Registry-Supports-Signatures: 1;
//  - sigstore attachments (the `sha256-<hex>.sig` tag), added where registries.d says
//    use-sigstore-attachments: true. A signedBy requirement ignores them, but a broken
//    attachment still fails the lookup, as in containers/image.

import { MANIFEST_MEDIA_TYPES, type RegistryClient } from '../registry/client.js';
import type { CredentialCandidate } from '../registry/credentials.js';
import { TransportError } from '../registry/http.js';
import type { ImageReference } from '../reference/reference.js';
import type { UntrustedSignature } from '../verify/evaluate.js';
import { sniffSignatureBlob } from './format.js';
import { guarded, MAX_SIGNATURE_BYTES, MAX_SIGNATURES, type SignatureLookupResult, type SignatureSource } from './source.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export class ExtensionApiSource implements SignatureSource {
  constructor(
    private readonly registry: RegistryClient,
    private readonly credentials: CredentialCandidate[],
  ) {}

  async lookup(ref: ImageReference, digest: string): Promise<SignatureLookupResult> {
    const searched = `the signature API of ${ref.domain} (/extensions/v2/${ref.path}/signatures/${digest})`;
    return guarded(searched, async () => {
      const response = await this.registry.extensionSignatures(ref, digest, this.credentials, MAX_SIGNATURE_BYTES * 4);
      let list: unknown;
      try {
        list = (JSON.parse(Buffer.from(response.body).toString('utf8')) as { signatures?: unknown }).signatures;
      } catch {
        throw new TransportError('UNREACHABLE', `${searched} did not answer with JSON`);
      }
      if (!Array.isArray(list)) throw new TransportError('UNREACHABLE', `${searched} answered without a "signatures" list`);
      if (list.length > MAX_SIGNATURES) throw new TransportError('BAD_SIGNATURE', `${searched} lists more than ${MAX_SIGNATURES} signatures`);
      const signatures: UntrustedSignature[] = [];
      let ignored = 0;
      list.forEach((entry: { schemaVersion?: unknown; type?: unknown; content?: unknown; name?: unknown }, i) => {
        if (entry?.schemaVersion !== 2 || entry.type !== 'atomic' || typeof entry.content !== 'string') {
          ignored++;
          return;
        }
        const blob = Buffer.from(entry.content, 'base64');
        const location = `${ref.domain} signature API entry ${i + 1}${typeof entry.name === 'string' ? ` (${entry.name})` : ''}`;
        const sniffed = sniffSignatureBlob(blob);
        if (sniffed.format === 'unknown') throw new TransportError('BAD_SIGNATURE', `${location}: ${sniffed.message}`);
        if (sniffed.format === 'simple-signing') signatures.push({ bytes: sniffed.blob, location });
        else ignored++;
      });
      return { signatures, ignored, searched };
    });
  }
}

export class SigstoreAttachments implements SignatureSource {
  constructor(
    private readonly registry: RegistryClient,
    private readonly credentials: CredentialCandidate[],
  ) {}

  async lookup(ref: ImageReference, digest: string): Promise<SignatureLookupResult> {
    const tag = digest.replace(':', '-') + '.sig';
    const searched = `sigstore attachments ${ref.domain}/${ref.path}:${tag}`;
    return guarded(searched, async () => {
      // Ask for every manifest type, then insist on an OCI image manifest (containers/image).
      const manifest = await this.registry.manifest(ref, tag, this.credentials, MANIFEST_MEDIA_TYPES);
      if (!manifest) return { signatures: [], ignored: 0, searched };
      if (manifest.mediaType !== OCI_MANIFEST) throw new TransportError('BAD_SIGNATURE', `${searched} is a ${manifest.mediaType || 'manifest of unknown type'}, not an OCI image manifest`);
      let layers: Array<{ digest?: unknown }>;
      try {
        layers = (JSON.parse(Buffer.from(manifest.bytes).toString('utf8')) as { layers?: Array<{ digest?: unknown }> }).layers ?? [];
      } catch {
        throw new TransportError('BAD_SIGNATURE', `${searched} is not JSON`);
      }
      if (layers.length > MAX_SIGNATURES) throw new TransportError('BAD_SIGNATURE', `${searched} has more than ${MAX_SIGNATURES} layers`);
      for (const layer of layers) {
        if (typeof layer.digest !== 'string' || !layer.digest.startsWith('sha256:')) throw new TransportError('BAD_SIGNATURE', `${searched} has a layer without a sha256 digest`);
        await this.registry.blob(ref, layer.digest, this.credentials, MAX_SIGNATURE_BYTES);
      }
      // Sigstore payloads are not simple signatures: a signedBy requirement ignores them.
      return { signatures: [], ignored: layers.length, searched };
    });
  }
}

/** c/image's order: the primary store, then the attachments appended. */
export function appended(primary: SignatureSource, extra: SignatureSource): SignatureSource {
  return {
    async lookup(ref, digest) {
      const first = await primary.lookup(ref, digest);
      if (!first.ok) return first;
      const second = await extra.lookup(ref, digest);
      if (!second.ok) return second;
      return {
        ok: true,
        signatures: [...first.signatures, ...second.signatures],
        ignored: first.ignored + second.ignored,
        searched: `${first.searched}, then ${second.searched}`,
        ...(first.note ? { note: first.note } : {}),
      };
    },
  };
}
