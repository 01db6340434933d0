// Portieris rewrites an image it admits to <name>@sha256:<digest> unless the policy says
// mutateImage: false, and Argo CD then never stops seeing a difference from Git. Through
// the cmp-server emulation (a fake repo-server: gate generate with Argo CD's environment):
// denied by default, allowed once the fix is applied or the rule is lowered; gate check
// and gate policy lint say the same as a warning. The written image decides whether the
// rewrite changes anything: a full name pinned by digest stays as it is.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseManifestStream } from '../../src/manifests/document.js';
import { mutation } from '../../src/policy/parity.js';
import { validatePolicy } from '../../src/policy/validate.js';
import { parseReference } from '../../src/reference/reference.js';
import { argoEnv, cmpWorkdir, generate, WEB, type Workdir } from '../helpers/argocd.js';
import { gate } from '../helpers/gate.js';
import { GpgHome } from '../helpers/gpg.js';

const TAGGED = 'registry.example.com/shop/web:1.4';

function policyYaml(policyBody: string): string {
  return `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: shop}
spec:
  repositories:
  - name: "registry.example.com/shop/*"
    policy:
${policyBody}`;
}
const ACCEPT = '      simple:\n        requirements: [{type: insecureAcceptAnything}]\n';

describe('which images Portieris rewrites (policy/admission.ts mutation, written out by hand)', () => {
  const rule = (body: string) => {
    const [object] = parseManifestStream(policyYaml(body), 'p.yaml').objects;
    const resource = validatePolicy(object, 'default');
    return { resource, rule: resource.repositories[0] };
  };
  const rewrites = (image: string, body: string) => {
    const parsed = parseReference(image);
    assert.ok(parsed.ok);
    const { resource, rule: r } = rule(body);
    return mutation(image, parsed.ref, r.policy, resource, r.name)?.message.match(/rewrite it to "([^"]+)"/)?.[1];
  };
  const digest = WEB.split('@')[1];

  it('a tag becomes the digest it points to', () => {
    assert.equal(rewrites(TAGGED, ACCEPT), 'registry.example.com/shop/web@sha256:<digest>');
  });
  it('a short name pinned by digest becomes its full name', () => {
    assert.equal(rewrites(`nginx@${digest}`, ACCEPT), `docker.io/library/nginx@${digest}`);
  });
  it('a full name pinned by digest is left as it is: nothing to rewrite', () => {
    assert.equal(rewrites(WEB, ACCEPT), undefined);
  });
  it('nothing is rewritten with mutateImage: false, or under a policy with no requirement', () => {
    assert.equal(rewrites(TAGGED, `      mutateImage: false\n${ACCEPT}`), undefined);
    assert.equal(rewrites(TAGGED, '      simple: {}\n'), undefined);
  });
  it('mutateImage: true rewrites as an absent one does', () => {
    assert.equal(rewrites(TAGGED, `      mutateImage: true\n${ACCEPT}`), 'registry.example.com/shop/web@sha256:<digest>');
  });
});

describe('gate generate and an image Portieris would rewrite (cmp-server emulated)', () => {
  let gpg: GpgHome;
  let fingerprint: string;
  let w: Workdir;
  before(async () => {
    gpg = await GpgHome.create();
    fingerprint = await gpg.generateKey('Release <release@example.com>');
    w = await cmpWorkdir(gpg, fingerprint, 'plain');
  });
  after(async () => {
    await w?.dispose();
    await gpg?.dispose();
  });

  const setUp = async (policyBody: string, config = '') => {
    await writeFile(path.join(w.root, '.gate/policies/policy.yaml'), policyYaml(policyBody));
    await writeFile(path.join(w.root, '.gate/config.yaml'), config);
    await writeFile(path.join(w.appDir, 'tagged.yaml'), `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: tagged}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: web, image: "${TAGGED}"}\n`);
  };

  it('is denied MUTATES_IMAGE with the OutOfSync explanation and the one-line fix', async () => {
    await setUp(ACCEPT);
    const out = await generate(w, argoEnv(w.sourcePath));
    assert.equal(out.code, 1, out.stderr);
    assert.equal(out.stdout.length, 0);
    const deny = out.stderr.split('\n').filter((l) => l.startsWith('DENY') && l.includes(TAGGED));
    assert.equal(deny.length, 1, out.stderr);
    assert.match(deny[0], /MUTATES_IMAGE: Portieris would admit "registry\.example\.com\/shop\/web:1\.4" and rewrite it to "registry\.example\.com\/shop\/web@sha256:<digest>" \(ClusterImagePolicy\/shop repository "registry\.example\.com\/shop\/\*" lacks mutateImage: false\)/);
  });

  it('is allowed once the policy sets mutateImage: false', async () => {
    await setUp(`      mutateImage: false\n${ACCEPT}`);
    const out = await generate(w, argoEnv(w.sourcePath));
    assert.equal(out.code, 0, out.stderr);
    assert.ok(out.stdout.includes(TAGGED));
  });

  it('is allowed with a warning when .gate/config.yaml lowers the rule to warn, and silently with webhook: none', async () => {
    await setUp(ACCEPT, 'rules:\n  mutate-image: warn\n');
    const warned = await generate(w, argoEnv(w.sourcePath));
    assert.equal(warned.code, 0, warned.stderr);
    // gate generate counts warnings and leaves them to gate check.
    assert.match(warned.stderr, /\(1 warning\(s\): gate check on the rendered manifests shows them\)/);

    await setUp(ACCEPT, 'webhook: none\n');
    const none = await generate(w, argoEnv(w.sourcePath));
    assert.equal(none.code, 0, none.stderr);
    assert.doesNotMatch(none.stderr, /warning/);
  });

  it('the plugin parameter webhook wins over .gate/config.yaml', async () => {
    await setUp(ACCEPT, 'webhook: none\n');
    const out = await generate(w, argoEnv(w.sourcePath, [{ name: 'webhook', string: 'portieris' }]));
    assert.equal(out.code, 1, out.stderr);
    assert.match(out.stderr, /MUTATES_IMAGE/);
  });

  it('gate check warns about the same image, and gate policy lint about the policy entry', async () => {
    await setUp(ACCEPT);
    const check = await gate(['check', '-o', 'json', w.sourcePath], { cwd: w.root });
    assert.equal(check.code, 0, check.stderr);
    const report = JSON.parse(check.stdout) as { warnings: Array<{ file?: string; message: string }> };
    assert.ok(report.warnings.some((x) => /rewrite it to "registry\.example\.com\/shop\/web@sha256:<digest>"/.test(x.message)), JSON.stringify(report.warnings));
    const lint = await gate(['policy', 'lint'], { cwd: w.root });
    assert.match(lint.stdout, /warning .gate\/policies\/policy\.yaml:\d+: ClusterImagePolicy\/shop repository "registry\.example\.com\/shop\/\*" does not set mutateImage: false/);
  });
});
