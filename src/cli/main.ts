#!/usr/bin/env node
// Command-line wiring only: flags -> options -> runCheck / runGenerate -> output -> exit code.

import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { generateCacheLocation } from '../cache/open.js';
import { exitCodeWithWarnings, failedOnWarnings, runCheck } from '../commands/check.js';
import { DEFAULTS, type CheckIO, type CheckOptions } from '../engine/engine.js';
import { DEFAULT_GENERATE_TIMEOUT_SECONDS, runGenerate } from '../commands/generate.js';
import { killRenderers, watchRenderers } from '../input/render.js';
import { runPin, unifiedDiff, writeChanges } from '../commands/pin.js';
import { runExplain } from '../commands/explain.js';
import { renderExplanation } from '../report/explain.js';
import { runInit } from '../commands/init.js';
import { runCosignInit } from '../commands/init-cosign.js';
import { runTrustInit } from '../commands/init-trust.js';
import { renderTestJunit, renderTestText, runRecord, runTest, testExitCode } from '../commands/test.js';
import { renderLint, runLint } from '../commands/lint.js';
import { EXIT_BAD_INPUT, EXIT_INCOMPLETE, GateError, errorMessage, exitCodeForError, internalErrorText, type Warning } from '../errors.js';
import { reportFileProblem, writeProblem, writeReportFile } from '../report/report-file.js';
import { FORMATS, parseOutputSpec, planOutputs, renderFailure, renderReport, type OutputSpec, type RenderContext } from '../report/outputs.js';
import type { Report } from '../report/model.js';
import { shouldColor } from '../report/text.js';
import { TerminalProgress } from '../report/progress.js';
import { escapeControls, inertLine } from '../report/escape.js';
import { exitCodeFor } from '../verify/verdict.js';
import { GATE_VERSION } from '../version.js';
import { WEBHOOKS, type Webhook } from '../policy/settings.js';
import { STOP_SIGNALS, SUPERVISED_ENV, type RendererMessage } from './supervision.js';

/** Flags both commands take: where the configuration is, and how to reach registries. */
interface CommonFlags {
  gateDir?: string;
  policies?: string;
  keys?: string;
  registriesD?: string;
  offline?: boolean;
  insecureRegistry: string[];
  caFile: string[];
  authFile?: string;
  cluster?: boolean;
  kubeconfig?: string;
  requestTimeout: number;
  concurrency: number;
  registryConcurrency: number;
  verbose?: boolean;
  cacheDir?: string;
  cacheRedis?: string;
  cacheTtl: number;
  cacheSize: number;
  requireDigest?: boolean;
  webhook?: Webhook;
}

interface CheckFlags extends CommonFlags {
  output: OutputSpec[];
  exclude: string[];
  namespace: string;
  timeout: number;
  color: 'auto' | 'always' | 'never';
  failOnWarn?: boolean;
}

interface PinFlags extends CommonFlags {
  exclude: string[];
  namespace: string;
  timeout: number;
  write?: boolean;
}

interface ExplainFlags extends CommonFlags {
  namespace: string;
  timeout: number;
  pullSecret: string[];
  output: 'text' | 'json';
}

interface TestFlags extends CommonFlags {
  namespace: string;
  timeout: number;
  output: 'text' | 'junit' | 'json';
  junit?: string;
  now?: Date;
}

interface InitFlags {
  trustServer?: string;
  gun?: string;
  signerSecret: string[];
  caFile: string[];
  insecureRegistry: string[];
  cosignKey?: string;
  keylessIssuer?: string;
  keylessSubject?: string;
  trustedRoot?: string;
  webhook?: string;
  key?: string;
  gpgKey?: string;
  keyName: string;
  repository: string[];
  lookaside?: string;
  force?: boolean;
}

interface LintFlags extends CommonFlags {
  namespace: string;
  output: 'text' | 'json';
}

interface GenerateFlags extends CommonFlags {
  namespace?: string;
  timeout?: number;
  failOnWarn?: boolean;
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name('gate')
    .description('Verify the signatures of every image in Kubernetes manifests against Portieris policies committed with them.')
    .version(GATE_VERSION, '-V, --version')
    .showHelpAfterError('(run gate --help for usage)')
    .exitOverride();
  const idleFlagWarnings: Warning[] = [];
  program.hook('preAction', (_program, action) => checkIdleFlags(action, idleFlagWarnings));

