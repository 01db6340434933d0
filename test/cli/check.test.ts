// `gate check` as a user runs it: exit codes, the JSON contract, one-line errors for
// bad input, colour rules, and where policies, keys and signatures come from.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { gate, gateJson, PROJECT_ROOT } from '../helpers/gate.js';
import { mustRun, run } from '../helpers/tools.js';
import { GpgHome, skopeoSign } from '../helpers/gpg.js';
import { clusterPolicy, deployment, makeRepo, ociManifest, parityConfig, sha256Digest, STORE_LINE, type TempRepo } from '../helpers/repo.js';

const MANIFEST = ociManifest('cli');
const DIGEST = sha256Digest(MANIFEST);
const IMAGE = `registry.example.com/team/web@${DIGEST}`;

const SIGNED_BY_TEAM = `  - name: "registry.example.com/*"
    policy:
      simple:
${STORE_LINE}        requirements:
        - type: signedBy
          keySecret: team
`;
/** The same entry without storeURL: Portieris then reads only the registry's signature API, gate a registries.d lookaside only to explain. */
const NO_STORE_URL = { '.gate/policies/policy.yaml': clusterPolicy('default', SIGNED_BY_TEAM.replace(STORE_LINE, '')) };
/** Signatures in a registries.d lookaside, the signature-store rule lowered to warn: gate reads them and says the webhook would not. */
const STORE_RULE_AT_WARN = { ...NO_STORE_URL, '.gate/registries.d/sigs.yaml': 'default-docker:\n  lookaside: file:../sigstore\n', '.gate/config.yaml': parityConfig(['team'], 'rules: {signature-store: warn}\n') };

let home: GpgHome;
let fingerprint: string;
let publicKey: string;
let signature: Buffer;

before(async () => {
  home = await GpgHome.create();
  fingerprint = await home.generateKey('CLI <cli@example.com>');
  publicKey = await home.exportPublic(fingerprint);
  signature = await skopeoSign(home, MANIFEST, 'registry.example.com/team/web:1', fingerprint);
});
after(() => home?.dispose());

/**
 * A repository whose .gate/ trusts the test key, whose policy's storeURL has its local
 * mirror in .gate/sigstore/ holding one good signature, and whose key Secret is declared
 * deployed; `null` leaves a file out.
 */
async function signedRepo(files: Record<string, string | null> = {}): Promise<TempRepo> {
  const all: Record<string, string | null> = {
    '.gate/policies/policy.yaml': clusterPolicy('default', SIGNED_BY_TEAM),
    '.gate/keys/team.asc': publicKey,
    '.gate/config.yaml': parityConfig(['team']),
    'apps/web.yaml': deployment('web', [IMAGE]),
    ...files,
  };
  const repo = await makeRepo(Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== null)));
  await repo.storeSignatures('.gate/sigstore', 'team/web', DIGEST, [signature]);
  return repo;
}

async function withRepo<T>(repo: TempRepo, fn: (repo: TempRepo) => Promise<T>): Promise<T> {
  try {
    return await fn(repo);
  } finally {
    await repo.dispose();
  }
}

/** Exit 2, one line on stderr naming `where`, no stack trace, nothing on stdout. */
async function expectBadInput(args: string[], cwd: string, where: RegExp, what: RegExp, input?: string): Promise<void> {
  const { code, stdout, stderr } = await gate(args, { cwd, input });
  assert.equal(code, 2, stderr);
  assert.equal(stdout, '');
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], /^gate: /);
  assert.match(lines[0], where);
  assert.match(lines[0], what);
  assert.doesNotMatch(stderr, /\n\s+at /);
}

