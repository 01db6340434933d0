// The verdict for one image use, as a checklist of steps; every rule lives elsewhere:
//   1. admission (policy/admission.ts): the reference, the policy that applies, what the
//      policy decides alone, a tag offline;
//   2. trust (engine/trust.ts): each requirement's key, read by its kind;
//   3. digest: the one in the reference, else the registry's answer for the tag;
//   4. evidence (signatures/stores.ts): every blob stored for the digest, typed — fetched,
//      or read from the evidence cache of an earlier run (cache/);
//   5. evaluation (verify/evaluate.ts and the kinds), on the bytes whatever their source:
//      evidence from the cache that does not allow the image is fetched again and judged anew;
//   6. for a tag: the digest form to pin, and NOT_PINNED where a digest is required.
// Each distinct thing is fetched or computed once per run: a tag's digest per
// credential set, a store's blobs (signatures/stores.ts), a kind's crypto per (blob,
// trust), a reference's reading and policy selection per image. A step listener sees
// what the first decision looked at (`gate explain`); failures of the transport become
// denials in engine/failures.ts.

import type { Warning } from '../errors.js';
import type { ImageUse } from '../manifests/extract.js';
import { admitReference, cannotLoosen, digestRequiredBy, noPolicy, noSigstorePolicy, offlineTag, preflight, requireDigest, type Admitted, type PinOutcome } from '../policy/admission.js';
import { mutation, undeployedKey, unpublishedSignatures } from '../policy/parity.js';
import type { GateSettings, RuleLevel, Webhook } from '../policy/settings.js';
import type { KeyStore } from '../policy/keys.js';
import type { RegistriesConfig } from '../policy/registries-d.js';
import { selectPolicy, type PolicySelection } from '../policy/select.js';
import type { PolicyResource, PolicySet, RepositoryRule } from '../policy/types.js';
import { referenceString, withDefaultTag, type ImageReference } from '../reference/reference.js';
import type { RegistryClient } from '../registry/client.js';
import { credentialKey, type CredentialCandidate } from '../registry/credentials.js';
import { TransportError, type HttpClient } from '../registry/http.js';
import type { PolicyRef } from '../report/model.js';
import type { EvidenceLookup } from '../signatures/evidence.js';
import { SignatureStores, storeLabel, type StorePlan, type StoreSpec } from '../signatures/stores.js';
import { decideSigstore, matchingPolicies, policyRef, type SigstoreDecisionIO } from './sigstore-policies.js';
import { sigstoreSigned } from '../verify/sigstore/kind.js';
import { evaluateRequirements, everyOutcome, type BlobFates, type ResolvedRequirement, type VerifyOnce } from '../verify/evaluate.js';
import type { KindRegistry, Verified } from '../verify/kind.types.js';
import { KINDS } from '../verify/kinds.js';
import { allow, deny, type Verdict } from '../verify/verdict.js';
import { tagKey } from '../cache/key.js';
import type { EvidenceCache } from '../cache/evidence-cache.js';
import type { CredentialFinder } from './credentials.js';
import { failureVerdict } from './failures.js';
import { once } from '../memo.js';
import { TrustStore, type PlacedTrust } from './trust.js';
import { NotaryTrust } from './notary-trust.js';
import { accessKey, type EvidenceTap } from './tap.js';
import { sigstoreAttachmentsFor } from '../policy/registries-d.js';
import type { NotaryReading } from '../report/explanation.js';
import type { NotaryTrustRequirement } from '../verify/notary/kind.js';
import type { TrustPin } from '../policy/settings.js';

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
  /** The requirement kinds (verify/kinds.ts); a test may add one. */
  kinds?: KindRegistry;
  registries: RegistriesConfig;
  /** config.yaml's signatureStores: local mirrors of storeURLs, scopes opted into gate-only evidence. */
  stores?: GateSettings['signatureStores'];
  now: Date;
  /** File path -> name for messages. */
  show: (file: string) => string;
  network?: Network;
  /** Evidence fetched by earlier runs (a folder, Redis): bytes to verify again, never a verdict. */
  cache?: EvidenceCache;
  /** Where a digest is required for every image (`--require-digest`, config.yaml); absent: only where a policy's annotation asks. */
  requireDigest?: string;
  /** Called when a tag was resolved to its digest (progress). */
  onTagResolved?: () => void;
  /**
   * An allowed image that Portieris would rewrite to a digest (policy/admission.ts
   * `mutation`): denied, warned once per policy entry, or not looked at. Absent: off.
   */
  mutateImage?: RuleLevel;
  /**
   * A key gate found only in its own configuration, not where Portieris reads it
   * (policy/parity.ts `undeployedKey`): denied, warned once per Secret and namespace, or
   * not looked at. Absent: off.
   */
  keySecret?: RuleLevel;
  /**
   * Signatures only in a registries.d lookaside, which Portieris does not read
   * (signatures/stores.ts, policy/parity.ts `unpublishedSignatures`): at deny the verdict
   * is the webhook's store's, at warn the lookaside counts with a warning. Absent: off.
   */
  signatureStore?: RuleLevel;
  /** The enforcer gate predicts (`none`: no webhook, so no warning about where it reads). */
  webhook?: Webhook;
  /**
   * Fingerprints of the policies .gate/ holds (reviewed with the repository), as opposed to
   * those only the checked manifests bring; absent: every policy is .gate/'s.
   */
  reviewedPolicies?: ReadonlySet<string>;
  /** Where evidence enters (engine/tap.ts): `gate record` keeps it, `gate test` replays it; absent: the network. */
  tap?: EvidenceTap;
  /** Notary v1 roots of trust per GUN (.gate/config.yaml trustPinning). */
  trustPinning?: readonly TrustPin[];
}

