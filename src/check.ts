// The composition root of `gate check`: input -> manifests -> policy -> signatures ->
// verify -> report. Every piece of I/O is wired here; the decisions live in policy/
// and verify/. Work is done once per distinct thing: one result per (image string,
// namespace), one signature lookup per (store, repository, digest), one evaluation per
// (digest, identity, requirement).

import path from 'node:path';
import { GateError, type Warning } from './errors.js';
import { displayName, readInputs, type InputIO } from './input/files.js';
import { parseManifestStream, type ManifestObject } from './manifests/document.js';
import { extractImages, secretNames, type ImageUse } from './manifests/extract.js';
import { findGateDir, gateLocations, loadGateConfig, type GateLocations } from './policy/gate-dir.js';
import { KeyStore } from './policy/keys.js';
import { lookasideFor, type RegistriesConfig } from './policy/registries-d.js';
import { selectPolicy } from './policy/select.js';
import type { PolicyResource, PolicySet, RepositoryRule, SignedByRequirement } from './policy/types.js';
import { looksLikePolicy, validatePolicy } from './policy/validate.js';
import { parseReference, referenceString, repositoryName, withDefaultTag, type ImageReference } from './reference/reference.js';
import { summarise, type ImageResult, type PolicyRef, type Report, type ReportSource } from './report/model.js';
import { FileLookaside } from './signatures/lookaside.js';
import type { SignatureLookupResult, SignatureSource } from './signatures/source.js';
import { evaluateSignatures, evaluateSignedBy, preflight, type ResolvedSignedBy } from './verify/evaluate.js';
import { deny, type Verdict } from './verify/verdict.js';
import { GATE_VERSION } from './version.js';

export interface CheckOptions {
  paths: string[];
  /** Globs of files to leave out of folder walks (`--exclude`). */
  exclude?: string[];
  /** Namespace of objects that name none (`--namespace`). */
  namespace: string;
  gateDir?: string;
  policiesDir?: string;
  keysDir?: string;
  registriesDir?: string;
}

export interface CheckIO extends InputIO {
  now(): Date;
}

/** Registry work happens in later versions; this one verifies digest-pinned images offline. */
const CAN_RESOLVE_TAGS = false;
const CONCURRENCY = 16;

export async function runCheck(options: CheckOptions, io: CheckIO): Promise<Report> {
  const now = io.now();
  const warnings: Warning[] = [];

  const inputs = await readInputs(options.paths, io, options.exclude);
  const objects: ManifestObject[] = [];
  for (const input of inputs) {
    const parsed = parseManifestStream(input.text, input.name);
    objects.push(...parsed.objects);
    warnings.push(...parsed.warnings);
  }
  if (objects.length === 0) {
    // An empty render (a failed `kustomize build | gate check -` without pipefail) must not pass.
    throw new GateError('INPUT_INVALID', `no Kubernetes objects in ${describeInputs(options.paths)}: nothing to check, which is never what a gate should approve`);
  }

  const locations = await locateGate(options, io.cwd);
  const explicit = new Set<keyof GateLocations>((['gateDir', 'policiesDir', 'keysDir', 'registriesDir'] as const).filter((k) => options[k] !== undefined));
  const config = await loadGateConfig(locations, explicit, io.cwd);
  warnings.push(...config.warnings);

  const inputPolicies = objects.filter((o) => looksLikePolicy(o.value));
  if (!locations.gateDir && !explicit.has('policiesDir') && inputPolicies.length === 0) {
    throw new GateError(
      'GATE_DIR_MISSING',
      `no policy to check against: no .gate/ folder at or above ${describeInputs(options.paths)} (up to the repository root), and no ImagePolicy or ClusterImagePolicy in the manifests; create .gate/policies/ or pass --gate-dir or --policies`,
    );
  }
  const policies = buildPolicySet([...config.policyObjects, ...inputPolicies], options.namespace);
  const keys = new KeyStore(
    locations.keysDir,
    config.secretObjects,
    objects.filter((o) => o.value.kind === 'Secret' && o.value.apiVersion === 'v1'),
    options.namespace,
    io.cwd,
  );

  const uses: ImageUse[] = [];
  for (const object of objects) {
    const extraction = extractImages(object, options.namespace);
    uses.push(...extraction.uses);
    warnings.push(...extraction.warnings);
  }

  const serviceAccounts = serviceAccountSecrets(objects, options.namespace);
  const evaluator = new Evaluator(policies, keys, config.registries, now, (file) => displayName(file, io.cwd));
  const results = await mapLimit(groupUses(uses), CONCURRENCY, async (group) => toResult(group, await evaluator.decide(group[0]), serviceAccounts));
  warnings.push(...evaluator.warnings, ...keys.warnings);

  return {
    gateVersion: GATE_VERSION,
    summary: summarise(results),
    results: results.sort(byVerdictThenSource),
    warnings,
    scanned: { files: inputs.length, objects: objects.length },
  };
}

