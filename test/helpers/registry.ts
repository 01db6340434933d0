// The real Debian `docker-registry` (distribution 2.8) on a loopback port, in the
// configurations the tests need: anonymous HTTP, TLS with htpasswd Basic auth, and
// Bearer token auth against a token service of the test harness.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireTool } from './tools.js';
import type { Pem } from './pki.js';

export interface RegistryOptions {
  tls?: Pem;
  /** htpasswd file (bcrypt entries) for Basic auth. */
  htpasswd?: string;
  /** Bearer token auth: the token service's URL and the certificate that signs its tokens. */
  token?: { realm: string; service: string; issuer: string; signer: Pem };
}

export interface RunningRegistry {
  /** host:port, as it appears in image references. */
  host: string;
  /** http(s)://127.0.0.1:port */
  url: string;
  /** One access-log line per request the registry served. */
  accessLog(): string[];
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  requireTool('docker-registry');
  const dir = await mkdtemp(path.join(tmpdir(), 'gate-registry-'));
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${dir}/data`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  if (options.tls) lines.push('  tls:', `    certificate: ${options.tls.certFile}`, `    key: ${options.tls.keyFile}`);
  if (options.htpasswd) lines.push('auth:', '  htpasswd:', '    realm: gate-tests', `    path: ${options.htpasswd}`);
  if (options.token) {
    lines.push('auth:', '  token:', `    realm: ${options.token.realm}`, `    service: ${options.token.service}`, `    issuer: ${options.token.issuer}`,
      `    rootcertbundle: ${options.token.signer.certFile}`);
  }
  const config = path.join(dir, 'config.yml');
  await writeFile(config, `${lines.join('\n')}\n`);

  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (/"(GET|HEAD|PUT|POST|PATCH|DELETE) /.test(line)) log.push(line);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const scheme = options.tls ? 'https' : 'http';
  await waitForPort(port, child, 'docker-registry');
  return {
    host: `127.0.0.1:${port}`,
    url: `${scheme}://127.0.0.1:${port}`,
    accessLog: () => [...log],
    async stop() {
      // Stopping twice is fine (a test may stop the registry before the world is torn down).
      const ended = () => child.exitCode !== null || child.signalCode !== null;
      if (!ended()) child.kill('SIGTERM');
      await new Promise((resolve) => (ended() ? resolve(undefined) : child.once('exit', resolve)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `child` (a server named `name`) listens on `port`; its exit first, or 5 s, is an error with what it printed. */
export async function waitForPort(port: number, child: ChildProcess, name: string, output: () => string = () => ''): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before listening ${output()}`.trim());
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${name} did not start listening on ${port} within 5 s ${output()}`.trim());
}