/** What a decision looked at, step by step, for `gate explain`. */
export type DecisionStep =
  | { step: 'selection'; selection: PolicySelection }
  /** The ClusterImagePolicies of policy.sigstore.dev that matched, with the glob of each (instead of a Portieris selection). */
  | { step: 'sigstore'; policies: Array<{ name: string; glob: string; origin: { file: string; line: number }; mode: 'enforce' | 'warn' }> }
  | { step: 'requirements'; requirements: ResolvedRequirement[]; intended: ImageReference }
  | { step: 'digest'; value: string; fromTag: boolean }
  | { step: 'evidence'; lookup: EvidenceLookup }
  /** A Portieris trust policy: the trust server, the roles read, their versions and expiries, the comparison. */
  | { step: 'notary'; reading: NotaryReading }
  | { step: 'fates'; fates: BlobFates };

export type StepListener = (step: DecisionStep) => void;

/** What every step of one image under one policy set reads, computed once. */
interface DecisionContext {
  use: ImageUse;
  policies: PolicySet;
  reference: Admitted<ImageReference>;
  selection: PolicySelection;
}

export class Decider {
  private readonly digests = new Map<string, Promise<string>>();
  private readonly verified = new Map<string, Promise<Verified<unknown>>>();
  private readonly contexts = new WeakMap<PolicySet, Map<string, Omit<DecisionContext, 'use'>>>();
  private readonly stores: SignatureStores;
  readonly kinds: KindRegistry;
  readonly trusts: TrustStore;
  private readonly notary: NotaryTrust;
  readonly warnings: Warning[] = [];
  private readonly warnedMutation = new Set<object>();
  private readonly warnedKeys = new Set<string>();
  private readonly warnedSigstore = new Set<string>();

  constructor(private readonly options: DeciderOptions) {
    this.kinds = options.kinds ?? KINDS;
    this.trusts = new TrustStore(options.keys, this.warnings);
    const network = options.network;
    this.notary = new NotaryTrust({
      ...(network ? { network: { http: network.http, cleartextAllowed: (host) => network.cleartextAllowed(host), tokenRealm: (domain) => network.registry.tokenRealm(domain) } } : {}),
      keys: options.keys,
      pins: options.trustPinning ?? [],
      ...(options.cache ? { cache: options.cache } : {}),
      now: options.now,
      portieris: (options.webhook ?? 'none') === 'portieris',
      keySecret: options.keySecret ?? 'off',
      ...(options.tap ? { tap: options.tap } : {}),
      warn: (w) => this.warnings.push(w),
    });
    this.stores = new SignatureStores({
      registries: options.registries,
      network: options.network,
      show: options.show,
      warn: (w) => this.warnings.push(w),
      rule: options.signatureStore,
      mirrors: options.stores?.mirrors,
      gateOnly: options.stores?.gateOnly,
      cosign: options.stores?.cosign,
      cache: options.cache,
    });
  }

