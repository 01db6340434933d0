// The registry's own signature list, the extension API (OpenShift-style):
// GET /extensions/v2/<repo>/signatures/<digest>, used instead of any lookaside when /v2/
// answers X-Registry-Supports-Signatures: 1. Entries other than schema 2 "atomic" are
// skipped, as containers/image does; a blob gate cannot type fails the lookup.

import type { RegistryClient } from '../registry/client.js';
import type { CredentialCandidate } from '../registry/credentials.js';
import { TransportError } from '../registry/http.js';
import type { ImageReference } from '../reference/reference.js';
import type { EvidenceLookup, UntrustedBlob } from './evidence.js';
import { typedBlob } from './format.js';
import { guarded, MAX_SIGNATURE_BYTES, MAX_SIGNATURES, type SignatureSource } from './source.js';

interface UntrustedEntry {
  schemaVersion?: unknown;
  type?: unknown;
  content?: unknown;
  name?: unknown;
}

export class ExtensionApiSource implements SignatureSource {
  constructor(
    private readonly registry: RegistryClient,
    private readonly credentials: CredentialCandidate[],
  ) {}

  async lookup(ref: ImageReference, digest: string): Promise<EvidenceLookup> {
    const searched = `the signature API of ${ref.domain} (/extensions/v2/${ref.path}/signatures/${digest})`;
    return guarded(searched, async () => {
      const response = await this.registry.extensionSignatures(ref, digest, this.credentials, MAX_SIGNATURE_BYTES * 4);
      let list: unknown;
      try {
        list = (JSON.parse(Buffer.from(response.body).toString('utf8')) as { signatures?: unknown }).signatures;
      } catch {
        throw new TransportError('unreachable', `${searched} did not answer with JSON`);
      }
      if (!Array.isArray(list)) throw new TransportError('unreachable', `${searched} answered without a "signatures" list`);
      if (list.length > MAX_SIGNATURES) throw new TransportError('too-many', `${searched} lists more than ${MAX_SIGNATURES} signatures`);
      const blobs: UntrustedBlob[] = [];
      list.forEach((entry: UntrustedEntry | null, i) => {
        if (entry?.schemaVersion !== 2 || entry.type !== 'atomic' || typeof entry.content !== 'string') return;
        const location = `${ref.domain} signature API entry ${i + 1}${typeof entry.name === 'string' ? ` (${entry.name})` : ''}`;
        const typed = typedBlob(Buffer.from(entry.content, 'base64'), location);
        if (!typed.ok) throw new TransportError('malformed', `${location}: ${typed.message}`);
        blobs.push(typed.blob);
      });
      return blobs;
    });
  }
}