function describeInputs(paths: string[]): string {
  return paths.map((p) => (p === '-' ? 'standard input' : p)).join(', ');
}

/** Denials first, then by where the image is first used: the order both views show. */
function byVerdictThenSource(a: ImageResult, b: ImageResult): number {
  const rank = (r: ImageResult) => (r.verdict === 'deny' ? 0 : 1);
  const where = (r: ImageResult) => (r.sources[0] ? `${r.sources[0].file}\u0000${String(r.sources[0].line).padStart(9, '0')}` : '');
  return rank(a) - rank(b) || where(a).localeCompare(where(b)) || a.image.localeCompare(b.image) || a.namespace.localeCompare(b.namespace);
}

async function locateGate(options: CheckOptions, cwd: string): Promise<GateLocations> {
  const overrides = { policiesDir: abs(options.policiesDir, cwd), keysDir: abs(options.keysDir, cwd), registriesDir: abs(options.registriesDir, cwd) };
  if (options.gateDir !== undefined) return gateLocations(path.resolve(cwd, options.gateDir), overrides);
  const starts = options.paths.filter((p) => p !== '-').map((p) => path.resolve(cwd, p));
  const found = new Set<string | undefined>();
  for (const start of starts.length > 0 ? starts : [cwd]) found.add(await findGateDir(start));
  if (found.size > 1) {
    const dirs = [...found].map((d) => d ?? '(none)').join(' and ');
    throw new GateError('GATE_DIR_CONFLICT', `the paths belong to different .gate/ folders (${dirs}); check them in separate runs or pass --gate-dir`);
  }
  return gateLocations([...found][0], overrides);
}

function abs(p: string | undefined, cwd: string): string | undefined {
  return p === undefined ? undefined : path.resolve(cwd, p);
}

/** Validates every policy; the same policy twice is fine only if both copies agree. */
function buildPolicySet(objects: ManifestObject[], defaultNamespace: string): PolicySet {
  const byId = new Map<string, PolicyResource>();
  for (const object of objects) {
    const policy = validatePolicy(object, defaultNamespace);
    const id = `${policy.kind}/${policy.namespace ?? ''}/${policy.name}`;
    const existing = byId.get(id);
    if (existing && existing.fingerprint !== policy.fingerprint) {
      throw new GateError(
        'POLICY_CONFLICT',
        `${policy.kind} "${policy.name}"${policy.namespace ? ` in namespace "${policy.namespace}"` : ''} is defined twice with different content (also at ${existing.origin.file}:${existing.origin.line})`,
        policy.origin,
      );
    }
    if (!existing) byId.set(id, policy);
  }
  const all = [...byId.values()];
  return {
    imagePolicies: all.filter((p) => p.kind === 'ImagePolicy'),
    clusterImagePolicies: all.filter((p) => p.kind === 'ClusterImagePolicy'),
  };
}

/** ServiceAccount pull secrets by `namespace/name`, from the input (DESIGN: the SA counts when it is there). */
function serviceAccountSecrets(objects: ManifestObject[], defaultNamespace: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { value } of objects) {
    if (value.kind !== 'ServiceAccount' || value.apiVersion !== 'v1') continue;
    const meta = (value.metadata ?? {}) as Record<string, unknown>;
    if (typeof meta.name !== 'string') continue;
    const namespace = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : defaultNamespace;
    map.set(`${namespace}/${meta.name}`, secretNames(value.imagePullSecrets));
  }
  return map;
}