describe('gate check: the JSON report', () => {
  it('has the shape of DESIGN.md §3', async () => {
    await withRepo(await signedRepo(), async (repo) => {
      const { code, report } = await gateJson(['check', 'apps'], { cwd: repo.dir });
      assert.equal(code, 0);
      assert.match(report.gateVersion, /^\d+\.\d+\.\d+/);
      assert.deepEqual(report.summary, { images: 1, allowed: 1, denied: 0 });
      const [result] = report.results;
      assert.deepEqual(Object.keys(result).sort(), ['digest', 'image', 'message', 'namespace', 'policy', 'reason', 'sources', 'verdict']);
      assert.deepEqual(
        { image: result.image, digest: result.digest, namespace: result.namespace, verdict: result.verdict, reason: result.reason },
        { image: IMAGE, digest: DIGEST, namespace: 'shop', verdict: 'allow', reason: 'SIGNED' },
      );
      assert.deepEqual(result.policy, { kind: 'ClusterImagePolicy', name: 'default', namespace: null, repository: 'registry.example.com/*' });
      assert.deepEqual(result.sources, [
        {
          file: 'apps/web.yaml', line: 15, kind: 'Deployment', name: 'web', namespace: 'shop', path: 'spec.template.spec.containers[0].image', generic: false, pullSecrets: [],
          verdict: 'allow', reason: 'SIGNED', message: result.message, digest: DIGEST,
        },
      ]);
      assert.ok(Array.isArray(report.warnings));
    });
  });

  it('gives one result per (image, namespace), listing every use', async () => {
    const files = {
      'apps/more.yaml': `${deployment('web2', [IMAGE, IMAGE])}---\n${deployment('web3', [IMAGE], 'other')}`,
    };
    await withRepo(await signedRepo(files), async (repo) => {
      const { report } = await gateJson(['check', 'apps'], { cwd: repo.dir });
      assert.deepEqual(
        report.results.map((r) => [r.namespace, r.sources.length]).sort(),
        [['other', 1], ['shop', 3]],
      );
    });
  });

  it('adds the pull secrets of the service account when it is in the input', async () => {
    const files = {
      'apps/sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: shop}\nimagePullSecrets: [{name: from-sa}]\n',
    };
    await withRepo(await signedRepo(files), async (repo) => {
      const { report } = await gateJson(['check', 'apps'], { cwd: repo.dir });
      assert.deepEqual(report.results[0].sources[0].pullSecrets, ['from-sa']);
    });
  });
});

