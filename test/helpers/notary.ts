// A real Notary v1 bed on loopback, as shared/reference/notary-bed.sh builds it: Debian's
// notary-server (memory storage; its own in-memory signer, or a real notary-signer over gRPC
// with mutual TLS; TLS with a test CA) beside the
// real docker-registry over TLS, and the real `notary` client to publish trust data (the
// judge of every case it can decide). Passphrases come from the environment: no prompts.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent } from 'undici';
import { ociImage, skopeoPush } from './oci.js';
import { selfSigned, serverCertificate, type Pem } from './pki.js';
import { freePort, startRegistry, waitForPort, type RunningRegistry } from './registry.js';
import { mustRun, requireTool, run, type RunResult } from './tools.js';
import { tokenServer, type TestServer } from './servers.js';

export interface NotaryBed {
  dir: string;
  ca: Pem;
  registry: RunningRegistry;
  /** https://127.0.0.1:<port> */
  notaryUrl: string;
  /** The token service, when the server asks for tokens. */
  tokens?: TestServer;
  /** The notary client against the bed (its own trust folder: it caches what it saw); `login`: user:password for token auth. */
  notary(args: string[], trustDir?: string, login?: string): Promise<RunResult>;
  /** Pushes a fresh image as <registry>/<repository>:<tag>; the digest and size the registry serves. */
  push(repository: string, tag: string): Promise<{ digest: string; size: number }>;
  /** The bytes of a trust file as the server serves it (`root.json`, `snapshot.<hex>.json`…), or undefined on 404. */
  fetchTuf(gun: string, name: string, bearer?: string): Promise<Uint8Array | undefined>;
  /** A PEM certificate and key for a delegation signer named `name` (openssl, P-256). */
  signer(name: string): Promise<{ cert: string; key: string; pub: string }>;
  stop(): Promise<void>;
}

const PASSPHRASES = { NOTARY_ROOT_PASSPHRASE: 'rootpass', NOTARY_TARGETS_PASSPHRASE: 'targetspass', NOTARY_SNAPSHOT_PASSPHRASE: 'snapshotpass', NOTARY_DELEGATION_PASSPHRASE: 'delegationpass' };

export interface NotaryBedOptions {
  /** The server asks for Bearer tokens from a token service of the test harness (users: user → password). */
  token?: { users: Record<string, string> };
  /** `remote`: notary-server signs through a real notary-signer (gRPC, mutual TLS, ECDSA keys) instead of its in-memory ED25519 signer. */
  signer?: 'local' | 'remote';
  /** The registry asks for tokens from the same service (as Docker Hub's registry and notary share auth.docker.io): pushes log in as `registryLogin`. */
  registryToken?: { login: string };
}

