// The composition root of `gate check`: input -> manifests -> policy -> registry and
// signatures -> verify -> report. Every piece of I/O is built here and handed to the
// Decider (engine/decider.ts); the rules live in policy/ and verify/, and decisions become
// results in engine/results.ts.

import path from 'node:path';
import { ClusterSecrets } from './cluster/secrets.js';
import { openVerdictStore } from './cache/open.js';
import { Decider, type Network } from './engine/decider.js';
import { CredentialFinder } from './engine/credentials.js';
import { GateError, type Warning } from './errors.js';
import { readOrFail } from './input/bounded-read.js';
import { displayName, MAX_TOTAL_INPUT_BYTES, mebibytes, readInputs, type InputIO, type InputText } from './input/files.js';
import { NodeBudget, parseManifestStream, type ManifestObject } from './manifests/document.js';
import { extractImages, type ImageUse } from './manifests/extract.js';
import { withServiceAccountSecrets } from './manifests/service-accounts.js';
import { findGateDir, gateLocations, loadGateConfig, type GateLocations } from './policy/gate-dir.js';
import { CONFIG_FILE, type GateSettings } from './policy/settings.js';
import { KeyStore } from './policy/keys.js';
import type { PolicyResource, PolicySet } from './policy/types.js';
import { looksLikePolicy, validatePolicy } from './policy/validate.js';
import { byVerdictThenSource, decideGroup, groupUses, mapLimit } from './engine/results.js';
import { CiCredentials } from './registry/auth-files.js';
import { RegistryClient } from './registry/client.js';
import { endpointFor, SYSTEM_CERTS_DIRS, trustRootsFor } from './registry/endpoint.js';
import { HttpClient } from './registry/http.js';
import { summarise, type Report } from './report/model.js';
import type { ProgressListener } from './report/progress.js';
import { GATE_VERSION } from './version.js';
import type { KindRegistry } from './verify/kind.types.js';
import { KINDS } from './verify/kinds.js';

export interface CheckOptions {
  paths: string[];
  /** Globs of files to leave out of folder walks (`--exclude`). */
  exclude?: string[];
  /** Input without any object is fine (otherwise an error: an empty render must not pass). */
  allowEmpty?: boolean;
  /** The search for .gate/ stops here (the repository root when there is no .git). */
  repositoryRoot?: string;
  /** Namespace of objects that name none (`--namespace`). */
  namespace: string;
  gateDir?: string;
  policiesDir?: string;
  keysDir?: string;
  registriesDir?: string;
  /** No network: tags cannot be resolved and only file:// lookasides are read. */
  offline?: boolean;
  /** Registries (host[:port]) reached over plain HTTP. */
  insecureRegistries?: string[];
  /** Extra CA files trusted for every registry and lookaside. */
  caFiles?: string[];
  authFile?: string;
  /** Read pull secrets and key Secrets missing from the repository from the cluster. */
  cluster?: boolean;
  kubeconfig?: string;
  /** Budget for the whole run, and for each request, in seconds. */
  timeoutSeconds?: number;
  requestTimeoutSeconds?: number;
  /** Images decided at once, and requests in flight per registry. */
  concurrency?: number;
  registryConcurrency?: number;
  /** Deny every image referenced by tag (NOT_PINNED), as `requireDigest: true` in .gate/config.yaml does. */
  requireDigest?: boolean;
  /** A folder where SIGNED verdicts are kept for `cacheTtlSeconds` (shared safely between runs). */
  cacheDir?: string;
  cacheTtlSeconds?: number;
  /** The requirement kinds policies may use (verify/kinds.ts); a test registers one more here. */
  kinds?: KindRegistry;
}

export interface CheckIO extends InputIO {
  now(): Date;
  env: NodeJS.ProcessEnv;
  /** --verbose lines (stderr); never given a secret. */
  log?: (line: string) => void;
  /** Told how the run advances (a progress line on a terminal). */
  progress?: ProgressListener;
}

