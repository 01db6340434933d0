// Where cosign keeps an image's signatures, read for sigstoreSigned requirements: bundles
// attached as OCI 1.1 referrers (cosign 3's default) and the legacy `sha256-<hex>.sig`
// tag (cosign ≤ 2, and `--new-bundle-format=false`). Both are read, always: gate judges
// whichever verifies, and says what it found where. The same lookups run against the
// image's registry, another repository of it (cosign's COSIGN_REPOSITORY), or an OCI
// image layout folder (what `cosign save` writes), behind one small interface, Content.
//
// Referrers in a registry: GET /v2/<repo>/referrers/<digest>?artifactType=<bundle type>,
// following `Link: rel="next"` pages on the same registry. A registry without the API
// answers 404; the client then reads the fallback tag `sha256-<hex>` (an OCI index), whose
// absence or invalidity means "no referrers" (distribution-spec). A listing is a hint
// only (writers such as go-containerregistry leave artifactType out): each candidate
// manifest is read by digest and must itself say it is a sigstore bundle, name this
// digest as its subject, and hold exactly one bundle layer. Any other answer than a clean
// "none" — 401, 403, 429, 5xx, a timeout — fails the lookup (AUTH_FAILED, THROTTLED,
// UNREACHABLE, TIMEOUT), never "unsigned": cosign reports a throttled listing as "no
// signatures found".

import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { untrustedBlob } from '../evidence.js';
import { readBounded } from '../input/bounded-read.js';
import { MANIFEST_MEDIA_TYPES, type RegistryClient } from '../registry/client.js';
import type { CredentialCandidate } from '../registry/credentials.js';
import { TransportError } from '../registry/http.js';
import type { ImageReference } from '../reference/reference.js';

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

export interface Descriptor {
  mediaType?: unknown;
  digest?: unknown;
  artifactType?: unknown;
  annotations?: unknown;
}

/** What the cosign lookups read: a registry repository, or an OCI image layout. */
export interface Content {
  /** `registry/repo`, or `OCI layout <folder>`, for messages. */
  readonly label: string;
  /** A manifest by tag or digest (digest-checked); undefined when there is none. */
  manifest(reference: string, accept: string[]): Promise<{ bytes: Uint8Array; mediaType: string } | undefined>;
  /** A blob by digest, digest-checked and bounded. */
  blob(digest: string, maxBytes: number): Promise<Uint8Array>;
  /** The candidate referrers of `digest`, with where they were listed. */
  referrers(digest: string): Promise<{ descriptors: Descriptor[]; where: string }>;
}

interface ReferrerManifest {
  artifactType?: unknown;
  config?: { mediaType?: unknown };
  subject?: { digest?: unknown };
  layers?: Array<{ mediaType?: unknown; digest?: unknown; size?: unknown }>;
  annotations?: unknown;
}

interface LegacyManifest {
  layers?: Array<{ digest?: unknown; mediaType?: unknown; annotations?: unknown }>;
}

export class CosignStorage implements SignatureSource {
  constructor(
    private readonly content: Content,
    /** Says where the signatures are kept when it is not the image's repository. */
    private readonly kept?: string,
  ) {}

  async lookup(ref: ImageReference, digest: string): Promise<EvidenceLookup> {
    const searched = `cosign storage of ${ref.domain}/${ref.path}@${digest}${this.kept ? ` in ${this.kept}` : ''}`;
    try {
      const bundles = await this.bundles(digest);
      const legacy = await this.legacy(digest);
      const note = bundles.skipped.length > 0 ? `referrers left aside: ${bundles.skipped.join('; ')}` : undefined;
      return {
        ok: true,
        blobs: [...bundles.blobs, ...legacy.blobs],
        searched: `${searched}: ${bundles.where} (${count(bundles.blobs.length, 'sigstore bundle')}); ${legacy.where} (${count(legacy.blobs.length, 'layer')})`,
        ...(note ? { note } : {}),
      };
    } catch (e) {
      if (e instanceof TransportError) return { ok: false, failure: e.failure, searched };
      throw e;
    }
  }

