// gate explain: the candidates and scores follow Portieris' rule worked out by hand here,
// and the fate of each signature is cross-checked with skopeo standalone-verify.

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Explanation } from '../../src/report/explanation.js';
import { gate } from '../helpers/gate.js';
import { GpgHome, skopeoSign, skopeoVerify } from '../helpers/gpg.js';
import { makeRepo, ociManifest, sha256Digest, type TempRepo, parityConfig, STORE_URL } from '../helpers/repo.js';

describe('gate explain', () => {
  let gpg: GpgHome;
  let keys: { team: string; other: string };
  let repo: TempRepo;
  const manifest = ociManifest('explain-web');
  const digest = sha256Digest(manifest);
  const image = `registry.example.com/shop/web@${digest}`;
  let signatures: Buffer[];

  before(async () => {
    gpg = await GpgHome.create();
    keys = { team: await gpg.generateKey('Team <team@example.com>'), other: await gpg.generateKey('Other <other@example.com>') };
    const good = await skopeoSign(gpg, manifest, 'registry.example.com/shop/web:1.4', keys.team);
    const corrupted = Buffer.from(good);
    corrupted[corrupted.length - 20] ^= 0xff;
    signatures = [await skopeoSign(gpg, manifest, 'registry.example.com/shop/web:1.4', keys.other), corrupted, good];
    repo = await makeRepo({
      '.gate/keys/team.asc': await gpg.exportPublic(keys.team),
      '.gate/policies/cluster.yaml': `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: a-everything}
spec:
  repositories:
  - name: "*"
    policy: {simple: {requirements: [{type: insecureAcceptAnything}]}}
---
apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: b-shop}
spec:
  repositories:
  - name: "registry.example.com/*"
    policy: {simple: {requirements: [{type: reject}]}}
  - name: "registry.example.com/shop/*"
    policy: {simple: {storeURL: ${STORE_URL}, requirements: [{type: signedBy, keySecret: team}]}}
`,
      '.gate/policies/locked.yaml': `apiVersion: portieris.cloud.ibm.com/v1
kind: ImagePolicy
metadata: {name: locked, namespace: locked}
spec:
  repositories:
  - name: "registry.example.com/shop/web*"
    policy: {simple: {storeURL: ${STORE_URL}, requirements: [{type: signedBy, keySecret: team, signedIdentity: {type: matchRepository}}]}}
`,
      '.gate/config.yaml': parityConfig(['team']),
    });
    await repo.storeSignatures('.gate/sigstore', 'shop/web', digest, signatures);
  });
  after(async () => {
    await repo?.dispose();
    await gpg?.dispose();
  });

  const explain = async (args: string[]) => {
    const run = await gate(['explain', ...args, '-o', 'json'], { cwd: repo.dir });
    return { code: run.code, stderr: run.stderr, e: JSON.parse(run.stdout) as Explanation };
  };

  it('lists every pattern in scope, best first, with Portieris\' score, and marks the one chosen', async () => {
    const { code, e } = await explain([image, '-n', 'shop']);
    assert.equal(code, 0);
    assert.equal(e.policy.scope, 'cluster');
    // Score = pattern length minus its stars: worked out by hand.
    assert.deepEqual(e.policy.candidates.map((c) => [c.name, c.pattern, c.matches, c.score, c.chosen]), [
      ['b-shop', 'registry.example.com/shop/*', true, 'registry.example.com/shop/'.length, true],
      ['b-shop', 'registry.example.com/*', true, 'registry.example.com/'.length, false],
      ['a-everything', '*', true, 0, false],
    ]);
    assert.deepEqual(e.requirements, [{ type: 'signedBy', keySecret: 'team', keySource: '.gate/keys/team.asc', fingerprints: [keys.team], identity: 'any tag or digest of repository "registry.example.com/shop/web" (default matchRepoDigestOrExact)' }]);
  });

  it('shows the fate of every signature under every requirement, as skopeo judges each one', async () => {
    const { e } = await explain([image, '-n', 'shop']);
    assert.equal(e.verdict.reason, 'SIGNED');
    assert.match(e.signatures!.searched, /\.gate\/sigstore\/shop\/web@sha256=[0-9a-f]{64}\/signature-N/);
    const fates = e.signatures!.each.map((s) => s.requirements[0]);
    assert.deepEqual(fates.map((f) => f.passed), await Promise.all(signatures.map(async (s) => (await skopeoVerify(gpg, manifest, 'registry.example.com/shop/web:1.4', keys.team, s)).accepted)));
    assert.deepEqual(fates.map((f) => f.reason), ['UNTRUSTED_KEY', 'BAD_SIGNATURE', undefined]);
    assert.match(fates[2].message, new RegExp(`^signed by ${keys.team} for "registry\\.example\\.com/shop/web:1\\.4"$`));
  });

  it('in a namespace with an ImagePolicy, the ClusterImagePolicies are not considered, and it says so', async () => {
    const { e } = await explain([image, '-n', 'locked']);
    assert.equal(e.policy.scope, 'namespace');
    assert.deepEqual(e.policy.ignored, ['ClusterImagePolicy/a-everything', 'ClusterImagePolicy/b-shop']);
    assert.deepEqual(e.policy.candidates.map((c) => [c.kind, c.pattern, c.chosen]), [['ImagePolicy', 'registry.example.com/shop/web*', true]]);
    assert.match(e.requirements[0].identity!, /\(matchRepository\)$/);
  });

  it('a pattern whose host part cannot match says why; the text view walks through each step; a denial exits 1', async () => {
    const { e } = await explain(['evil.example.com/registry.example.com/shop/web:1', '-n', 'shop', '--offline']);
    const shop = e.policy.candidates.find((c) => c.pattern === 'registry.example.com/shop/*')!;
    assert.equal(shop.matches, false);
    assert.match(shop.why, /the part before the first "\/" \(registry\.example\.com\) must match the image's host part \(evil\.example\.com\)/);
    assert.equal(e.verdict.reason, 'ACCEPT_ANYTHING');

    const text = await gate(['explain', 'registry.example.com/other/tool:2', '-n', 'shop', '--offline'], { cwd: repo.dir });
    assert.equal(text.code, 1);
    for (const heading of ['Reference', 'Policy: namespace shop has no ImagePolicy', 'Requirements (all must be met)', 'Verdict: DENY REJECTED_BY_POLICY']) assert.ok(text.stdout.includes(heading), heading);
    assert.match(text.stdout, /→ ClusterImagePolicy\/b-shop {2}"registry\.example\.com\/\*" {2}matches, score 21 .* ← chosen/);
  });

  it('shows the requirements and keys even when the registry cannot be reached', async () => {
    await repo.write('.gate/policies/local.yaml', 'apiVersion: portieris.cloud.ibm.com/v1\nkind: ClusterImagePolicy\nmetadata: {name: local}\nspec:\n  repositories:\n  - name: "127.0.0.1:1/*"\n    policy: {simple: {requirements: [{type: signedBy, keySecret: team}]}}\n');
    try {
      // Nothing listens on port 1 of the loopback: the connection is refused.
      const { code, e } = await explain(['127.0.0.1:1/shop/web:1.4', '-n', 'shop', '--insecure-registry', '127.0.0.1:1', '--request-timeout', '5']);
      assert.equal(code, 3);
      assert.equal(e.verdict.reason, 'UNREACHABLE');
      assert.deepEqual(e.requirements.map((r) => [r.keySecret, r.fingerprints]), [['team', [keys.team]]]);
      assert.equal(e.digest, null);
    } finally {
      await rm(path.join(repo.dir, '.gate/policies/local.yaml'));
    }
  });

  it('an exemption is shown, and what the verdict would be without it', async () => {
    await repo.write('.gate/config.yaml', 'exemptions:\n- image: "registry.example.com/other/*"\n  reason: tools image (T-1)\n  owner: ops@example.com\n  expires: 2999-01-01\n');
    try {
      const { code, e } = await explain(['registry.example.com/other/tool:2', '-n', 'shop', '--offline']);
      assert.equal(code, 0);
      assert.equal(e.verdict.reason, 'EXEMPT');
      assert.match(e.verdict.message, /without the exemption: REJECTED_BY_POLICY/);
      assert.equal(e.exemption?.owner, 'ops@example.com');
    } finally {
      await repo.write('.gate/config.yaml', '');
    }
  });

  it('an expired exemption is named in the denial, as gate check names it', async () => {
    await repo.write('.gate/config.yaml', 'exemptions:\n- image: "registry.example.com/other/*"\n  reason: tools image (T-1)\n  owner: ops@example.com\n  expires: 2001-01-01\n');
    try {
      const { code, e } = await explain(['registry.example.com/other/tool:2', '-n', 'shop', '--offline']);
      assert.equal(code, 1);
      assert.equal(e.verdict.reason, 'REJECTED_BY_POLICY');
      assert.match(e.verdict.message, /; the exemption at \.gate\/config\.yaml:2 \("registry\.example\.com\/other\/\*", owner ops@example\.com\) expired after 2001-01-01$/);
      assert.equal(e.exemption?.expired, true);
    } finally {
      await repo.write('.gate/config.yaml', '');
    }
  });
});
