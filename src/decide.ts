// The verdict for one (image, namespace): reference -> policy -> preflight -> digest ->
// keys -> signature store -> evaluation. The rules live in policy/ and verify/; this
// file fetches what they need, once per distinct thing (one tag resolution per
// reference, one signature lookup per store and digest, one evaluation per digest,
// identity and requirement), and turns every fetch failure into a denial with its reason.

import type { Warning } from './errors.js';
import type { ImageUse } from './manifests/extract.js';
import type { KeyStore } from './policy/keys.js';
import { lookasideFor, sigstoreAttachmentsFor, type RegistriesConfig } from './policy/registries-d.js';
import { selectPolicy, type PolicySelection } from './policy/select.js';
import type { PolicyResource, PolicySet, RepositoryRule, SignedByRequirement } from './policy/types.js';
import { parseReference, referenceString, repositoryName, withDefaultTag, type ImageReference } from './reference/reference.js';
import type { RegistryClient } from './registry/client.js';
import type { CredentialCandidate } from './registry/credentials.js';
import { TransportError, type HttpClient } from './registry/http.js';
import type { CredentialFinder } from './registry/pull-secrets.js';
import type { PolicyRef } from './report/model.js';
import { HttpLookaside } from './signatures/http-lookaside.js';
import { FileLookaside } from './signatures/lookaside.js';
import { appended, ExtensionApiSource, SigstoreAttachments } from './signatures/registry-apis.js';
import type { SignatureLookupResult, SignatureSource } from './signatures/source.js';
import { evaluateSignatures, evaluateSignedBy, preflight, type ResolvedSignedBy } from './verify/evaluate.js';
import { allow, deny, type Verdict } from './verify/verdict.js';
import { decisionKey } from './cache/key.js';
import type { VerdictStore } from './cache/verdict-store.js';
import { GATE_VERSION } from './version.js';

export interface Decision {
  verdict: Verdict;
  policy: PolicyRef | null;
  /** A tag whose digest verified, and whose digest form verifies too: what to write instead. */
  pin?: string;
}

/** What reaches the network; absent when gate runs offline. */
export interface Network {
  registry: RegistryClient;
  http: HttpClient;
  credentials: CredentialFinder;
  cleartextAllowed(hostPort: string): boolean;
}

export interface DeciderOptions {
  /** Every policy: .gate/ and those in the manifests — what Portieris would see in the cluster. */
  policies: PolicySet;
  /**
   * The .gate/ policies alone, when the manifests carry policies of their own: those
   * may make a verdict stricter, never looser (a manifest cannot unlock itself).
   */
  gatePolicies?: PolicySet;
  keys: KeyStore;
  registries: RegistriesConfig;
  now: Date;
  /** File path -> name for messages. */
  show: (file: string) => string;
  network?: Network;
  cache?: VerdictStore;
  /** Where a digest is required for every image (`--require-digest`, config.yaml); absent: only where a policy's annotation asks. */
  requireDigest?: string;
  /** Filled in by the first decision made (gate explain makes one). */
  trace?: DecisionTrace;
  /** Called when a tag was resolved to its digest (progress). */
  onTagResolved?: () => void;
}

/** What a decision looked at, in order: for `gate explain`. */
export interface DecisionTrace {
  image?: string;
  selection?: PolicySelection;
  requirements?: ResolvedSignedBy[];
  /** The reference signatures must name (a tag defaulted to latest). */
  intended?: ImageReference;
  digest?: { value: string; fromTag: boolean };
  lookup?: SignatureLookupResult;
}

export class Decider {
  private readonly digests = new Map<string, Promise<string>>();
  private readonly lookups = new Map<string, Promise<SignatureLookupResult>>();
  private readonly evaluations = new Map<string, ReturnType<typeof evaluateSignedBy>>();
  private readonly warnedRules = new Set<RepositoryRule>();
  readonly warnings: Warning[] = [];

  constructor(private readonly options: DeciderOptions) {}

  /** `pullSecrets`: the pull secrets of the uses decided together, in order. */
  async decide(use: ImageUse, pullSecrets: string[]): Promise<Decision> {
    const cluster = await this.decideUnder(this.options.policies, use, pullSecrets);
    const gatePolicies = this.options.gatePolicies;
    if (!gatePolicies || !cluster.verdict.allowed) return cluster;
    const gate = await this.decideUnder(gatePolicies, use, pullSecrets);
    if (gate.verdict.allowed) return cluster;
    return {
      ...gate,
      verdict: { ...gate.verdict, message: `${gate.verdict.message} (the .gate/ policies deny it; a policy in the manifests would allow it, but manifests cannot loosen .gate/)` },
    };
  }

