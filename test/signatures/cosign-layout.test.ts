// cosign signatures read from an OCI image layout folder (signatureStores.cosign, layout:)
// by an offline `gate check`: the layout `cosign save` writes (kind annotations) and one
// with tags and listed referrers (as oras and skopeo write them), one layout or a folder
// of them; a broken layout fails the lookup instead of reading as unsigned.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundle, cosignPayload, keyPair, legacyWithKey, Sigstore, statement, writeCosignLayout, type KeyPair } from '../helpers/cosign.js';
import { gate, gateJson } from '../helpers/gate.js';
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

  it('gate explain traces a cosign decision under a sigstoreSigned requirement and under a policy-controller ClusterImagePolicy', async () => {
    const image = `${HOST}/shop/web@${digests['shop/web']}`;
    const plain = await gate(['explain', image, '--offline', '-n', 'shop'], { cwd: repo.dir });
    assert.equal(plain.code, 0, plain.stderr + plain.stdout);
    assert.match(plain.stdout, /1\. sigstoreSigned — keys from \.gate\/trust\/trusted_root\.json, \.gate\/keys\/cosign\.pub: sha256:[0-9a-f]{64}/);
    assert.match(plain.stdout, /Signatures: looked in the OCI layout folder \.gate\/cosign\/shop/);
    assert.match(plain.stdout, /requirement 1: ✔ signed by key sha256:/);
    const cip = `apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: shop-key}\nspec:\n  images: [{glob: "${HOST}/shop/*"}]\n  authorities:\n  - name: release\n    key:\n      data: |\n${key.pem.trim().replace(/^/gm, '        ')}\n`;
    await repo.write('.gate/policies/pc.yaml', cip);
    const config = `webhook: policy-controller\nsignatureStores:\n  cosign:\n  - scope: ${HOST}/shop\n    layout: cosign/shop\n`;
    const before = await (await import('node:fs/promises')).readFile(path.join(repo.dir, '.gate/config.yaml'), 'utf8');
    await repo.write('.gate/config.yaml', config);
    try {
      const traced = await gate(['explain', image, '--offline', '-n', 'shop'], { cwd: repo.dir });
      assert.equal(traced.code, 0, traced.stderr + traced.stdout);
      assert.match(traced.stdout, /Policy: the ClusterImagePolicies of policy\.sigstore\.dev that match/);
      assert.match(traced.stdout, /→ ClusterImagePolicy\/shop-key {2}"registry\.example\.com\/shop\/\*"/);
      assert.match(traced.stdout, /Authorities that read signatures\n {2}1\. sigstoreSigned — keys from key\.data of authority release/);
      assert.match(traced.stdout, /Verdict: ALLOW SIGNED .*under ClusterImagePolicy shop-key/);
    } finally {
      await repo.write('.gate/config.yaml', before);
      await (await import('node:fs/promises')).rm(path.join(repo.dir, '.gate/policies/pc.yaml'));
    }
  });

  it("reads a ClusterImagePolicy's key.secretRef from a Secret of policy-controller's namespace (one data entry), and refuses one with two", async () => {
    const image = `${HOST}/shop/web@${digests['shop/web']}`;
    const cip = `apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: shop-secret}\nspec:\n  images: [{glob: "${HOST}/shop/*"}]\n  authorities:\n  - key:\n      secretRef: {name: release-cosign}\n`;
    const secret = (extra: string) => `apiVersion: v1\nkind: Secret\nmetadata: {name: release-cosign, namespace: cosign-system}\ndata:\n  cosign.pub: ${Buffer.from(key.pem).toString('base64')}\n${extra}`;
    const fs = await import('node:fs/promises');
    const before = await fs.readFile(path.join(repo.dir, '.gate/config.yaml'), 'utf8');
    await repo.write('.gate/policies/pc.yaml', cip);
    await repo.write('.gate/policies/secret.yaml', secret(''));
    await repo.write('.gate/config.yaml', before.replace('webhook: none', 'webhook: policy-controller'));
    try {
      const results = await check([image]);
      assert.equal(results['shop/web'].reason, 'SIGNED', results['shop/web'].message);
      assert.match(results['shop/web'].message, /under ClusterImagePolicy shop-secret/);
      await repo.write('.gate/policies/secret.yaml', secret('  other: eA==\n'));
      await repo.write('apps/app.yaml', deployment('app', [image]));
      const refused = await gateJson(['check', 'apps', '--offline'], { cwd: repo.dir });
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /must hold exactly one data entry, the public key/);
      // The manifests must not choose the key that verifies them: a Secret there is not read.
      await (await import('node:fs/promises')).rm(path.join(repo.dir, '.gate/policies/secret.yaml'));
      await repo.write('apps/app.yaml', `${deployment('app', [image])}---\n${secret('')}`);
      const planted = await gateJson(['check', 'apps', '--offline'], { cwd: repo.dir });
      assert.equal(planted.code, 2, planted.stderr);
      assert.match(planted.stderr, /in the checked manifests is not trusted for it/);
    } finally {
      await repo.write('.gate/config.yaml', before);
      await fs.rm(path.join(repo.dir, '.gate/policies/pc.yaml'));
      await fs.rm(path.join(repo.dir, '.gate/policies/secret.yaml'), { force: true });
    }
  });

  it('reads a hostile layout (null entries, a non-object manifest) as a broken store or as no signature, never as a crash', async () => {
    const fs = await import('node:fs/promises');
    const image = ociManifest('shop/hostile');
    const digest = sha256Digest(image);
    const dir = path.join(repo.dir, '.gate/cosign/shop/hostile');
    await writeCosignLayout(dir, { style: 'tags', image });
    const index = JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests: unknown[] };
    const bad = Buffer.from('null');
    const hex = (await import('node:crypto')).createHash('sha256').update(bad).digest('hex');
    await fs.writeFile(path.join(dir, 'blobs/sha256', hex), bad);
    index.manifests.push(null, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${hex}`, size: 4, annotations: { 'org.opencontainers.image.ref.name': `${digest.replace(':', '-')}.sig` } });
    await fs.writeFile(path.join(dir, 'index.json'), JSON.stringify(index));
    try {
      const results = await check([`${HOST}/shop/hostile@${digest}`]);
      assert.equal(results['shop/hostile'].reason, 'BAD_SIGNATURE', results['shop/hostile'].message);
      assert.match(results['shop/hostile'].message, /is not a JSON object/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('without a layout for the scope, an offline run says where the signatures are and how to read them offline', async () => {
    const digest = sha256Digest(ociManifest('other'));
    const results = await check([`${HOST}/other/app@${digest}`]);
    assert.equal(results['other/app'].reason, 'UNSUPPORTED');
    assert.match(results['other/app'].message, /this run is offline \(an OCI layout folder in signatureStores\.cosign/);
  });
});
