// Where cosign keeps an image's signatures, read for sigstoreSigned requirements: bundles
// attached as OCI 1.1 referrers (cosign 3's default) and the legacy `sha256-<hex>.sig`
// tag (cosign ≤ 2, and `--new-bundle-format=false`). Both are read, always: gate judges
// whichever verifies, and says what it found where.
//
// Referrers: GET /v2/<repo>/referrers/<digest>?artifactType=<bundle type>, following
// `Link: rel="next"` pages on the same registry. A registry without the API answers 404;
// the client then reads the fallback tag `sha256-<hex>` (an OCI index), whose absence or
// invalidity means "no referrers" (distribution-spec). The index is a hint only (writers
// such as go-containerregistry leave artifactType out): each candidate manifest is fetched
// by digest and must itself say it is a sigstore bundle, name this digest as its subject,
// and hold exactly one bundle layer. Any other answer than a clean "none" — 401, 403, 429,
// 5xx, a timeout — fails the lookup (AUTH_FAILED, THROTTLED, UNREACHABLE, TIMEOUT), never
// "unsigned": cosign reports a throttled listing as "no signatures found".

import { untrustedBlob } from '../evidence.js';
import type { RegistryClient } from '../registry/client.js';
import type { CredentialCandidate } from '../registry/credentials.js';
import { TransportError } from '../registry/http.js';
import type { ImageReference } from '../reference/reference.js';
import { SigstoreAttachments, stringsOf } from './attachments.js';
import type { EvidenceLookup, UntrustedBlob } from './evidence.js';
import { MAX_SIGNATURE_BYTES, MAX_SIGNATURES, type SignatureSource } from './source.js';

export const BUNDLE_ARTIFACT_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const BUNDLE_PREFIX = 'application/vnd.dev.sigstore.bundle';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';
/** Pages of one listing: a registry that keeps naming a next page is not listing signatures. */
const MAX_PAGES = 16;
const MAX_INDEX_BYTES = 4 * 1024 * 1024;

interface Descriptor {
  mediaType?: unknown;
  digest?: unknown;
  artifactType?: unknown;
  annotations?: unknown;
}

interface ReferrerManifest {
  mediaType?: unknown;
  artifactType?: unknown;
  config?: { mediaType?: unknown };
  subject?: { digest?: unknown };
  layers?: Array<{ mediaType?: unknown; digest?: unknown; size?: unknown }>;
  annotations?: unknown;
}

export class CosignStorage implements SignatureSource {
  constructor(
    private readonly registry: RegistryClient,
    private readonly credentials: CredentialCandidate[],
  ) {}

  async lookup(ref: ImageReference, digest: string): Promise<EvidenceLookup> {
    const repo = `${ref.domain}/${ref.path}`;
    let bundles: Awaited<ReturnType<CosignStorage['bundles']>>;
    try {
      bundles = await this.bundles(ref, digest);
    } catch (e) {
      if (e instanceof TransportError) return { ok: false, failure: e.failure, searched: `the referrers of ${repo}@${digest}` };
      throw e;
    }
    const legacy = await new SigstoreAttachments(this.registry, this.credentials).lookup(ref, digest);
    if (!legacy.ok) return legacy;
    const notes = [bundles.note, legacy.note].filter(Boolean);
    return {
      ok: true,
      blobs: [...bundles.blobs, ...legacy.blobs],
      searched: `cosign storage of ${repo}@${digest}: ${bundles.searched}; the legacy tag ${digest.replace(':', '-')}.sig (${count(legacy.blobs.length, 'layer')})`,
      ...(notes.length ? { note: notes.join('; ') } : {}),
    };
  }

  /** The bundle referrers, with where they were listed. */
  private async bundles(ref: ImageReference, digest: string): Promise<{ blobs: UntrustedBlob[]; searched: string; note?: string }> {
    const listed = await this.list(ref, digest);
    const skipped: string[] = [];
    const blobs: UntrustedBlob[] = [];
    for (const descriptor of listed.descriptors) {
      const type = typeof descriptor.artifactType === 'string' ? descriptor.artifactType : undefined;
      // A hint only: a typed descriptor of another kind is skipped, an untyped or empty-typed one is fetched and checked.
      if (type !== undefined && !type.startsWith(BUNDLE_PREFIX) && type !== EMPTY_CONFIG) continue;
      if (typeof descriptor.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(descriptor.digest)) {
        skipped.push('a descriptor without a sha256 digest');
        continue;
      }
      if (blobs.length >= MAX_SIGNATURES) throw new TransportError('too-many', `${listed.where} lists more than ${MAX_SIGNATURES} sigstore bundles`);
      const blob = await this.referrer(ref, digest, descriptor.digest, skipped);
      if (blob) blobs.push(blob);
    }
    const note = skipped.length > 0 ? `referrers left aside: ${skipped.join('; ')}` : undefined;
    return { blobs, searched: `${listed.where} (${count(blobs.length, 'sigstore bundle')})`, ...(note ? { note } : {}) };
  }

