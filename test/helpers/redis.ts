// The real Debian redis-server on a loopback port, as the tests need it: plain, with a
// password (--requirepass, as Argo CD's argocd-redis), or over TLS with a test CA. Stopped
// by pid; redis-cli is the independent tool to read and plant entries.

import { spawn, type ChildProcess } from 'node:child_process';
import type { Pem } from './pki.js';
import { freePort, waitForPort } from './registry.js';
import { mustRun, requireTool } from './tools.js';

export interface RunningRedis {
  port: number;
  /** redis:// or rediss:// URL without the password. */
  url: string;
  /** redis-cli against this server (password and TLS as needed); stdout as text. */
  cli(args: string[], input?: string): Promise<string>;
  /** Every key the server holds. */
  keys(): Promise<string[]>;
  /** Ends the server at once (SIGKILL) and waits for it to be gone. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(options: { password?: string; tls?: { server: Pem; ca: Pem } } = {}): Promise<RunningRedis> {
  requireTool('redis-server');
  requireTool('redis-cli');
  const port = await freePort();
  const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  if (options.tls) {
    args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.server.certFile, '--tls-key-file', options.tls.server.keyFile, '--tls-ca-cert-file', options.tls.ca.certFile, '--tls-auth-clients', 'no');
  } else {
    args.push('--port', String(port));
  }
  if (options.password) args.push('--requirepass', options.password);
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await waitForPort(port, child, 'redis-server', () => output);
  const cliArgs = ['-h', '127.0.0.1', '-p', String(port), ...(options.password ? ['--no-auth-warning', '-a', options.password] : []), ...(options.tls ? ['--tls', '--cacert', options.tls.ca.certFile] : [])];
  const gone = () => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
  const cli = async (more: string[], input?: string) => (await mustRun('redis-cli', [...cliArgs, ...more], { input })).stdout.toString('utf8');
  return {
    port,
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    cli,
    async keys() {
      return (await cli(['--scan'])).split('\n').filter(Boolean).sort();
    },
    async kill() {
      child.kill('SIGKILL');
      await gone();
    },
    async stop() {
      child.kill('SIGTERM');
      await gone();
    },
  };
}
