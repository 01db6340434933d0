// gate init for cosign: a key-based ClusterImagePolicy of policy.sigstore.dev (the file
// policy-controller enforces) and a keyless sigstoreSigned policy, each linted clean and
// then verifying real signatures (made by the tests) offline from an OCI layout folder.

import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundle, cosignPayload, keyPair, legacyKeyless, legacyWithKey, Sigstore, statement, writeCosignLayout } from '../helpers/cosign.js';
import { gate, gateJson } from '../helpers/gate.js';
import { deployment, makeRepo, ociManifest, sha256Digest, type TempRepo } from '../helpers/repo.js';

const HOST = 'registry.example.com';
const GITHUB = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main';

describe('gate init for cosign', () => {
  let sigstore: Sigstore;
  let repo: TempRepo;
  before(async () => {
    sigstore = await Sigstore.create();
  });
  after(() => repo?.dispose());

  async function withLayout(sign: (digest: string) => Promise<{ legacy?: Parameters<typeof writeCosignLayout>[1]['legacy']; bundles?: string[] }>): Promise<string> {
    const image = ociManifest('shop/web');
    const digest = sha256Digest(image);
    await writeCosignLayout(path.join(repo.dir, '.gate/cosign/web'), { style: 'cosign-save', image, ...(await sign(digest)) });
    const config = path.join(repo.dir, '.gate/config.yaml');
    await writeFile(config, `${await readFile(config, 'utf8')}signatureStores:\n  cosign:\n  - scope: ${HOST}/shop\n    layout: cosign\n`);
    await repo.write('apps/app.yaml', deployment('web', [`${HOST}/shop/web@${digest}`]));
    return digest;
  }

  it('--cosign-key with --trusted-root writes a policy-controller ClusterImagePolicy that lints clean and verifies a legacy signature', async () => {
    repo = await makeRepo({ 'cosign.pub': '', 'trusted_root.json': sigstore.trustedRoot() });
    const key = keyPair('p256');
    await repo.write('cosign.pub', key.pem);
    const init = await gate(['init', '--cosign-key', 'cosign.pub', '--trusted-root', 'trusted_root.json', '--repository', `${HOST}/shop/*`], { cwd: repo.dir });
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /wrote \.gate\/policies\/cosign-signed\.yaml/);
    assert.match(init.stdout, /wrote \.gate\/trust\/trusted_root\.json/);
    assert.match(init.stdout, /next: sign with cosign sign --new-bundle-format=false/);
    const policy = await readFile(path.join(repo.dir, '.gate/policies/cosign-signed.yaml'), 'utf8');
    assert.match(policy, /apiVersion: policy\.sigstore\.dev\/v1beta1/);
    assert.match(policy, /glob: "registry\.example\.com\/shop\/\*\*"/);
    const lint = await gate(['policy', 'lint'], { cwd: repo.dir });
    assert.equal(lint.code, 0, lint.stdout);
    await withLayout(async (digest) => ({ legacy: [await legacyWithKey(sigstore, key, cosignPayload(`${HOST}/shop/web`, digest))] }));
    const { code, report } = await gateJson(['check', 'apps', '--offline'], { cwd: repo.dir });
    assert.equal(code, 0, JSON.stringify(report.results));
    assert.equal(report.results[0].reason, 'SIGNED');
    assert.equal(report.results[0].policy?.name, 'cosign-signed');
  });

  it('--keyless-issuer/--keyless-subject with --webhook none writes a sigstoreSigned policy that verifies a keyless bundle', async () => {
    await repo?.dispose();
    repo = await makeRepo({ 'trusted_root.json': sigstore.trustedRoot() });
    const init = await gate(['init', '--keyless-issuer', GITHUB, '--keyless-subject', WORKFLOW, '--trusted-root', 'trusted_root.json', '--webhook', 'none', '--repository', `${HOST}/shop/*`], { cwd: repo.dir });
    assert.equal(init.code, 0, init.stderr);
    assert.match(await readFile(path.join(repo.dir, '.gate/policies/cosign-signed.yaml'), 'utf8'), /subjectURI: "https:\/\/github\.com\/acme\/web\/\.github\/workflows\/release\.yml@refs\/heads\/main"/);
    assert.equal((await gate(['policy', 'lint'], { cwd: repo.dir })).code, 0);
    const cert = await sigstore.certificate({ uri: WORKFLOW, issuer: GITHUB });
    await withLayout(async (digest) => ({ bundles: [await bundle(sigstore, { cert }, statement(digest))], legacy: [await legacyKeyless(sigstore, await sigstore.certificate({ uri: WORKFLOW.replace('main', 'dev'), issuer: GITHUB }), cosignPayload(`${HOST}/shop/web`, digest))] }));
    const { code, report } = await gateJson(['check', 'apps', '--offline'], { cwd: repo.dir });
    assert.equal(code, 0, JSON.stringify(report.results));
    assert.match(report.results[0].message, /release\.yml@refs\/heads\/main/);
  });

  it('refuses what would not work: keyless without a trusted root, both a key and an identity, a key that is not PEM', async () => {
    await repo?.dispose();
    repo = await makeRepo({ 'cosign.pub': 'not a key\n' });
    const noRoot = await gate(['init', '--keyless-issuer', GITHUB, '--keyless-subject', WORKFLOW, '--repository', `${HOST}/shop/*`], { cwd: repo.dir });
    assert.equal(noRoot.code, 2);
    assert.match(noRoot.stderr, /needs the Fulcio CAs and Rekor keys to trust: --trusted-root/);
    const both = await gate(['init', '--cosign-key', 'cosign.pub', '--keyless-issuer', GITHUB, '--keyless-subject', WORKFLOW, '--repository', `${HOST}/shop/*`], { cwd: repo.dir });
    assert.equal(both.code, 2);
    const bad = await gate(['init', '--cosign-key', 'cosign.pub', '--repository', `${HOST}/shop/*`], { cwd: repo.dir });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /not a PEM public key/);
  });
});
