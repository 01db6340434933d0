// Rendering an application the way Argo CD would: a Helm chart with `helm template` and
// Argo CD's own flags, a kustomization with `kustomize build` (or `kubectl kustomize`),
// or a plain folder as Argo CD's directory source reads it. Renderers run as argv
// arrays — no repository string ever reaches a shell — under the run's deadline, with
// bounded output; a non-zero exit is a failure that carries the renderer's stderr.

import { spawn } from 'node:child_process';
import { access, constants, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { GateError } from '../errors.js';
import { readOrFail } from './bounded-read.js';
import { listFiles, MAX_MANIFEST_BYTES, MAX_TOTAL_INPUT_BYTES, mebibytes, pathExists } from './files.js';

export type RenderMode = 'helm' | 'kustomize' | 'directory';

export interface Rendered {
  mode: RenderMode;
  /** The renderer's stdout, byte for byte: what Argo CD receives when gate allows. */
  bytes: Buffer;
  /** What ran, for messages (no secrets are ever in it). */
  command: string;
  /** For a plain folder: the files that make up `bytes`, checked under their own names. */
  files?: Array<{ file: string; bytes: Buffer }>;
}

export interface RenderRequest {
  /** The app's folder (the working directory Argo CD gives the plugin). */
  appDir: string;
  /** The repository root: nothing outside it may be read. */
  root: string;
  mode: RenderMode | 'auto';
  helm: { releaseName: string; namespace?: string; kubeVersion?: string; apiVersions: string[]; valuesFiles: string[]; set: Array<[string, string]> };
  kustomize: { enableHelm: boolean };
  directory: { recurse: boolean };
  env: NodeJS.ProcessEnv;
  /** Epoch ms after which the renderer is killed. */
  deadlineMs: number;
  /** The run's clock (epoch ms), which the deadline was computed from. */
  now: () => number;
}

/**
 * What gate checks is all held in memory at once, so a render may be as large as all the
 * inputs of `gate check` together (Argo CD's own gRPC limit, 100 MiB, is higher).
 */
export const MAX_RENDER_BYTES = MAX_TOTAL_INPUT_BYTES;
const STDERR_TAIL = 16 * 1024;
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/**
 * A file that makes its folder something to render rather than manifests to read as they
 * are: a kustomization (whose images:, patches and components change the images) or a
 * Helm chart's Chart.yaml. Undefined for any other file.
 */
export function rendererOf(file: string): 'kustomize' | 'helm' | undefined {
  const name = path.basename(file);
  if (KUSTOMIZATION_FILES.includes(name)) return 'kustomize';
  return name === 'Chart.yaml' ? 'helm' : undefined;
}

/** What to say about such a folder checked as files: render it first, with the command. */
export function renderFirst(mode: 'kustomize' | 'helm', dir: string): string {
  const what = mode === 'kustomize'
    ? `a kustomization: gate reads the files of ${dir} as written, but kustomize changes their images (images:, patches, components) when it renders them`
    : `a Helm chart: the templates of ${dir} are not the manifests helm renders from them`;
  return `${what}; check the rendered manifests instead: ${mode === 'kustomize' ? 'kustomize build' : 'helm template'} ${dir} | gate check -`;
}

/** Argo CD's order: a kustomization wins over a Chart.yaml in the same folder. */
export async function detectMode(appDir: string): Promise<RenderMode> {
  for (const name of KUSTOMIZATION_FILES) if (await pathExists(path.join(appDir, name))) return 'kustomize';
  if (await pathExists(path.join(appDir, 'Chart.yaml'))) return 'helm';
  return 'directory';
}

export async function render(request: RenderRequest): Promise<Rendered> {
  const mode = request.mode === 'auto' ? await detectMode(request.appDir) : request.mode;
  if (mode === 'helm') return renderHelm(request);
  if (mode === 'kustomize') return renderKustomize(request);
  return renderDirectory(request);
}

/** The argv Argo CD itself uses for a Helm source (util/helm/cmd.go), plus values and --set from parameters. */
export function helmArgs(helm: RenderRequest['helm']): string[] {
  const args = ['template', '.', '--name-template', helm.releaseName];
  if (helm.namespace) args.push('--namespace', helm.namespace);
  if (helm.kubeVersion) args.push('--kube-version', helm.kubeVersion);
  for (const version of helm.apiVersions) args.push('--api-versions', version);
  args.push('--include-crds');
  for (const file of helm.valuesFiles) args.push('--values', file);
  for (const [key, value] of helm.set) args.push('--set', `${key}=${escapeSetValue(value)}`);
  return args;
}

/**
 * As Argo CD's cleanSetParameters: a comma in a --set value is escaped (helm would read
 * it as the start of another key=value), unless the value is a {a,b} list.
 */
export function escapeSetValue(value: string): string {
  if (value.startsWith('{') && value.endsWith('}')) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) out += value[i] === ',' && value[i - 1] !== '\\' ? '\\,' : value[i];
  return out;
}

