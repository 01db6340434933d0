// The composition root of `gate generate`, the Argo CD config-management plugin: read
// the cmp-server's environment, render the app, check the rendered manifests with the
// same engine as `gate check`, and either hand Argo CD the renderer's bytes unchanged or
// fail the generation with nothing on stdout and one short line per denial on stderr.
// An empty render never passes (it would make Argo CD prune the whole app).

import path from 'node:path';
import { checkInputs, exitCodeWithWarnings, failedOnWarnings, type CheckIO, type CheckOptions } from './check.js';
import { GateError, EXIT_INCOMPLETE, exitCodeForError, formatWarning, internalErrorText } from '../errors.js';
import { arrayParameter, booleanParameter, mapParameter, readArgoApp, stringParameter, type ArgoApp } from '../input/argocd.js';
import { displayName, findRepositoryRoot, type InputText } from '../input/files.js';
import { render, type Rendered, type RenderMode } from '../input/render.js';
import { objectLabel } from '../manifests/extract.js';
import { exitCodeOf, type ImageResult, type Report, type ReportSource } from '../report/model.js';
import { shortDigests } from '../report/text.js';
import { escapeControls, inertLine } from '../report/escape.js';
import { WEBHOOKS, type Webhook } from '../policy/settings.js';

/** Below Argo CD's 60 s repo-server timeout, which also covers the git fetch and the tarball. */
export const DEFAULT_GENERATE_TIMEOUT_SECONDS = 45;
const MAX_MESSAGE = 300;
/** Workloads named on one DENY line; the rest are counted. */
const MAX_NAMED_WORKLOADS = 3;
const MAX_TIMEOUT_SECONDS = 600;

export type GenerateOptions = Omit<CheckOptions, 'paths' | 'namespace' | 'allowEmpty' | 'repositoryRoot'> & { namespace?: string; failOnWarn?: boolean };

export interface GenerateOutcome {
  /** What Argo CD receives as manifests; absent when the generation fails. */
  stdout?: Buffer;
  stderr: string;
  exitCode: number;
}

export async function runGenerate(options: GenerateOptions, io: CheckIO): Promise<GenerateOutcome> {
  let app: ArgoApp;
  let warn = false;
  try {
    app = readArgoApp(io.env);
    const mode = stringParameter(app, 'mode') ?? 'enforce';
    if (mode !== 'enforce' && mode !== 'warn') throw new GateError('USAGE', `plugin parameter mode is "enforce" or "warn", not ${JSON.stringify(mode)}`);
    // Parameters come from whoever owns the Application; the platform can take away what lets things through.
    if (io.env.GATE_MODE_LOCK === 'enforce') {
      if (mode === 'warn') throw new GateError('USAGE', 'mode warn is not allowed here: the gate sidecar sets GATE_MODE_LOCK=enforce');
      if (booleanParameter(app, 'allow-empty')) throw new GateError('USAGE', 'allow-empty is not allowed here: the gate sidecar sets GATE_MODE_LOCK=enforce');
    }
    warn = mode === 'warn';
  } catch (e) {
    return failure(e);
  }

  const appDir = io.cwd;
  const root = repositoryRoot(appDir, app.sourcePath) ?? (await findRepositoryRoot(appDir)) ?? appDir;
  let rendered: Rendered;
  let deadline: number;
  try {
    deadline = io.now().getTime() + timeoutParameter(app, options.timeoutSeconds) * 1000;
    rendered = await render({
      appDir,
      root,
      mode: renderMode(app),
      helm: {
        releaseName: app.name ?? path.basename(appDir),
        namespace: app.namespace,
        kubeVersion: app.kubeVersion,
        apiVersions: app.apiVersions,
        valuesFiles: arrayParameter(app, 'values-files'),
        set: mapParameter(app, 'set'),
      },
      // Helm inside kustomize is the platform's decision (an environment variable of the sidecar), not an Application's.
      kustomize: { enableHelm: io.env.GATE_KUSTOMIZE_ENABLE_HELM === 'true' },
      directory: { recurse: booleanParameter(app, 'recurse') },
      env: io.env,
      deadlineMs: deadline,
      now: () => io.now().getTime(),
    });
  } catch (e) {
    // Nothing rendered means nothing to hand over, even in warn mode.
    return failure(e);
  }

  let report: Report;
  try {
    const inputs = inputsOf(rendered, root);
    const checkOptions: CheckOptions = {
      ...options,
      paths: [appDir],
      namespace: app.namespace ?? options.namespace ?? 'default',
      allowEmpty: booleanParameter(app, 'allow-empty'),
      repositoryRoot: root,
      // One budget for rendering and verifying: what rendering used is gone.
      timeoutSeconds: Math.max(deadline - io.now().getTime(), 1) / 1000,
      // Argo CD is the one that would loop for ever on a rewritten image: denied unless .gate/config.yaml lowers it.
      mutateImageDefault: 'deny',
      ...webhookParameter(app, options.webhook),
    };
    report = await checkInputs(inputs, `the output of ${rendered.command}`, checkOptions, io);
  } catch (e) {
    // An empty render never passes, even in warn mode: Argo CD would prune the whole app.
    if (warn && e instanceof GateError && e.code !== 'INPUT_EMPTY') {
      return { stdout: rendered.bytes, stderr: `WARN gate could not check the manifests: ${inertLine(e.oneLine())}\n`, exitCode: 0 };
    }
    return failure(e);
  }

  const denied = report.results.filter((r) => r.verdict === 'deny');
  const warnings = report.warnings.length > 0 ? ` (${report.warnings.length} warning(s): gate check on the rendered manifests shows them)` : '';
  const summary = `gate: ${report.summary.images} image(s) in ${report.scanned.objects} object(s) rendered by ${rendered.command}: ${report.summary.allowed} allowed, ${denied.length} denied${warnings}`;
  // Nobody reads the warnings of a sync that passed, so with --fail-on-warn each one is said as it fails the sync.
  if (options.failOnWarn && report.warnings.length > 0 && !warn) {
    const lines = [...denied.flatMap((r) => verdictLines('DENY', r)), ...report.warnings.map((w) => escapeControls(`WARNING ${formatWarning(w)}`)), failedOnWarnings(report)];
    return { stderr: `${summary}\n${lines.join('\n')}\n`, exitCode: exitCodeWithWarnings(report, true) };
  }
  if (denied.length === 0) return { stdout: rendered.bytes, stderr: `${summary}\n`, exitCode: 0 };
  if (warn) return { stdout: rendered.bytes, stderr: `${summary} (mode warn: synced anyway)\n${denied.flatMap((r) => verdictLines('WARN', r)).join('\n')}\n`, exitCode: 0 };
  return {
    stderr: `${summary}\n${denied.flatMap((r) => verdictLines('DENY', r)).join('\n')}\n`,
    exitCode: exitCodeOf(report),
  };
}