  const check = program
    .command('check')
    .description('find every image in the manifests and verify it against the policies in .gate/')
    .argument('[paths...]', 'files or folders of manifests (*.yaml, *.yml, *.json), or - for stdin', ['.'])
    .option('-o, --output <format[=file]>', `report format, to standard output or to a file (repeatable): ${FORMATS.join(', ')}; e.g. -o github -o sarif=gate.sarif -o junit=gate.xml`, outputSpec, [])
    .option('--exclude <glob>', 'leave files matching this glob out of folder walks (repeatable), e.g. \'charts/**\'', collect, [])
    .option('-n, --namespace <namespace>', 'namespace of objects that set none (the app\'s destination namespace)', 'default')
    .option('--timeout <seconds>', 'time budget for the whole run; images not decided in time are denied as TIMEOUT', seconds, DEFAULTS.timeoutSeconds);
  commonOptions(check)
    .addOption(new Option('--color <when>', 'colour the text report').choices(['auto', 'always', 'never']).default('auto'))
    .option('--fail-on-warn', 'fail the run (exit 1) when the report has any warning, even if every image is allowed')
    .action(async (paths: string[], flags: CheckFlags) => {
      exitCode = await runCheckCommand(paths, flags, idleFlagWarnings);
    });

  const pin = program
    .command('pin')
    .description('propose digests for tag references whose signatures verified: a unified diff of the manifests to review (git apply), or --write')
    .argument('[paths...]', 'files or folders of manifests', ['.'])
    .option('--write', 'change the files in place instead of printing the diff')
    .option('--exclude <glob>', 'leave files matching this glob out of folder walks (repeatable)', collect, [])
    .option('-n, --namespace <namespace>', 'namespace of objects that set none', 'default')
    .option('--timeout <seconds>', 'time budget for the whole run', seconds, DEFAULTS.timeoutSeconds);
  commonOptions(pin).action(async (paths: string[], flags: PinFlags) => {
    for (const warning of idleFlagWarnings) process.stderr.write(`gate pin: warning: ${warning.message}\n`);
    exitCode = await runPinCommand(paths, flags);
  });

  const explain = program
    .command('explain')
    .description('show how gate decides one image: the policy patterns considered and their scores, the requirements and keys, where signatures were looked for, and the fate of each signature')
    .argument('<image>', 'the image reference, as a manifest would write it')
    .option('-n, --namespace <namespace>', 'the namespace the image would run in', 'default')
    .option('--pull-secret <name>', 'a pull secret the pod would name (repeatable), from .gate/ or, with --cluster, the cluster', collect, [])
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .option('--timeout <seconds>', 'time budget', seconds, DEFAULTS.timeoutSeconds);
  commonOptions(explain, { searchFrom: 'the current folder', network: true, batch: false }).action(async (image: string, flags: ExplainFlags) => {
    exitCode = await runExplainCommand(image, flags);
  });

  const test = program
    .command('test')
    .description('run the policy tests of .gate/tests/ offline, on the evidence gate record kept in .gate/testdata/ (no network): exit 1 when a case gets another verdict than it expects')
    .addOption(new Option('-o, --output <format>', 'text, junit or json').choices(['text', 'junit', 'json']).default('text'))
    .option('--junit <file>', 'also write a JUnit report to this file')
    .option('--now <time>', 'decide at this time (RFC 3339) instead of the recording\'s', instant)
    .option('-n, --namespace <namespace>', 'namespace used to look up keys of ClusterImagePolicies', 'default')
    .option('--timeout <seconds>', 'time budget', seconds, DEFAULTS.timeoutSeconds);
  commonOptions(test, { searchFrom: 'the current folder', network: false, batch: false }).action(async (flags: TestFlags) => {
    exitCode = await runTestCommand(flags, false);
  });

  const record = program
    .command('record')
    .description('decide every case of .gate/tests/ against the live registries and keep what the decisions read in .gate/testdata/ (content-addressed, no credentials), for gate test')
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .option('-n, --namespace <namespace>', 'namespace used to look up keys of ClusterImagePolicies', 'default')
    .option('--timeout <seconds>', 'time budget', seconds, DEFAULTS.timeoutSeconds);
  commonOptions(record, { searchFrom: 'the current folder', network: true, batch: false }).action(async (flags: TestFlags) => {
    exitCode = await runTestCommand(flags, true);
  });