  /** The bundle referrers, checked one by one. */
  private async bundles(digest: string): Promise<{ blobs: UntrustedBlob[]; where: string; skipped: string[] }> {
    const listed = await this.content.referrers(digest);
    const skipped: string[] = [];
    const blobs: UntrustedBlob[] = [];
    let read = 0;
    for (const descriptor of listed.descriptors) {
      if (typeof descriptor !== 'object' || descriptor === null || Array.isArray(descriptor)) {
        skipped.push('an entry that is not a descriptor');
        continue;
      }
      const type = typeof descriptor.artifactType === 'string' ? descriptor.artifactType : undefined;
      // A hint only: a typed descriptor of another kind is skipped, an untyped or empty-typed one is read and checked.
      if (type !== undefined && !type.startsWith(BUNDLE_PREFIX) && type !== EMPTY_CONFIG) continue;
      if (typeof descriptor.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(descriptor.digest)) {
        skipped.push('a descriptor without a sha256 digest');
        continue;
      }
      // Every candidate read counts, bundle or not: a listing cannot make gate read without end.
      if (++read > MAX_SIGNATURES) throw new TransportError('too-many', `${listed.where} lists more than ${MAX_SIGNATURES} candidate sigstore bundles`);
      const blob = await this.referrer(digest, descriptor.digest, skipped);
      if (blob) blobs.push(blob);
    }
    return { blobs, where: listed.where, skipped };
  }

  /** One candidate referrer, checked for itself; undefined (with why in `skipped`) when it is not a bundle of this digest. */
  private async referrer(subject: string, digest: string, skipped: string[]): Promise<UntrustedBlob | undefined> {
    const found = await this.content.manifest(digest, [OCI_MANIFEST]);
    if (!found) {
      skipped.push(`${digest}, listed but not there`);
      return undefined;
    }
    let manifest: ReferrerManifest;
    try {
      manifest = JSON.parse(Buffer.from(found.bytes).toString('utf8')) as ReferrerManifest;
    } catch {
      skipped.push(`${digest}, not JSON`);
      return undefined;
    }
    if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
      skipped.push(`${digest}, not a JSON object`);
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
    const bytes = await this.content.blob(layer.digest, MAX_SIGNATURE_BYTES);
    const annotations = stringsOf(manifest.annotations);
    return untrustedBlob({ format: 'sigstore-bundle', mediaType: layer.mediaType, bytes, location: `referrer ${digest} in ${this.content.label}`, ...(annotations ? { annotations } : {}) });
  }

  private async legacy(digest: string): Promise<{ blobs: UntrustedBlob[]; where: string }> {
    return { blobs: await legacySignatures(this.content, digest), where: `the legacy tag ${digest.replace(':', '-')}.sig` };
  }
}

/**
 * The `sha256-<hex>.sig` manifest: one signature per layer, with its annotations, as
 * containers/image reads sigstore attachments (an OCI image manifest, every layer fetched
 * and digest-checked; a broken attachment fails the lookup). None when there is no tag.
 */
