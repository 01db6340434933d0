// An emulation of Argo CD's cmp-server contract (reference/argocd-cmp.md §3): the app's
// repository copied into a fresh work folder without .git, the full build environment,
// and stdout read back the way the repo-server splits manifests.

import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PROJECT_ROOT } from './gate.js';
import { GpgHome, skopeoSign } from './gpg.js';
import { parityConfig, STORE_LINE } from './repo.js';
import { run } from './tools.js';

export const FIXTURE_APPS = path.join(PROJECT_ROOT, 'test/fixtures/apps');
export const WEB = 'registry.example.com/shop/web@sha256:4c307e3d362277e43add54082dde9a9f3be7c3369638eca6d2cee570b96294a2';

export interface Workdir {
  root: string;
  appDir: string;
  sourcePath: string;
  dispose(): Promise<void>;
}

/**
 * The cmp-server's work folder: `<tmp>/_cmp_server/<random>/` holding the repository (a
 * copy of a fixture app under apps/, and a .gate/ trusting `gpg`'s key with signatures
 * for the example images), minus .git.
 */
export async function cmpWorkdir(gpg: GpgHome, fingerprint: string, app: string, appSubdir = ''): Promise<Workdir> {
  const base = await mkdtemp(path.join(tmpdir(), '_cmp_server-'));
  const root = path.join(base, 'repo');
  await cp(path.join(FIXTURE_APPS, app), path.join(root, 'apps', app), { recursive: true });
  const { writeFile, mkdir } = await import('node:fs/promises');
  const write = async (relative: string, content: string | Buffer) => {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await writeFile(path.join(root, relative), content);
  };
  await write('.gate/policies/policy.yaml', `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: shop}
spec:
  repositories:
  - name: "registry.example.com/shop/*"
    policy:
      simple:
${STORE_LINE}        requirements:
        - type: signedBy
          keySecret: release
`);
  await write('.gate/config.yaml', parityConfig(['release']));
  await write('.gate/keys/release.asc', await gpg.exportPublic(fingerprint));
  for (const [image, tag] of [['web', '1.4'], ['api', '2.1']]) {
    const manifest = await readFile(path.join(PROJECT_ROOT, 'examples/images', `${image}.json`));
    const digest = (await import('node:crypto')).createHash('sha256').update(manifest).digest('hex');
    await write(`.gate/sigstore/shop/${image}@sha256=${digest}/signature-1`, await skopeoSign(gpg, manifest, `registry.example.com/shop/${image}:${tag}`, fingerprint));
  }
  const sourcePath = path.posix.join('apps', app, appSubdir);
  return { root, appDir: path.join(root, sourcePath), sourcePath, dispose: () => rm(base, { recursive: true, force: true }) };
}

export type Parameter = { name: string; string?: string; array?: string[]; map?: Record<string, string> };

/** The environment cmp-server gives `generate`: ARGOCD_*, KUBE_*, ARGOCD_ENV_*, ARGOCD_APP_PARAMETERS and PARAM_*. */
export function argoEnv(sourcePath: string, parameters: Parameter[] = [], pluginEnv: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    ARGOCD_APP_NAME: 'argocd_shop-web',
    ARGOCD_APP_NAMESPACE: 'shop',
    ARGOCD_APP_PROJECT_NAME: 'default',
    ARGOCD_APP_REVISION: '0123456789abcdef0123456789abcdef01234567',
    ARGOCD_APP_REVISION_SHORT: '0123456',
    ARGOCD_APP_REVISION_SHORT_8: '01234567',
    ARGOCD_APP_SOURCE_REPO_URL: 'https://git.example.com/shop/deploy.git',
    ARGOCD_APP_SOURCE_PATH: sourcePath,
    ARGOCD_APP_SOURCE_TARGET_REVISION: 'main',
    KUBE_VERSION: '1.29.4',
    KUBE_API_VERSIONS: 'apps/v1,apps/v1/Deployment,monitoring.coreos.com/v1,monitoring.coreos.com/v1/ServiceMonitor,v1,v1/Pod',
  };
  for (const [name, value] of Object.entries(pluginEnv)) env[`ARGOCD_ENV_${name}`] = value;
  if (parameters.length > 0) env.ARGOCD_APP_PARAMETERS = JSON.stringify(parameters);
  for (const p of parameters) {
    const key = `PARAM_${p.name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
    if (p.string !== undefined) env[key] = p.string;
    p.array?.forEach((v, i) => (env[`${key}_${i}`] = v));
    for (const [k, v] of Object.entries(p.map ?? {})) env[`${key}_${k.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = v;
  }
  return env;
}

export interface Generated {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export async function generate(workdir: Workdir, env: Record<string, string>, args: string[] = [], cwd = workdir.appDir): Promise<Generated> {
  const cacheDir = path.join(path.dirname(workdir.root), 'cache');
  const result = await run(process.execPath, [path.join(PROJECT_ROOT, 'dist/src/cli/gate.js'), 'generate', ...args], {
    cwd,
    env: { NO_COLOR: '1', GATE_CACHE_DIR: cacheDir, ...env },
  });
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The repo-server's reading of stdout: Kubernetes' own YAML-or-JSON decoder (run through
 * the real `kubectl label --local`, which decides YAML or JSON from the first bytes as the
 * repo-server does), then each document as an object with apiVersion and kind.
 */
export async function argoManifests(stdout: Buffer): Promise<Array<Record<string, unknown>>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gate-argo-read-'));
  try {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(dir, 'out'), stdout);
    const decoded = await run('kubectl', ['label', '--local', '-f', path.join(dir, 'out'), 'gate.check/read=ok', '-o', 'name']);
    if (decoded.code !== 0) throw new Error(`Kubernetes' decoder refused the output: ${decoded.stderr.trim()}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return splitYaml(stdout);
}

function splitYaml(stdout: Buffer): Array<Record<string, unknown>> {
  const docs = parseAllDocuments(stdout.toString('utf8'));
  const list = Array.isArray(docs) ? docs : [];
  const objects: Array<Record<string, unknown>> = [];
  for (const doc of list) {
    if (doc.errors.length > 0) throw new Error(`failed to unmarshal manifest: ${doc.errors[0].message}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`failed to unmarshal manifest: ${JSON.stringify(value).slice(0, 80)}`);
    const object = value as Record<string, unknown>;
    if (!object.apiVersion || !object.kind) throw new Error('failed to unmarshal manifest: Object \'Kind\' is missing');
    objects.push(object);
  }
  return objects;
}