  /** A kind's crypto step, once per (kind, blob, trust) in the run: the pin re-check and explain reuse it. */
  readonly verifyOnce: VerifyOnce = (kind, blob, trust) =>
    once(this.verified, [kind.type, blob.sha256, trust.sha256].join('\u0000'), () => kind.verify(blob, trust.value, this.options.now));

  /**
   * The images the run is about to decide: each registry's first token is then asked for
   * every repository the run reads there, instead of one token request per repository.
   */
  expect(images: readonly string[]): void {
    const registry = this.options.network?.registry;
    if (!registry) return;
    for (const image of images) {
      const reference = admitReference(image);
      if (reference.ok) registry.expect(reference.value);
    }
  }

  /** The verdict for a use (its pull secrets included); `onStep` sees the steps of this decision, not of the pin it leads to. */
  async decide(use: ImageUse, onStep?: StepListener): Promise<Decision> {
    const decision = await this.decideBoth(use, onStep);
    return this.mutationRule(use, decision);
  }

  /** Under every policy, then under .gate/'s alone when the manifests carry policies. */
  private async decideBoth(use: ImageUse, onStep?: StepListener): Promise<Decision> {
    const cluster = await this.decideUnder(this.options.policies, use, onStep);
    const gatePolicies = this.options.gatePolicies;
    if (!gatePolicies || !cluster.verdict.allowed) return cluster;
    const gate = await this.decideUnder(gatePolicies, use);
    if (gate.verdict.allowed) return cluster;
    return { ...gate, verdict: cannotLoosen(gate.verdict) };
  }

  /**
   * The verdict, then what a tag reference needs: the digest form to pin (verified in
   * that form too: a pattern or signedIdentity may treat it differently), and a denial
   * when a digest is required.
   */
  private async decideUnder(policies: PolicySet, use: ImageUse, onStep?: StepListener): Promise<Decision> {
    const context = this.context(use, policies);
    const decision = await this.verify(context, onStep);
    const { reference, selection } = context;
    if (!decision.verdict.allowed || !reference.ok || reference.value.digest !== undefined) return decision;

    const { verdict } = decision;
    const tag = reference.value.tag;
    const name = use.image.endsWith(`:${tag}`) ? use.image.slice(0, -(tag!.length + 1)) : use.image;
    let pin: PinOutcome = { kind: 'none' };
    if (verdict.reason === 'SIGNED' && verdict.digest) {
      const pinned = `${name}@${verdict.digest}`;
      const again = await this.decideBoth({ ...use, image: pinned });
      pin = again.verdict.allowed ? { kind: 'verified', pin: pinned } : { kind: 'denied', pinned, verdict: again.verdict };
    }
    const offered = pin.kind === 'verified' ? pin.pin : undefined;
    const required = digestRequiredBy(this.options.requireDigest, selection.found ? selection.match.resource : undefined);
    if (!required) return { ...decision, pin: offered };
    return { ...decision, pin: offered, verdict: requireDigest(use.image, name, verdict, required, pin) };
  }

  /**
   * What Portieris does to an image it admits (the policies it sees: all of them): a
   * rewrite to a digest makes Argo CD's diff never settle. A denial or a warning, as set.
   */
  private mutationRule(use: ImageUse, decision: Decision): Decision {
    const level = this.options.mutateImage ?? 'off';
    if (level === 'off' || !decision.verdict.allowed || decision.verdict.reason === 'EXEMPT') return decision;
    const { reference, selection } = this.context(use, this.options.policies);
    if (!reference.ok || !selection.found) return decision;
    const { resource, rule } = selection.match;
    const rewrite = mutation(use.image, reference.value, rule.policy, resource, rule.name);
    if (!rewrite) return decision;
    if (level === 'deny') return { ...decision, verdict: deny('MUTATES_IMAGE', rewrite.message, rewrite.hint, decision.verdict.digest) };
    if (!this.warnedMutation.has(rule)) {
      this.warnedMutation.add(rule);
      this.warnings.push({ ...rule.origin, message: `${rewrite.message}; fix: ${rewrite.hint}` });
    }
    return decision;
  }

