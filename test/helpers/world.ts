// A small world for registry tests: a real docker-registry, a gpg home with keys, a
// lookaside-staging folder that `skopeo copy --sign-by` writes and an HTTP server that
// serves it as the lookaside, and a GitOps repository whose .gate/ points at all that.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gateJson, type JsonReport } from './gate.js';
import { GpgHome } from './gpg.js';
import { ociImage, skopeoPush } from './oci.js';
import { selfSigned, serverCertificate, type Pem } from './pki.js';
import { startRegistry, type RegistryOptions, type RunningRegistry } from './registry.js';
import { deployment, makeRepo, type TempRepo } from './repo.js';
import { staticServer, type TestServer } from './servers.js';
import { mustRun, requireTool } from './tools.js';

export interface World {
  registry: RunningRegistry;
  /** The host gate and skopeo talk to (the registry itself, or a front before it). */
  host: string;
  gpg: GpgHome;
  keys: Record<string, string>;
  staging: string;
  lookaside: TestServer;
  /** skopeo registries.d that writes signatures to `staging`. */
  signingConfig: string;
  /** Pushes a fresh image as host/<repository>:<tag>; signs it unless `signBy` is null. */
  push(repository: string, tag: string, options?: { signBy?: string | null; signIdentity?: string; multiArch?: boolean; seed?: string }): Promise<string>;
  /** A repository with .gate/ trusting `key` for host/*, the lookaside over HTTP as the policy's storeURL, the key Secrets declared deployed, and the manifests given. */
  repo(files: Record<string, string>, options?: { requirements?: string; lookaside?: boolean; storeURL?: string; declareKeys?: boolean }): Promise<TempRepo>;
  stop(): Promise<void>;
}

export interface WorldOptions extends RegistryOptions {
  /** Answer for `host` instead of the registry (a front that injects faults or counts). */
  frontHost?: (registry: RunningRegistry) => Promise<{ host: string; close(): Promise<void> }>;
  /** skopeo needs these to push: a cert dir for TLS, and credentials. */
  certDir?: string;
  creds?: string;
}

export async function makeWorld(options: WorldOptions = {}): Promise<World> {
  const registry = await startRegistry(options);
  const front = options.frontHost ? await options.frontHost(registry) : undefined;
  const host = front?.host ?? registry.host;
  const gpg = await GpgHome.create();
  const keys = { team: await gpg.generateKey('Team <team@example.com>'), other: await gpg.generateKey('Other <other@example.com>') };
  const base = await mkdtemp(path.join(tmpdir(), 'gate-world-'));
  const staging = path.join(base, 'staging');
  const signingConfig = path.join(base, 'registries.d');
  await mkdir(staging, { recursive: true });
  await mkdir(signingConfig, { recursive: true });
  await writeFile(path.join(signingConfig, 'staging.yaml'), `docker:\n  ${host}:\n    lookaside-staging: file://${staging}\n`);
  const lookaside = await staticServer(staging);
  let seeds = 0;

  return {
    registry,
    host,
    gpg,
    keys,
    staging,
    lookaside,
    signingConfig,
    async push(repository, tag, push = {}) {
      const layout = await ociImage(push.seed ?? `${repository}:${tag}:${seeds++}`, push.multiArch);
      const signBy = push.signBy === null ? undefined : (push.signBy ?? keys.team);
      try {
        return await skopeoPush(layout, {
          destination: `${host}/${repository}:${tag}`,
          gpg,
          signBy,
          signIdentity: push.signIdentity,
          registriesD: signingConfig,
          certDir: options.certDir,
          creds: options.creds,
          all: push.multiArch,
        });
      } finally {
        await rm(layout.dir, { recursive: true, force: true });
      }
    },
    async repo(files, repoOptions = {}) {
      const requirements = repoOptions.requirements ?? '        - type: signedBy\n          keySecret: team\n';
      return makeRepo({
        '.gate/policies/policy.yaml': `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: registry}
spec:
  repositories:
  - name: "${host}/*"
    policy:
      mutateImage: false
      simple:
${repoOptions.lookaside === false ? '' : `        storeURL: ${repoOptions.storeURL ?? lookaside.url}\n`}        requirements:
${requirements}`,
        '.gate/keys/team.asc': await gpg.exportPublic(keys.team),
        '.gate/keys/other.asc': await gpg.exportPublic(keys.other),
        ...files,
        // The webhook reads the keys from Secrets the cluster holds: declared deployed, as a team would.
        '.gate/config.yaml': `${repoOptions.declareKeys === false ? '' : `keySecrets:\n${deployedKeys(files).map((k) => `- name: ${k}\n`).join('')}`}${files['.gate/config.yaml'] ?? ''}`,
      });
    },
    async stop() {
      await front?.close();
      await lookaside.close();
      await registry.stop();
      await gpg.dispose();
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** gate check on a Deployment using `images`, in a repository of the world. */
export async function checkImages(world: World, images: string[], args: string[] = [], files: Record<string, string> = {}, repoOptions?: Parameters<World['repo']>[1]): Promise<{ code: number; report: JsonReport; stderr: string }> {
  const repo = await world.repo({ 'apps/app.yaml': deployment('app', images), ...files }, repoOptions);
  try {
    return await gateJson(['check', 'apps', ...args], { cwd: repo.dir });
  } finally {
    await repo.dispose();
  }
}

export interface BasicAuthWorld {
  world: World;
  /** The test CA that signed the registry's certificate (for .gate/certs.d or --ca-file). */
  ca: Pem;
  stop(): Promise<void>;
}

/** A world whose registry speaks TLS (a test CA) and asks for htpasswd Basic auth, granting `user:password`. */
export async function basicAuthWorld(user: string, password: string): Promise<BasicAuthWorld> {
  requireTool('htpasswd');
  const pki = await mkdtemp(path.join(tmpdir(), 'gate-pki-'));
  const ca = await selfSigned(pki, 'ca', '/CN=gate test CA');
  const server = await serverCertificate(pki, ca);
  const htpasswd = path.join(pki, 'htpasswd');
  await mustRun('htpasswd', ['-Bbc', htpasswd, user, password]);
  const certDir = path.join(pki, 'skopeo-certs');
  await mkdir(certDir);
  await writeFile(path.join(certDir, 'ca.crt'), ca.cert);
  const world = await makeWorld({ tls: server, htpasswd, certDir, creds: `${user}:${password}` });
  return {
    world,
    ca,
    async stop() {
      await world.stop();
      await rm(pki, { recursive: true, force: true });
    },
  };
}

/** The key Secrets a world repository declares deployed: team, other, and every key file the test adds. */
function deployedKeys(files: Record<string, string>): string[] {
  const added = Object.keys(files).flatMap((f) => /^\.gate\/keys\/([^/]+)\.asc$/.exec(f)?.[1] ?? []);
  return [...new Set(['team', 'other', ...added])];
}