/** One group per (image string, namespace); a use with a problem of its own is its own group. */
function groupUses(uses: ImageUse[]): ImageUse[][] {
  const groups = new Map<string, ImageUse[]>();
  for (const use of uses) {
    const key = [use.image, use.namespace, use.problem?.message ?? ''].join('\u0000');
    const group = groups.get(key);
    if (group) group.push(use);
    else groups.set(key, [use]);
  }
  return [...groups.values()];
}

interface Decision {
  verdict: Verdict;
  policy: PolicyRef | null;
}

/** Decides one (image, namespace), remembering signature lookups and evaluations across images. */
class Evaluator {
  private readonly lookups = new Map<string, Promise<SignatureLookupResult>>();
  private readonly evaluations = new Map<string, ReturnType<typeof evaluateSignedBy>>();
  private readonly warnedRules = new Set<RepositoryRule>();
  readonly warnings: Warning[] = [];

  constructor(
    private readonly policies: PolicySet,
    private readonly keys: KeyStore,
    private readonly registries: RegistriesConfig,
    private readonly now: Date,
    private readonly show: (file: string) => string,
  ) {}

  async decide(use: ImageUse): Promise<Decision> {
    const none = (verdict: Verdict): Decision => ({ verdict, policy: null });
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
    const selection = selectPolicy(use.image, use.namespace, this.policies);
    if (!selection.found) return none(deny('NO_POLICY', selection.message, this.noPolicyHint(use, parsed.ref, selection.scope)));
    const { resource, rule } = selection.match;
    const policy: PolicyRef = { kind: resource.kind, name: resource.name, namespace: resource.namespace, repository: rule.name };
    const pre = preflight(rule.policy, use.image, rule.name, CAN_RESOLVE_TAGS);
    if (pre.done) return { verdict: { ...pre.verdict, digest: pre.verdict.digest ?? parsed.ref.digest }, policy };
    const ref = pre.ref;

    const label = `${resource.kind}/${resource.name} (repository "${rule.name}")`;
    const resolved = await Promise.all(pre.requirements.map((r) => this.resolveKeys(r, use.namespace, label)));
    const storeURL = rule.policy.simple?.storeURL;
    if (!storeURL) this.warnAboutWebhookStore(resource, rule, ref);
    const found = await this.lookup(ref, pre.digest, storeURL);
    if (!found.ok) return { verdict: deny(found.reason, found.message, found.hint, pre.digest), policy };
    const verdict = await evaluateSignatures(resolved, withDefaultTag(ref), pre.digest, found.signatures, this.now, (r, i, d, s, n) => {
      const key = [d, referenceString(i), r.keySource, JSON.stringify(r.requirement.signedIdentity), found.searched].join('\u0000');
      let pending = this.evaluations.get(key);
      if (!pending) {
        pending = evaluateSignedBy(r, i, d, s, n);
        this.evaluations.set(key, pending);
      }
      return pending;
    });
    if (verdict.reason === 'NO_SIGNATURE') {
      const ignored = found.ignored > 0 ? ` (${found.ignored} sigstore signature(s) found, which signedBy ignores)` : '';
      verdict.message += `${ignored}; looked in ${found.searched}${found.note ? ` (${found.note})` : ''}`;
      if (!storeURL && !lookasideFor(this.registries, ref)) {
        verdict.hint = `say where the signatures of ${repositoryName(ref)} are: a registries.d file in .gate/registries.d/ with "docker: {${repositoryName(ref).replace(/\/[^/]*$/, '')}: {lookaside: <URL>}}", or simple.storeURL in the policy`;
      }
    }
    return { verdict, policy };
  }