/** Kubernetes objects in one run: each one stays in memory until the report. */
export const MAX_OBJECTS = 50_000;
/** Keys and values in the manifests of one run (60 MB of real manifests; 10 000 Deployments hold 380 000). */
export const MAX_NODES_PER_RUN = 2_000_000;
/** Policies (ImagePolicy and ClusterImagePolicy, from .gate/ and the manifests) in one run; real clusters have tens. */
export const MAX_POLICIES = 5_000;
/** Repository patterns over all policies: every image is compared with each of them. */
export const MAX_POLICY_REPOSITORIES = 10_000;

export const DEFAULTS = { timeoutSeconds: 120, requestTimeoutSeconds: 15, concurrency: 16, registryConcurrency: 8, cacheTtlSeconds: 3600 } as const;

export async function runCheck(options: CheckOptions, io: CheckIO): Promise<Report> {
  const inputs = await readInputs(options.paths, io, options.exclude);
  return checkInputs(inputs, describeInputs(options.paths), options, io);
}

/**
 * Checks manifests already read (files, stdin, or a renderer's output); `what` names
 * them in messages. `options.paths` still says where to look for .gate/.
 */
export async function checkInputs(inputs: InputText[], what: string, options: CheckOptions, io: CheckIO): Promise<Report> {
  const warnings: Warning[] = [];
  const objects: ManifestObject[] = [];
  refuseOversizedInputs(inputs, what);
  const budget = new NodeBudget(MAX_NODES_PER_RUN);
  for (const input of inputs) {
    const parsed = parseManifestStream(input.text, input.name, { budget });
    // Loops, not push(...spread): a spread of 200 000 objects overflows the call stack.
    for (const object of parsed.objects) objects.push(object);
    for (const warning of parsed.warnings) warnings.push(warning);
    if (objects.length > MAX_OBJECTS) {
      throw new GateError('LIMIT_EXCEEDED', `more than ${MAX_OBJECTS} Kubernetes objects in ${what} (the limit for one run); check the folders in separate runs, or leave files out with --exclude`, { file: input.name });
    }
  }
  if (objects.length === 0 && !options.allowEmpty) {
    // An empty render (a failed `kustomize build | gate check -` without pipefail) must not pass.
    throw new GateError('INPUT_EMPTY', `no Kubernetes objects in ${what}: nothing to check, which is never what a gate should approve`);
  }

  const engine = await prepare(options, io, objects, warnings);
  const { decider, keys, settings, now } = engine;
  try {
    const uses: ImageUse[] = [];
    for (const object of objects) {
      const extraction = extractImages(object, options.namespace);
      for (const use of extraction.uses) uses.push(use);
      for (const warning of extraction.warnings) warnings.push(warning);
    }

    const groups = groupUses(withServiceAccountSecrets(uses, objects, options.namespace));
    io.progress?.start(groups.length);
    const results = await mapLimit(groups, options.concurrency ?? DEFAULTS.concurrency, async (group) => {
      const result = await decideGroup(group, decider, settings.exemptions, now, warnings);
      io.progress?.decided();
      return result;
    });
    for (const warning of [decider.warnings, keys.warnings].flat()) warnings.push(warning);
    return {
      gateVersion: GATE_VERSION,
      summary: summarise(results),
      results: results.sort(byVerdictThenSource),
      warnings,
      scanned: { files: inputs.length, objects: objects.length },
    };
  } finally {
    io.progress?.stop();
    await engine.close();
  }
}

/** Everything a decision needs, built once per run: .gate/, the policies, keys, the network, the Decider. */
export interface Engine {
  decider: Decider;
  keys: KeyStore;
  settings: GateSettings;
  policies: PolicySet;
  locations: GateLocations;
  now: Date;
  close(): Promise<void>;
}

/**
 * Builds the engine for manifests already parsed (`objects`: their policies and Secrets
 * count too); `warnings` collects what loading .gate/ has to say.
 */