  /**
   * What Portieris does without the key Secret: it denies, whatever the signatures say.
   * Looked at once the signatures allowed the image, so that a signature problem is told
   * first; a denial or a warning (once per Secret and namespace), as set.
   */
  private keyRule(verdict: Verdict, requirements: Array<{ requirement: ResolvedRequirement['requirement']; trust: PlacedTrust }>, label: string): Verdict {
    const level = this.options.keySecret ?? 'off';
    if (level === 'off' || !verdict.allowed) return verdict;
    for (const { requirement, trust } of requirements) {
      const divergence = undeployedKey(trust.placement, trust.need, label);
      if (!divergence) continue;
      if (level === 'deny') return deny('KEY_NOT_DEPLOYED', divergence.message, divergence.hint, verdict.digest);
      const key = `${trust.need.namespace}\u0000${trust.need.secret}`;
      if (!this.warnedKeys.has(key)) {
        this.warnedKeys.add(key);
        this.warnings.push({ ...requirement.origin, message: `${divergence.message}; fix: ${divergence.hint}` });
      }
    }
    return verdict;
  }

  /** A policy of .gate/ (the same content, when the manifests carry policies too), not one only the checked manifests bring. */
  private reviewed(resource: PolicyResource): boolean {
    return this.options.reviewedPolicies?.has(resource.fingerprint) ?? true;
  }

  /** The reference and the policy selection, once per (image, namespace, policy set). */
  private context(use: ImageUse, policies: PolicySet): DecisionContext {
    let byImage = this.contexts.get(policies);
    if (!byImage) this.contexts.set(policies, (byImage = new Map()));
    const key = `${use.image}\u0000${use.namespace}`;
    let computed = byImage.get(key);
    if (!computed) {
      computed = { policies, reference: admitReference(use.image), selection: selectPolicy(use.image, use.namespace, policies) };
      byImage.set(key, computed);
    }
    return { ...computed, use };
  }

  private async verify(context: DecisionContext, onStep?: StepListener): Promise<Decision> {
    const { use, reference, selection, policies } = context;
    const none = (verdict: Verdict): Decision => ({ verdict, policy: null });
    if (use.problem) return none(deny(use.problem.reason, use.problem.message, use.problem.hint));
    if (!reference.ok) return none(reference.verdict);
    // sigstore policy-controller's ClusterImagePolicies: the only policies under its webhook; under none, beside Portieris'.
    const webhook = this.options.webhook ?? 'none';
    if (webhook === 'policy-controller' || (webhook === 'none' && (policies.sigstore?.length ?? 0) > 0)) {
      const sigstore = await this.sigstoreDecision(context, reference.value, onStep);
      if (webhook === 'policy-controller') return sigstore ?? none(noSigstorePolicy(use.image));
      if (sigstore && (!sigstore.verdict.allowed || !selection.found)) return sigstore;
    }
    onStep?.({ step: 'selection', selection });
    if (!selection.found) return none(noPolicy(selection.message, use.image, use.namespace, reference.value, selection.scope, policies));

    const { resource, rule } = selection.match;
    const policy: PolicyRef = { kind: resource.kind, name: resource.name, namespace: resource.namespace, repository: rule.name };
    const pre = preflight(rule.policy, use.image, rule.name, this.kinds);
    if (pre.done) return { verdict: { ...pre.verdict, digest: pre.verdict.digest ?? reference.value.digest }, policy };
    const ref = pre.ref;
    const unenforceable = this.options.webhook === 'portieris' ? pre.pending.find(({ kind }) => kind.evidence === 'cosign') : undefined;
    if (unenforceable) {
      // Portieris' CRD has no such requirement type: the cluster would refuse the policy itself.
      const { requirement } = unenforceable;
      return {
        verdict: deny(
          'UNSUPPORTED',
          `${resource.kind}/${resource.name} (repository "${rule.name}") requires ${requirement.type} (${requirement.origin.file}:${requirement.origin.line}), which Portieris cannot enforce: its CRD accepts only signedBy, reject and insecureAcceptAnything, and it cannot verify cosign signatures`,
          'enforce cosign signatures in the cluster with sigstore policy-controller, and tell gate so: webhook: none in .gate/config.yaml (or --webhook none) judges by the signatures alone',
          ref.digest,
        ),
        policy,
      };
    }
    const network = this.options.network;
    if (ref.digest === undefined && !network) return { verdict: offlineTag(ref), policy };

    try {
      // Keys first: a missing key is a configuration error, whatever the registry says.
      const label = `${resource.kind}/${resource.name} (repository "${rule.name}")`;
      const requirements: Array<ResolvedRequirement & { trust: PlacedTrust }> = await Promise.all(
        pre.pending.map(async ({ requirement, kind }) => ({ requirement, kind, trust: await this.trusts.resolve(kind, requirement, use.namespace, label) })),
      );
      const keyRule = (verdict: Verdict): Decision => ({ verdict: this.keyRule(verdict, requirements, label), policy });
      const intended = withDefaultTag(ref);
      // Told before the registry is asked: explain shows the keys even when the tag cannot be resolved.
      onStep?.({ step: 'requirements', requirements, intended });
      const credentials = network ? await network.credentials.candidates(use.namespace, use.pullSecrets, ref.domain) : [];
      const digest = ref.digest ?? (await this.resolveTag(ref, credentials, use));
      onStep?.({ step: 'digest', value: digest, fromTag: ref.digest === undefined });

      const simple = requirements.length === 0 ? undefined : keyRule(await this.signaturesVerdict({ use, ref, rule, resource, requirements, credentials, digest, intended, label }, onStep)).verdict;
      if (!pre.trustData) return { verdict: simple!, policy };
      // Portieris' order: simple first, then trust.
      if (simple && !simple.allowed) return { verdict: simple, policy };
      const trusted = await this.notary.decide({
        requirement: pre.trustData.requirement as NotaryTrustRequirement,
        ref,
        namespace: use.namespace,
        credentials,
        ...(ref.digest === undefined ? { registryDigest: digest } : {}),
        mutateImageOff: rule.policy.mutateImage === false,
        policyReviewed: this.reviewed(resource),
        access: accessKey(use),
        label,
      });
      onStep?.({ step: 'notary', reading: trusted.reading });
      if (!trusted.verdict.allowed || !pre.simpleConfigured) return { verdict: trusted.verdict, policy };
      return { verdict: trustAndSimple(trusted.verdict, simple, webhook, label), policy };
    } catch (e) {
      if (e instanceof TransportError) return { verdict: failureVerdict(e.failure, ref.digest), policy };
      throw e;
    }
  }