  /** Every descriptor of the referrers API, or of the fallback tag when the registry has no API. */
  private async list(ref: ImageReference, digest: string): Promise<{ descriptors: Descriptor[]; where: string }> {
    let path: string | undefined = `/v2/${ref.path}/referrers/${digest}?artifactType=${encodeURIComponent(BUNDLE_ARTIFACT_TYPE)}`;
    const descriptors: Descriptor[] = [];
    for (let page = 0; path !== undefined; page++) {
      if (page === MAX_PAGES) throw new TransportError('too-many', `the referrers listing of ${ref.domain}/${ref.path}@${digest} runs past ${MAX_PAGES} pages`);
      const answer = await this.registry.referrers(ref, path, this.credentials, MAX_INDEX_BYTES);
      if (!answer) {
        if (page > 0) throw new TransportError('unreachable', `page ${page + 1} of the referrers listing of ${ref.domain}/${ref.path}@${digest} answered 404`);
        return this.fallback(ref, digest);
      }
      descriptors.push(...manifestsOf(answer.bytes, `the referrers listing of ${ref.domain}/${ref.path}@${digest}`));
      path = answer.next;
    }
    return { descriptors, where: 'the referrers API' };
  }

  private async fallback(ref: ImageReference, digest: string): Promise<{ descriptors: Descriptor[]; where: string }> {
    const tag = digest.replace(':', '-');
    const where = `the referrers fallback tag ${tag} (${ref.domain} has no referrers API)`;
    const index = await this.registry.manifest(ref, tag, this.credentials, [OCI_INDEX]);
    if (!index) return { descriptors: [], where };
    // An invalid index means "no referrers" (distribution-spec): said in the note, never an allow.
    try {
      return { descriptors: manifestsOf(index.bytes, where), where };
    } catch {
      return { descriptors: [], where: `${where}, which is not an OCI index` };
    }
  }

  /** One candidate referrer, checked for itself; undefined (with why in `skipped`) when it is not a bundle of this digest. */
  private async referrer(ref: ImageReference, subject: string, digest: string, skipped: string[]): Promise<UntrustedBlob | undefined> {
    const found = await this.registry.manifest(ref, digest, this.credentials, [OCI_MANIFEST]);
    if (!found) {
      skipped.push(`${digest}, listed but not in the registry`);
      return undefined;
    }
    let manifest: ReferrerManifest;
    try {
      manifest = JSON.parse(Buffer.from(found.bytes).toString('utf8')) as ReferrerManifest;
    } catch {
      skipped.push(`${digest}, not JSON`);
      return undefined;
    }
    const type = typeof manifest.artifactType === 'string' ? manifest.artifactType : typeof manifest.config?.mediaType === 'string' ? manifest.config.mediaType : '';
    if (!type.startsWith(BUNDLE_PREFIX)) return undefined; // another artifact (an SBOM, a Notation signature): not cosign's
    if (manifest.subject?.digest !== subject) {
      skipped.push(`${digest}, whose subject is ${String(manifest.subject?.digest ?? 'missing')}`);
      return undefined;
    }
    const layers = Array.isArray(manifest.layers) ? manifest.layers : [];
    const layer = layers[0];
    if (layers.length !== 1 || typeof layer?.mediaType !== 'string' || !layer.mediaType.startsWith(BUNDLE_PREFIX) || typeof layer.digest !== 'string' || !layer.digest.startsWith('sha256:')) {
      skipped.push(`${digest}, which does not hold exactly one sigstore bundle layer`);
      return undefined;
    }
    if (typeof layer.size === 'number' && layer.size > MAX_SIGNATURE_BYTES) throw new TransportError('malformed', `the bundle ${layer.digest} of referrer ${digest} is larger than ${MAX_SIGNATURE_BYTES} bytes`);
    const bytes = await this.registry.blob(ref, layer.digest, this.credentials, MAX_SIGNATURE_BYTES);
    const annotations = stringsOf(manifest.annotations);
    return untrustedBlob({
      format: 'sigstore-bundle',
      mediaType: layer.mediaType,
      bytes,
      location: `referrer ${digest} of ${ref.domain}/${ref.path}`,
      ...(annotations ? { annotations } : {}),
    });
  }
}

/** The `manifests` of an OCI index, or a malformed-store failure. */
function manifestsOf(bytes: Uint8Array, where: string): Descriptor[] {
  let index: { manifests?: unknown };
  try {
    index = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof index;
  } catch {
    throw new TransportError('malformed', `${where} is not JSON`);
  }
  if (index.manifests === undefined || index.manifests === null) return [];
  if (!Array.isArray(index.manifests)) throw new TransportError('malformed', `${where} has no manifests list`);
  if (index.manifests.length > MAX_SIGNATURES * 8) throw new TransportError('too-many', `${where} lists ${index.manifests.length} referrers`);
  return index.manifests as Descriptor[];
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
