// The benchmark's world, as real registries are: the Debian docker-registry over TLS (a
// test CA the repository trusts in .gate/certs.d), an HTTP lookaside published as the
// policy's storeURL, N distinct images pushed with plain registry API calls and signed by
// real gpg (one simple-signing blob each), and a GitOps repository whose .gate/ points
// at all of it. Both servers count the requests they serve.

import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent } from 'undici';
import { GpgHome } from '../test/helpers/gpg.js';
import { selfSigned, serverCertificate, type Pem } from '../test/helpers/pki.js';
import { startRegistry, type RunningRegistry } from '../test/helpers/registry.js';
import { makeRepo, type TempRepo } from '../test/helpers/repo.js';
import { staticServer, type TestServer } from '../test/helpers/servers.js';

export interface BenchImage {
  repository: string;
  tag: string;
  digest: string;
  /** host/repository:tag */
  tagged: string;
  /** host/repository@digest */
  pinned: string;
}

export interface TlsWorld {
  registry: RunningRegistry;
  lookaside: TestServer;
  ca: Pem;
  /** A folder with ca.crt, for skopeo's --src-cert-dir. */
  certDir: string;
  gpg: GpgHome;
  fingerprint: string;
  /** The staging folder the lookaside serves. */
  staging: string;
  images: BenchImage[];
  /** Pushes and signs `count` more images named <prefix><i>. */
  addImages(count: number, prefix: string): Promise<BenchImage[]>;
  /** A repository whose .gate/ trusts the CA and the key, with the lookaside as storeURL. */
  repo(files: Record<string, string>): Promise<TempRepo>;
  stop(): Promise<void>;
}

const PARALLEL = 8;

export async function tlsWorld(): Promise<TlsWorld> {
  const base = await mkdtemp(path.join(tmpdir(), 'gate-bench-'));
  const ca = await selfSigned(base, 'ca', '/CN=gate bench CA');
  const server = await serverCertificate(base, ca);
  const certDir = path.join(base, 'certs');
  await mkdir(certDir);
  await writeFile(path.join(certDir, 'ca.crt'), ca.cert);
  const staging = path.join(base, 'staging');
  await mkdir(staging);
  const registry = await startRegistry({ tls: server });
  const lookaside = await staticServer(staging);
  const gpg = await GpgHome.create();
  const fingerprint = await gpg.generateKey('Bench <bench@example.com>');
  const agent = new Agent({ connect: { ca: ca.cert }, connections: PARALLEL });
  const images: BenchImage[] = [];

  async function pushOne(repository: string, tag: string): Promise<BenchImage> {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Labels: { repository } } }));
    const layer = Buffer.from(`layer of ${repository}`);
    for (const blob of [config, layer]) {
      const start = await agent.request({ origin: registry.url, path: `/v2/${repository}/blobs/uploads/`, method: 'POST' });
      await start.body.dump();
      const location = start.headers.location;
      if (start.statusCode !== 202 || typeof location !== 'string') throw new Error(`blob upload to ${repository} answered ${start.statusCode}`);
      const target = new URL(location, registry.url);
      target.searchParams.set('digest', sha256(blob));
      const put = await agent.request({ origin: target.origin, path: `${target.pathname}${target.search}`, method: 'PUT', body: blob, headers: { 'content-type': 'application/octet-stream' } });
      await put.body.dump();
      if (put.statusCode !== 201) throw new Error(`blob upload to ${repository} answered ${put.statusCode}`);
    }
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
      }),
    );
    const put = await agent.request({
      origin: registry.url,
      path: `/v2/${repository}/manifests/${tag}`,
      method: 'PUT',
      body: manifest,
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    await put.body.dump();
    if (put.statusCode !== 201) throw new Error(`manifest upload to ${repository}:${tag} answered ${put.statusCode}`);
    const digest = sha256(manifest);
    const tagged = `${registry.host}/${repository}:${tag}`;
    // What skopeo copy --sign-by writes: the payload of containers/image, signed by gpg.
    const payload = JSON.stringify({
      critical: { type: 'atomic container signature', image: { 'docker-manifest-digest': digest }, identity: { 'docker-reference': tagged } },
      optional: { creator: 'gate bench' },
    });
    const signature = await gpg.signBytes(fingerprint, payload);
    const folder = path.join(staging, `${repository}@sha256=${digest.slice(7)}`);
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'signature-1'), signature);
    return { repository, tag, digest, tagged, pinned: `${registry.host}/${repository}@${digest}` };
  }

  async function addImages(count: number, prefix: string): Promise<BenchImage[]> {
    const added: BenchImage[] = new Array(count);
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < count) {
          const i = next++;
          added[i] = await pushOne(`${prefix}${i}`, '1');
        }
      }),
    );
    images.push(...added);
    return added;
  }

  return {
    registry,
    lookaside,
    ca,
    certDir,
    gpg,
    fingerprint,
    staging,
    images,
    addImages,
    async repo(files) {
      return makeRepo({
        '.gate/policies/policy.yaml': `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: bench}
spec:
  repositories:
  - name: "${registry.host}/*"
    policy:
      mutateImage: false
      simple:
        storeURL: ${lookaside.url}
        requirements:
        - {type: signedBy, keySecret: bench}
`,
        '.gate/keys/bench.asc': await gpg.exportPublic(fingerprint),
        '.gate/config.yaml': 'keySecrets:\n- name: bench\n',
        [`.gate/certs.d/${registry.host}/ca.crt`]: ca.cert,
        ...files,
      });
    },
    async stop() {
      await agent.close();
      await lookaside.close();
      await registry.stop();
      await gpg.dispose();
      await rm(base, { recursive: true, force: true });
    },
  };
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