async function renderHelm(request: RenderRequest): Promise<Rendered> {
  for (const file of request.helm.valuesFiles) await insideRepository(path.resolve(request.appDir, file), request.root, `values file ${file}`);
  const helm = await findTool('helm', request.env);
  if (!helm) throw new GateError('RENDER_FAILED', 'this is a Helm chart (Chart.yaml), but helm is not on PATH');
  const args = helmArgs(request.helm);
  return { mode: 'helm', bytes: await runRenderer(helm, args, request), command: ['helm', ...args].join(' ') };
}

async function renderKustomize(request: RenderRequest): Promise<Rendered> {
  if (request.kustomize.enableHelm) await refuseHelmGlobals(request.root);
  const extra = request.kustomize.enableHelm ? ['--enable-helm'] : [];
  const kustomize = await findTool('kustomize', request.env);
  if (kustomize) {
    const args = ['build', '.', ...extra];
    return { mode: 'kustomize', bytes: await runRenderer(kustomize, args, request), command: ['kustomize', ...args].join(' ') };
  }
  const kubectl = await findTool('kubectl', request.env);
  if (!kubectl) throw new GateError('RENDER_FAILED', 'this is a kustomization, but neither kustomize nor kubectl is on PATH');
  const args = ['kustomize', '.', ...extra];
  return { mode: 'kustomize', bytes: await runRenderer(kubectl, args, request), command: ['kubectl', ...args].join(' ') };
}

/**
 * A plain folder, as Argo CD's directory source reads it: the *.yaml, *.yml and *.json
 * files (of sub-folders too with `recurse`), each ending in a newline, separated by
 * `---` lines — YAML files first: the repo-server's decoder reads a stream that starts
 * with `{` as JSON only, and JSON documents are YAML, not the other way round.
 */
async function renderDirectory(request: RenderRequest): Promise<Rendered> {
  const ignore = request.directory.recurse ? [] : ['*/**'];
  const found = await listFiles(request.appDir, (name) => /\.(?:yaml|yml|json)$/.test(name), ignore, request.appDir, request.root);
  const isJson = (file: string) => file.endsWith('.json');
  const files = [...found.filter((f) => !isJson(f)), ...found.filter(isJson)];
  const separator = found.every(isJson) ? '\n' : '---\n';
  const parts: Buffer[] = [];
  const read: Array<{ file: string; bytes: Buffer }> = [];
  let total = 0;
  for (const file of files) {
    const bytes = await readRepositoryFile(file, MAX_MANIFEST_BYTES, request.appDir);
    total += bytes.length;
    if (total > MAX_RENDER_BYTES) throw new GateError('LIMIT_EXCEEDED', `the folder holds more than ${mebibytes(MAX_RENDER_BYTES)} of manifests (the limit for one run)`);
    read.push({ file, bytes });
    if (parts.length > 0) parts.push(Buffer.from(separator));
    parts.push(bytes);
    if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) parts.push(Buffer.from('\n'));
  }
  return { mode: 'directory', bytes: Buffer.concat(parts), command: `the ${files.length} manifest file(s) of the folder`, files: read };
}

/** Renderers running now (each the leader of its own process group), so that a signal takes them down too. */
const running = new Set<number>();