  /** The simple-signing (and sigstoreSigned) requirements on the evidence of the policy's stores. */
  private async signaturesVerdict(
    c: { use: ImageUse; ref: ImageReference; rule: RepositoryRule; resource: PolicyResource; requirements: ResolvedRequirement[]; credentials: CredentialCandidate[]; digest: string; intended: ImageReference; label: string },
    onStep?: StepListener,
  ): Promise<Verdict> {
    const { use, ref, rule, resource, requirements, credentials, digest, intended, label } = c;
    // Cosign kinds read the image's own cosign storage; the policy's stores only when other kinds need them too.
    const cosignKinds = requirements.filter((r) => r.kind.evidence === 'cosign').length;
    const plan: StorePlan =
      cosignKinds === 0
        ? this.stores.plan(ref, rule, resource)
        : cosignKinds === requirements.length
          ? { primary: { id: `cosign:${ref.domain}`, cosign: 'only' } }
          : (({ primary, unread }) => ({ primary: { ...primary, cosign: 'also' as const }, ...(unread ? { unread } : {}) }))(this.stores.plan(ref, rule, resource));
    const lookupContext = { rule, resource, namespace: use.namespace, credentials };
    const target = { digest, intended };
    const judge = async (found: EvidenceLookup): Promise<Verdict> => {
      let verdict = found.ok ? await evaluateRequirements(requirements, target, found, this.verifyOnce) : failureVerdict(found.failure, digest);
      const notes = [storeLabel(plan.primary), found.ok && found.cached ? 'signatures read from the evidence cache of an earlier run and verified again' : undefined].filter(Boolean);
      if (verdict.allowed && notes.length > 0) verdict = { ...verdict, message: `${verdict.message} (${notes.join('; ')})` };
      return verdict;
    };
    let found = await this.lookupEvidence(ref, digest, plan.primary, lookupContext, use);
    let verdict = await judge(found);
    if (!verdict.allowed && found.ok && found.cached) {
      // A stale or planted entry may cost a fetch, never the verdict: a denial is decided on fresh evidence.
      found = await this.lookupEvidence(ref, digest, plan.primary, lookupContext, use, true);
      verdict = await judge(found);
    }
    onStep?.({ step: 'evidence', lookup: found });
    if (found.ok && onStep) onStep({ step: 'fates', fates: await everyOutcome(requirements, target, found.blobs, this.verifyOnce) });
    if (!verdict.allowed && plan.unread) {
      // What only gate can read, to say why the webhook will deny: never an allow.
      const other = await this.lookupEvidence(ref, digest, plan.unread, lookupContext, use);
      const gateOnly = other.ok ? await evaluateRequirements(requirements, target, other, this.verifyOnce) : undefined;
      const { scope, origin } = plan.unread.gateOnly;
      verdict = unpublishedSignatures(verdict, gateOnly, { label, scope, declared: `${origin.file}:${origin.line}`, searched: other.searched, host: ref.domain });
    }
    return verdict;
  }