  /**
   * The verdict, then what a tag reference needs: the digest form to pin (verified in
   * that form too: a pattern or signedIdentity may treat it differently), and a denial
   * when a digest is required.
   */
  private async decideUnder(policies: PolicySet, use: ImageUse, pullSecrets: string[]): Promise<Decision> {
    const decision = await this.verifyUnder(policies, use, pullSecrets);
    const parsed = parseReference(use.image);
    if (!decision.verdict.allowed || !parsed.ok || parsed.ref.digest !== undefined) return decision;

    const { verdict } = decision;
    const name = use.image.endsWith(`:${parsed.ref.tag}`) ? use.image.slice(0, -(parsed.ref.tag!.length + 1)) : use.image;
    let pin: string | undefined;
    let pinDenied: Verdict | undefined;
    if (verdict.reason === 'SIGNED' && verdict.digest) {
      const pinned = `${name}@${verdict.digest}`;
      const again = await this.decide({ ...use, image: pinned }, pullSecrets);
      if (again.verdict.allowed) pin = pinned;
      else pinDenied = again.verdict;
    }
    const selection = selectPolicy(use.image, use.namespace, policies);
    const resource = selection.found ? selection.match.resource : undefined;
    const required = this.options.requireDigest ?? (resource?.requireDigest ? `the annotation gate/require-digest of ${resource.kind}/${resource.name}` : undefined);
    if (!required) return { ...decision, pin };

    const tag = `"${use.image}" is a tag, and ${required} requires a digest`;
    if (pin) {
      return { ...decision, pin, verdict: deny('NOT_PINNED', `${tag}; it points to ${verdict.digest}, whose signature verified`, `pin it: image: ${pin} (gate pin writes this into the manifests for review)`, verdict.digest) };
    }
    if (pinDenied) {
      return { ...decision, verdict: deny('NOT_PINNED', `${tag}; it points to ${verdict.digest}, but "${name}@${verdict.digest}" would be denied (${pinDenied.reason}: ${pinDenied.message})`, 'make the policy accept the digest form (its repository pattern and signedIdentity), then pin it', verdict.digest) };
    }
    return {
      ...decision,
      verdict: deny('NOT_PINNED', `${tag}; the policy asks for no signature, so gate has no verified digest to offer`, `pin it by hand: image: ${name}@sha256:<digest> (skopeo inspect --format '{{.Digest}}' docker://${use.image}); gate pin writes only digests whose signatures it verified`),
    };
  }

