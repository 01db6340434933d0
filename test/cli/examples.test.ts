// The bundled examples do what the README says, and their committed signatures are
// real: skopeo standalone-verify judges them the same way.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fg from 'fast-glob';
import { gate, gateJson, PROJECT_ROOT } from '../helpers/gate.js';
import { GpgHome, skopeoVerify } from '../helpers/gpg.js';
import { mustRun, run } from '../helpers/tools.js';
import { judgeBundleSignature, judgeLegacy } from '../helpers/cosign-oracle.js';
import { createPublicKey } from 'node:crypto';

const EXAMPLES = path.join(PROJECT_ROOT, 'examples');

describe('bundled examples', () => {
  let home: GpgHome;
  let fingerprint: string;

  before(async () => {
    home = await GpgHome.create();
    const key = readFileSync(path.join(EXAMPLES, 'shop/.gate/keys/shop-release.asc'));
    await mustRun('gpg', ['--batch', '--import'], { env: home.env, input: key });
    fingerprint = (await home.fingerprints('release@shop.example'))[0];
  });
  after(() => home?.dispose());

  it('examples/shop: every image allowed, exit 0', async () => {
    const { code, report } = await gateJson(['check', 'examples/shop']);
    assert.equal(code, 0);
    assert.deepEqual(report.summary, { images: 3, allowed: 3, denied: 0 });
    assert.ok(report.results.every((r) => r.reason === 'SIGNED'));
  });

  it('the README\'s first command, as written (npx runs the package\'s bin: it must be executable)', async () => {
    const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const line = /^npm ci && (npx gate [^#\n]+?)\s+#/m.exec(readme);
    assert.ok(line, 'the README\'s Try it block starts with "npm ci && npx gate …"');
    const [command, ...args] = line[1].split(/\s+/);
    const { code, stdout, stderr } = await run(command, args, { cwd: PROJECT_ROOT, env: { NO_COLOR: '1' } });
    assert.equal(code, 0, stderr);
    assert.match(stdout.toString('utf8'), /All 3 images allowed\./);
  });

  it('examples/shop-denied: exit 1, with the reason for each denial', async () => {
    const { code, report } = await gateJson(['check', 'examples/shop-denied']);
    assert.equal(code, 1);
    const reasons = Object.fromEntries(report.results.map((r) => [r.image.replace(/@.*/, ''), r.reason]));
    assert.deepEqual(reasons, {
      'redis:7': 'NO_POLICY',
      'registry.example.com/shop/api': 'IDENTITY_MISMATCH',
      'registry.example.com/shop/worker': 'NO_SIGNATURE',
      'registry.example.com/shop/web': 'SIGNED',
    });
  });

  it('the text report of the denied example names file, line, reason and fix', async () => {
    const { code, stdout } = await gate(['check', 'examples/shop-denied']);
    assert.equal(code, 1);
    assert.match(stdout, /DENY {2}registry\.example\.com\/shop\/worker@sha256:[0-9a-f]{64} {2}namespace shop\n {6}NO_SIGNATURE/);
    assert.match(stdout, /used at examples\/shop-denied\/apps\/shop\.yaml:50 {2}Job\/worker {2}spec\.template\.spec\.containers\[0\]\.image/);
    assert.match(stdout, /fix {5}sign registry\.example\.com\/shop\/worker/);
    assert.match(stdout, /ALLOW registry\.example\.com\/shop\/web@sha256:[0-9a-f]{12}… {2}namespace shop {2}SIGNED {2}examples\/shop-denied\/apps\/shop\.yaml:16\n/);
    assert.match(stdout, /3 of 4 images denied: redis:7 \(NO_POLICY\), .*worker@sha256:[0-9a-f]{12}… \(NO_SIGNATURE\)/);
  });

  it('skopeo agrees with every committed example signature', async () => {
    const signatures = await fg('*/.gate/sigstore/shop/*/signature-*', { cwd: EXAMPLES });
    assert.ok(signatures.length >= 5);
    const deployedAs: Record<string, string> = {
      web: 'registry.example.com/shop/web:1.4',
      api: 'registry.example.com/shop/api:2.1',
      migrate: 'registry.example.com/shop/migrate:2.1',
    };
    for (const signature of signatures) {
      const example = signature.split('/')[0];
      const image = /shop\/([a-z]+)@sha256=/.exec(signature)![1];
      const manifest = readFileSync(path.join(EXAMPLES, 'images', `${image}.json`));
      const verdict = await skopeoVerify(home, manifest, deployedAs[image], fingerprint, readFileSync(path.join(EXAMPLES, signature)));
      // The only signature skopeo must refuse is shop-denied's api one, made for another repository.
      const expected = !(example === 'shop-denied' && image === 'api');
      assert.equal(verdict.accepted, expected, `${signature}: ${verdict.message}`);
    }
  });
});

describe('examples/cosign', () => {
  const gateDir = path.join(EXAMPLES, 'cosign/.gate');

  it('verifies a legacy .sig and a bundle referrer from OCI layout folders, offline: exit 0', async () => {
    const { code, report } = await gateJson(['check', 'examples/cosign', '--offline']);
    assert.equal(code, 0, JSON.stringify(report.results.map((r) => r.message)));
    const byName = Object.fromEntries(report.results.map((r) => [r.image.replace(/^registry\.example\.com\/shop\/(\w+)@.*$/, '$1'), r]));
    assert.equal(byName.web.reason, 'SIGNED');
    assert.match(byName.web.message, /OCI layout \S+\/web:sha256-[0-9a-f]{64}\.sig layer 1/);
    assert.equal(byName.api.reason, 'SIGNED');
    assert.match(byName.api.message, /referrer sha256:[0-9a-f]{64} in OCI layout/);
  });

  it('its committed signatures verify by the independent node:crypto judge, with the committed key and Rekor key', async () => {
    const key = readFileSync(path.join(gateDir, 'keys/cosign.pub'), 'utf8');
    const root = JSON.parse(readFileSync(path.join(gateDir, 'trust/trusted_root.json'), 'utf8')) as { tlogs: Array<{ publicKey: { rawBytes: string } }> };
    const rekor = createPublicKey({ key: Buffer.from(root.tlogs[0].publicKey.rawBytes, 'base64'), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString();
    const blob = (dir: string, digest: string) => readFileSync(path.join(gateDir, 'cosign', dir, 'blobs/sha256', digest.replace('sha256:', '')));
    type Index = { manifests: Array<{ digest: string; artifactType?: string; annotations?: Record<string, string> }> };
    const web = JSON.parse(readFileSync(path.join(gateDir, 'cosign/web/index.json'), 'utf8')) as Index;
    const sig = JSON.parse(blob('web', web.manifests.find((m) => m.annotations?.kind === 'dev.cosignproject.cosign/sigs')!.digest).toString()) as { layers: Array<{ digest: string; annotations: Record<string, string> }> };
    assert.equal(judgeLegacy(blob('web', sig.layers[0].digest), sig.layers[0].annotations, key, rekor), true);
    const api = JSON.parse(readFileSync(path.join(gateDir, 'cosign/api/index.json'), 'utf8')) as Index;
    const referrer = JSON.parse(blob('api', api.manifests.find((m) => m.artifactType)!.digest).toString()) as { layers: Array<{ digest: string }>; subject: { digest: string } };
    const judged = judgeBundleSignature(blob('api', referrer.layers[0].digest).toString(), key);
    assert.deepEqual(judged, { signed: true, digests: [referrer.subject.digest] });
  });
});