export async function startNotaryBed(options: NotaryBedOptions = {}): Promise<NotaryBed> {
  for (const tool of ['notary', 'notary-server', 'openssl', 'skopeo']) requireTool(tool);
  const dir = await mkdtemp(path.join(tmpdir(), 'gate-notary-'));
  const ca = await selfSigned(dir, 'ca', '/CN=gate notary bed CA');
  const server = await serverCertificate(dir, ca);
  const port = await freePort();
  let tokens: TestServer | undefined;
  let auth = {};
  let registryAuth = {};
  if (options.token) {
    const issuerDir = await mkdtemp(path.join(dir, 'issuer-'));
    const issuer = await selfSigned(issuerDir, 'issuer', '/CN=gate notary token issuer');
    tokens = await tokenServer(issuer, 'notary-bed', 'bed-issuer', options.token.users);
    auth = { auth: { type: 'token', options: { realm: `${tokens.url}/token`, service: 'notary-bed', issuer: 'bed-issuer', rootcertbundle: issuer.certFile } } };
    if (options.registryToken) registryAuth = { token: { realm: `${tokens.url}/token`, service: 'notary-bed', issuer: 'bed-issuer', signer: issuer } };
  }
  const registry = await startRegistry({ tls: server, ...registryAuth });
  let signer: ChildProcess | undefined;
  let trustService: object = { type: 'local' };
  if (options.signer === 'remote') {
    requireTool('notary-signer');
    const signerPort = await freePort();
    await writeFile(path.join(dir, 'signer.json'), JSON.stringify({ server: { grpc_addr: `127.0.0.1:${signerPort}`, tls_cert_file: server.certFile, tls_key_file: server.keyFile, client_ca_file: ca.certFile }, storage: { backend: 'memory', default_alias: 'bed' }, logging: { level: 'warn' } }));
    signer = spawn('notary-signer', ['-config', path.join(dir, 'signer.json')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NOTARY_SIGNER_BED: 'bedpass' } });
    let signerOutput = '';
    signer.stdout?.on('data', (d: Buffer) => (signerOutput += d.toString()));
    signer.stderr?.on('data', (d: Buffer) => (signerOutput += d.toString()));
    await waitForPort(signerPort, signer, 'notary-signer', () => signerOutput.slice(-2000));
    trustService = { type: 'remote', hostname: '127.0.0.1', port: String(signerPort), key_algorithm: 'ecdsa', tls_ca_file: ca.certFile, tls_client_cert: server.certFile, tls_client_key: server.keyFile };
  }
  const creds = options.registryToken?.login;
  const authHeader: Record<string, string> = {};
  await writeFile(
    path.join(dir, 'server.json'),
    JSON.stringify({ server: { http_addr: `127.0.0.1:${port}`, tls_cert_file: server.certFile, tls_key_file: server.keyFile }, trust_service: trustService, storage: { backend: 'memory' }, logging: { level: 'warn' }, ...auth }),
  );
  const child: ChildProcess = spawn('notary-server', ['-config', path.join(dir, 'server.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await waitForPort(port, child, 'notary-server', () => output.slice(-2000));
  const notaryUrl = `https://127.0.0.1:${port}`;
  const agent = new Agent({ connect: { ca: ca.cert } });
  const certDir = path.join(dir, 'certs');
  await mkdir(certDir);
  await writeFile(path.join(certDir, 'ca.crt'), ca.cert);
  let images = 0;

  return {
    dir,
    ca,
    registry,
    notaryUrl,
    tokens,
    notary: (args, trustDir = path.join(dir, 'trust'), login?: string) => run('notary', ['-s', notaryUrl, '-d', trustDir, '--tlscacert', ca.certFile, ...args], { env: { ...PASSPHRASES, ...(login ? { NOTARY_AUTH: Buffer.from(login).toString('base64') } : {}) } }),
    async push(repository, tag) {
      const layout = await ociImage(`notary-bed ${repository}:${tag} ${images++}`);
      try {
        await skopeoPush(layout, { destination: `${registry.host}/${repository}:${tag}`, certDir, ...(creds ? { creds } : {}) });
      } finally {
        await rm(layout.dir, { recursive: true, force: true });
      }
      if (creds && tokens) {
        const token = await fetch(`${tokens.url}/token?service=notary-bed&scope=repository:${repository}:pull`, { headers: { authorization: `Basic ${Buffer.from(creds).toString('base64')}` } });
        authHeader.authorization = `Bearer ${((await token.json()) as { token: string }).token}`;
      }
      const answer = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, { headers: { ...authHeader, accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json' }, dispatcher: agent } as RequestInit);
      const bytes = Buffer.from(await answer.arrayBuffer());
      return { digest: `sha256:${(await import('node:crypto')).createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length };
    },
    async fetchTuf(gun, name, bearer) {
      const answer = await fetch(`${notaryUrl}/v2/${gun}/_trust/tuf/${name}`, { dispatcher: agent, ...(bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {}) } as RequestInit);
      if (answer.status === 404) return undefined;
      if (answer.status !== 200) throw new Error(`notary-server answered ${answer.status} for ${name}`);
      return new Uint8Array(await answer.arrayBuffer());
    },
    async signer(name) {
      const key = path.join(dir, `${name}.key`);
      const cert = path.join(dir, `${name}.crt`);
      const pub = path.join(dir, `${name}.pub`);
      await mustRun('openssl', ['ecparam', '-genkey', '-name', 'prime256v1', '-noout', '-out', key]);
      await mustRun('openssl', ['req', '-new', '-x509', '-key', key, '-subj', `/CN=${name}`, '-days', '365', '-out', cert]);
      await mustRun('openssl', ['ec', '-in', key, '-pubout', '-out', pub]);
      return { cert, key, pub };
    },
    async stop() {
      await agent.close();
      await tokens?.close();
      for (const started of [child, signer]) {
        if (!started) continue;
        // Stopping twice is fine (a test may stop the bed before its own teardown).
        const ended = () => started.exitCode !== null || started.signalCode !== null;
        if (!ended()) started.kill('SIGTERM');
        await new Promise((resolve) => (ended() ? resolve(undefined) : started.once('exit', resolve)));
      }
      await registry.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
