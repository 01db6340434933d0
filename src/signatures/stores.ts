// Which signature stores hold the evidence for an image, in what order, and the one
// memo of their lookups. containers/image's order with one difference: a configured
// lookaside (the policy's storeURL, else registries.d) is read directly; the registry's
// signature API is asked only when no lookaside is configured. Sigstore attachments are
// appended where registries.d asks for them. A new store is one file and a line here.
//
// Where the webhook reads (the signature-store rule, policy/parity.ts): Portieris reads
// a policy's storeURL, else only the registry's signature API; never registries.d. Under
// webhook parity at level deny, an image whose policy sets no storeURL is judged on the
// registry's signature API, and a registries.d lookaside is read only to explain a denial
// (`gateOnly` of the plan). A scope opted into gate-only evidence in config.yaml, level
// warn or off, and `webhook: none` read the registries.d lookaside as containers/image
// does. A storeURL with a declared local mirror is read from the mirror: the same files.

import { pathToFileURL } from 'node:url';
import type { Warning } from '../errors.js';
import type { EvidenceCache } from '../cache/evidence-cache.js';
import { evidenceKey } from '../cache/key.js';
import { once } from '../memo.js';
import { lookasideFor, sigstoreAttachmentsFor, type LookasideChoice, type RegistriesConfig } from '../policy/registries-d.js';
import type { CosignStore, RuleLevel, StoreMirror, GateOnlyScope } from '../policy/settings.js';
import type { PolicyResource, RepositoryRule } from '../policy/types.js';
import { repositoryName, type ImageReference } from '../reference/reference.js';
import type { RegistryClient } from '../registry/client.js';
import { credentialKey, type Credential, type CredentialCandidate } from '../registry/credentials.js';
import { TransportError, type HttpClient } from '../registry/http.js';
import { SigstoreAttachments } from './attachments.js';
import { CosignStorage, layoutContent, layoutsUnder, registryContent } from './cosign.js';
import type { EvidenceLookup } from './evidence.js';
import { ExtensionApiSource } from './extension-api.js';
import { fileLookaside, httpLookaside } from './lookaside.js';
import { nowhere, type SignatureSource } from './source.js';

/** What the stores need of the network; absent when the run is offline. */
export interface StoreNetwork {
  registry: RegistryClient;
  http: HttpClient;
  credentials: { storeCredential(namespace: string, name: string): Promise<Credential | undefined> };
  cleartextAllowed(hostPort: string): boolean;
}

export interface StoresOptions {
  registries: RegistriesConfig;
  network?: StoreNetwork;
  /** File path -> name for messages. */
  show: (file: string) => string;
  warn: (warning: Warning) => void;
  /**
   * The signature-store rule: `deny` reads only where Portieris reads, `warn` reads a
   * registries.d lookaside and says Portieris would not, `off` (and `webhook: none`) reads
   * it silently. Default: off.
   */
  rule?: RuleLevel;
  /** config.yaml's signatureStores: local mirrors of storeURLs, scopes opted into gate-only evidence. */
  mirrors?: readonly StoreMirror[];
  gateOnly?: readonly GateOnlyScope[];
  /** Evidence kept between runs (cache/): read before a network store, written after it. */
  cache?: EvidenceCache;
  /** config.yaml's signatureStores.cosign: where the cosign signatures of a scope are, when not beside the image. */
  cosign?: readonly CosignStore[];
}

/** One store to read: a lookaside base, the registry's signature API (`base` absent), or the image's cosign storage. */
export interface StoreSpec {
  /** The store's identity, for cache keys and memos. */
  id: string;
  /**
   * `only`: the image's cosign storage alone (every requirement is a cosign kind); `also`:
   * read after the primary store (the policy mixes cosign and other requirements).
   */
  cosign?: 'only' | 'also';
  base?: string;
  /** Set when `base` is a declared local mirror of this storeURL. */
  mirrorOf?: StoreMirror;
  /** The registry's API read in Portieris' place, while a registries.d scope covers the image (it is not read). */
  webhookOnly?: boolean;
  /** Set when `base` is a registries.d lookaside read although Portieris cannot: the opt-in, if any. */
  gateOnly?: { scope: string; origin: LookasideChoice['origin']; optIn?: GateOnlyScope };
}

