// A small world for the evidence cache: two digest-pinned images (no registry needed),
// `web` signed by real skopeo and `worker` not, their signatures served over HTTP as the
// policy's storeURL (a real lookaside web server that counts requests), and a GitOps
// repository whose .gate/ trusts the signing key.

import type { IncomingMessage } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { evidenceCacheKey } from '../../src/cache/key.js';
import { GpgHome, skopeoSign } from './gpg.js';
import { clusterPolicy, deployment, makeRepo, ociManifest, sha256Digest, type TempRepo } from './repo.js';
import { staticServer, type TestServer } from './servers.js';

export interface StoreImage {
  repository: string;
  digest: string;
  /** registry.example.com/<repository>@<digest> */
  image: string;
}

export interface StoreWorld {
  store: TestServer;
  /** The storeURL the policy names (the store's URL). */
  storeURL: string;
  signed: StoreImage;
  unsigned: StoreImage;
  /** The key of an image's evidence in the cache (how a planted entry is placed; anyone can compute it from public data). */
  cacheKey(image: StoreImage): string;
  /** Requests the store served for an image's signatures (signature-1, -2, …). */
  signatureRequests(image: StoreImage): number;
  /** A repository deploying `images` (both by default) in namespace shop. */
  repo(files?: Record<string, string>, images?: StoreImage[]): Promise<TempRepo>;
  stop(): Promise<void>;
}

export async function storeWorld(options: { before?: (req: IncomingMessage) => Promise<void> } = {}): Promise<StoreWorld> {
  const gpg = await GpgHome.create();
  const fingerprint = await gpg.generateKey('Release <release@example.com>');
  const root = await mkdtemp(path.join(tmpdir(), 'gate-store-'));
  const image = (name: string): StoreImage => {
    const digest = sha256Digest(ociManifest(`store-world ${name}`));
    return { repository: `team/${name}`, digest, image: `registry.example.com/team/${name}@${digest}` };
  };
  const signed = image('web');
  const unsigned = image('worker');
  const signature = await skopeoSign(gpg, ociManifest('store-world web'), 'registry.example.com/team/web:1', fingerprint);
  const folder = path.join(root, `${signed.repository}@sha256=${signed.digest.slice(7)}`);
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'signature-1'), signature);
  const store = await staticServer(root, options.before);
  const publicKey = await gpg.exportPublic(fingerprint);
  const storeURL = store.url;
  return {
    store,
    storeURL,
    signed,
    unsigned,
    cacheKey: (img) => evidenceCacheKey({ store: storeURL, repository: `registry.example.com/${img.repository}`, digest: img.digest, attachments: false }),
    signatureRequests: (img) => store.requests.filter((r) => r.path.startsWith(`/${img.repository}@`)).length,
    repo: (files = {}, images = [signed, unsigned]) =>
      makeRepo({
        '.gate/policies/policy.yaml': clusterPolicy(
          'signed',
          `  - name: "registry.example.com/*"\n    policy:\n      mutateImage: false\n      simple:\n        storeURL: ${storeURL}\n        requirements:\n        - {type: signedBy, keySecret: release}\n`,
        ),
        '.gate/keys/release.asc': publicKey,
        '.gate/config.yaml': 'keySecrets:\n- name: release\n',
        'apps/app.yaml': deployment('app', images.map((i) => i.image)),
        ...files,
      }),
    async stop() {
      await store.close();
      await gpg.dispose();
      await rm(root, { recursive: true, force: true });
    },
  };
}