describe('gate check: bad input is exit 2 with one line', () => {
  it('unparsable YAML, with file and line', async () => {
    await withRepo(await signedRepo({ 'apps/broken.yaml': 'kind: Pod\nmetadata:\n  name: [unclosed\n' }), (repo) =>
      expectBadInput(['check', 'apps'], repo.dir, /apps\/broken\.yaml:\d+: /, /not valid YAML/));
  });

  it('an invalid policy, with file and line of the field', async () => {
    const policy = clusterPolicy('default', SIGNED_BY_TEAM.replace('keySecret: team', 'keySecret: team\n          signedIdentity: {type: exactReference}'));
    await withRepo(await signedRepo({ '.gate/policies/policy.yaml': policy }), (repo) =>
      expectBadInput(['check', 'apps'], repo.dir, /\.gate\/policies\/policy\.yaml:14: /, /invalid SignedIdentity Type: exactReference/));
  });

  it('an invalid policy in the checked manifests', async () => {
    const policy = clusterPolicy('inline', '  - name: "*"\n    policy: {simple: {requirements: [{type: signedby}]}}\n');
    await withRepo(await signedRepo({ 'apps/policy.yaml': policy }), (repo) =>
      expectBadInput(['check', 'apps'], repo.dir, /apps\/policy\.yaml:8: /, /simple policy invalid Type: signedby/));
  });

  it('a missing key, naming the policy and the secret', async () => {
    const policy = clusterPolicy('default', SIGNED_BY_TEAM.replace('keySecret: team', 'keySecret: nobody'));
    await withRepo(await signedRepo({ '.gate/policies/policy.yaml': policy }), (repo) =>
      expectBadInput(['check', 'apps'], repo.dir, /policy\.yaml:12: /, /ClusterImagePolicy\/default .* keySecret "nobody"/));
  });

  it('a private key committed as a key', async () => {
    await withRepo(await signedRepo({ '.gate/keys/team.asc': await home.exportSecret(fingerprint) }), (repo) =>
      expectBadInput(['check', 'apps'], repo.dir, /team\.asc/, /PRIVATE key block/));
  });

  it('a key file with two armoured blocks, which Portieris would half-read', async () => {
    await withRepo(await signedRepo({ '.gate/keys/team.asc': publicKey + publicKey }), (repo) =>
      expectBadInput(['check', 'apps'], repo.dir, /team\.asc/, /2 armoured blocks/));
  });

  it('a path that does not exist', async () => {
    await withRepo(await signedRepo(), (repo) => expectBadInput(['check', 'nowhere'], repo.dir, /nowhere/, /no such file or directory/));
  });

  it('a folder without manifests', async () => {
    await withRepo(await signedRepo({ 'empty/README.txt': 'nothing here' }), (repo) =>
      expectBadInput(['check', 'empty'], repo.dir, /empty/, /no \*\.yaml, \*\.yml or \*\.json files/));
  });

  it('an invalid registries.d file', async () => {
    await withRepo(await signedRepo({ '.gate/registries.d/sigs.yaml': 'default-docker:\n  lookside: file:../sigstore\n' }), (repo) =>
      expectBadInput(['check', 'apps'], repo.dir, /registries\.d\/sigs\.yaml:2: /, /unknown key "lookside"/));
  });

  it('the same policy twice with different content', async () => {
    const other = clusterPolicy('default', '  - name: "*"\n');
    await withRepo(await signedRepo({ 'apps/policy.yaml': other }), (repo) =>
      expectBadInput(['check', 'apps'], repo.dir, /policy\.yaml:\d+: /, /defined twice with different content/));
  });

  it('a key Portieris cannot read (Ed25519)', async () => {
    const ed = await home.generateKey('Ed <ed@example.com>', { algorithm: 'ed25519' });
    await withRepo(await signedRepo({ '.gate/keys/team.asc': await home.exportPublic(ed) }), (repo) =>
      expectBadInput(['check', 'apps'], repo.dir, /team\.asc/, /no key Portieris can use.*ed25519/i));
  });

  it('a symlink that leads out of the repository', async () => {
    await withRepo(await signedRepo(), async (repo) => {
      await symlink('/etc/hostname', path.join(repo.dir, 'apps/host.yaml'));
      await expectBadInput(['check', 'apps'], repo.dir, /apps\/host\.yaml: /, /leads out of the repository/);
    });
  });

  it('input with no Kubernetes object at all, such as an empty render on stdin', async () => {
    await withRepo(await signedRepo(), (repo) => expectBadInput(['check', '-'], repo.dir, /no Kubernetes objects in standard input/, /nothing to check/, ''));
  });

  it('in JSON mode, also as a JSON error on stdout', async () => {
    await withRepo(await signedRepo({ 'apps/broken.yaml': 'kind: Pod\nmetadata:\n  name: [unclosed\n' }), async (repo) => {
      const { code, stdout } = await gate(['check', 'apps', '-o', 'json'], { cwd: repo.dir });
      assert.equal(code, 2);
      const parsed = JSON.parse(stdout) as { error: { code: string; file: string; line: number } };
      assert.deepEqual([parsed.error.code, parsed.error.file], ['INPUT_INVALID', 'apps/broken.yaml']);
      assert.equal(typeof parsed.error.line, 'number');
    });
  });

  it('a missing key, pointing at a key file of the wrong kind', async () => {
    const binary = (await mustRun('gpg', ['--batch', '--export', fingerprint], { env: home.env })).stdout;
    await withRepo(await signedRepo({ '.gate/keys/team.asc': null }), async (repo) => {
      await repo.write('.gate/keys/team.gpg', binary);
      await expectBadInput(['check', 'apps'], repo.dir, /policy\.yaml:12: /, /found team\.gpg: gate reads armoured keys from team\.asc \(gpg --armor --export FINGERPRINT > team\.asc\)/);
    });
  });

  it('a --ca-file that does not exist', async () => {
    await withRepo(await signedRepo(), (repo) => expectBadInput(['check', 'apps', '--ca-file', 'missing.crt'], repo.dir, /missing\.crt: /, /--ca-file: no such file/));
  });

  it('an auth file that is not a regular file, read without filling memory', async () => {
    await withRepo(await signedRepo({ 'apps/web.yaml': deployment('web', ['registry.example.com/team/web:1']) }), async (repo) => {
      const outcome = await gate(['check', 'apps'], { cwd: repo.dir, env: { REGISTRY_AUTH_FILE: '/dev/zero' } });
      assert.equal(outcome.code, 2);
      assert.match(outcome.stderr, /\/dev\/zero: cannot read the auth file: not a regular file/);
    });
  });

  it('an unknown flag', async () => {
    const { code } = await gate(['check', '--no-such-flag']);
    assert.equal(code, 2);
  });
});

