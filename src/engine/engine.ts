// The composition root of a run: .gate/ found and loaded, the policies validated, the
// keys, the network (per-run credentials and deadline over the process-lived
// connections), the cache, and the Decider that gets them all. The commands (gate
// check, explain, generate, pin, policy lint) build one and only wire; the rules live in
// policy/, verify/ and the kinds.

import path from 'node:path';
import { ClusterSecrets } from '../cluster/secrets.js';
import { openEvidenceCache } from '../cache/open.js';
import { Decider, type Network } from './decider.js';
import type { EvidenceTap } from './tap.js';
import { CredentialFinder, serviceAccountsFromCluster, type CiCredentialUse } from './credentials.js';
import { GateError, type Warning } from '../errors.js';
import { readOrFail } from '../input/bounded-read.js';
import { displayName, mebibytes, type InputIO } from '../input/files.js';
import type { ManifestObject } from '../manifests/document.js';
import type { ServiceAccountLookup } from '../manifests/service-accounts.js';
import { findGateDir, gateLocations, loadGateConfig, type GateLocations } from '../policy/gate-dir.js';
import type { RegistriesConfig } from '../policy/registries-d.js';
import { CONFIG_FILE, ruleLevel, webhookOf, type GateSettings, type RuleLevel, type Webhook } from '../policy/settings.js';
import { KeyStore } from '../policy/keys.js';
import type { PolicySet } from '../policy/types.js';
import { looksLikePolicy } from '../policy/validate.js';
import { CiCredentials } from '../registry/auth-files.js';
import { RegistryClient } from '../registry/client.js';
import { endpointFor, SYSTEM_CERTS_DIRS, trustRootsFor } from '../registry/endpoint.js';
import { HttpClient, type Connections } from '../registry/http.js';
import type { ProgressListener } from '../report/progress.js';
import type { KindRegistry } from '../verify/kind.types.js';
import { KINDS } from '../verify/kinds.js';
import { buildPolicySet } from '../policy/policy-set.js';
import { isSigstorePolicyObject, readSigstorePolicies } from '../policy/policy-controller/cip.js';

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
  /** A folder where fetched signatures are kept for `cacheTtlSeconds` (shared safely between runs). */
  cacheDir?: string;
  /** Redis (redis:// or rediss://) where fetched signatures are kept, shared by every replica and runner. */
  cacheRedis?: string;
  cacheTtlSeconds?: number;
  /** The cache folder's bound, in MiB. */
  cacheSizeMiB?: number;
  /** The requirement kinds policies may use (verify/kinds.ts); a test registers one more here. */
  kinds?: KindRegistry;
  /** The enforcer gate predicts (`--webhook`, the plugin parameter webhook); wins over webhook in .gate/config.yaml. */
  webhook?: Webhook;
  /** The level of the mutate-image rule unless .gate/config.yaml sets one: gate generate denies, gate check warns. */
  mutateImageDefault?: RuleLevel;
  /**
   * Where evidence enters (engine/tap.ts): `gate record` taps the network, `gate test` replays a
   * recording (`replay`: no network at all — a question the tap cannot answer stops the run).
   * Either way no evidence cache is read or written.
   */
  tap?: EvidenceTap;
  replay?: boolean;
}

export interface CheckIO extends InputIO {
  now(): Date;
  env: NodeJS.ProcessEnv;
  /** --verbose lines (stderr); never given a secret. */
  log?: (line: string) => void;
  /**
   * What the operator should know about the run's machinery, always shown (stderr), never a
   * finding about the repository: not a report warning, so --fail-on-warn does not fail on
   * it (an evidence cache that is down costs time, not a sync).
   */
  notice?: (line: string) => void;
  /** Told how the run advances (a progress line on a terminal). */
  progress?: ProgressListener;
  /**
   * Connections kept by a process that lives longer than one run (a plugin server):
   * TLS sessions and keep-alive sockets per origin and trust roots, no credentials.
   * Absent: the run opens its own and closes them at its end.
   */
  connections?: Connections;
}

export const DEFAULTS = { timeoutSeconds: 120, requestTimeoutSeconds: 15, concurrency: 16, registryConcurrency: 8, cacheTtlSeconds: 3600, cacheSizeMiB: 256 } as const;
/** How long gate waits for Redis to connect or answer before it goes on without it. */
const REDIS_TIMEOUT_MS = 2000;

