// Which signature stores hold the evidence for an image, in what order, and the one
// memo of their lookups. containers/image's order with one difference: a configured
// lookaside (the policy's storeURL, else registries.d) is read directly; the registry's
// signature API is asked only when no lookaside is configured. Sigstore attachments are
// appended where registries.d asks for them. A new store is one file and a line here.

import type { Warning } from '../errors.js';
import { evidenceKey } from '../cache/key.js';
import { once } from '../memo.js';
import { lookasideFor, sigstoreAttachmentsFor, type LookasideChoice, type RegistriesConfig } from '../policy/registries-d.js';
import type { PolicyResource, RepositoryRule } from '../policy/types.js';
import { repositoryName, type ImageReference } from '../reference/reference.js';
import type { RegistryClient } from '../registry/client.js';
import { credentialKey, type Credential, type CredentialCandidate } from '../registry/credentials.js';
import type { HttpClient } from '../registry/http.js';
import { SigstoreAttachments } from './attachments.js';
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
  /** Whether gate predicts an in-cluster webhook (Portieris), whose own store choice it then warns about; default true. */
  webhook?: boolean;
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
  private readonly warned = new Map<RepositoryRule, Set<string>>();

  constructor(private readonly options: StoresOptions) {}

  /**
   * The store chosen for an image, by its identity (for cache keys: what a verdict's
   * evidence came from). Says, once per policy entry, when the webhook would not read it:
   * here and not in the lookup, so that a verdict from the cache carries the warning too.
   */
  choose(ref: ImageReference, rule: RepositoryRule, resource: PolicyResource): string {
    const storeURL = rule.policy.simple?.storeURL;
    const choice = lookasideFor(this.options.registries, ref);
    if (!storeURL && choice && this.options.webhook !== false) this.warnAboutWebhookStore(resource, rule, choice);
    return storeURL ?? choice?.base ?? `registry:${ref.domain}`;
  }

  /** Every blob stored for `digest`, once per store, repository, digest and credentials in the run. */
  lookup(ref: ImageReference, digest: string, context: LookupContext): Promise<EvidenceLookup> {
    const { rule, resource, namespace, credentials } = context;
    const storeURL = rule.policy.simple?.storeURL;
    const choice = lookasideFor(this.options.registries, ref);
    if (!storeURL && choice && this.options.webhook !== false) this.warnAboutWebhookStore(resource, rule, choice);
    const base = storeURL ?? choice?.base;
    const storeSecret = storeURL ? rule.policy.simple?.storeSecret : undefined;
    const attachments = this.options.network !== undefined && sigstoreAttachmentsFor(this.options.registries, ref);
    const key = evidenceKey({
      store: base ?? '(registry)',
      repository: `${ref.domain}/${ref.path}`,
      digest,
      attachments,
      storeSecret: storeURL ? `${storeSecret ?? ''}\u0000${namespace}` : '',
      credentials: credentialKey(credentials),
    });
    return once(this.lookups, key, async () => {
      let source = await this.primary(ref, base, storeSecret, namespace, credentials);
      if (attachments) source = appended(source, new SigstoreAttachments(this.options.network!.registry, credentials));
      const found = await source.lookup(ref, digest);
      return found.ok && base === undefined ? { ...found, unconfigured: unconfiguredHint(ref) } : found;
    });
  }

  private async primary(ref: ImageReference, base: string | undefined, storeSecret: string | undefined, namespace: string, credentials: CredentialCandidate[]): Promise<SignatureSource> {
    const network = this.options.network;
    if (base?.startsWith('file:')) return fileLookaside(base, this.options.show);
    if (base !== undefined) {
      if (!network) return offline(`signatures for ${repositoryName(ref)} are in an HTTP lookaside (${new URL(base).origin}), and this run is offline`);
      const credential = storeSecret ? await network.credentials.storeCredential(namespace, storeSecret) : undefined;
      return httpLookaside(base, network.http, credential, network.cleartextAllowed);
    }
    if (!network) return nowhere(`nowhere: no registries.d scope covers ${repositoryName(ref)} and the policy sets no storeURL`);
    const ping = await network.registry.ping(ref.domain);
    if (ping.supportsSignatures) return new ExtensionApiSource(network.registry, credentials);
    return nowhere(`nowhere: ${ref.domain} has no signature API, no registries.d scope covers ${repositoryName(ref)} and the policy sets no storeURL`);
  }

  /**
   * Without storeURL, Portieris does not read registries.d: it finds signatures only
   * through the registry's signature API. Say so once per policy entry and registries.d
   * scope that gate used: every scope, whichever image a concurrent run decides first.
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