describe('gate check: where configuration comes from', () => {
  it('finds .gate/ upward from a nested path, and reads stdin with -', async () => {
    await withRepo(await signedRepo(), async (repo) => {
      const nested = await gateJson(['check', 'apps/web.yaml'], { cwd: repo.dir });
      assert.equal(nested.report.results[0].reason, 'SIGNED');
      const stdin = await gateJson(['check', '-'], { cwd: repo.dir, input: deployment('piped', [IMAGE]) });
      assert.equal(stdin.report.results[0].reason, 'SIGNED');
      assert.equal(stdin.report.results[0].sources[0].file, '<stdin>');
    });
  });

  it('follows a symlink that stays inside the repository', async () => {
    await withRepo(await signedRepo({ 'shared/pod.yaml': deployment('shared', ['evil.example.com/x:1']) }), async (repo) => {
      await symlink('../shared/pod.yaml', path.join(repo.dir, 'apps/pod.yaml'));
      const { code, report } = await gateJson(['check', 'apps'], { cwd: repo.dir });
      assert.equal(code, 1);
      assert.ok(report.results.some((r) => r.image === 'evil.example.com/x:1' && r.reason === 'NO_POLICY'));
    });
  });

  it('--exclude leaves files out of a folder walk; documents that are not Kubernetes objects are skipped with a warning', async () => {
    const files = { 'apps/chart/values.yaml': 'image:\n  repository: x\n', 'apps/compose.yml': 'services:\n  db:\n    image: postgres:16\n', 'apps/chart/templates/d.yaml': 'image: {{ .Values.image }\n' };
    await withRepo(await signedRepo(files), async (repo) => {
      const { code, report } = await gateJson(['check', 'apps', '--exclude', 'chart/**'], { cwd: repo.dir });
      assert.equal(code, 0);
      assert.deepEqual(report.results.map((r) => r.image), [IMAGE]);
      assert.ok(report.warnings.some((w) => w.file === 'apps/compose.yml' && /not a Kubernetes object \(no kind\)/.test(w.message)));
    });
  });

  it('explains that patterns match the image as written (nginx is not docker.io/library/nginx)', async () => {
    const policy = clusterPolicy('default', '  - name: "docker.io/library/*"\n');
    await withRepo(await signedRepo({ '.gate/policies/policy.yaml': policy, 'apps/web.yaml': deployment('web', ['nginx:1.25']) }), async (repo) => {
      const { report } = await gateJson(['check', 'apps'], { cwd: repo.dir });
      assert.equal(report.results[0].reason, 'NO_POLICY');
      assert.match(report.results[0].hint ?? '', /matches "docker\.io\/library\/nginx:1\.25", but Portieris compares the image string as written/);
    });
  });

  it('says where to configure signatures when no registries.d scope covers the image', async () => {
    await withRepo(await signedRepo(NO_STORE_URL), async (repo) => {
      const { report } = await gateJson(['check', 'apps', '--offline'], { cwd: repo.dir });
      assert.equal(report.results[0].reason, 'NO_SIGNATURE');
      assert.match(report.results[0].hint ?? '', /\.gate\/registries\.d\/ .*lookaside/);
    });
  });

  it('refuses paths that belong to different .gate/ folders', async () => {
    await withRepo(await signedRepo({ 'sub/.gate/policies/p.yaml': clusterPolicy('x', '  - name: "*"\n'), 'sub/app.yaml': deployment('x', [IMAGE]) }), (repo) =>
      expectBadInput(['check', 'apps', 'sub'], repo.dir, /different \.gate\/ folders/, /--gate-dir/));
  });

  it('stops when there is no policy at all: no .gate/, no --policies, none in the manifests', async () => {
    await withRepo(await makeRepo({ 'apps/web.yaml': deployment('web', [IMAGE]) }), (repo) =>
      expectBadInput(['check', 'apps'], repo.dir, /^gate: no policy to check against/, /no \.gate\/ folder at or above apps/));
  });

  it('stops on a --gate-dir that does not exist', async () => {
    await withRepo(await signedRepo(), (repo) => expectBadInput(['check', 'apps', '--gate-dir', '.gat'], repo.dir, /\.gat: /, /--gate-dir: not a folder/));
  });

  it('uses an ImagePolicy from the manifests, which shuts out the ClusterImagePolicy in its namespace', async () => {
    const local = `apiVersion: portieris.cloud.ibm.com/v1\nkind: ImagePolicy\nmetadata: {name: local, namespace: shop}\nspec:\n  repositories:\n  - name: "quay.io/*"\n`;
    await withRepo(await signedRepo({ 'apps/policy.yaml': local }), async (repo) => {
      const { report } = await gateJson(['check', 'apps'], { cwd: repo.dir });
      assert.equal(report.results[0].reason, 'NO_POLICY');
      assert.match(report.results[0].message, /ImagePolicies of namespace "shop"/);
    });
  });

  it('an ImagePolicy in the manifests that admits anything does not loosen .gate/', async () => {
    const open = `apiVersion: portieris.cloud.ibm.com/v1\nkind: ImagePolicy\nmetadata: {name: open, namespace: shop}\nspec:\n  repositories:\n  - name: "*"\n    policy: {}\n`;
    await withRepo(await signedRepo({ 'apps/open.yaml': open, 'apps/miner.yaml': deployment('miner', ['registry.example.com/attacker/miner@sha256:' + 'e'.repeat(64)]) }), async (repo) => {
      const { code, report } = await gateJson(['check', 'apps', '--offline'], { cwd: repo.dir });
      const miner = report.results.find((r) => r.image.includes('miner'))!;
      assert.equal(miner.reason, 'NO_SIGNATURE');
      assert.match(miner.message, /manifests cannot loosen \.gate/);
      assert.equal(code, 1);
    });
  });

  it('--namespace places objects without a namespace', async () => {
    const local = `apiVersion: portieris.cloud.ibm.com/v1\nkind: ImagePolicy\nmetadata: {name: local}\nspec:\n  repositories:\n  - name: "registry.example.com/*"\n`;
    const pod = `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: "${IMAGE}"}]\n`;
    await withRepo(await signedRepo({ 'apps/web.yaml': pod, 'apps/policy.yaml': local }), async (repo) => {
      const { report } = await gateJson(['check', 'apps', '--namespace', 'payments'], { cwd: repo.dir });
      assert.equal(report.results[0].namespace, 'payments');
      assert.equal(report.results[0].reason, 'ACCEPT_ANYTHING');
      assert.deepEqual(report.results[0].policy, { kind: 'ImagePolicy', name: 'local', namespace: 'payments', repository: 'registry.example.com/*' });
    });
  });

  it('reads the key from a Secret in the manifests (data.key, base64)', async () => {
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: team, namespace: shop}\ndata:\n  key: ${Buffer.from(publicKey).toString('base64')}\n`;
    await withRepo(await signedRepo({ 'apps/key.yaml': secret, '.gate/keys/team.asc': null }), async (repo) => {
      const { report } = await gateJson(['check', 'apps'], { cwd: repo.dir });
      assert.equal(report.results[0].reason, 'SIGNED');
      assert.match(report.results[0].message, /Secret team at apps\/key\.yaml:1/);
    });
  });

  it('names a key Secret that is only in another namespace than the one Portieris reads (KEY_MISSING, exit 2)', async () => {
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: team, namespace: security}\ndata:\n  key: ${Buffer.from(publicKey).toString('base64')}\n`;
    await withRepo(await signedRepo({ 'apps/key.yaml': secret, '.gate/keys/team.asc': null }), async (repo) => {
      await expectBadInput(['check', 'apps'], repo.dir, /\.gate\/policies\/policy\.yaml/,
        /\(namespace "shop"\); Secret "team" is only in namespace "security" \(apps\/key\.yaml:1\), but Portieris reads it from namespace "shop": deploy it there too, or set keySecretNamespace: security/);
      const { stderr } = await gate(['check', 'apps'], { cwd: repo.dir });
      assert.doesNotMatch(stderr, /did you mean "team"/);
    });
  });

  it('says when the key Secret\'s namespace is the policy\'s keySecretNamespace, found or missing', async () => {
    const policy = clusterPolicy('default', SIGNED_BY_TEAM.replace('keySecret: team', 'keySecret: team\n          keySecretNamespace: security'));
    const secret = (namespace: string) => `apiVersion: v1\nkind: Secret\nmetadata: {name: team, namespace: ${namespace}}\ndata:\n  key: ${Buffer.from(publicKey).toString('base64')}\n`;
    await withRepo(await signedRepo({ '.gate/policies/policy.yaml': policy, 'apps/key.yaml': secret('security'), '.gate/keys/team.asc': null }), async (repo) => {
      const { code, report } = await gateJson(['check', 'apps'], { cwd: repo.dir });
      assert.equal(report.results[0].reason, 'SIGNED', report.results[0].message);
      assert.match(report.results[0].message, /Secret team of namespace "security", the policy's keySecretNamespace at apps\/key\.yaml:1/);
      assert.equal(code, 0);
    });
    await withRepo(await signedRepo({ '.gate/policies/policy.yaml': policy, 'apps/key.yaml': secret('shop'), '.gate/keys/team.asc': null }), async (repo) => {
      await expectBadInput(['check', 'apps'], repo.dir, /\.gate\/policies\/policy\.yaml/,
        /\(namespace "security", the policy's keySecretNamespace\); Secret "team" is only in namespace "shop" .*change keySecretNamespace to "shop"/);
    });
  });

  it('prefers a .gate/ key Secret for the workload namespace over one for every namespace', async () => {
    const intruder = await home.exportPublic(await home.generateKey('Generic <g@example.com>'));
    const secret = (namespace: string, key: string) =>
      `apiVersion: v1\nkind: Secret\nmetadata: {name: team${namespace ? `, namespace: ${namespace}` : ''}}\nstringData:\n  key: |\n${key.split('\n').map((l) => `    ${l}`).join('\n')}\n`;
    const files = { '.gate/keys/team.asc': null, '.gate/keys/a-any.yaml': secret('', intruder), '.gate/keys/b-shop.yaml': secret('shop', publicKey) };
    await withRepo(await signedRepo(files), async (repo) => {
      const { report } = await gateJson(['check', 'apps'], { cwd: repo.dir });
      assert.equal(report.results[0].reason, 'SIGNED');
      assert.match(report.results[0].message, /b-shop\.yaml/);
    });
  });

  it('says to render first when a folder holds a kustomization or a Helm chart, with the command', async () => {
    const kustomization = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [web.yaml]\nimages:\n- {name: web, newName: registry.example.com/team/web}\n';
    const chart = { 'apps/chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n', 'apps/chart/templates/pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: "{{ .Values.image }}"}]\n' };
    await withRepo(await signedRepo({ 'apps/kustomization.yaml': kustomization, ...chart }), async (repo) => {
      const { report } = await gateJson(['check', 'apps'], { cwd: repo.dir });
      const at = (file: string) => report.warnings.find((w) => w.file === file);
      assert.match(at('apps/kustomization.yaml')?.message ?? '', /^a kustomization: .*check the rendered manifests instead: kustomize build apps \| gate check -$/, JSON.stringify(report.warnings));
      assert.equal(at('apps/kustomization.yaml')?.line, 1);
      assert.match(at('apps/chart/Chart.yaml')?.message ?? '', /^a Helm chart: .*helm template apps\/chart \| gate check -$/);
      assert.ok(!report.warnings.some((w) => /not a Kubernetes object/.test(w.message) && /kustomization|Chart/.test(w.file ?? '')), 'the files that mark a folder to render are not read as manifests');
    });
  });

  it('NO_SIGNATURE says when the lookaside is skopeo\'s default local store, which only the signing machine has', async () => {
    const local = /is skopeo's and podman's default local signature store: signatures written there stay on the machine that signed .*set simple\.storeURL/;
    const root = { ...NO_STORE_URL, '.gate/registries.d/sigs.yaml': 'default-docker:\n  lookaside: file:///var/lib/containers/sigstore\n' };
    await withRepo(await signedRepo(root), async (repo) => {
      const { code, report } = await gateJson(['check', 'apps', '--offline'], { cwd: repo.dir });
      assert.equal(report.results[0].reason, 'NO_SIGNATURE');
      assert.match(report.results[0].message, /looked in \S*var\/lib\/containers\/sigstore\/team\/web@sha256=.*; \/var\/lib\/containers\/sigstore is skopeo's/);
      assert.match(report.results[0].message, local);
      assert.equal(code, 1);
    });
    for (const [folder, expected] of [['home/.local/share/containers/sigstore', true], ['home/sigstore', false]] as const) {
      await withRepo(await signedRepo({ ...NO_STORE_URL, '.gate/registries.d/sigs.yaml': `default-docker:\n  lookaside: file:../../${folder}\n`, [`${folder}/.keep`]: '' }), async (repo) => {
        const { report } = await gateJson(['check', 'apps', '--offline'], { cwd: repo.dir });
        assert.equal(report.results[0].reason, 'NO_SIGNATURE');
        assert.equal(local.test(report.results[0].message), expected, report.results[0].message);
        assert.doesNotMatch(report.results[0].message, /does not exist/);
      });
    }
  });

  it('warns that Portieris would not find lookaside signatures without storeURL (rule signature-store lowered to warn)', async () => {
    await withRepo(await signedRepo(STORE_RULE_AT_WARN), async (repo) => {
      const { report } = await gateJson(['check', 'apps'], { cwd: repo.dir });
      assert.ok(report.warnings.some((w) => /sets no simple\.storeURL/.test(w.message) && w.file === '.gate/policies/policy.yaml' && w.line === 7), JSON.stringify(report.warnings));
    });
  });

  it('says so for every registries.d scope a policy entry used, whichever image is decided first', async () => {
    const other = `registry.example.com/ops/tool@${DIGEST}`;
    const files = {
      ...NO_STORE_URL,
      '.gate/config.yaml': parityConfig(['team'], 'rules: {signature-store: warn}\n'),
      '.gate/registries.d/sigs.yaml': 'docker:\n  registry.example.com/team:\n    lookaside: file:../sigstore\n  registry.example.com/ops:\n    lookaside: file:../ops-sigstore\n',
      'apps/web.yaml': deployment('web', [IMAGE, other]),
    };
    await withRepo(await signedRepo(files), async (repo) => {
      for (const concurrency of ['1', '16']) {
        const { report } = await gateJson(['check', 'apps', '--concurrency', concurrency], { cwd: repo.dir });
        const scopes = report.warnings.filter((w) => /sets no simple\.storeURL/.test(w.message)).map((w) => /\(scope ([^)]+)\)/.exec(w.message)?.[1]).sort();
        assert.deepEqual(scopes, ['registry.example.com/ops', 'registry.example.com/team'], JSON.stringify(report.warnings));
      }
    });
  });

  it('warns when a key Secret in the manifests differs from the .gate/ key', async () => {
    const otherKey = await home.exportPublic(await home.generateKey('Intruder <i@example.com>'));
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: team, namespace: shop}\nstringData:\n  key: |\n${otherKey.split('\n').map((l) => `    ${l}`).join('\n')}\n`;
    await withRepo(await signedRepo({ 'apps/key.yaml': secret }), async (repo) => {
      const { report } = await gateJson(['check', 'apps'], { cwd: repo.dir });
      assert.equal(report.results[0].reason, 'SIGNED');
      assert.ok(report.warnings.some((w) => w.file === 'apps/key.yaml' && w.line === 1 && /Secret "team" .* holds other keys/.test(w.message)), JSON.stringify(report.warnings));
    });
  });

  it('--policies, --keys and --registries-d point elsewhere', async () => {
    await withRepo(await signedRepo(), async (repo) => {
      await repo.write('alt/policies/p.yaml', clusterPolicy('alt', '  - name: "registry.example.com/*"\n    policy:\n      simple:\n        requirements: [{type: reject}]\n'));
      const { report } = await gateJson(['check', 'apps', '--policies', 'alt/policies'], { cwd: repo.dir });
      assert.equal(report.results[0].reason, 'REJECTED_BY_POLICY');
      const missing = await gate(['check', 'apps', '--keys', 'no-such-dir'], { cwd: repo.dir });
      assert.equal(missing.code, 2);
    });
  });
});

describe('gate check: flags that would do nothing, and --fail-on-warn', () => {
  it('refuses --kubeconfig without --cluster (exit 2), naming the flag to add', async () => {
    await withRepo(await signedRepo(), async (repo) => {
      const { code, stdout, stderr } = await gate(['check', 'apps', '--kubeconfig', 'kubeconfig'], { cwd: repo.dir });
      assert.equal(code, 2);
      assert.equal(stdout, '');
      assert.match(stderr, /--kubeconfig does nothing without --cluster: add --cluster/);
      const lint = await gate(['policy', 'lint', '--kubeconfig', 'kubeconfig'], { cwd: repo.dir });
      assert.equal(lint.code, 2);
    });
  });

  it('warns that --cache-ttl does nothing without --cache-dir, and not when there is a cache', async () => {
    await withRepo(await signedRepo(), async (repo) => {
      const idle = /--cache-ttl does nothing without --cache-dir/;
      const without = await gateJson(['check', 'apps', '--cache-ttl', '60'], { cwd: repo.dir });
      assert.equal(without.code, 0);
      assert.ok(without.report.warnings.some((w) => idle.test(w.message)), JSON.stringify(without.report.warnings));
      const withCache = await gateJson(['check', 'apps', '--cache-ttl', '60', '--cache-dir', 'cache'], { cwd: repo.dir });
      assert.ok(!withCache.report.warnings.some((w) => idle.test(w.message)));
      const pin = await gate(['pin', 'apps', '--cache-ttl', '60'], { cwd: repo.dir });
      assert.match(pin.stderr, /gate pin: warning: --cache-ttl does nothing without --cache-dir/);
    });
  });

  it('--fail-on-warn turns a run whose images are all allowed but that has warnings into exit 1, with a last line that says so', async () => {
    await withRepo(await signedRepo(STORE_RULE_AT_WARN), async (repo) => {
      const plain = await gateJson(['check', 'apps'], { cwd: repo.dir });
      assert.equal(plain.code, 0);
      assert.ok(plain.report.warnings.length > 0, 'the lookaside Portieris does not read is warned');
      const strict = await gate(['check', 'apps', '--fail-on-warn'], { cwd: repo.dir });
      assert.equal(strict.code, 1);
      assert.match(strict.stdout, /^ALLOW /m);
      assert.equal(strict.stderr.trimEnd().split('\n').pop(), `gate: failing on ${plain.report.warnings.length} warning(s) (--fail-on-warn)`);
    });
    const open = clusterPolicy('open', '  - name: "registry.example.com/*"\n    policy: {}\n');
    await withRepo(await signedRepo({ '.gate/policies/policy.yaml': open }), async (repo) => {
      const quiet = await gateJson(['check', 'apps', '--fail-on-warn'], { cwd: repo.dir });
      assert.deepEqual(quiet.report.warnings, []);
      assert.equal(quiet.code, 0, 'no warning, nothing to fail on');
    });
  });
});

describe('gate check: the text report', () => {
  it('has no colour when NO_COLOR is set or stdout is not a terminal, and colour when asked', async () => {
    await withRepo(await signedRepo(), async (repo) => {
      const plain = await gate(['check', 'apps'], { cwd: repo.dir });
      assert.doesNotMatch(plain.stdout, /\u001b\[/);
      const notTty = await gate(['check', 'apps'], { cwd: repo.dir, env: { NO_COLOR: '' } });
      assert.doesNotMatch(notTty.stdout, /\u001b\[/);
      const forced = await gate(['check', 'apps', '--color', 'always'], { cwd: repo.dir });
      assert.match(forced.stdout, /\u001b\[32mALLOW/);
      const ci = await gate(['check', 'apps'], { cwd: repo.dir, env: { NO_COLOR: '', FORCE_COLOR: '1' } });
      assert.match(ci.stdout, /\u001b\[32mALLOW/);
    });
  });

  it('survives a reader that stops early (| head) with the verdict\'s exit code and no stack trace', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => `registry.example.com/team/app${i}:1`);
    await withRepo(await signedRepo({ 'apps/many.yaml': deployment('many', many) }), async (repo) => {
      const cli = path.join(PROJECT_ROOT, 'dist/src/cli/gate.js');
      const piped = await run('bash', ['-c', `node ${cli} check apps --offline | head -c 100 >/dev/null; echo "exit=\${PIPESTATUS[0]}"`], { cwd: repo.dir });
      assert.match(piped.stdout.toString(), /exit=1\n/);
      assert.doesNotMatch(piped.stderr, /EPIPE|\n\s+at /);
    });
  });
});