export async function prepare(options: CheckOptions, io: CheckIO, objects: ManifestObject[], warnings: Warning[]): Promise<Engine> {
  const now = io.now();
  const locations = await locateGate(options, io.cwd);
  const explicit = new Set<keyof GateLocations>((['gateDir', 'policiesDir', 'keysDir', 'registriesDir'] as const).filter((k) => options[k] !== undefined));
  const config = await loadGateConfig(locations, explicit, io.cwd);
  for (const warning of config.warnings) warnings.push(warning);

  const inputPolicies = objects.filter((o) => looksLikePolicy(o.value));
  if (!locations.gateDir && !explicit.has('policiesDir') && inputPolicies.length === 0) {
    throw new GateError(
      'GATE_DIR_MISSING',
      objects.length === 0
        ? `no policy: no .gate/ folder in the current folder or above it (up to the repository root); run gate init, or pass --gate-dir or --policies`
        : `no policy to check against: no .gate/ folder at or above ${describeInputs(options.paths)} (up to the repository root), and no ImagePolicy or ClusterImagePolicy in the manifests; run gate init, or pass --gate-dir or --policies`,
    );
  }
  const kinds = options.kinds ?? KINDS;
  const policies = buildPolicySet([...config.policyObjects, ...inputPolicies], options.namespace, kinds);
  const gatePolicies = inputPolicies.length > 0 && config.policyObjects.length > 0 ? buildPolicySet(config.policyObjects, options.namespace, kinds) : undefined;
  const deadline = now.getTime() + (options.timeoutSeconds ?? DEFAULTS.timeoutSeconds) * 1000;
  const requestTimeoutMs = (options.requestTimeoutSeconds ?? DEFAULTS.requestTimeoutSeconds) * 1000;
  const clock = () => io.now().getTime();
  const remaining = () => Math.min(requestTimeoutMs, deadline - clock());
  const cluster = options.cluster ? new ClusterSecrets(options.kubeconfig && path.resolve(io.cwd, options.kubeconfig), remaining) : undefined;
  const keys = new KeyStore(
    locations.keysDir,
    config.secretObjects,
    objects.filter((o) => o.value.kind === 'Secret' && o.value.apiVersion === 'v1'),
    options.namespace,
    io.cwd,
    cluster,
  );

  const caFiles = await readCaFiles(options.caFiles ?? [], io.cwd);
  const network = options.offline ? undefined : buildNetwork(options, io, { deadline, requestTimeoutMs, remaining, clock }, caFiles, objects, config.secretObjects, locations, warnings, cluster);
  const cache = openVerdictStore(options.cacheDir, { cwd: io.cwd, ttlMs: (options.cacheTtlSeconds ?? DEFAULTS.cacheTtlSeconds) * 1000, now: clock });
  const requireDigest = options.requireDigest ? '--require-digest' : config.settings.requireDigest ? `requireDigest in ${CONFIG_FILE}` : undefined;
  const decider = new Decider({ policies, gatePolicies, keys, kinds, registries: config.registries, now, show: (file) => displayName(file, io.cwd), network, cache, requireDigest, onTagResolved: () => io.progress?.tagResolved() });
  return { decider, keys, settings: config.settings, policies, locations, now, close: async () => await network?.http.close() };
}

function buildNetwork(
  options: CheckOptions,
  io: CheckIO,
  time: { deadline: number; requestTimeoutMs: number; remaining: () => number; clock: () => number },
  caFiles: string[],
  objects: ManifestObject[],
  gateSecrets: ManifestObject[],
  locations: GateLocations,
  warnings: Warning[],
  cluster: ClusterSecrets | undefined,
): Network {
  const certsDirs = [...(locations.gateDir ? [path.join(locations.gateDir, 'certs.d')] : []), ...SYSTEM_CERTS_DIRS];
  const http = new HttpClient({
    requestTimeoutMs: time.requestTimeoutMs,
    deadlineMs: time.deadline,
    now: time.clock,
    caFor: (hostPort) => trustRootsFor(hostPort, certsDirs, caFiles, io.env),
  });
  const insecure = new Set(options.insecureRegistries ?? []);
  const registry = new RegistryClient({
    http,
    endpoint: (domain) => endpointFor(domain, insecure),
    perRegistry: options.registryConcurrency ?? DEFAULTS.registryConcurrency,
    cleartextAllowed: (hostPort) => insecure.has(hostPort),
    log: io.log,
  });
  const ci = new CiCredentials({ authFile: options.authFile && path.resolve(io.cwd, options.authFile), env: io.env, timeoutMs: time.remaining });
  const inputSecrets = objects.filter((o) => o.value.kind === 'Secret' && o.value.apiVersion === 'v1');
  return {
    http,
    registry,
    credentials: new CredentialFinder(inputSecrets, gateSecrets, options.namespace, ci, warnings, cluster),
    cleartextAllowed: (hostPort) => insecure.has(hostPort),
  };
}