  /** Where a pattern for this image would go, and whether one already matches the normalised name. */
  private noPolicyHint(use: ImageUse, ref: ImageReference, scope: 'namespace' | 'cluster' | 'none'): string {
    const where = scope === 'namespace' ? `an ImagePolicy of namespace "${use.namespace}"` : 'a ClusterImagePolicy in .gate/policies/';
    const slash = use.image.lastIndexOf('/');
    const suggestion = slash > 0 ? `${use.image.slice(0, slash)}/*` : use.image.replace(/[:@].*$/, '');
    const normalised = referenceString(ref);
    const viaFullName = normalised !== use.image && selectPolicy(normalised, use.namespace, this.policies).found;
    if (viaFullName) {
      return `a pattern matches "${normalised}", but Portieris compares the image string as written: write the image as "${normalised}", or add a pattern such as "${suggestion}" to ${where}`;
    }
    return `add a repository pattern such as "${suggestion}" to ${where}`;
  }

  private async resolveKeys(requirement: SignedByRequirement, namespace: string, label: string): Promise<ResolvedSignedBy> {
    const key = await this.keys.resolve({
      keySecret: requirement.keySecret,
      namespace: requirement.keySecretNamespace ?? namespace,
      policy: label,
      origin: requirement.origin,
    });
    return { requirement, trusted: key.trusted, keySource: key.source };
  }

  /**
   * Without storeURL, Portieris does not read registries.d: it finds signatures only
   * through the registry's signature API. Say so once per rule when gate used a lookaside.
   */
  private warnAboutWebhookStore(resource: PolicyResource, rule: RepositoryRule, ref: ImageReference): void {
    const choice = lookasideFor(this.registries, ref);
    if (!choice || this.warnedRules.has(rule)) return;
    this.warnedRules.add(rule);
    this.warnings.push({
      ...rule.origin,
      message: `${resource.kind}/${resource.name} repository "${rule.name}" sets no simple.storeURL: gate read signatures from the lookaside of ${choice.origin.file} (scope ${choice.scope}), but Portieris in the cluster reads only the registry's signature API then; publish the lookaside over https and set storeURL so that the webhook finds the same signatures`,
    });
  }

  private lookup(ref: ImageReference, digest: string, storeURL: string | undefined): Promise<SignatureLookupResult> {
    const base = storeURL ?? lookasideFor(this.registries, ref)?.base;
    const key = [base ?? '', repositoryName(ref), digest].join('\u0000');
    let pending = this.lookups.get(key);
    if (!pending) {
      pending = sourceFor(base, ref, this.show).lookup(ref, digest);
      this.lookups.set(key, pending);
    }
    return pending;
  }
}

function sourceFor(base: string | undefined, ref: ImageReference, show: (file: string) => string): SignatureSource {
  if (base === undefined) {
    const searched = `nowhere: no registries.d scope covers ${repositoryName(ref)} and the policy sets no storeURL`;
    return { lookup: async () => ({ ok: true, signatures: [], ignored: 0, searched }) };
  }
  if (base.startsWith('file:')) return new FileLookaside(base, show);
  return {
    lookup: async () => ({
      ok: false,
      reason: 'UNSUPPORTED',
      message: `signatures for ${repositoryName(ref)} are in an HTTP lookaside (${new URL(base).origin}), which this version of gate cannot read yet; only file:// lookasides are supported`,
      searched: base,
    }),
  };
}

function toResult(group: ImageUse[], decided: Decision, serviceAccounts: Map<string, string[]>): ImageResult {
  const first = group[0];
  const sources: ReportSource[] = group.map((use) => {
    const fromAccount = serviceAccounts.get(`${use.namespace}/${use.serviceAccount}`) ?? [];
    return { ...use.source, pullSecrets: [...new Set([...use.pullSecrets, ...fromAccount])] };
  });
  const { verdict } = decided;
  return {
    image: first.image,
    digest: verdict.digest ?? null,
    namespace: first.namespace,
    verdict: verdict.allowed ? 'allow' : 'deny',
    reason: verdict.reason,
    message: verdict.message,
    ...(verdict.hint ? { hint: verdict.hint } : {}),
    policy: decided.policy,
    sources,
  };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
