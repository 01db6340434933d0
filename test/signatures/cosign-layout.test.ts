// cosign signatures read from an OCI image layout folder (signatureStores.cosign, layout:)
// by an offline `gate check`: the layout `cosign save` writes (kind annotations) and one
// with tags and listed referrers (as oras and skopeo write them), one layout or a folder
// of them; a broken layout fails the lookup instead of reading as unsigned.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundle, cosignPayload, keyPair, legacyWithKey, Sigstore, statement, writeCosignLayout, type KeyPair } from '../helpers/cosign.js';
import { gateJson } from '../helpers/gate.js';
import { clusterPolicy, deployment, makeRepo, ociManifest, sha256Digest, type TempRepo } from '../helpers/repo.js';

const HOST = 'registry.example.com';
const POLICY = clusterPolicy('cosign', `  - name: "${HOST}/*"
    policy:
      simple:
        requirements:
        - type: sigstoreSigned
          keyPath: keys/cosign.pub
          trustedRootPath: trust/trusted_root.json
`);

describe('cosign signatures in an OCI layout folder (offline)', () => {
  let sigstore: Sigstore;
  let key: KeyPair;
  let repo: TempRepo;
  const digests: Record<string, string> = {};

  before(async () => {
    sigstore = await Sigstore.create();
    key = keyPair('p256');
    repo = await makeRepo({
      '.gate/policies/cosign.yaml': POLICY,
      '.gate/keys/cosign.pub': key.pem,
      '.gate/trust/trusted_root.json': sigstore.trustedRoot(),
      '.gate/config.yaml': `webhook: none\nsignatureStores:\n  cosign:\n  - scope: ${HOST}/shop\n    layout: cosign/shop\n  - scope: ${HOST}/single\n    layout: cosign/single\n`,
    });
    const saved = async (folder: string, name: string, style: 'cosign-save' | 'tags', sign: { legacy?: boolean; bundle?: boolean }) => {
      const image = ociManifest(name);
      const digest = sha256Digest(image);
      digests[name] = digest;
      await writeCosignLayout(path.join(repo.dir, '.gate', folder), {
        style,
        image,
        legacy: sign.legacy ? [await legacyWithKey(sigstore, key, cosignPayload(`${HOST}/${name}`, digest))] : [],
        bundles: sign.bundle ? [await bundle(sigstore, { key }, statement(digest))] : [],
      });
    };
    await saved('cosign/shop/web', 'shop/web', 'cosign-save', { legacy: true });
    await saved('cosign/shop/api', 'shop/api', 'tags', { bundle: true });
    await saved('cosign/shop/both', 'shop/both', 'tags', { legacy: true, bundle: true });
    await saved('cosign/shop/unsigned', 'shop/unsigned', 'cosign-save', {});
    await saved('cosign/single', 'single/app', 'cosign-save', { legacy: true });
  });
  after(() => repo?.dispose());

  const check = async (images: string[]) => {
    await repo.write('apps/app.yaml', deployment('app', images));
    const { report } = await gateJson(['check', 'apps', '--offline'], { cwd: repo.dir });
    return Object.fromEntries(report.results.map((r) => [r.image.replace(/@.*/, '').replace(`${HOST}/`, ''), r]));
  };

  it('verifies legacy and bundle signatures from cosign save layouts and tagged layouts, offline', async () => {
    const results = await check(['shop/web', 'shop/api', 'shop/both', 'single/app'].map((n) => `${HOST}/${n}@${digests[n]}`));
    for (const name of ['shop/web', 'shop/api', 'shop/both', 'single/app']) {
      assert.equal(results[name].reason, 'SIGNED', `${name}: ${results[name].message}`);
      assert.match(results[name].message, /OCI layout/);
    }
  });

  it('denies an unsigned image NO_SIGNATURE, naming the folder, and a tag offline NOT_PINNED', async () => {
    const results = await check([`${HOST}/shop/unsigned@${digests['shop/unsigned']}`, `${HOST}/shop/web:1.0`]);
    assert.equal(results['shop/unsigned'].reason, 'NO_SIGNATURE');
    assert.match(results['shop/unsigned'].message, /the OCI layout folder \.gate\/cosign\/shop, declared at \.gate\/config\.yaml:\d+/);
    assert.equal(results['shop/web:1.0'].reason, 'NOT_PINNED');
  });

  it('fails the lookup on a blob that does not match its digest: BAD_SIGNATURE, not unsigned', async () => {
    const layout = path.join(repo.dir, '.gate/cosign/single');
    const index = JSON.parse(await (await import('node:fs/promises')).readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
    const sig = index.manifests.find((m) => m.annotations?.kind === 'dev.cosignproject.cosign/sigs')!;
    const file = path.join(layout, 'blobs/sha256', sig.digest.slice('sha256:'.length));
    const original = await (await import('node:fs/promises')).readFile(file);
    await writeFile(file, Buffer.concat([original, Buffer.from(' ')]));
    try {
      const results = await check([`${HOST}/single/app@${digests['single/app']}`]);
      assert.equal(results['single/app'].reason, 'BAD_SIGNATURE');
      assert.match(results['single/app'].message, /does not match its digest/);
    } finally {
      await writeFile(file, original);
    }
  });

  it('without a layout for the scope, an offline run says where the signatures are and how to read them offline', async () => {
    const digest = sha256Digest(ociManifest('other'));
    const results = await check([`${HOST}/other/app@${digest}`]);
    assert.equal(results['other/app'].reason, 'UNSUPPORTED');
    assert.match(results['other/app'].message, /this run is offline \(an OCI layout folder in signatureStores\.cosign/);
  });
});