  private async verifyUnder(policies: PolicySet, use: ImageUse, pullSecrets: string[]): Promise<Decision> {
    const none = (verdict: Verdict): Decision => ({ verdict, policy: null });
    // Only the first decision is traced: the one gate explain asked for, not the pinned form it leads to.
    const trace = this.options.trace && this.options.trace.image === undefined ? this.options.trace : undefined;
    if (trace) trace.image = use.image;
    if (use.problem) return none(deny(use.problem.reason, use.problem.message, use.problem.hint));
    const parsed = parseReference(use.image);
    if (!parsed.ok) {
      return none(deny('INVALID_REFERENCE', `invalid image name: ${parsed.message}`,
        /\$\(|\{\{|\$\{|^ko:\/\//.test(use.image)
          ? 'this is a placeholder: check the rendered manifests (helm template, kustomize build, the pipeline run) rather than the template'
          : 'use a valid reference: [registry/]repository[:tag] or [registry/]repository@sha256:<digest>'));
    }
    if (parsed.ref.digest !== undefined && !parsed.ref.digest.startsWith('sha256:')) {
      // Portieris reads digests as "@sha256:" only; any other algorithm makes its webhook fail, which denies.
      return none(deny('INVALID_REFERENCE', `"${parsed.ref.digest.split(':')[0]}" digests are not supported by Portieris (only sha256)`, 'pin the image by its sha256 digest'));
    }
    const selection = selectPolicy(use.image, use.namespace, policies);
    if (trace) trace.selection = selection;
    if (!selection.found) return none(deny('NO_POLICY', selection.message, this.noPolicyHint(use, parsed.ref, selection.scope, policies)));

    const { resource, rule } = selection.match;
    const policy: PolicyRef = { kind: resource.kind, name: resource.name, namespace: resource.namespace, repository: rule.name };
    const network = this.options.network;
    const pre = preflight(rule.policy, use.image, rule.name, network !== undefined);
    if (pre.done) return { verdict: { ...pre.verdict, digest: pre.verdict.digest ?? parsed.ref.digest }, policy };
    const ref = pre.ref;

    try {
      // Keys first: a missing key is a configuration error, whatever the registry says.
      const label = `${resource.kind}/${resource.name} (repository "${rule.name}")`;
      const resolved = await Promise.all(pre.requirements.map((r) => this.resolveKeys(r, use.namespace, label)));
      // Traced before the registry is asked: explain shows the keys even when the tag cannot be resolved.
      if (trace) Object.assign(trace, { requirements: resolved, intended: withDefaultTag(ref) });
      const credentials = network ? await network.credentials.candidates(use.namespace, pullSecrets, ref.domain) : [];
      const digest = ref.digest ?? (await this.resolveTag(ref, credentials));
      if (trace) trace.digest = { value: digest, fromTag: ref.digest === undefined };
      const cacheKey = decisionKey({
        gateVersion: GATE_VERSION,
        digest,
        intended: referenceString(withDefaultTag(ref)),
        requirements: resolved.map((r) => [r.keyMaterial, r.requirement.signedIdentity]),
        store: rule.policy.simple?.storeURL ?? lookasideFor(this.options.registries, ref)?.base ?? `registry:${ref.domain}`,
        // Not part of the answer between runs: see cache/key.ts.
        credentials: null,
      });
      const cached = await this.options.cache?.get(cacheKey);
      if (cached?.digest === digest) return { verdict: { ...allow(cached.reason, `${cached.message} (verified by an earlier run; cached)`), digest }, policy };
      const found = await this.lookup(ref, digest, rule, resource, use.namespace, credentials);
      if (trace) trace.lookup = found;
      if (!found.ok) return { verdict: deny(found.reason, found.message, found.hint, digest), policy };
      const verdict = await evaluateSignatures(resolved, withDefaultTag(ref), digest, found.signatures, this.options.now, (r, i, d, s, n) => {
        const key = [d, referenceString(i), r.keySource, JSON.stringify(r.requirement.signedIdentity), found.searched].join('\u0000');
        let pending = this.evaluations.get(key);
        if (!pending) {
          pending = evaluateSignedBy(r, i, d, s, n);
          this.evaluations.set(key, pending);
        }
        return pending;
      });
      if (verdict.allowed && verdict.reason === 'SIGNED') await this.options.cache?.put(cacheKey, { reason: 'SIGNED', message: verdict.message, digest, signers: [] });
      if (verdict.reason === 'NO_SIGNATURE') {
        const ignored = found.ignored > 0 ? ` (${found.ignored} sigstore signature(s) found, which signedBy ignores)` : '';
        verdict.message += `${ignored}; looked in ${found.searched}${found.note ? ` (${found.note})` : ''}`;
        if (!rule.policy.simple?.storeURL && !lookasideFor(this.options.registries, ref)) {
          verdict.hint = `say where the signatures of ${repositoryName(ref)} are: a registries.d file in .gate/registries.d/ with "docker: {${repositoryName(ref).replace(/\/[^/]*$/, '')}: {lookaside: <URL>}}", or simple.storeURL in the policy`;
        }
      }
      return { verdict, policy };
    } catch (e) {
      if (e instanceof TransportError) return { verdict: deny(e.reason, e.message, e.hint, ref.digest), policy };
      throw e;
    }
  }

  /** One HEAD (or GET) per distinct tag reference and set of credentials in the run. */
  private resolveTag(ref: ImageReference, credentials: CredentialCandidate[]): Promise<string> {
    const key = `${referenceString(ref)}\u0000${credentialKey(credentials)}`;
    let pending = this.digests.get(key);
    if (!pending) {
      pending = this.options.network!.registry.resolveTag(ref, credentials);
      void pending.then(() => this.options.onTagResolved?.(), () => undefined);
      this.digests.set(key, pending);
    }
    return pending;
  }

  private async resolveKeys(requirement: SignedByRequirement, namespace: string, label: string): Promise<ResolvedSignedBy> {
    const key = await this.options.keys.resolve({
      keySecret: requirement.keySecret,
      namespace: requirement.keySecretNamespace ?? namespace,
      policy: label,
      origin: requirement.origin,
    });
    return { requirement, trusted: key.trusted, keySource: key.source, keyMaterial: key.material };
  }

  /**
   * Where the signatures are, in containers/image's order with one difference: a
   * configured lookaside (storeURL, else registries.d) is read directly; the registry
   * is asked for its signature API only when no lookaside is configured. Sigstore
   * attachments are appended where registries.d asks for them.
   */
  private async lookup(
    ref: ImageReference,
    digest: string,
    rule: RepositoryRule,
    resource: PolicyResource,
    namespace: string,
    credentials: CredentialCandidate[],
  ): Promise<SignatureLookupResult> {
    const network = this.options.network;
    const storeURL = rule.policy.simple?.storeURL;
    const choice = lookasideFor(this.options.registries, ref);
    if (!storeURL && choice) this.warnAboutWebhookStore(resource, rule, choice);
    const base = storeURL ?? choice?.base;
    const attachments = network !== undefined && sigstoreAttachmentsFor(this.options.registries, ref);
    const key = [base ?? '(registry)', ref.domain, ref.path, digest, attachments, storeURL ? (rule.policy.simple?.storeSecret ?? '') + namespace : '', credentialKey(credentials)].join('\u0000');
    let pending = this.lookups.get(key);
    if (!pending) {
      pending = (async () => {
        let source = await this.primarySource(ref, base, storeURL ? rule.policy.simple?.storeSecret : undefined, namespace, credentials);
        if (attachments) source = appended(source, new SigstoreAttachments(network.registry, credentials));
        return source.lookup(ref, digest);
      })();
      this.lookups.set(key, pending);
    }
    return pending;
  }

  private async primarySource(ref: ImageReference, base: string | undefined, storeSecret: string | undefined, namespace: string, credentials: CredentialCandidate[]): Promise<SignatureSource> {
    const network = this.options.network;
    if (base?.startsWith('file:')) return new FileLookaside(base, this.options.show);
    if (base !== undefined) {
      if (!network) return offline(`signatures for ${repositoryName(ref)} are in an HTTP lookaside (${new URL(base).origin}), and this run is offline`);
      const credential = storeSecret ? await network.credentials.storeCredential(namespace, storeSecret) : undefined;
      return new HttpLookaside(base, network.http, credential, network.cleartextAllowed);
    }
    if (!network) {
      const searched = `nowhere: no registries.d scope covers ${repositoryName(ref)} and the policy sets no storeURL`;
      return { lookup: async () => ({ ok: true, signatures: [], ignored: 0, searched }) };
    }
    const ping = await network.registry.ping(ref.domain);
    if (ping.supportsSignatures) return new ExtensionApiSource(network.registry, credentials);
    const searched = `nowhere: ${ref.domain} has no signature API, no registries.d scope covers ${repositoryName(ref)} and the policy sets no storeURL`;
    return { lookup: async () => ({ ok: true, signatures: [], ignored: 0, searched }) };
  }

  /**
   * Without storeURL, Portieris does not read registries.d: it finds signatures only
   * through the registry's signature API. Say so once per rule when gate used a lookaside.
   */
  private warnAboutWebhookStore(resource: PolicyResource, rule: RepositoryRule, choice: { origin: { file: string }; scope: string }): void {
    if (this.warnedRules.has(rule)) return;
    this.warnedRules.add(rule);
    this.warnings.push({
      ...rule.origin,
      message: `${resource.kind}/${resource.name} repository "${rule.name}" sets no simple.storeURL: gate read signatures from the lookaside of ${choice.origin.file} (scope ${choice.scope}), but Portieris in the cluster reads only the registry's signature API then; publish the lookaside over https and set storeURL so that the webhook finds the same signatures`,
    });
  }

  /** Where a pattern for this image would go, and whether one already matches the normalised name. */
  private noPolicyHint(use: ImageUse, ref: ImageReference, scope: 'namespace' | 'cluster' | 'none', policies: PolicySet): string {
    const where = scope === 'namespace' ? `an ImagePolicy of namespace "${use.namespace}"` : 'a ClusterImagePolicy in .gate/policies/';
    const slash = use.image.lastIndexOf('/');
    const suggestion = slash > 0 ? `${use.image.slice(0, slash)}/*` : use.image.replace(/[:@].*$/, '');
    const normalised = referenceString(ref);
    if (normalised !== use.image && selectPolicy(normalised, use.namespace, policies).found) {
      return `a pattern matches "${normalised}", but Portieris compares the image string as written: write the image as "${normalised}", or add a pattern such as "${suggestion}" to ${where}`;
    }
    return `add a repository pattern such as "${suggestion}" to ${where}`;
  }
}

/** Which credentials a result was obtained with: what one workload may see, another may not. */
function credentialKey(credentials: CredentialCandidate[]): string {
  return credentials.map((c) => c.source).join('\u0001');
}

function offline(message: string): SignatureSource {
  return { lookup: async () => ({ ok: false, reason: 'UNSUPPORTED', message, hint: 'run without --offline so that gate can reach it', searched: message }) };
}