/** Where the verdict's evidence is read, and a store only gate reads that may explain its denial. */
export interface StorePlan {
  primary: StoreSpec;
  /** Under the rule at deny: the registries.d lookaside gate could read, which Portieris does not. */
  unread?: StoreSpec & { gateOnly: NonNullable<StoreSpec['gateOnly']> };
}

/** Who asks: the policy rule that chose the image, and the workload's namespace and credentials. */
export interface LookupContext {
  rule: RepositoryRule;
  resource: PolicyResource;
  namespace: string;
  credentials: CredentialCandidate[];
}

export class SignatureStores {
  private readonly lookups = new Map<string, Promise<EvidenceLookup>>();
  // One warning per policy entry and scope (rule at warn).
  private readonly warned = new Map<RepositoryRule, Set<string>>();

  constructor(private readonly options: StoresOptions) {}

  /**
   * The stores for an image (`primary`'s id keys the verdict cache). Says, once per policy
   * entry and scope, when the rule is at warn: here and not in the lookup, so that a
   * verdict from the cache carries the warning too.
   */
  plan(ref: ImageReference, rule: RepositoryRule, resource: PolicyResource): StorePlan {
    const storeURL = rule.policy.simple?.storeURL;
    if (storeURL) {
      const mirror = this.options.mirrors?.find((m) => m.storeURL === storeURL.replace(/\/+$/, ''));
      if (!mirror) return { primary: { id: storeURL, base: storeURL } };
      const base = pathToFileURL(mirror.path).href;
      return { primary: { id: `${storeURL}\u0000mirror\u0000${base}`, base, mirrorOf: mirror } };
    }
    const choice = lookasideFor(this.options.registries, ref);
    const api: StoreSpec = { id: `registry:${ref.domain}` };
    if (!choice) return { primary: api };
    const optIn = this.options.gateOnly?.find((g) => g.scope === choice.scope);
    const lookaside: StoreSpec & { gateOnly: NonNullable<StoreSpec['gateOnly']> } = { id: choice.base, base: choice.base, gateOnly: { scope: choice.scope, origin: choice.origin, ...(optIn ? { optIn } : {}) } };
    const level = this.options.rule ?? 'off';
    if (optIn || level === 'off') return { primary: lookaside };
    if (level === 'warn') {
      this.warnAboutWebhookStore(resource, rule, choice);
      return { primary: lookaside };
    }
    return { primary: { ...api, webhookOnly: true }, unread: lookaside };
  }

  /**
   * Every blob stored for `digest` in `store`, once per store, repository, digest and
   * credentials in the run. A network store's evidence may come from the cache of an
   * earlier run (`cached`); `fresh` fetches it again, and that answer is the run's from then on.
   */
  lookup(ref: ImageReference, digest: string, store: StoreSpec, context: LookupContext, fresh = false): Promise<EvidenceLookup> {
    const { rule, namespace, credentials } = context;
    const storeURL = rule.policy.simple?.storeURL;
    const base = store.base;
    // A mirror holds the storeURL's files: its storeSecret is for the web server, not the folder.
    const storeSecret = storeURL && !store.mirrorOf ? rule.policy.simple?.storeSecret : undefined;
    // The cosign storage includes the .sig tag that registries.d's use-sigstore-attachments would add.
    const attachments = this.options.network !== undefined && store.cosign === undefined && sigstoreAttachmentsFor(this.options.registries, ref);
    const storeId = store.cosign === 'also' ? `${store.id}\u0000cosign` : store.id;
    const key = evidenceKey({
      store: storeId,
      repository: `${ref.domain}/${ref.path}`,
      digest,
      attachments,
      storeSecret: storeSecret ? `${storeSecret}\u0000${namespace}` : '',
      credentials: credentialKey(credentials),
    });
    const shared = this.shareable(store, storeSecret, attachments, credentials) && !(store.cosign && cosignStoreFor(this.options.cosign ?? [], ref)?.layout) ? { store: storeId, repository: `${ref.domain}/${ref.path}`, digest, attachments } : undefined;
    const described = (found: EvidenceLookup & { ok: true }): EvidenceLookup => {
      const label = storeLabel(store);
      if (label) return { ...found, searched: `${found.searched} (${label})` };
      return base === undefined && !store.webhookOnly && store.cosign === undefined ? { ...found, unconfigured: unconfiguredHint(ref) } : found;
    };
    const fetch = async (): Promise<EvidenceLookup> => {
      let source = store.cosign === 'only' ? this.cosign(ref, credentials) : await this.primary(ref, base, storeSecret, namespace, credentials, store.webhookOnly === true);
      if (attachments) source = appended(source, new SigstoreAttachments(this.options.network!.registry, credentials));
      if (store.cosign === 'also') source = appended(source, this.cosign(ref, credentials));
      const found = await source.lookup(ref, digest);
      if (!found.ok) return found;
      if (shared) this.options.cache?.put(shared, found);
      return described(found);
    };
    if (fresh) {
      const pending = fetch();
      this.lookups.set(key, pending);
      return pending;
    }
    return once(this.lookups, key, async () => {
      const hit = shared && (await this.options.cache?.get(shared));
      if (!hit) return fetch();
      const searched = `${hit.searched} (read from the evidence cache: fetched ${new Date(hit.fetched).toISOString()})`;
      return described({ ok: true, blobs: hit.blobs, searched, cached: true });
    });
  }

