// Runs the real `gate` command, as a user or CI would.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
    sources: Array<{ file: string; line: number; kind: string; name: string; namespace: string; path: string; pullSecrets: string[]; generic: boolean; via?: string }>;
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