/**
 * The repository root of Argo CD's work folder: the app folder minus the source path
 * (the repo-server sends the whole repository, usually without .git).
 */
function repositoryRoot(appDir: string, sourcePath: string | undefined): string | undefined {
  if (!sourcePath || sourcePath === '.' || sourcePath === '/') return undefined;
  const relative = path.normalize(sourcePath).replace(/^\/+|\/+$/g, '');
  return appDir.endsWith(path.sep + relative) ? appDir.slice(0, appDir.length - relative.length - 1) : undefined;
}

/** For a plain folder, each file is checked under its own name, so reports point at real lines. */
function inputsOf(rendered: Rendered, root: string): InputText[] {
  if (!rendered.files) return [{ name: `<${rendered.command.split(' ').slice(0, 2).join(' ')}>`, text: rendered.bytes.toString('utf8') }];
  return rendered.files.map(({ file, bytes }) => ({ name: displayName(file, root), text: bytes.toString('utf8') }));
}

function renderMode(app: ArgoApp): RenderMode | 'auto' {
  const value = stringParameter(app, 'render') ?? 'auto';
  if (value === 'auto' || value === 'helm' || value === 'kustomize' || value === 'directory') return value;
  throw new GateError('USAGE', `plugin parameter render is auto, helm, kustomize or directory, not ${JSON.stringify(value)}`);
}

function timeoutParameter(app: ArgoApp, flag: number | undefined): number {
  const value = stringParameter(app, 'timeout');
  if (value === undefined) return flag ?? DEFAULT_GENERATE_TIMEOUT_SECONDS;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_TIMEOUT_SECONDS) {
    throw new GateError('USAGE', `plugin parameter timeout is a number of seconds up to ${MAX_TIMEOUT_SECONDS}, not ${JSON.stringify(value)}`);
  }
  return seconds;
}

/**
 * `DENY Deployment/web,Job/migrate registry.example.com/web:1.4 NO_SIGNATURE: …` — one
 * line per distinct denial of an image, naming the workloads whose uses were denied
 * (not those of its uses that passed), for Argo CD's ComparisonError.
 */
function verdictLines(prefix: string, result: ImageResult): string[] {
  const byDenial = new Map<string, { reason: string; message: string; sources: ReportSource[] }>();
  for (const source of result.sources) {
    if (source.verdict !== 'deny') continue;
    const key = `${source.reason}\u0000${source.message}`;
    const same = byDenial.get(key);
    if (same) same.sources.push(source);
    else byDenial.set(key, { reason: source.reason, message: source.message, sources: [source] });
  }
  // A denied result always has a denied use; should it not, its own verdict is still said.
  const denials = byDenial.size > 0 ? [...byDenial.values()] : [{ reason: result.reason, message: result.message, sources: result.sources }];
  return denials.map(({ reason, message: full, sources }) => {
    const workloads = [...new Set(sources.map((s) => objectLabel(s.kind, s.name)))];
    const named = workloads.length > 0 ? workloads.slice(0, MAX_NAMED_WORKLOADS).join(',') : '(unknown)';
    const more = workloads.length > MAX_NAMED_WORKLOADS ? ` (+${workloads.length - MAX_NAMED_WORKLOADS} more)` : '';
    const message = shortDigests(full.replace(/\s+/g, ' '));
    const short = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
    // One line whatever the repository wrote: its control characters are shown as escapes.
    return escapeControls(`${prefix} ${named}${more} ${result.image || '(no image)'} ${reason}: ${short}`);
  });
}

function failure(e: unknown): GenerateOutcome {
  if (e instanceof GateError) return { stderr: `gate: ${inertLine(e.oneLine())}\n`, exitCode: exitCodeForError(e) };
  return { stderr: `gate: ${internalErrorText(e)}\n`, exitCode: EXIT_INCOMPLETE };
}

/** The plugin parameter webhook (or GATE_WEBHOOK in the plugin env), else what the command line said. */
function webhookParameter(app: ArgoApp, fallback: Webhook | undefined): { webhook?: Webhook } {
  const value = stringParameter(app, 'webhook');
  if (value === undefined) return fallback ? { webhook: fallback } : {};
  if (!(WEBHOOKS as readonly string[]).includes(value)) throw new GateError('USAGE', `plugin parameter webhook is ${WEBHOOKS.join(' or ')}, not ${JSON.stringify(value)}`);
  return { webhook: value as Webhook };
}