  /**
   * The image's cosign storage (signatures/cosign.ts): an OCI layout folder or another
   * repository config.yaml declares for its scope, else the image's own repository;
   * offline without a layout, a failure that says so.
   */
  private cosign(ref: ImageReference, credentials: CredentialCandidate[]): SignatureSource {
    const declared = cosignStoreFor(this.options.cosign ?? [], ref);
    const at = declared ? `, declared at ${declared.origin.file}:${declared.origin.line}` : '';
    if (declared?.layout) return layoutSource(declared.layout, this.options.show(declared.layout), at);
    const network = this.options.network;
    if (!network) return offline(`cosign signatures are in ${declared?.repository ?? `the registry of ${repositoryName(ref)}`}, and this run is offline (an OCI layout folder in signatureStores.cosign of config.yaml serves offline runs)`);
    if (!declared?.repository) return new CosignStorage(registryContent(network.registry, ref, credentials));
    const slash = declared.repository.indexOf('/');
    const repository = { domain: declared.repository.slice(0, slash), path: declared.repository.slice(slash + 1) };
    return new CosignStorage(registryContent(network.registry, repository, credentials), `${declared.repository}${at}`);
  }

  /**
   * Whether what a store gives may be kept between runs and used by any workload: only
   * what was read without a credential. A folder is read again (cheap, and always
   * current); a storeSecret or a pull secret means another workload might not be let in,
   * which only the server can say.
   */
  private shareable(store: StoreSpec, storeSecret: string | undefined, attachments: boolean, credentials: CredentialCandidate[]): boolean {
    if (!this.options.cache || !this.options.network) return false;
    if (store.base?.startsWith('file:') && store.cosign !== 'only') return false;
    if (storeSecret !== undefined) return false;
    const readsRegistry = store.base === undefined || attachments || store.cosign !== undefined;
    return !readsRegistry || credentials.every((c) => c.anonymous === true);
  }

  /** `webhookOnly`: the registry's API is read in Portieris' place, while a registries.d scope covers the image. */
  private async primary(ref: ImageReference, base: string | undefined, storeSecret: string | undefined, namespace: string, credentials: CredentialCandidate[], webhookOnly: boolean): Promise<SignatureSource> {
    const network = this.options.network;
    if (base?.startsWith('file:')) return fileLookaside(base, this.options.show);
    if (base !== undefined) {
      if (!network) return offline(`signatures for ${repositoryName(ref)} are in an HTTP lookaside (${new URL(base).origin}), and this run is offline`);
      const credential = storeSecret ? await network.credentials.storeCredential(namespace, storeSecret) : undefined;
      return httpLookaside(base, network.http, credential, network.cleartextAllowed);
    }
    const why = webhookOnly ? 'the policy sets no storeURL, so Portieris reads only the registry\'s signature API' : `no registries.d scope covers ${repositoryName(ref)} and the policy sets no storeURL`;
    if (!network) return webhookOnly ? offline(`${why} of ${ref.domain}, and this run is offline`) : nowhere(`nowhere: ${why}`);
    const ping = await network.registry.ping(ref.domain);
    if (ping.supportsSignatures) return new ExtensionApiSource(network.registry, credentials);
    return nowhere(`nowhere: ${ref.domain} has no signature API, and ${why}`);
  }