  program
    .command('init')
    .description('scaffold .gate/: a ClusterImagePolicy requiring signatures by your key, the key, registries.d, config.yaml and JSON Schemas for editors')
    .argument('[dir]', 'the repository root that gets .gate/', '.')
    .option('--key <file>', 'the armoured OpenPGP public key signatures are made with (gpg --armor --export FINGERPRINT)')
    .option('--gpg-key <fingerprint>', 'export the public key from gpg instead (GNUPGHOME selects the keyring)')
    .option('--key-name <name>', 'the keySecret name: .gate/keys/<name>.asc, and the Secret Portieris reads in the cluster', 'release')
    .option('--repository <pattern>', 'images that must be signed, as a Portieris pattern (repeatable), e.g. "registry.example.com/team/*"', collect, [])
    .option('--lookaside <url>', 'where the signatures are: https://…, file:///…, or file:relative/to/.gate/registries.d')
    .option('--cosign-key <file>', 'cosign: images are signed with this key pair (cosign.pub, PEM); scaffolds a cosign policy instead')
    .option('--keyless-issuer <url>', 'cosign keyless: the OIDC issuer of the signer\'s Fulcio certificate (with --keyless-subject and --trusted-root)')
    .option('--keyless-subject <identity>', 'cosign keyless: the certificate\'s subject, exactly (an e-mail, or a CI workflow URI)')
    .option('--trusted-root <file>', 'cosign: the sigstore trusted_root.json to trust (Fulcio CAs, Rekor, CT logs, TSAs), copied to .gate/trust/')
    .option('--webhook <name>', 'cosign: policy-controller (a ClusterImagePolicy of policy.sigstore.dev, the default) or none (gate\'s sigstoreSigned requirement)')
    .option('--trust-server <url>', 'Docker Content Trust: the notary server; scaffolds a Portieris trust policy and pins the current root of --gun')
    .option('--gun <name>', 'Docker Content Trust: the repository whose root to pin, e.g. registry.example.com/team/app')
    .option('--signer-secret <name>', 'Docker Content Trust: a signerSecret the policy requires (repeatable)', collect, [])
    .option('--ca-file <file>', 'Docker Content Trust: also trust this CA for the notary server (repeatable)', collect, [])
    .option('--insecure-registry <host[:port]>', 'Docker Content Trust: reach this notary server over plain HTTP (test servers)', collect, [])
    .option('--force', 'overwrite files gate init would write')
    .action(async (dir: string, flags: InitFlags) => {
      exitCode = await runInitCommand(dir, flags);
    });

  const lint = program
    .command('policy')
    .description('work with the policies in .gate/: "gate policy lint" validates .gate/ and reports patterns that never win or never match, missing or unused keys, and expiring exemptions')
    .command('lint')
    .description('validate .gate/ (policies, keys, registries.d, config.yaml) and report patterns that never win or never match, keys that are missing or unused, and exemptions that expired or expire soon')
    .option('-n, --namespace <namespace>', 'namespace used to look up keys of ClusterImagePolicies', 'default')
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'));
  commonOptions(lint, { searchFrom: 'the current folder', network: false, batch: false }).action(async (flags: LintFlags) => {
    exitCode = await runLintCommand(flags);
  });