const CA_FILE_LIMIT = 1024 * 1024;

/** --ca-file must name readable PEM files: a typo must not silently trust nothing more. */
async function readCaFiles(files: string[], cwd: string): Promise<string[]> {
  const pems: string[] = [];
  for (const file of files) {
    const bytes = await readOrFail(path.resolve(cwd, file), CA_FILE_LIMIT, {
      file,
      unreadable: (problem) => `--ca-file: ${problem}`,
      tooLarge: { code: 'INPUT_UNREADABLE', message: `--ca-file: larger than ${mebibytes(CA_FILE_LIMIT)}` },
    });
    const pem = Buffer.from(bytes).toString('utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new GateError('INPUT_INVALID', '--ca-file: not a PEM certificate', { file });
    pems.push(pem);
  }
  return pems;
}

function describeInputs(paths: string[]): string {
  return paths.map((p) => (p === '-' ? 'standard input' : p)).join(', ');
}

async function locateGate(options: CheckOptions, cwd: string): Promise<GateLocations> {
  const overrides = { policiesDir: abs(options.policiesDir, cwd), keysDir: abs(options.keysDir, cwd), registriesDir: abs(options.registriesDir, cwd) };
  if (options.gateDir !== undefined) return gateLocations(path.resolve(cwd, options.gateDir), overrides);
  const starts = options.paths.filter((p) => p !== '-').map((p) => path.resolve(cwd, p));
  const found = new Set<string | undefined>();
  for (const start of starts.length > 0 ? starts : [cwd]) found.add(await findGateDir(start, options.repositoryRoot));
  if (found.size > 1) {
    const dirs = [...found].map((d) => d ?? '(none)').join(' and ');
    throw new GateError('GATE_DIR_CONFLICT', `the paths belong to different .gate/ folders (${dirs}); check them in separate runs or pass --gate-dir`);
  }
  return gateLocations([...found][0], overrides);
}

function abs(p: string | undefined, cwd: string): string | undefined {
  return p === undefined ? undefined : path.resolve(cwd, p);
}

/**
 * Rendered output never passed through readInputs' budget: the same total applies to it
 * (file inputs were already stopped there, before being read whole).
 */
function refuseOversizedInputs(inputs: InputText[], what: string): void {
  let total = 0;
  for (const input of inputs) {
    total += Buffer.byteLength(input.text, 'utf8');
    if (total > MAX_TOTAL_INPUT_BYTES) {
      throw new GateError('LIMIT_EXCEEDED', `${what} hold more than ${mebibytes(MAX_TOTAL_INPUT_BYTES)} of manifests together (the limit for one run); check smaller parts in separate runs`, { file: input.name });
    }
  }
}

/** Validates every policy; the same policy twice is fine only if both copies agree. */
function buildPolicySet(objects: ManifestObject[], defaultNamespace: string, kinds: KindRegistry): PolicySet {
  if (objects.length > MAX_POLICIES) {
    const { file, line } = objects[MAX_POLICIES];
    throw new GateError('LIMIT_EXCEEDED', `more than ${MAX_POLICIES} ImagePolicies and ClusterImagePolicies (the limit for one run); merge policies that share requirements into one with several repositories`, { file, line });
  }
  const byId = new Map<string, PolicyResource>();
  let repositories = 0;
  for (const object of objects) {
    const policy = validatePolicy(object, defaultNamespace, kinds);
    repositories += policy.repositories.length;
    if (repositories > MAX_POLICY_REPOSITORIES) {
      throw new GateError('LIMIT_EXCEEDED', `more than ${MAX_POLICY_REPOSITORIES} repository patterns over all policies (the limit for one run); use wildcards ("registry.example.com/team/*") instead of listing repositories one by one`, policy.origin);
    }
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