  /**
   * Without storeURL, Portieris does not read registries.d: it finds signatures only
   * through the registry's signature API. Said (rule at warn) once per policy entry and
   * registries.d scope that gate used: every scope, whichever image a concurrent run decides first.
   */
  private warnAboutWebhookStore(resource: PolicyResource, rule: RepositoryRule, choice: LookasideChoice): void {
    const scopes = this.warned.get(rule) ?? new Set<string>();
    if (scopes.has(choice.scope)) return;
    scopes.add(choice.scope);
    this.warned.set(rule, scopes);
    this.options.warn({
      ...rule.origin,
      message: `${resource.kind}/${resource.name} repository "${rule.name}" sets no simple.storeURL: gate read signatures from the lookaside of ${choice.origin.file} (scope ${choice.scope}), but Portieris in the cluster reads only the registry's signature API then; publish the lookaside over https and set storeURL so that the webhook finds the same signatures`,
    });
  }
}

/**
 * What a verdict must say about a store that is not the webhook's own: a declared local
 * mirror of the storeURL, or a lookaside opted into gate-only evidence. Undefined otherwise.
 */
export function storeLabel(store: StoreSpec): string | undefined {
  if (store.mirrorOf) return `the local mirror of storeURL ${store.mirrorOf.storeURL}, declared at ${store.mirrorOf.origin.file}:${store.mirrorOf.origin.line}; the webhook reads the storeURL itself`;
  if (store.gateOnly?.optIn) return `gate-only evidence: registries.d scope ${store.gateOnly.scope}, opted in at ${store.gateOnly.optIn.origin.file}:${store.gateOnly.optIn.origin.line}; Portieris does not read it`;
  return undefined;
}

/** The most specific signatureStores.cosign entry whose scope covers the image (a host, or a host/path prefix by whole segments). */
export function cosignStoreFor(stores: readonly CosignStore[], ref: ImageReference): CosignStore | undefined {
  const name = repositoryName(ref);
  return stores.filter((s) => name === s.scope || name.startsWith(`${s.scope}/`)).sort((a, b) => b.scope.length - a.scope.length)[0];
}

/** Every OCI layout under a configured folder, read as one cosign storage. */
function layoutSource(dir: string, shown: string, declared: string): SignatureSource {
  let layouts: Promise<string[]> | undefined;
  return {
    async lookup(ref, digest) {
      const where = `the OCI layout folder ${shown}${declared}`;
      let found: string[];
      try {
        found = await (layouts ??= layoutsUnder(dir));
      } catch (e) {
        if (e instanceof TransportError) return { ok: false, failure: e.failure, searched: where };
        throw e;
      }
      if (found.length === 0) return { ok: true, blobs: [], searched: where, note: `${shown} holds no OCI image layout (an oci-layout file, as cosign save --dir writes)` };
      const blobs = [];
      const searched = [];
      for (const layout of found) {
        const result = await new CosignStorage(layoutContent(layout, `OCI layout ${found.length === 1 ? shown : `${shown}/${layout.slice(dir.length + 1)}`}`)).lookup(ref, digest);
        if (!result.ok) return result;
        blobs.push(...result.blobs);
        if (result.blobs.length > 0 || found.length === 1) searched.push(result.searched);
      }
      return { ok: true, blobs, searched: `${where}: ${searched.length > 0 ? searched.join('; ') : `none of its ${found.length} layouts holds signatures of ${digest}`}` };
    },
  };
}

/** c/image's order: the primary store, then the attachments appended. */
function appended(primary: SignatureSource, extra: SignatureSource): SignatureSource {
  return {
    async lookup(ref, digest) {
      const first = await primary.lookup(ref, digest);
      if (!first.ok) return first;
      const second = await extra.lookup(ref, digest);
      if (!second.ok) return second;
      return { ok: true, blobs: [...first.blobs, ...second.blobs], searched: `${first.searched}, then ${second.searched}`, ...(first.note ? { note: first.note } : {}) };
    },
  };
}

function offline(message: string): SignatureSource {
  return { lookup: async () => ({ ok: false, failure: { kind: 'offline', message }, searched: message }) };
}

/** How to say where an image's signatures are, when neither the policy nor registries.d does. */
function unconfiguredHint(ref: ImageReference): string {
  const name = repositoryName(ref);
  return `say where the signatures of ${name} are: a registries.d file in .gate/registries.d/ with "docker: {${name.replace(/\/[^/]*$/, '')}: {lookaside: <URL>}}", or simple.storeURL in the policy`;
}
