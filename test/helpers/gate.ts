// Runs the real `gate` command, as a user or CI would.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './tools.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const EMPTY_HOME = mkdtempSync(path.join(tmpdir(), 'gate-home-'));
const CLI = path.join(PROJECT_ROOT, 'dist/src/cli/gate.js');

export interface GateRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function gate(args: string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<GateRun> {
  const result = await run(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    input: options.input,
    // No credentials of the machine running the tests may leak in.
    env: { NO_COLOR: '1', HOME: EMPTY_HOME, DOCKER_CONFIG: '', REGISTRY_AUTH_FILE: '', XDG_RUNTIME_DIR: '', KUBECONFIG: '', ...options.env },
  });
  return { code: result.code, stdout: result.stdout.toString('utf8'), stderr: result.stderr };
}

/** `gate check … -o json`, parsed; fails loudly when the output is not a report. */
export async function gateJson(args: string[], options: Parameters<typeof gate>[1] = {}): Promise<{ code: number; report: JsonReport; stderr: string }> {
  const result = await gate([...args, '-o', 'json'], options);
  let report: JsonReport;
  try {
    report = JSON.parse(result.stdout) as JsonReport;
  } catch {
    throw new Error(`gate exited ${result.code} without a JSON report; stderr: ${result.stderr}`);
  }
  return { code: result.code, report, stderr: result.stderr };
}

export interface JsonReport {
  gateVersion: string;
  summary: { images: number; allowed: number; denied: number };
  results: Array<{
    image: string;
    digest: string | null;
    namespace: string;
    verdict: 'allow' | 'deny';
    reason: string;
    message: string;
    hint?: string;
    policy: { kind: string; name: string; namespace: string | null; repository: string } | null;
    sources: Array<{
      file: string; line: number; kind: string; name: string; namespace: string; path: string; pullSecrets: string[]; generic: boolean; via?: string;
      /** This use's own verdict (DESIGN §3 plus per-use verdicts). */
      verdict: 'allow' | 'deny'; reason: string; message: string; hint?: string; digest: string | null;
    }>;
  }>;
  warnings: Array<{ file?: string; line?: number; message: string }>;
}

export interface StartedGate {
  child: ChildProcess;
  /** What gate wrote to stderr so far. */
  stderr(): string;
  /** gate's exit, with everything it wrote. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }>;
}

/**
 * Starts the real `gate` command and leaves it running, for tests that signal it. Its
 * stdin is a pipe the test holds open; `detached` puts it in a process group of its own,
 * as Argo CD's cmp-server does.
 */
export function startGate(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; detached?: boolean } = {}): StartedGate {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, NO_COLOR: '1', HOME: EMPTY_HOME, DOCKER_CONFIG: '', REGISTRY_AUTH_FILE: '', XDG_RUNTIME_DIR: '', KUBECONFIG: '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: options.detached === true,
  });
  const out: Buffer[] = [];
  let err = '';
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: err }));
  });
  return { child, stderr: () => err, exited };
}

export interface MeasuredRun extends GateRun {
  /** Peak resident set of the gate process, as the kernel counted it (GNU time's %M). */
  peakRssMb: number;
  seconds: number;
}

/** GNU time, the independent judge of a child's peak memory (wait4's ru_maxrss). */
export const GNU_TIME = '/usr/bin/time';

/**
 * Runs gate under GNU time, with standard input from `input` (a stream is piped, and may
 * be cut off by gate). A run longer than `limitSeconds` is killed, with its process
 * group, and fails the test: a hang must not hang CI.
 */
export async function gateMeasured(
  args: string[],
  options: { cwd: string; input?: string | NodeJS.ReadableStream; env?: NodeJS.ProcessEnv; limitSeconds?: number },
): Promise<MeasuredRun> {
  if (!existsSync(GNU_TIME)) throw new Error(`this test needs GNU time at ${GNU_TIME}, which is missing; bash .ci/run installs it (apt-get install time)`);
  const dir = mkdtempSync(path.join(tmpdir(), 'gate-rss-'));
  const rssFile = path.join(dir, 'rss');
  const started = Date.now();
  const child = spawn(GNU_TIME, ['-f', '%M', '-o', rssFile, process.execPath, CLI, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', HOME: EMPTY_HOME, DOCKER_CONFIG: '', REGISTRY_AUTH_FILE: '', XDG_RUNTIME_DIR: '', KUBECONFIG: '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  child.stdin.on('error', () => undefined);
  const input = options.input;
  if (input === undefined || typeof input === 'string') child.stdin.end(input ?? '');
  else {
    // gate stops reading at its limit: the rest of the stream is dropped, not an error.
    (input as NodeJS.ReadableStream & { on(e: 'error', f: () => void): unknown }).on('error', () => undefined);
    input.pipe(child.stdin);
  }
  const limitMs = (options.limitSeconds ?? 10) * 1000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, limitMs);
  try {
    const code = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c ?? -1));
    });
    const seconds = (Date.now() - started) / 1000;
    if (timedOut) throw new Error(`gate ${args.join(' ')} did not end within ${limitMs / 1000} s (killed); stderr: ${Buffer.concat(err).toString('utf8')}`);
    const kb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
    if (!Number.isFinite(kb) || kb <= 0) throw new Error(`GNU time wrote no peak RSS: ${readFileSync(rssFile, 'utf8')}`);
    return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), peakRssMb: kb / 1024, seconds };
  } finally {
    clearTimeout(timer);
    killGroup(child.pid);
    rmSync(dir, { recursive: true, force: true });
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
