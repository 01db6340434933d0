// Throw-away GitOps repositories: manifests, a .gate/ folder and a file lookaside.

import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TempRepo {
  dir: string;
  write(relative: string, content: string | Buffer): Promise<string>;
  /** Stores signature blobs as <lookaside>/<repoPath>@sha256=<hex>/signature-1, -2, … */
  storeSignatures(lookaside: string, repoPath: string, digest: string, signatures: Buffer[]): Promise<void>;
  dispose(): Promise<void>;
}

export async function makeRepo(files: Record<string, string | Buffer> = {}): Promise<TempRepo> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gate-repo-'));
  await mkdir(path.join(dir, '.git'));
  const repo: TempRepo = {
    dir,
    async write(relative, content) {
      const file = path.join(dir, relative);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
      return file;
    },
    async storeSignatures(lookaside, repoPath, digest, signatures) {
      const [algorithm, hex] = digest.split(':');
      for (const [i, signature] of signatures.entries()) {
        await repo.write(path.join(lookaside, `${repoPath}@${algorithm}=${hex}`, `signature-${i + 1}`), signature);
      }
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
  for (const [relative, content] of Object.entries(files)) await repo.write(relative, content);
  return repo;
}

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Distinct, realistic OCI image manifest bytes for a seed. */
export function ociManifest(seed: string): Buffer {
  const layer = createHash('sha256').update(`layer:${seed}`).digest('hex');
  const config = createHash('sha256').update(`config:${seed}`).digest('hex');
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${config}`, size: 1024 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${layer}`, size: 2048 }],
    }),
  );
}

/** A ClusterImagePolicy manifest from repository entries written as YAML lines. */
export function clusterPolicy(name: string, repositoriesYaml: string): string {
  return `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata:
  name: ${name}
spec:
  repositories:
${repositoriesYaml}`;
}

/** A Deployment using each image once, in namespace `namespace`. */
export function deployment(name: string, images: string[], namespace = 'shop'): string {
  const containers = images.map((image, i) => `      - name: c${i}\n        image: ${image}`).join('\n');
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
${containers}
`;
}

/** A kubernetes.io/dockerconfigjson Secret that grants `user:password` on `registry`. */
export function pullSecret(name: string, registry: string, user: string, password: string, namespace = 'shop'): string {
  const config = { auths: { [registry]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } };
  return `apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: ${namespace}}
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: ${Buffer.from(JSON.stringify(config)).toString('base64')}
`;
}

/** A Deployment `name` (namespace shop) using `image`, whose pod spec names `secret` as its pull secret. */
export function withPullSecret(image: string, secret: string, name = 'app'): string {
  return deployment(name, [image]).replace('    spec:\n      containers:', `    spec:\n      imagePullSecrets: [{name: ${secret}}]\n      containers:`);
}

/**
 * The storeURL the test policies name, as a team whose Portieris reads signatures from a
 * web server would; `.gate/sigstore/` is declared its local mirror (parityConfig), so a
 * test reads the same files offline, as the bundled examples do.
 */
export const STORE_URL = 'https://signatures.test/sigstore';
/** The `storeURL:` line of a clusterPolicy entry's `simple:`. */
export const STORE_LINE = `        storeURL: ${STORE_URL}\n`;

/**
 * A .gate/config.yaml under webhook parity that declares `.gate/sigstore/` the local
 * mirror of STORE_URL and the key Secrets deployed in every namespace; `extra` is more YAML.
 */
export function parityConfig(keySecrets: string[] = ['team'], extra = ''): string {
  const keys = keySecrets.length > 0 ? `keySecrets:\n${keySecrets.map((k) => `- name: ${k}\n`).join('')}` : '';
  return `${keys}signatureStores:\n  mirrors:\n  - storeURL: ${STORE_URL}\n    path: sigstore\n${extra}`;
}

/**
 * A ClusterImagePolicy of its own for the images `pattern` matches (more specific than the
 * example's "registry.example.com/shop/*"), whose signatures are at `storeURL`: how a test
 * points one image at a slow or broken signature server.
 */
export function storePolicy(name: string, pattern: string, storeURL: string, keySecret = 'shop-release'): string {
  return `apiVersion: portieris.cloud.ibm.com/v1\nkind: ClusterImagePolicy\nmetadata: {name: ${name}}\nspec:\n  repositories:\n  - name: "${pattern}"\n    policy:\n      mutateImage: false\n      simple:\n        storeURL: ${storeURL}\n        requirements:\n        - {type: signedBy, keySecret: ${keySecret}}\n`;
}