  /**
   * The verdict under the ClusterImagePolicies of policy.sigstore.dev that match the image
   * (engine/sigstore-policies.ts), or undefined when none does. Globs are matched on the
   * image pinned to its digest, as the webhook sees it after resolving the tag.
   */
  private async sigstoreDecision(context: DecisionContext, ref: ImageReference, onStep?: StepListener): Promise<Decision | undefined> {
    const { use, policies } = context;
    const all = policies.sigstore ?? [];
    // A first look with any digest, unless a glob names a digest itself (then only the resolved digest can tell).
    const namesDigest = all.some((p) => p.globs.some((g) => g.glob.includes('@')));
    if (!namesDigest && matchingPolicies(all, ref, ref.digest ?? `sha256:${'0'.repeat(64)}`, use.image).length === 0) return undefined;
    const network = this.options.network;
    if (ref.digest === undefined && !network) return { verdict: offlineTag(ref), policy: null };
    const webhook = this.options.webhook ?? 'none';
    try {
      const credentials = network ? await network.credentials.candidates(use.namespace, use.pullSecrets, ref.domain) : [];
      const digest = ref.digest ?? (await this.resolveTag(ref, credentials, use));
      const matching = matchingPolicies(all, ref, digest, use.image);
      if (matching.length === 0) return undefined;
      onStep?.({ step: 'digest', value: digest, fromTag: ref.digest === undefined });
      const policy = policyRef(matching[0], ref, digest, use.image);
      const rule: RepositoryRule = { name: policy.repository, policy: { vulnerabilityEnabled: false }, origin: matching[0].origin };
      const resource: PolicyResource = { kind: 'ClusterImagePolicy', name: matching[0].name, namespace: null, repositories: [rule], requireDigest: false, origin: matching[0].origin, fingerprint: matching[0].fingerprint };
      const store: StoreSpec = { id: `cosign:${ref.domain}`, cosign: 'only' };
      const lookupContext = { rule, resource, namespace: use.namespace, credentials };
      let fresh = false;
      let last: EvidenceLookup | undefined;
      const io: SigstoreDecisionIO = {
        trust: (requirement, label) => this.trusts.resolve(sigstoreSigned, requirement, use.namespace, `ClusterImagePolicy ${matching.map((m) => m.name).join(', ')} (${label})`),
        evidence: async () => (last = await this.lookupEvidence(ref, digest, store, lookupContext, use, fresh && last?.ok === true && last.cached === true)),
        verifyOnce: this.verifyOnce,
        warn: (message, origin) => {
          if (this.warnedSigstore.has(message)) return;
          this.warnedSigstore.add(message);
          this.warnings.push({ ...origin, message });
        },
      };
      const target = { digest, intended: withDefaultTag(ref) };
      let verdict = await decideSigstore(matching, target, webhook, io);
      if (!verdict.allowed && last?.ok && last.cached) {
        // A stale or planted cache entry may cost a fetch, never the verdict: a denial is decided on fresh evidence.
        fresh = true;
        verdict = await decideSigstore(matching, target, webhook, io);
      }
      if (onStep) {
        onStep({ step: 'sigstore', policies: matching.map((p) => ({ name: p.name, glob: policyRef(p, ref, digest, use.image).repository, origin: p.origin, mode: p.mode })) });
        // Each authority that reads signatures, as explain lists requirements (trust is memoised: no second read).
        const resolved: ResolvedRequirement[] = [];
        for (const p of matching) {
          for (const authority of p.authorities) {
            if (authority.kind !== 'signature') continue;
            try {
              resolved.push({ requirement: authority.requirement, kind: sigstoreSigned, trust: await io.trust(authority.requirement, `authority ${authority.name}`) });
            } catch {
              // A key that cannot be read is in the verdict already.
            }
          }
        }
        onStep({ step: 'requirements', requirements: resolved, intended: target.intended });
        if (last) onStep({ step: 'evidence', lookup: last });
        if (last?.ok) onStep({ step: 'fates', fates: await everyOutcome(resolved, target, last.blobs, this.verifyOnce) });
      }
      if (verdict.allowed && last?.ok && last.cached) verdict = { ...verdict, message: `${verdict.message} (signatures read from the evidence cache of an earlier run and verified again)` };
      return { verdict, policy };
    } catch (e) {
      if (e instanceof TransportError) return { verdict: failureVerdict(e.failure, ref.digest), policy: null };
      throw e;
    }
  }

