// Webhook parity for signature stores and key Secrets (issue 11, situations 1 and 4),
// against the real docker-registry, with images pushed and signed by skopeo as IBM's
// guide does it: `skopeo copy --sign-by` writes the signatures into a local folder
// (lookaside-staging), which a web server then may or may not publish. Each situation
// is checked before the fix the message names, after it, and with the rule lowered.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseSettings } from '../../src/policy/settings.js';
import { throwsGateError } from '../helpers/assert.js';
import { gate, gateJson } from '../helpers/gate.js';
import { deployment } from '../helpers/repo.js';
import { makeWorld, type World } from '../helpers/world.js';

describe('webhook parity: where Portieris reads signatures and keys (real registry, skopeo signatures)', () => {
  let world: World;
  let image: string;
  let digest: string;

  before(async () => {
    world = await makeWorld();
    digest = await world.push('team/web', '1.4');
    image = `${world.host}/team/web:1.4`;
  });
  after(() => world?.stop());

  /** gate check on one Deployment of `image` in namespace shop. */
  async function check(files: Record<string, string>, options: Parameters<World['repo']>[1], args: string[] = []) {
    const repo = await world.repo({ 'apps/app.yaml': deployment('web', [image]), ...files }, options);
    try {
      return await gateJson(['check', 'apps', '--insecure-registry', world.host, ...args], { cwd: repo.dir });
    } finally {
      await repo.dispose();
    }
  }
  /** The folder skopeo signed into, as a registries.d lookaside (the guide's default store, here the world's staging folder). */
  const localLookaside = () => ({ '.gate/registries.d/skopeo.yaml': `docker:\n  ${world.host}:\n    lookaside: file://${world.staging}\n` });

  describe('situation 1: signatures only on the machine that signed', () => {
    it('is SIGNATURES_NOT_PUBLISHED (exit 1) with the fix, when the policy has no storeURL and the registry no signature API', async () => {
      const { code, report, stderr } = await check(localLookaside(), { lookaside: false });
      const result = report.results[0];
      assert.equal(result?.reason, 'SIGNATURES_NOT_PUBLISHED', (result?.message ?? '') + stderr);
      assert.equal(result.digest, digest, 'the digest the registry served is reported');
      assert.match(result.message, new RegExp(`the signatures verify in \\S*${world.staging.split('/').pop()}/team/web@sha256=\\S+ \\(registries\\.d scope ${world.host.replace(/\./g, '\\.')}, \\.gate/registries\\.d/skopeo\\.yaml:\\d+\\), which only gate reads`));
      assert.match(result.message, /Portieris reads no registries\.d: without simple\.storeURL in ClusterImagePolicy\/registry \(repository "[^"]+"\) it reads only the registry's signature API of \S+, and there: A signature was required, but no signature exists; looked in nowhere: \S+ has no signature API/);
      assert.match(result.hint ?? '', /set simple\.storeURL: https:\/\/<server>\/<path> in ClusterImagePolicy\/registry/);
      assert.match(result.hint ?? '', new RegExp(`signatureStores\\.gateOnly: \\[\\{scope: "${world.host.replace(/\./g, '\\.')}"`));
      assert.equal(code, 1);
    });

    it('gate policy lint reports the entry as an error', async () => {
      const repo = await world.repo(localLookaside(), { lookaside: false });
      try {
        const lint = await gate(['policy', 'lint'], { cwd: repo.dir });
        assert.equal(lint.code, 1, lint.stdout);
        assert.match(lint.stdout, /^error {3}\.gate\/policies\/policy\.yaml:\d+: ClusterImagePolicy\/registry repository "\S+" sets no simple\.storeURL, .*\(a folder: only the machine that runs gate can read it\)/m);
      } finally {
        await repo.dispose();
      }
    });

    it('is SIGNED once the folder is published and named as the policy\'s storeURL', async () => {
      // The world's web server publishes the staging folder; world.repo names it as storeURL.
      const { code, report } = await check(localLookaside(), {});
      assert.equal(report.results[0].reason, 'SIGNED', report.results[0].message);
      assert.match(report.results[0].message, new RegExp(`in ${world.lookaside.url.replace(/[.:/]/g, (c) => `\\${c}`)}/team/web@sha256=`));
      assert.equal(code, 0);
    });

    it('counts the folder when the rule is lowered: warn says so, a gate-only scope is labelled, webhook none is silent', async () => {
      const warn = await check({ ...localLookaside(), '.gate/config.yaml': 'rules: {signature-store: warn}\n' }, { lookaside: false });
      assert.equal(warn.report.results[0].reason, 'SIGNED', warn.report.results[0].message);
      assert.ok(warn.report.warnings.some((w) => /sets no simple\.storeURL: gate read signatures from the lookaside of \.gate\/registries\.d\/skopeo\.yaml/.test(w.message)), JSON.stringify(warn.report.warnings));

      const optIn = `signatureStores:\n  gateOnly:\n  - scope: ${world.host}\n    reason: the nodes enforce policy.json for these\n`;
      const gateOnly = await check({ ...localLookaside(), '.gate/config.yaml': optIn }, { lookaside: false });
      assert.equal(gateOnly.report.results[0].reason, 'SIGNED', gateOnly.report.results[0].message);
      assert.match(gateOnly.report.results[0].message, new RegExp(`\\(gate-only evidence: registries\\.d scope ${world.host.replace(/\./g, '\\.')}, opted in at \\.gate/config\\.yaml:\\d+; Portieris does not read it\\)$`));
      assert.ok(!gateOnly.report.warnings.some((w) => /storeURL/.test(w.message)));

      const none = await check(localLookaside(), { lookaside: false }, ['--webhook', 'none']);
      assert.equal(none.report.results[0].reason, 'SIGNED', none.report.results[0].message);
      assert.ok(!none.report.warnings.some((w) => /storeURL/.test(w.message)), JSON.stringify(none.report.warnings));
    });

    it('a signature the folder holds but that fails keeps its own reason, and the fix adds where Portieris reads', async () => {
      const other = await world.push('team/other-signer', '1', { signBy: world.keys.other });
      const { report } = await (async () => {
        const repo = await world.repo({ 'apps/app.yaml': deployment('web', [`${world.host}/team/other-signer@${other}`]), ...localLookaside() }, { lookaside: false });
        try {
          return await gateJson(['check', 'apps', '--insecure-registry', world.host], { cwd: repo.dir });
        } finally {
          await repo.dispose();
        }
      })();
      assert.equal(report.results[0].reason, 'UNTRUSTED_KEY', report.results[0].message);
      assert.match(report.results[0].hint ?? '', /then publish the lookaside on a web server and set simple\.storeURL/);
    });
  });

  describe('situation 4: the key only in .gate/keys/', () => {
    it('is KEY_NOT_DEPLOYED (exit 1) once the signature verified, with the kubectl command for the namespace', async () => {
      const { code, report } = await check({}, { declareKeys: false });
      const result = report.results[0];
      assert.equal(result.reason, 'KEY_NOT_DEPLOYED', result.message);
      assert.equal(result.digest, digest);
      assert.match(result.message, /needs keySecret "team": gate found the key only in \.gate\/keys\/team\.asc, and nothing says the cluster holds Secret "team" in namespace "shop", which is all Portieris reads/);
      assert.match(result.hint ?? '', /kubectl create secret generic team --from-file=key=\.gate\/keys\/team\.asc -n shop/);
      assert.equal(code, 1);
    });

    it('is SIGNED once the Secret is in the manifests, or declared deployed in that namespace', async () => {
      const key = await world.gpg.exportPublic(world.keys.team);
      const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: team, namespace: shop}\nstringData:\n  key: |\n${key.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}\n`;
      const inManifests = await check({ 'apps/key.yaml': secret }, { declareKeys: false });
      assert.equal(inManifests.report.results[0].reason, 'SIGNED', inManifests.report.results[0].message);
      assert.equal(inManifests.code, 0);

      const declared = await check({ '.gate/config.yaml': 'keySecrets:\n- {name: team, namespaces: [shop]}\n' }, { declareKeys: false });
      assert.equal(declared.report.results[0].reason, 'SIGNED', declared.report.results[0].message);
      const elsewhere = await check({ '.gate/config.yaml': 'keySecrets:\n- {name: team, namespaces: [staging]}\n' }, { declareKeys: false });
      assert.equal(elsewhere.report.results[0].reason, 'KEY_NOT_DEPLOYED', 'declared for another namespace only');
    });

    it('lowered: warn says it once, off and webhook none say nothing', async () => {
      const warn = await check({ '.gate/config.yaml': 'rules: {key-secret: warn}\n' }, { declareKeys: false });
      assert.equal(warn.report.results[0].reason, 'SIGNED');
      assert.equal(warn.report.warnings.filter((w) => /needs keySecret "team"/.test(w.message)).length, 1, JSON.stringify(warn.report.warnings));
      for (const [files, args] of [[{ '.gate/config.yaml': 'rules: {key-secret: off}\n' }, []], [{}, ['--webhook', 'none']]] as const) {
        const quiet = await check(files, { declareKeys: false }, [...args]);
        assert.equal(quiet.report.results[0].reason, 'SIGNED');
        assert.ok(!quiet.report.warnings.some((w) => /keySecret/.test(w.message)), JSON.stringify(quiet.report.warnings));
      }
    });
  });
});

describe('.gate/config.yaml: signatureStores and keySecrets are validated strictly', () => {
  const invalid = (text: string, message: RegExp, line: number) => throwsGateError(() => parseSettings(text, '.gate/config.yaml', '/repo/.gate'), 'CONFIG_INVALID', { message, line });

  it('reads mirrors relative to .gate/, opt-ins with their reason, declared keys', () => {
    const settings = parseSettings('signatureStores:\n  mirrors:\n  - {storeURL: "https://s.example.com/sigs/", path: sigstore}\n  gateOnly:\n  - {scope: default-docker, reason: nodes enforce}\nkeySecrets:\n- name: release\n', '.gate/config.yaml', '/repo/.gate');
    assert.deepEqual(settings.signatureStores?.mirrors.map((m) => [m.storeURL, m.path, m.origin.line]), [['https://s.example.com/sigs', '/repo/.gate/sigstore', 3]]);
    assert.deepEqual(settings.signatureStores?.gateOnly.map((g) => [g.scope, g.reason]), [['default-docker', 'nodes enforce']]);
    assert.deepEqual(settings.keySecrets?.map((k) => [k.name, k.namespaces]), [['release', null]]);
  });

  it('refuses what would be ambiguous, with the line', () => {
    invalid('signatureStores:\n  mirror: []\n', /unknown field "mirror".*did you mean "mirrors"/, 2);
    invalid('signatureStores:\n  mirrors:\n  - {storeURL: "s3://bucket", path: x}\n', /must be an http:\/\/ or https:\/\/ URL/, 3);
    invalid('signatureStores:\n  mirrors:\n  - {storeURL: "https://s/x", path: "https://elsewhere/x"}\n', /must be a local folder/, 3);
    invalid('signatureStores:\n  mirrors:\n  - {storeURL: "https://s/x", path: a}\n  - {storeURL: "https://s/x/", path: b}\n', /mirrored twice/, 4);
    invalid('signatureStores:\n  gateOnly:\n  - {scope: default-docker}\n', /reason.*is required/, 3);
    invalid('keySecrets:\n- {name: release, namespaces: []}\n', /non-empty list of namespaces/, 2);
    invalid('rules: {key-secret: maybe}\n', /must be one of deny, warn, off/, 1);
  });
});