export async function legacySignatures(content: Content, digest: string): Promise<UntrustedBlob[]> {
  const tag = `${digest.replace(':', '-')}.sig`;
  // Ask for every manifest type, then insist on an OCI image manifest (containers/image).
  const manifest = await content.manifest(tag, MANIFEST_MEDIA_TYPES);
  if (!manifest) return [];
  if (manifest.mediaType !== OCI_MANIFEST) throw new TransportError('malformed', `${content.label}:${tag} is a ${manifest.mediaType || 'manifest of unknown type'}, not an OCI image manifest`);
  let parsed: LegacyManifest | null;
  try {
    parsed = JSON.parse(Buffer.from(manifest.bytes).toString('utf8')) as LegacyManifest | null;
  } catch {
    throw new TransportError('malformed', `${content.label}:${tag} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TransportError('malformed', `${content.label}:${tag} is not a JSON object`);
  const layers = parsed.layers ?? [];
  if (!Array.isArray(layers) || layers.some((l) => typeof l !== 'object' || l === null || Array.isArray(l))) throw new TransportError('malformed', `${content.label}:${tag} has no list of layer descriptors`);
  if (layers.length > MAX_SIGNATURES) throw new TransportError('too-many', `${content.label}:${tag} has more than ${MAX_SIGNATURES} layers`);
  const blobs: UntrustedBlob[] = [];
  for (const [i, layer] of layers.entries()) {
    if (typeof layer.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(layer.digest)) throw new TransportError('malformed', `${content.label}:${tag} has a layer without a sha256 digest`);
    const bytes = await content.blob(layer.digest, MAX_SIGNATURE_BYTES);
    const annotations = stringsOf(layer.annotations);
    blobs.push(untrustedBlob({ format: 'sigstore-attachment', bytes, location: `${content.label}:${tag} layer ${i + 1} (${layer.digest})`, ...(typeof layer.mediaType === 'string' ? { mediaType: layer.mediaType } : {}), ...(annotations ? { annotations } : {}) }));
  }
  return blobs;
}

// ——— a registry repository ———

/** `repository`: where the signatures are (the image's own, or COSIGN_REPOSITORY's). */
export function registryContent(registry: RegistryClient, repository: ImageReference, credentials: CredentialCandidate[]): Content {
  const label = `${repository.domain}/${repository.path}`;
  return {
    label,
    manifest: (reference, accept) => registry.manifest(repository, reference, credentials, accept),
    blob: (digest, maxBytes) => registry.blob(repository, digest, credentials, maxBytes),
    async referrers(digest) {
      let next: string | undefined = `/v2/${repository.path}/referrers/${digest}?artifactType=${encodeURIComponent(BUNDLE_ARTIFACT_TYPE)}`;
      const descriptors: Descriptor[] = [];
      for (let page = 0; next !== undefined; page++) {
        if (page === MAX_PAGES) throw new TransportError('too-many', `the referrers listing of ${label}@${digest} runs past ${MAX_PAGES} pages`);
        const answer = await registry.referrers(repository, next, credentials, MAX_INDEX_BYTES);
        if (!answer) {
          if (page > 0) throw new TransportError('unreachable', `page ${page + 1} of the referrers listing of ${label}@${digest} answered 404`);
          return fallbackTag(this, digest, `the referrers fallback tag ${digest.replace(':', '-')} (${repository.domain} has no referrers API)`);
        }
        descriptors.push(...manifestsOf(answer.bytes, `the referrers listing of ${label}@${digest}`));
        next = answer.next;
      }
      return { descriptors, where: 'the referrers API' };
    },
  };
}

/** The `sha256-<hex>` index that writers keep where there is no referrers API; absent or invalid: no referrers. */
async function fallbackTag(content: Content, digest: string, where: string): Promise<{ descriptors: Descriptor[]; where: string }> {
  const index = await content.manifest(digest.replace(':', '-'), [OCI_INDEX]);
  if (!index) return { descriptors: [], where };
  try {
    return { descriptors: manifestsOf(index.bytes, where), where };
  } catch {
    return { descriptors: [], where: `${where}, which is not an OCI index` };
  }
}

// ——— an OCI image layout ———

const REF_NAME = 'org.opencontainers.image.ref.name';
/** `cosign save`'s kind annotation on the descriptors of index.json. */
const COSIGN_KIND = 'kind';
const COSIGN_IMAGE_KINDS = new Set(['dev.cosignproject.cosign/image', 'dev.cosignproject.cosign/imageIndex']);
const COSIGN_SIGS = 'dev.cosignproject.cosign/sigs';
const COSIGN_ATTS = 'dev.cosignproject.cosign/atts';
const MAX_LAYOUTS = 1000;

/**
 * One OCI image layout (oci-layout, index.json, blobs/sha256/…): tags are the
 * `org.opencontainers.image.ref.name` of index.json's descriptors; `cosign save`'s
 * signatures (kind dev.cosignproject.cosign/sigs) are the `.sig` of the image saved beside
 * them; referrers are the bundle manifests index.json lists, and a fallback index.
 * Every read is bounded; blobs are checked against their digest.
 */
export function layoutContent(dir: string, label: string): Content {
  let index: Promise<Descriptor[]> | undefined;
  const descriptors = () => (index ??= readIndex(dir, label));
  const byTag = async (tag: string): Promise<Descriptor | undefined> => {
    const list = await descriptors();
    const named = list.find((d) => stringsOf(d.annotations)?.[REF_NAME] === tag);
    if (named) return named;
    // cosign save: the signatures of the one image of the layout.
    const sig = /^(sha256)-([0-9a-f]{64})\.sig$/.exec(tag);
    if (!sig) return undefined;
    const image = list.find((d) => COSIGN_IMAGE_KINDS.has(stringsOf(d.annotations)?.[COSIGN_KIND] ?? ''));
    if (image?.digest !== `${sig[1]}:${sig[2]}`) return undefined;
    return list.find((d) => stringsOf(d.annotations)?.[COSIGN_KIND] === COSIGN_SIGS);
  };
  const content: Content = {
    label,
    async manifest(reference, accept) {
      const descriptor = reference.startsWith('sha256:') ? { digest: reference, mediaType: undefined } : await byTag(reference);
      if (!descriptor || typeof descriptor.digest !== 'string') return undefined;
      const bytes = await readBlob(dir, label, descriptor.digest, MAX_INDEX_BYTES, true);
      if (!bytes) return undefined;
      let mediaType = typeof descriptor.mediaType === 'string' ? descriptor.mediaType : '';
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
      } catch {
        throw new TransportError('malformed', `${label}: manifest ${descriptor.digest} is not JSON`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TransportError('malformed', `${label}: manifest ${descriptor.digest} is not a JSON object`);
      const declared = (parsed as { mediaType?: unknown }).mediaType;
      if (typeof declared === 'string') mediaType = declared;
      if (accept.length > 0 && mediaType !== '' && !accept.includes(mediaType)) return undefined;
      return { bytes, mediaType };
    },
    async blob(digest, maxBytes) {
      const bytes = await readBlob(dir, label, digest, maxBytes, false);
      if (!bytes) throw new TransportError('malformed', `${label} lacks blob ${digest}`);
      return bytes;
    },
    async referrers(digest) {
      const list = await descriptors();
      const listed = list.filter((d) => {
        const kind = stringsOf(d.annotations)?.[COSIGN_KIND];
        return !(kind && (COSIGN_IMAGE_KINDS.has(kind) || kind === COSIGN_SIGS || kind === COSIGN_ATTS)) && d.digest !== digest && d.mediaType !== OCI_INDEX;
      });
      const fallback = await fallbackTag(content, digest, 'the fallback tag');
      return { descriptors: [...listed, ...fallback.descriptors], where: `the manifests of ${label}` };
    },
  };
  return content;
}

async function readIndex(dir: string, label: string): Promise<Descriptor[]> {
  const marker = await readBounded(path.join(dir, 'oci-layout'), 4096, { noFollow: true });
  if (marker.kind !== 'ok') throw new TransportError('malformed', `${label} is not an OCI image layout (no oci-layout file)`);
  const read = await readBounded(path.join(dir, 'index.json'), MAX_INDEX_BYTES, { noFollow: true });
  if (read.kind !== 'ok') throw new TransportError('malformed', `${label} has no readable index.json${read.kind === 'too-large' ? ' (too large)' : ''}`);
  return manifestsOf(read.bytes, `${label}/index.json`).filter((d) => typeof d === 'object' && d !== null && !Array.isArray(d));
}

/** A blob of the layout, checked against its digest; undefined when absent (`optional`). */
async function readBlob(dir: string, label: string, digest: string, maxBytes: number, optional: boolean): Promise<Uint8Array | undefined> {
  const match = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!match) throw new TransportError('malformed', `${label}: ${digest} is not a sha256 digest`);
  const read = await readBounded(path.join(dir, 'blobs', 'sha256', match[1]), maxBytes, { noFollow: true });
  if (read.kind === 'absent' && optional) return undefined;
  if (read.kind !== 'ok') throw new TransportError('malformed', `${label}: blob ${digest} ${read.kind === 'too-large' ? `is larger than ${maxBytes} bytes` : read.kind === 'absent' ? 'is missing' : `cannot be read: ${read.message}`}`);
  if (createHash('sha256').update(read.bytes).digest('hex') !== match[1]) throw new TransportError('malformed', `${label}: blob ${digest} does not match its digest`);
  return read.bytes;
}

/**
 * The layouts under a configured folder: the folder itself when it is one, else each
 * sub-folder that is one (`cosign save --dir` writes one per image).
 */
export async function layoutsUnder(dir: string): Promise<string[]> {
  const self = await readBounded(path.join(dir, 'oci-layout'), 4096, { noFollow: true });
  if (self.kind === 'ok') return [dir];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const folders = entries.filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name)).sort();
  if (folders.length > MAX_LAYOUTS) throw new TransportError('too-many', `${dir} holds more than ${MAX_LAYOUTS} folders`);
  const layouts: string[] = [];
  for (const folder of folders) {
    const marker = await readBounded(path.join(folder, 'oci-layout'), 4096, { noFollow: true });
    if (marker.kind === 'ok') layouts.push(folder);
  }
  return layouts;
}

/** The `manifests` of an OCI index, or a malformed-store failure. */
function manifestsOf(bytes: Uint8Array, where: string): Descriptor[] {
  let index: { manifests?: unknown } | null;
  try {
    index = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof index;
  } catch {
    throw new TransportError('malformed', `${where} is not JSON`);
  }
  if (typeof index !== 'object' || index === null || Array.isArray(index)) throw new TransportError('malformed', `${where} is not a JSON object`);
  if (index.manifests === undefined || index.manifests === null) return [];
  if (!Array.isArray(index.manifests)) throw new TransportError('malformed', `${where} has no manifests list`);
  if (index.manifests.length > MAX_SIGNATURES * 8) throw new TransportError('too-many', `${where} lists ${index.manifests.length} manifests`);
  return index.manifests as Descriptor[];
}

/** The string-valued annotations of a descriptor (others are not annotations an evaluator can read). */
export function stringsOf(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