  const generate = program
    .command('generate')
    .description('Argo CD config-management plugin: render the app in the working folder, verify every image, print the manifests unchanged or fail')
    .option('-n, --namespace <namespace>', 'namespace of objects that set none, when ARGOCD_APP_NAMESPACE is not set')
    .option('--timeout <seconds>', `time budget for rendering and verifying (default ${DEFAULT_GENERATE_TIMEOUT_SECONDS}, below Argo CD's 60 s; the plugin parameter "timeout" wins)`, seconds)
    .option('--fail-on-warn', 'fail the generation (exit 1, nothing on stdout) when the check has any warning, each printed on stderr; not in mode warn');
  commonOptions(generate, { searchFrom: 'the app folder', network: true, batch: true }).action(async (flags: GenerateFlags) => {
    exitCode = await runGenerateCommand(flags);
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return e.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    throw e;
  }
  return exitCode;
}

interface OptionSet {
  /** How the .gate folder is found without --gate-dir. */
  searchFrom: string;
  /** Registries, TLS and credentials (not for gate policy lint, which reads only files). */
  network: boolean;
  /** Several images at once, and an evidence cache between runs. */
  batch: boolean;
}

function commonOptions(command: Command, set: OptionSet = { searchFrom: 'the first path', network: true, batch: true }): Command {
  command
    .option('--gate-dir <dir>', `the .gate folder to use instead of searching upward from ${set.searchFrom}`)
    .option('--policies <dir>', 'folder of ImagePolicy / ClusterImagePolicy files (default: .gate/policies)')
    .option('--keys <dir>', 'folder of public keys <keySecret>.asc and key Secrets (default: .gate/keys)')
    .option('--registries-d <dir>', 'containers-registries.d folder saying where signatures are (default: .gate/registries.d)');
  if (set.network) {
    command
      .option('--require-digest', 'deny images referenced by tag (NOT_PINNED), showing the verified digest to pin; as requireDigest: true in .gate/config.yaml')
      .option('--offline', 'no network: verify digest-pinned images from file:// lookasides only; tags are denied as NOT_PINNED')
      .option('--insecure-registry <host[:port]>', 'reach this registry (or token service, or lookaside) over plain HTTP (repeatable)', collect, [])
      .option('--ca-file <file>', 'also trust this CA for registries and lookasides (repeatable); see also .gate/certs.d/<host:port>/', collect, [])
      .option('--auth-file <file>', 'registry credentials for CI (docker config.json / containers auth.json format); default: $REGISTRY_AUTH_FILE, containers auth.json, docker config.json');
  }
  command
    .option('--webhook <name>', 'the in-cluster enforcer whose verdict gate predicts: portieris (default), policy-controller (sigstore policy-controller and its ClusterImagePolicies) or none (judge by the signatures gate reads alone); as webhook: in .gate/config.yaml', webhookName)
    .option('--cluster', 'read pull secrets and key Secrets missing from the repository from the cluster (kubeconfig or in-cluster service account)')
    .option('--kubeconfig <file>', 'the kubeconfig for --cluster (default $KUBECONFIG or ~/.kube/config)');
  if (set.network) command.option('--request-timeout <seconds>', 'time allowed for each registry or lookaside request', seconds, DEFAULTS.requestTimeoutSeconds);
  if (set.batch) {
    command
      .option('--concurrency <n>', 'images decided at once', count, DEFAULTS.concurrency)
      .option('--registry-concurrency <n>', 'requests in flight per registry', count, DEFAULTS.registryConcurrency)
      .option('--cache-dir <dir>', 'keep the signatures gate fetches here between runs, to verify again instead of fetching (safe to share between concurrent runs); generate defaults to $GATE_CACHE_DIR or <tmp>/gate-cache')
      .addOption(new Option('--cache-redis <url>', 'keep fetched signatures in Redis too, shared by every replica and runner: redis://[:password@]host[:port][/db] or rediss:// (TLS); password also from $GATE_CACHE_REDIS_PASSWORD').env('GATE_CACHE_REDIS'))
      .option('--cache-ttl <seconds>', 'how long fetched signatures are used from the cache', seconds, DEFAULTS.cacheTtlSeconds)
      .option('--cache-size <MiB>', 'the bound of the cache folder: the oldest entries go beyond it', count, DEFAULTS.cacheSizeMiB);
  }
  return command.option('-v, --verbose', 'say on stderr which credential each registry accepted (never the secret)');
}

/**
 * Flags that would do nothing. --kubeconfig without --cluster is refused: naming a
 * kubeconfig says "read the cluster", and a verdict reached without the cluster's Secrets
 * must not pass for one reached with them. --cache-ttl without --cache-dir is a warning:
 * the verdict is the same either way, and CI often passes one set of flags to gate
 * generate (which caches by default) and to gate check (which does not).
 */
function checkIdleFlags(command: Command, warnings: Warning[]): void {
  const given = (key: string) => command.getOptionValueSource(key) === 'cli';
  const flags = command.opts<Partial<CommonFlags>>();
  if (given('kubeconfig') && flags.cluster !== true) {
    command.error('error: --kubeconfig does nothing without --cluster: add --cluster to read Secrets from the cluster, or leave --kubeconfig out', { exitCode: EXIT_BAD_INPUT, code: 'gate.idleFlag' });
  }
  if (given('cacheTtl') && flags.cacheDir === undefined && flags.cacheRedis === undefined && command.name() !== 'generate') {
    warnings.push({ message: `--cache-ttl does nothing without --cache-dir or --cache-redis: gate ${command.name()} keeps no cache unless one is named` });
  }
}

function commonCheckOptions(flags: CommonFlags): Omit<CheckOptions, 'paths' | 'namespace'> {
  return {
    gateDir: flags.gateDir,
    policiesDir: flags.policies,
    keysDir: flags.keys,
    registriesDir: flags.registriesD,
    offline: flags.offline === true,
    insecureRegistries: flags.insecureRegistry,
    caFiles: flags.caFile,
    authFile: flags.authFile,
    cluster: flags.cluster === true,
    kubeconfig: flags.kubeconfig,
    requestTimeoutSeconds: flags.requestTimeout,
    concurrency: flags.concurrency,
    registryConcurrency: flags.registryConcurrency,
    cacheDir: flags.cacheDir,
    cacheRedis: flags.cacheRedis || undefined,
    cacheTtlSeconds: flags.cacheTtl,
    cacheSizeMiB: flags.cacheSize,
    requireDigest: flags.requireDigest === true,
    ...(flags.webhook ? { webhook: flags.webhook } : {}),
  };
}

function webhookName(value: string): Webhook {
  if (!(WEBHOOKS as readonly string[]).includes(value)) throw new InvalidArgumentError(`--webhook is one of ${WEBHOOKS.join(', ')}`);
  return value as Webhook;
}

function checkIO(flags: CommonFlags, withProgress = false): CheckIO {
  const log = flags.verbose ? (line: string) => process.stderr.write(`gate: ${line}\n`) : undefined;
  // A progress line would break up --verbose lines; on anything but a terminal it is never drawn.
  const progress = withProgress && !flags.verbose ? new TerminalProgress({ isTTY: process.stderr.isTTY === true && process.env.TERM !== 'dumb', write: (text) => process.stderr.write(text) }) : undefined;
  const notice = (line: string) => {
    progress?.stop();
    process.stderr.write(`gate: ${line}\n`);
  };
  return { cwd: process.cwd(), readStdin, now: () => new Date(), env: process.env, log, notice, progress };
}

async function runCheckCommand(paths: string[], flags: CheckFlags, flagWarnings: Warning[]): Promise<number> {
  const options: CheckOptions = { ...commonCheckOptions(flags), paths, exclude: flags.exclude, namespace: flags.namespace, timeoutSeconds: flags.timeout };
  let outputs: OutputSpec[];
  try {
    outputs = planOutputs(flags.output);
  } catch (e) {
    process.stderr.write(`gate: ${errorMessage(e)}\n`);
    return EXIT_BAD_INPUT;
  }
  const context = (spec: OutputSpec): RenderContext => ({
    cwd: process.cwd(),
    color: spec.format === 'text' && (spec.file === undefined ? shouldColor(flags.color, process.stdout.isTTY === true, process.env) : flags.color === 'always'),
  });
  let report: Report;
  // A report file that cannot be written is known before minutes are spent on registries.
  const unwritable = await firstUnwritable(outputs);
  try {
    if (unwritable) throw new GateError('OUTPUT_UNWRITABLE', `cannot write the ${unwritable.spec.format} report to ${unwritable.spec.file}: ${unwritable.problem}`);
    report = await runCheck(options, checkIO(flags, true));
    report.warnings.unshift(...flagWarnings);
  } catch (e) {
    // A cluster or credential helper that does not answer is not bad input: no verdict could be reached.
    const code = reportFailure(e);
    if (!(e instanceof GateError)) return code;
    // Every report still gets written, in its format's shape for a failed run (the text
    // report on standard output would only repeat the line on stderr).
    const failed = (spec: OutputSpec) => ((spec.format === 'text' && spec.file === undefined) || spec === unwritable?.spec ? undefined : renderFailure(spec.format, e, context(spec), code));
    await writeOutputs(outputs, failed);
    return code;
  }
  const written = await writeOutputs(outputs, (spec) => renderReport(spec.format, report, context(spec)));
  if (!written) return EXIT_BAD_INPUT;
  if (flags.failOnWarn && report.warnings.length > 0) process.stderr.write(`${failedOnWarnings(report)}\n`);
  return exitCodeWithWarnings(report, flags.failOnWarn === true);
}

/** The first report file that could not be written, and why (src/report/report-file.ts). */
async function firstUnwritable(outputs: OutputSpec[]): Promise<{ spec: OutputSpec; problem: string } | undefined> {
  for (const spec of outputs) {
    if (spec.file === undefined) continue;
    const problem = await reportFileProblem(path.resolve(process.cwd(), spec.file));
    if (problem) return { spec, problem };
  }
  return undefined;
}

/** Standard output or files (their folders created); false when a file could not be written, said on stderr. */
async function writeOutputs(outputs: OutputSpec[], render: (spec: OutputSpec) => string | undefined): Promise<boolean> {
  let ok = true;
  for (const spec of outputs) {
    const text = render(spec);
    if (text === undefined) continue;
    if (spec.file === undefined) {
      await write(text);
      continue;
    }
    try {
      await writeReportFile(path.resolve(process.cwd(), spec.file), text);
    } catch (e) {
      process.stderr.write(`gate: ${inertLine(new GateError('OUTPUT_UNWRITABLE', `cannot write the ${spec.format} report to ${spec.file}: ${writeProblem(e)}`).oneLine())}\n`);
      ok = false;
    }
  }
  return ok;
}

async function runExplainCommand(image: string, flags: ExplainFlags): Promise<number> {
  try {
    const explanation = await runExplain(image, { ...commonCheckOptions(flags), namespace: flags.namespace, timeoutSeconds: flags.timeout, pullSecrets: flags.pullSecret }, checkIO(flags));
    await write(flags.output === 'json' ? `${JSON.stringify(explanation, null, 2)}\n` : renderExplanation(explanation));
    const { verdict } = explanation;
    return exitCodeFor([{ allowed: verdict.verdict === 'allow', reason: verdict.reason }]);
  } catch (e) {
    return reportFailure(e);
  }
}

async function runTestCommand(flags: TestFlags, recording: boolean): Promise<number> {
  try {
    const options = { ...commonCheckOptions(flags), namespace: flags.namespace, timeoutSeconds: flags.timeout };
    if (recording) {
      const run = await runRecord(options, checkIO(flags));
      if (flags.output === 'json') await write(`${JSON.stringify(run, null, 2)}\n`);
      else await write(`${renderTestText(run, 'gate record')}recorded in ${run.recording.dir} (${run.recording.blobs} blob(s)); review the diff, commit it, then run gate test\n`);
      // Kept either way (a failing case may be the point of the change); the exit says whether the cases hold.
      return testExitCode(run);
    }
    if (flags.cluster === true || flags.kubeconfig !== undefined) throw new GateError('USAGE', 'gate test reads nothing but the recording: --cluster belongs to gate record');
    const run = await runTest({ ...options, ...(flags.now ? { now: flags.now } : {}) }, checkIO(flags));
    if (flags.junit) await writeReportFile(flags.junit, renderTestJunit(run));
    await write(flags.output === 'json' ? `${JSON.stringify(run, null, 2)}\n` : flags.output === 'junit' ? renderTestJunit(run) : renderTestText(run));
    return testExitCode(run);
  } catch (e) {
    return reportFailure(e);
  }
}

async function runInitCommand(dir: string, flags: InitFlags): Promise<number> {
  if (flags.trustServer !== undefined || flags.gun !== undefined) return runTrustInitCommand(dir, flags);
  if (flags.cosignKey !== undefined || flags.keylessIssuer !== undefined || flags.keylessSubject !== undefined) return runCosignInitCommand(dir, flags);
  try {
    const outcome = await runInit({
      dir: path.resolve(process.cwd(), dir),
      keyFile: flags.key,
      gpgKey: flags.gpgKey,
      keyName: flags.keyName,
      repositories: flags.repository,
      lookaside: flags.lookaside,
      force: flags.force === true,
      env: process.env,
    });
    const where = path.relative(process.cwd(), path.resolve(process.cwd(), dir)) || '.';
    await write(`${outcome.written.map((f) => `wrote ${path.join(where, f)}`).join('\n')}\ntrusted key(s): ${outcome.fingerprints.join(', ')}\n${outcome.next.map((n) => `next: ${n}\n`).join('')}next: gate policy lint, then gate check <manifests>; commit .gate/ and protect it with CODEOWNERS\n`);
    return 0;
  } catch (e) {
    return reportFailure(e);
  }
}

async function runTrustInitCommand(dir: string, flags: InitFlags): Promise<number> {
  try {
    if (flags.trustServer === undefined || flags.gun === undefined) throw new GateError('USAGE', 'a Docker Content Trust policy needs both --trust-server (the notary server) and --gun (the repository whose root to pin, e.g. registry.example.com/team/app)');
    if (flags.key !== undefined || flags.gpgKey !== undefined || flags.lookaside !== undefined || flags.cosignKey !== undefined || flags.keylessIssuer !== undefined) throw new GateError('USAGE', '--trust-server scaffolds a Docker Content Trust policy; --key, --gpg-key, --lookaside and the cosign options are for other formats: run gate init once per format');
    const outcome = await runTrustInit({
      dir: path.resolve(process.cwd(), dir),
      trustServer: flags.trustServer,
      gun: flags.gun,
      repositories: flags.repository,
      signerSecrets: flags.signerSecret,
      caFiles: flags.caFile.map((f) => path.resolve(process.cwd(), f)),
      insecure: flags.insecureRegistry,
      force: flags.force === true,
      now: new Date(),
      env: process.env,
    });
    const where = path.relative(process.cwd(), path.resolve(process.cwd(), dir)) || '.';
    await write(`${outcome.written.map((f) => `wrote ${path.join(where, f)}`).join('\n')}\npinned root certificate(s): ${outcome.rootCertIds.join(', ')}\n${outcome.pin}${outcome.next.map((n) => `next: ${n}\n`).join('')}next: gate policy lint, then gate check <manifests>; commit .gate/ and protect it with CODEOWNERS\n`);
    return 0;
  } catch (e) {
    return reportFailure(e);
  }
}

async function runCosignInitCommand(dir: string, flags: InitFlags): Promise<number> {
  try {
    if (flags.key !== undefined || flags.gpgKey !== undefined || flags.lookaside !== undefined) throw new GateError('USAGE', '--key, --gpg-key and --lookaside are for simple signing (OpenPGP); a cosign policy takes --cosign-key or --keyless-issuer/--keyless-subject');
    const webhook = flags.webhook ?? 'policy-controller';
    if (webhook !== 'policy-controller' && webhook !== 'none') throw new GateError('USAGE', `--webhook for a cosign policy is policy-controller or none (Portieris cannot verify cosign signatures), not ${JSON.stringify(webhook)}`);
    const outcome = await runCosignInit({
      dir: path.resolve(process.cwd(), dir),
      ...(flags.cosignKey !== undefined ? { cosignKey: flags.cosignKey } : {}),
      ...(flags.keylessIssuer !== undefined ? { keylessIssuer: flags.keylessIssuer } : {}),
      ...(flags.keylessSubject !== undefined ? { keylessSubject: flags.keylessSubject } : {}),
      ...(flags.trustedRoot !== undefined ? { trustedRoot: flags.trustedRoot } : {}),
      repositories: flags.repository,
      webhook,
      force: flags.force === true,
    });
    const where = path.relative(process.cwd(), path.resolve(process.cwd(), dir)) || '.';
    await write(`${outcome.written.map((f) => `wrote ${path.join(where, f)}`).join('\n')}\ntrusted: ${outcome.trusted}\n${outcome.next.map((n) => `next: ${n}\n`).join('')}next: gate policy lint, then gate check <manifests>; commit .gate/ and protect it with CODEOWNERS\n`);
    return 0;
  } catch (e) {
    return reportFailure(e);
  }
}

async function runLintCommand(flags: LintFlags): Promise<number> {
  try {
    const report = await runLint({ ...commonCheckOptions(flags), namespace: flags.namespace }, checkIO(flags));
    await write(flags.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderLint(report));
    return report.summary.errors > 0 ? 1 : 0;
  } catch (e) {
    return reportFailure(e);
  }
}

async function runPinCommand(paths: string[], flags: PinFlags): Promise<number> {
  const options: CheckOptions = { ...commonCheckOptions(flags), paths, exclude: flags.exclude, namespace: flags.namespace, timeoutSeconds: flags.timeout };
  try {
    const outcome = await runPin(options, checkIO(flags, true));
    const pinned = outcome.changes.reduce((n, c) => n + c.pinned, 0);
    if (flags.write) await writeChanges(outcome.changes, process.cwd());
    else await write(outcome.changes.map((c) => unifiedDiff(c.file, c.before, c.after)).join(''));
    const files = outcome.changes.length;
    const summary = pinned === 0 ? (outcome.notPinned.length > 0 ? 'nothing pinned' : 'nothing to pin') : `${flags.write ? 'pinned' : 'would pin'} ${pinned} reference(s) in ${files} file(s) to digests whose signatures verified`;
    process.stderr.write(`gate pin: ${summary}${flags.write || pinned === 0 ? '' : ' (apply with git apply, or run gate pin --write)'}\n`);
    if (outcome.notPinned.length > 0) process.stderr.write(`gate pin: not pinned:\n${outcome.notPinned.map((n) => `  ${escapeControls(n)}`).join('\n')}\n`);
    return outcome.exitCode;
  } catch (e) {
    return reportFailure(e);
  }
}

/** Exit 2 with one line for bad input; 3 for anything that kept gate from a verdict. */
function reportFailure(e: unknown): number {
  if (e instanceof GateError) {
    process.stderr.write(`gate: ${inertLine(e.oneLine())}\n`);
    return exitCodeForError(e);
  }
  process.stderr.write(`gate: ${internalErrorText(e, true)}\n`);
  if (process.env.GATE_DEBUG) process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  return EXIT_INCOMPLETE;
}

/** stdout carries only manifests, and only when gate allows them; everything else goes to stderr. */
async function runGenerateCommand(flags: GenerateFlags): Promise<number> {
  const cacheDir = flags.cacheDir ?? generateCacheLocation(process.env);
  const outcome = await runGenerate({ ...commonCheckOptions(flags), cacheDir, namespace: flags.namespace, timeoutSeconds: flags.timeout, failOnWarn: flags.failOnWarn === true }, checkIO(flags));
  process.stderr.write(outcome.stderr);
  if (outcome.stdout) await write(outcome.stdout);
  return outcome.exitCode;
}

async function readStdin(limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += buffer.length;
    if (total > limit) {
      // Stop reading at once: the writer gets EPIPE, and nothing more is buffered.
      process.stdin.destroy();
      throw new GateError('LIMIT_EXCEEDED', `standard input holds more than ${limit / 1024 / 1024} MiB (the limit for one manifest stream); split it, or check the files themselves`, { file: '<stdin>' });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Writes to stdout; a reader that stops early (`| head`) is not an error, and the exit code stays the verdict's. */
function write(text: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(text, (err) => {
      if (err && (err as NodeJS.ErrnoException).code !== 'EPIPE') reject(err);
      else resolve();
    }),
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function outputSpec(value: string, previous: OutputSpec[]): OutputSpec[] {
  try {
    return [...previous, parseOutputSpec(value)];
  } catch (e) {
    throw new InvalidArgumentError(errorMessage(e).replace(/^--output: /, ''));
  }
}

function seconds(value: string): number {
  const n = Number(value.replace(/s$/, ''));
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of seconds, such as 30 or 2.5');
  return n;
}

function instant(value: string): Date {
  const time = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) ? new Date(value) : new Date(NaN);
  if (Number.isNaN(time.getTime())) throw new InvalidArgumentError('expected a time such as 2027-01-31T12:00:00Z, or a date');
  return time;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

// Run by the `gate` command (gate.ts), which stops renderers and says why the run ended;
// run directly, this process does both itself.
const supervised = process.env[SUPERVISED_ENV] === '1' && typeof process.send === 'function';
delete process.env[SUPERVISED_ENV];
if (supervised) {
  // The channel must not keep the process alive once the verdict is written.
  process.channel?.unref();
  const tell = (message: RendererMessage) => process.send?.(message, undefined, undefined, () => undefined);
  watchRenderers({ started: (group) => tell({ renderer: group, running: true }), ended: (group) => tell({ renderer: group, running: false }) });
  // The `gate` command was killed: nobody is left to use this run's verdict.
  process.on('disconnect', () => {
    killRenderers();
    process.kill(process.pid, 'SIGKILL');
  });
}

// A signal ends the run by that very signal (128+n for the caller), at once: process.exit()
// would wait for a thread-pool read that may never end (a FIFO). Renderers run in process
// groups of their own, so a signal to gate's group does not reach them.
for (const signal of STOP_SIGNALS) {
  process.on(signal, () => {
    if (!supervised) {
      killRenderers();
      process.stderr.write(`gate: stopped by ${signal}\n`);
    }
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
}

// An error nobody awaited must not end the run with exit 1, which means "denied".
process.on('unhandledRejection', (e: unknown) => {
  process.stderr.write(`gate: ${internalErrorText(e)}\n`, () => process.exit(EXIT_INCOMPLETE));
});

// Exit as soon as the verdict is written: a connection left open by a registry or a
// cluster that stopped answering must not keep the process (and a CI job) alive.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`gate: ${errorMessage(e)}\n`, () => process.exit(EXIT_BAD_INPUT));
  },
);