  /** A store lookup (signatures/stores.ts), through the tap when there is one. */
  private lookupEvidence(ref: ImageReference, digest: string, spec: StoreSpec, context: Parameters<SignatureStores['lookup']>[3], use: ImageUse, fresh = false): Promise<EvidenceLookup> {
    const live = () => this.stores.lookup(ref, digest, spec, context, fresh);
    const tap = this.options.tap;
    if (!tap) return live();
    const settings = JSON.stringify({
      storeSecret: context.rule.policy.simple?.storeSecret ?? null,
      attachments: spec.cosign === undefined && sigstoreAttachmentsFor(this.options.registries, ref),
      cosign: spec.cosign !== undefined ? (this.options.stores?.cosign ?? []).map((c) => ({ ...c, origin: undefined })) : null,
    });
    return tap.lookup({ store: spec.id, cosign: spec.cosign ?? '', repository: `${ref.domain}/${ref.path}`, digest, access: accessKey(use), settings }, live);
  }

  /** One HEAD (or GET) per distinct tag reference and set of credentials in the run. */
  private resolveTag(ref: ImageReference, credentials: CredentialCandidate[], use: ImageUse): Promise<string> {
    return once(this.digests, tagKey({ reference: referenceString(ref), credentials: credentialKey(credentials) }), () => {
      const live = () => this.options.network!.registry.resolveTag(ref, credentials);
      const pending = this.options.tap ? this.options.tap.tag(referenceString(ref), accessKey(use), live) : live();
      void pending.then(() => this.options.onTagResolved?.(), () => undefined);
      return pending;
    });
  }
}

/**
 * A policy with both trust and simple requirements, each allowed on its own. Portieris
 * compares the two digests as pointers (pkg/controller/multi/enforcer.go), so it denies every
 * such image; with no webhook to predict, the two are AND-ed: both verified the one digest
 * the image runs (the signatures cover it; the trust data signs the tag for it).
 */
function trustAndSimple(trusted: Verdict, simple: Verdict | undefined, webhook: Webhook, label: string): Verdict {
  const hex = (v: Verdict) => (v.digest ?? '').replace(/^sha256:/, '');
  if (webhook === 'portieris') {
    const words = simple ? `Notary signs conflicting digest: ${hex(trusted)} simple: ${hex(simple)}` : 'Notary signs conflicting digest';
    return deny(
      'TRUST_SIMPLE_CONFLICT',
      `${words} — ${label} has both trust and simple requirements${simple ? '' : ' (met without a signature)'}, and Portieris compares their digests by identity rather than value, so it denies every image this policy covers, however well signed (here the trust data verifies ${trusted.digest})`,
      'split the policy: give the images signed with Docker Content Trust a repository pattern with trust only, and those signed with simple signing one with simple only; or, when no Portieris enforces them, set webhook: none (gate then requires both)',
      trusted.digest,
    );
  }
  // insecureAcceptAnything AND trust: the trust verdict.
  if (!simple) return trusted;
  if (trusted.digest !== simple.digest) {
    return deny('DIGEST_MISMATCH', `the trust data names ${trusted.digest} and the signatures cover ${simple.digest}`, 'sign the same image both ways', simple.digest);
  }
  return { ...allow('SIGNED', `${simple.message}; and ${trusted.message}`, simple.digest), signers: [...(simple.signers ?? []), ...(trusted.signers ?? [])] };
}