/** Everything a decision needs, built once per run: .gate/, the policies, keys, the network, the Decider. */
export interface Engine {
  decider: Decider;
  settings: GateSettings;
  policies: PolicySet;
  locations: GateLocations;
  registries: RegistriesConfig;
  now: Date;
  /** With --cluster: ServiceAccounts the manifests do not hold, read from the cluster. */
  serviceAccounts?: ServiceAccountLookup;
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
  const inputSigstore = objects.filter((o) => isSigstorePolicyObject(o.value));
  if (!locations.gateDir && !explicit.has('policiesDir') && inputPolicies.length === 0 && inputSigstore.length === 0) {
    throw new GateError(
      'GATE_DIR_MISSING',
      objects.length === 0
        ? `no policy: no .gate/ folder in the current folder or above it (up to the repository root); run gate init, or pass --gate-dir or --policies`
        : `no policy to check against: no .gate/ folder at or above ${describeInputs(options.paths)} (up to the repository root), and no ImagePolicy or ClusterImagePolicy in the manifests; run gate init, or pass --gate-dir or --policies`,
    );
  }
  const kinds = options.kinds ?? KINDS;
  const policies: PolicySet = { ...buildPolicySet([...config.policyObjects, ...inputPolicies], options.namespace, kinds), sigstore: readSigstorePolicies([...config.sigstoreObjects, ...inputSigstore]).policies };
  // Policies in the manifests may make a verdict stricter, never looser: .gate/'s alone decide too.
  const fromInput = inputPolicies.length + inputSigstore.length > 0;
  const fromGate = config.policyObjects.length + config.sigstoreObjects.length > 0;
  const gatePolicies: PolicySet | undefined = fromInput && fromGate ? { ...buildPolicySet(config.policyObjects, options.namespace, kinds), sigstore: readSigstorePolicies(config.sigstoreObjects).policies } : undefined;
  // Which policies a reviewer of .gate/ approved: only theirs may name a trust server that receives credentials.
  const reviewedSet = fromInput ? (gatePolicies ?? buildPolicySet(config.policyObjects, options.namespace, kinds)) : policies;
  const reviewedPolicies = new Set([...reviewedSet.clusterImagePolicies, ...reviewedSet.imagePolicies].map((r) => r.fingerprint));
  const deadline = now.getTime() + (options.timeoutSeconds ?? DEFAULTS.timeoutSeconds) * 1000;
  const requestTimeoutMs = (options.requestTimeoutSeconds ?? DEFAULTS.requestTimeoutSeconds) * 1000;
  const clock = () => io.now().getTime();
  const remaining = () => Math.min(requestTimeoutMs, deadline - clock());
  const cluster = options.cluster && !options.replay ? new ClusterSecrets(options.kubeconfig && path.resolve(io.cwd, options.kubeconfig), remaining) : undefined;
  const keys = new KeyStore(
    locations.keysDir,
    config.secretObjects,
    objects.filter((o) => o.value.kind === 'Secret' && o.value.apiVersion === 'v1'),
    options.namespace,
    io.cwd,
    cluster,
    config.settings.keySecrets ?? [],
    locations.gateDir,
  );