/** Told when a renderer's process group starts and ends: the `gate` command stops those left when the CLI cannot. */
export interface RendererWatcher {
  started(group: number): void;
  ended(group: number): void;
}
let watcher: RendererWatcher | undefined;

export function watchRenderers(w: RendererWatcher): void {
  watcher = w;
}

/** Kills every renderer's process group (a renderer may have started children of its own). */
export function killRenderers(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Runs a renderer in the app folder, in a process group of its own: at the deadline the
 * whole group is killed and gate stops waiting, even if a grandchild holds the pipes.
 */
function runRenderer(program: string, args: string[], request: RenderRequest): Promise<Buffer> {
  const remaining = request.deadlineMs - request.now();
  const name = path.basename(program);
  if (remaining <= 0) return Promise.reject(new GateError('RENDER_FAILED', `no time left to run ${name}`));
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: request.appDir, env: request.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (child.pid !== undefined) {
      running.add(child.pid);
      watcher?.started(child.pid);
    }
    const out: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let settled = false;
    const finish = (error: GateError | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.pid !== undefined) {
        running.delete(child.pid);
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // the group has already exited
        }
        watcher?.ended(child.pid);
      }
      child.stdout.destroy();
      child.stderr.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(out));
    };
    const timer = setTimeout(() => finish(new GateError('RENDER_FAILED', `${name} was stopped: out of time after ${Math.round(remaining / 100) / 10} s${tail(stderr)}`)), remaining);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RENDER_BYTES) finish(new GateError('LIMIT_EXCEEDED', `${name} wrote more than ${mebibytes(MAX_RENDER_BYTES)} (the limit for one run)`));
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.on('error', (e: NodeJS.ErrnoException) => finish(new GateError('RENDER_FAILED', `${name} could not run: ${e.code ?? e.message}`)));
    child.on('exit', (code, signal) => {
      // Wait for the pipes to drain, unless something else holds them open.
      const done = () => {
        if (signal) return finish(new GateError('RENDER_FAILED', `${name} was stopped (${signal})${tail(stderr)}`));
        if (code !== 0) return finish(new GateError('RENDER_FAILED', `${name} ${args[0]} failed with exit code ${code}${tail(stderr)}`));
        finish(undefined);
      };
      if (child.stdout.readableEnded) done();
      else {
        child.stdout.once('end', done);
        setTimeout(done, 1000).unref();
      }
    });
  });
}

/**
 * With --enable-helm, kustomize runs helm with the folders a kustomization's
 * `helmGlobals` names, and helm runs the plugins it finds there: a repository could run
 * its own code. Such kustomizations are refused.
 */
async function refuseHelmGlobals(root: string): Promise<void> {
  const files = await listFiles(root, (name) => KUSTOMIZATION_FILES.includes(name), [], root, root);
  for (const file of files) {
    if (/^\s*helmGlobals\s*:/m.test((await readRepositoryFile(file, MAX_MANIFEST_BYTES, root)).toString('utf8'))) {
      throw new GateError('RENDER_FAILED', `${path.relative(root, file)} sets helmGlobals, which would let helm load code from the repository; refusing to run kustomize --enable-helm`);
    }
  }
}

/** A file of the app, bounded and only if regular (a FIFO would block the render forever). */
async function readRepositoryFile(file: string, limit: number, base: string): Promise<Buffer> {
  const name = path.relative(base, file);
  const bytes = await readOrFail(file, limit, {
    code: 'RENDER_FAILED',
    unreadable: (problem) => `cannot read ${name}: ${problem}`,
    tooLarge: { code: 'LIMIT_EXCEEDED', message: `${name} is larger than ${mebibytes(limit)} (the limit for one manifest file)` },
  });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

function tail(stderr: string): string {
  const text = stderr.trim();
  return text ? `: ${text}` : '';
}

/** An executable on PATH (as the shell would find it, without a shell). */
export async function findTool(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function insideRepository(file: string, root: string, what: string): Promise<void> {
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    throw new GateError('RENDER_FAILED', `${what} does not exist`);
  }
  const realRoot = await realpath(root);
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) throw new GateError('RENDER_FAILED', `${what} is outside the repository; refusing to read it`);
}