  const caFiles = await readCaFiles(options.caFiles ?? [], io.cwd);
  const webhook = webhookOf(config.settings, options.webhook);
  // The webhook never has the CI's credentials: under portieris they stand in only for pull secrets gate cannot see.
  const ciUse = webhook === 'none' ? 'always' : 'stand-in';
  const network = options.replay
    ? replayNetwork(objects, config.secretObjects, options.namespace, warnings)
    : options.offline
      ? undefined
      : buildNetwork(options, io, { deadline, requestTimeoutMs, remaining, clock }, caFiles, objects, config.secretObjects, locations, warnings, cluster, ciUse);
  await network?.credentials.readNamedAuthFile();
  const cache = openEvidenceCache({
    dir: options.tap ? undefined : options.cacheDir,
    redis: options.tap ? undefined : options.cacheRedis,
    redisPassword: io.env.GATE_CACHE_REDIS_PASSWORD || undefined,
    // The operator's roots only (the system's, NODE_EXTRA_CA_CERTS, --ca-file): the repository
    // must not choose whom the Redis password is sent to.
    redisCa: (hostPort) => trustRootsFor(hostPort, SYSTEM_CERTS_DIRS, caFiles, io.env),
    cwd: io.cwd,
    ttlMs: (options.cacheTtlSeconds ?? DEFAULTS.cacheTtlSeconds) * 1000,
    maxBytes: (options.cacheSizeMiB ?? DEFAULTS.cacheSizeMiB) * 1024 * 1024,
    redisTimeoutMs: Math.min(REDIS_TIMEOUT_MS, requestTimeoutMs),
    now: clock,
    warn: (message) => io.notice?.(`warning: ${message}`),
  });
  const requireDigest = options.requireDigest ? '--require-digest' : config.settings.requireDigest ? `requireDigest in ${CONFIG_FILE}` : undefined;
  const mutateImage = ruleLevel(config.settings, webhook, 'mutate-image', options.mutateImageDefault ?? 'warn');
  const keySecret = ruleLevel(config.settings, webhook, 'key-secret', 'deny');
  const signatureStore = ruleLevel(config.settings, webhook, 'signature-store', 'deny');
  const decider = new Decider({
    policies,
    gatePolicies,
    keys,
    kinds,
    registries: config.registries,
    stores: config.settings.signatureStores,
    now,
    show: (file) => displayName(file, io.cwd),
    network,
    cache,
    requireDigest,
    webhook,
    ...(config.settings.trustPinning ? { trustPinning: config.settings.trustPinning } : {}),
    reviewedPolicies,
    ...(options.tap ? { tap: options.tap } : {}),
    mutateImage,
    keySecret,
    signatureStore,
    onTagResolved: () => io.progress?.tagResolved(),
  });
  const serviceAccounts = cluster ? serviceAccountsFromCluster(cluster, warnings) : undefined;
  const close = async () => {
    await cache?.close();
    if (cache) io.log?.(`evidence cache: ${cache.counts.hits} hit(s), ${cache.counts.misses} miss(es), ${cache.counts.writes} entr(ies) written`);
    if (network) io.log?.(`TLS connections opened: ${network.http.handshakes}`);
    await network?.http.close();
  };
  return { decider, settings: config.settings, policies, locations, registries: config.registries, now, serviceAccounts, close };
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
  ciUse: CiCredentialUse,
): Network {
  const certsDirs = certsDirsOf(locations);
  const http = new HttpClient({
    requestTimeoutMs: time.requestTimeoutMs,
    deadlineMs: time.deadline,
    now: time.clock,
    caFor: (hostPort) => trustRootsFor(hostPort, certsDirs, caFiles, io.env),
    connections: io.connections,
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
    credentials: new CredentialFinder(inputSecrets, gateSecrets, options.namespace, ci, warnings, cluster, ciUse),
    cleartextAllowed: (hostPort) => insecure.has(hostPort),
  };
}

/**
 * The network of a replayed run (gate test): none. Every answer comes from the tap; a request
 * that would reach past it stops the run, naming what it asked for, rather than fetch anything.
 */
function replayNetwork(objects: ManifestObject[], gateSecrets: ManifestObject[], namespace: string, warnings: Warning[]): Network {
  const refuse = (what: string) =>
    new Proxy({}, {
      get: (_target, property) => {
        if (property === 'close') return async () => undefined;
        if (property === 'handshakes') return 0;
        if (property === 'then') return undefined;
        return () => {
          throw new GateError('RECORDING_STALE', `gate test needed the network (${what} ${String(property)}), which the recording does not stand in for: re-record with gate record`);
        };
      },
    });
  const inputSecrets = objects.filter((o) => o.value.kind === 'Secret' && o.value.apiVersion === 'v1');
  return {
    http: refuse('http') as HttpClient,
    registry: refuse('registry') as RegistryClient,
    // Pull secrets are still named, as in the recorded run; no CI credential, no cluster.
    credentials: new CredentialFinder(inputSecrets, gateSecrets, namespace, new CiCredentials({ env: {}, timeoutMs: () => 0 }), warnings, undefined, 'stand-in'),
    cleartextAllowed: () => false,
  };
}

/** Where the CA of a host:port may be: .gate/certs.d, then the system's (docker's and podman's layout). */
function certsDirsOf(locations: GateLocations): string[] {
  return [...(locations.gateDir ? [path.join(locations.gateDir, 'certs.d')] : []), ...SYSTEM_CERTS_DIRS];
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

export function describeInputs(paths: string[]): string {
  return paths.map((p) => (p === '-' ? 'standard input' : p)).join(', ');
}

export async function locateGate(options: CheckOptions, cwd: string): Promise<GateLocations> {
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

