// gate init and gate policy lint. What init writes must pass lint and verify the bundled
// example's real signatures; the shipped JSON Schemas must agree with gate's own
// validation; lint's findings point at the lines that cause them.

import assert from 'node:assert/strict';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { GateError } from '../../src/errors.js';
import { parseManifestStream } from '../../src/manifests/document.js';
import { lintExemptions } from '../../src/policy/lint.js';
import { parseSettings, type Exemption } from '../../src/policy/settings.js';
import { validatePolicy } from '../../src/policy/validate.js';
import { scopeOf } from '../../src/commands/init.js';
import { scopesFor } from '../../src/policy/registries-d.js';
import { patternMatchesImage } from '../../src/policy/wildcard.js';
import { parseReference } from '../../src/reference/reference.js';
import { gate, gateJson, PROJECT_ROOT } from '../helpers/gate.js';
import { GpgHome } from '../helpers/gpg.js';
import { copyExample } from '../helpers/in-process.js';
import { makeRepo } from '../helpers/repo.js';
import { run } from '../helpers/tools.js';

const schema = async (name: string) => JSON.parse(await readFile(path.join(PROJECT_ROOT, 'schemas', name), 'utf8')) as object;

function ajv() {
  const validator = new Ajv.default({ allErrors: true, strict: false });
  addFormats.default(validator);
  return validator;
}

describe('gate init', () => {
  it('scaffolds .gate/ from a local lookaside: lint, check and the next steps say what Portieris lacks; after those steps it verifies the example\'s real signatures', async () => {
    const example = await copyExample('shop');
    try {
      // Keep the signatures and the key; let init write everything else.
      await rename(path.join(example.dir, '.gate/sigstore'), path.join(example.dir, 'sigstore'));
      const key = path.join(example.dir, 'release.asc');
      await rename(path.join(example.dir, '.gate/keys/shop-release.asc'), key);
      await rm(path.join(example.dir, '.gate'), { recursive: true });

      const init = await gate(['init', '--key', 'release.asc', '--repository', 'registry.example.com/shop/*', '--lookaside', 'file:../../sigstore'], { cwd: example.dir });
      assert.equal(init.code, 0, init.stderr);
      assert.match(init.stdout, /wrote \.gate\/policies\/signed-images\.yaml/);
      assert.match(init.stdout, /^next: Portieris reads the key from Secret "release" .*kubectl create secret generic release --from-file=key=\.gate\/keys\/release\.asc -n <namespace>/m);
      assert.match(init.stdout, /^next: Portieris cannot read file:\.\.\/\.\.\/sigstore: .*storeURL/m);

      // A signature only gate can read, a key only gate has: lint and check say so (the issue's situations 1 and 4).
      const lint = await gate(['policy', 'lint'], { cwd: example.dir });
      assert.equal(lint.code, 1, lint.stdout);
      assert.match(lint.stdout, /^error {3}\.gate\/policies\/signed-images\.yaml:\d+: .*sets no simple\.storeURL, so Portieris reads its signatures only from the registry's signature API; the lookaside file:\/\/\S+\/sigstore of registries\.d scope registry\.example\.com\/shop/m);
      assert.match(lint.stdout, /^warning \.gate\/policies\/signed-images\.yaml:\d+: .*needs keySecret "release": gate found the key only in \.gate\/keys\/release\.asc/m);
      const before = await gateJson(['check', 'apps', '--offline'], { cwd: example.dir });
      assert.equal(before.code, 1);
      assert.deepEqual([...new Set(before.report.results.map((r) => r.reason))], ['SIGNATURES_NOT_PUBLISHED'], JSON.stringify(before.report.results.map((r) => r.message)));
      assert.match(before.report.results[0].hint ?? '', /set simple\.storeURL: https:\/\/<server>\/<path>/);

      // The fixes the messages name: the folder published as the policy's storeURL (read here from its declared mirror), the key Secret deployed.
      const policyFile = path.join(example.dir, '.gate/policies/signed-images.yaml');
      await writeFile(policyFile, (await readFile(policyFile, 'utf8')).replace('      simple:\n', '      simple:\n        storeURL: https://signatures.example.com/sigstore\n'));
      const configFile = path.join(example.dir, '.gate/config.yaml');
      const config = (await readFile(configFile, 'utf8'))
        .replace('keySecrets: []', 'keySecrets:\n- name: release\n  namespaces: [shop]')
        .replace('signatureStores: {mirrors: [], gateOnly: []}', 'signatureStores:\n  mirrors:\n  - {storeURL: "https://signatures.example.com/sigstore", path: ../sigstore}');
      await writeFile(configFile, config);
      const fixed = await gate(['policy', 'lint'], { cwd: example.dir });
      assert.equal(fixed.code, 0, fixed.stdout);
      assert.match(fixed.stdout, /1 policy, 1 pattern\(s\), 0 exemption\(s\): no findings/);
      const { code, report } = await gateJson(['check', 'apps', '--offline'], { cwd: example.dir });
      assert.equal(code, 0, JSON.stringify(report.results.map((r) => [r.image, r.reason, r.message])));
      assert.ok(report.results.every((r) => r.reason === 'SIGNED'));

      // Editors find the schemas the files name, and the files are valid against them.
      for (const [file, schemaFile] of [['.gate/policies/signed-images.yaml', 'image-policy.schema.json'], ['.gate/config.yaml', 'config.schema.json']]) {
        const text = await readFile(path.join(example.dir, file), 'utf8');
        const named = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)![1];
        const local = JSON.parse(await readFile(path.resolve(example.dir, path.dirname(file), named), 'utf8')) as object;
        assert.deepEqual(local, await schema(schemaFile));
        assert.equal(ajv().validate(local, parseYaml(text)), true, `${file} against ${schemaFile}`);
      }
      assert.match(await readFile(path.join(example.dir, '.gate/policies/signed-images.yaml'), 'utf8'), /mutateImage: false/);
    } finally {
      await example.dispose();
    }
  });

  it('exports the key from gpg by fingerprint, and an https lookaside becomes the policy\'s storeURL too', async () => {
    const gpg = await GpgHome.create();
    const repo = await makeRepo();
    try {
      const fingerprint = await gpg.generateKey('Release <release@example.com>');
      const init = await gate(['init', '--gpg-key', fingerprint, '--key-name', 'team', '--repository', 'registry.example.com/team/*', '--lookaside', 'https://sigstore.example.com/team'], { cwd: repo.dir, env: gpg.env });
      assert.equal(init.code, 0, init.stderr);
      assert.match(init.stdout, new RegExp(`trusted key\\(s\\): ${fingerprint}\\n`));
      assert.equal(await readFile(path.join(repo.dir, '.gate/keys/team.asc'), 'utf8'), await gpg.exportPublic(fingerprint));
      const policy = await readFile(path.join(repo.dir, '.gate/policies/signed-images.yaml'), 'utf8');
      assert.match(policy, /storeURL: "https:\/\/sigstore\.example\.com\/team"/);
      assert.match(await readFile(path.join(repo.dir, '.gate/registries.d/gate-init.yaml'), 'utf8'), /"registry\.example\.com\/team":\n {4}lookaside: "https:\/\/sigstore\.example\.com\/team"/);
      assert.equal((await gate(['policy', 'lint'], { cwd: repo.dir })).code, 0);
    } finally {
      await repo.dispose();
      await gpg.dispose();
    }
  });

  it('refuses to overwrite, and refuses what cannot work, before writing anything', async () => {
    const repo = await makeRepo();
    try {
      const key = path.join(PROJECT_ROOT, 'examples/shop/.gate/keys/shop-release.asc');
      const args = ['init', '--key', key, '--repository', 'registry.example.com/team/*'];
      assert.equal((await gate(args, { cwd: repo.dir })).code, 0);
      const again = await gate(args, { cwd: repo.dir });
      assert.equal(again.code, 2);
      assert.match(again.stderr, /already exist; gate init does not overwrite files unless --force/);
      assert.equal((await gate([...args, '--force'], { cwd: repo.dir })).code, 0);

      for (const [extra, message] of [
        [['--lookaside', 'ftp://example.com/sigs'], /--lookaside "ftp:\/\/example\.com\/sigs" must be an https:\/\/ or http:\/\/ URL, or file:/],
        [['--lookaside', 'https://'], /--lookaside "https:\/\/" would make an invalid \.gate\/: .*storeURL "https:\/\/" must be an http:\/\/ or https:\/\/ URL/],
        [['--repository', 'HTTPS://registry.example.com/*'], /--repository "HTTPS:\/\/registry\.example\.com\/\*" matches no valid image reference/],
        [['--repository', 'registry.example.com/a b'], /--repository "registry\.example\.com\/a b" matches no valid image reference/],
        [['--key-name', 'Release_Key'], /--key-name "Release_Key" must be a Kubernetes object name/],
      ] as const) {
        const run = await gate([...args, '--force', ...extra], { cwd: repo.dir });
        assert.equal(run.code, 2, extra.join(' '));
        assert.match(run.stderr, message);
      }
      const noRepository = await gate(['init', '--key', key], { cwd: repo.dir });
      assert.match(noRepository.stderr, /say which images must be signed: --repository/);
      await writeFile(path.join(repo.dir, 'private.asc'), '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxx\n-----END PGP PRIVATE KEY BLOCK-----\n');
      const privateKey = await gate(['init', '--key', 'private.asc', '--repository', 'r.example.com/*', '--force'], { cwd: repo.dir });
      assert.match(privateKey.stderr, /PRIVATE key block: commit only the public key/);
    } finally {
      await repo.dispose();
    }
  });

  it('derives the registries.d scope from a repository pattern: whole path components before the first *, normalised', () => {
    assert.deepEqual(
      ['registry.example.com/team/*', 'registry.example.com/*', 'registry.example.com/te*', 'registry.example.com/team/web', 'registry.example.com:5000/a/*/b', '*', 'registry.example.com/team/web:*', 'registry.example.com/team/web:1.4', 'registry.example.com:5000', 'registry.example.com:5000/*'].map(scopeOf),
      ['registry.example.com/team', 'registry.example.com', 'registry.example.com', 'registry.example.com/team/web', 'registry.example.com:5000/a', undefined, 'registry.example.com/team/web', 'registry.example.com/team/web', 'docker.io/library/registry.example.com', 'registry.example.com:5000'],
    );
  });

  it('a scope it writes covers the images its pattern matches, as registries.d lookup names them (Docker Hub short names too)', () => {
    const cases: Array<[pattern: string, image: string]> = [
      ['myorg/*', 'myorg/app:1'],
      ['nginx', 'nginx:1.27'],
      ['nginx:1.25', 'nginx:1.25'],
      ['nginx:*', 'nginx:1.25'],
      [`nginx@sha256:${'a'.repeat(64)}`, `nginx@sha256:${'a'.repeat(64)}`],
      ['docker.io/nginx', 'docker.io/nginx:1'],
      ['index.docker.io/myorg/*', 'index.docker.io/myorg/app:1'],
      ['registry.example.com:5000/*', 'registry.example.com:5000/team/app:1'],
      ['library/nginx', 'library/nginx:1.27'],
      ['docker.io/myorg/*', 'docker.io/myorg/app:1'],
      ['localhost:5000/team/*', 'localhost:5000/team/app:1'],
      ['registry.example.com/team/*', 'registry.example.com/team/web:1'],
    ];
    for (const [pattern, image] of cases) {
      assert.ok(patternMatchesImage(pattern, image), `${pattern} matches ${image}`);
      const parsed = parseReference(image);
      assert.ok(parsed.ok);
      const scope = scopeOf(pattern);
      assert.ok(scope && scopesFor(parsed.ref).includes(scope), `${pattern}: scope ${scope} is one of ${scopesFor(parsed.ref).join(', ')}`);
    }
  });
});

describe('gate policy lint', () => {
  let repo: Awaited<ReturnType<typeof makeRepo>>;
  const key = () => readFile(path.join(PROJECT_ROOT, 'examples/shop/.gate/keys/shop-release.asc'), 'utf8');

  before(async () => {
    repo = await makeRepo({
      '.gate/keys/team.asc': await key(),
      '.gate/keys/unused.asc': await key(),
      '.gate/policies/a.yaml': `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: a-first}
spec:
  repositories:
  - name: "registry.example.com/team/*"
    policy: {simple: {requirements: [{type: signedBy, keySecret: team}]}}
  - name: "https://registry.example.com/*"
    policy: {simple: {requirements: [{type: signedBy, keySecret: team}]}}
  - name: "docker.io/library/*"
    policy: {simple: {requirements: [{type: signedBy, keySecret: missing}]}}
---
apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: b-second}
spec:
  repositories:
  - name: "registry.example.com/team/*"
    policy: {simple: {requirements: [{type: insecureAcceptAnything}]}}
`,
      '.gate/config.yaml': 'exemptions:\n- image: "registry.example.com/old/*"\n  reason: migration\n  owner: ops@example.com\n  expires: 2020-01-01\n',
    });
  });
  after(() => repo?.dispose());

  it('reports each finding at its line, errors first, and exits 1', async () => {
    const run = await gate(['policy', 'lint', '-o', 'json'], { cwd: repo.dir });
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout) as { findings: Array<{ level: string; file: string; line: number; message: string }>; summary: { errors: number } };
    const at = (pattern: RegExp) => report.findings.find((f) => pattern.test(f.message));
    assert.deepEqual(
      [at(/pattern "registry\.example\.com\/team\/\*" is never chosen: ClusterImagePolicy\/a-first/), at(/"https:\/\/registry\.example\.com\/\*" matches no valid image reference/), at(/KEY_MISSING: .* needs keySecret "missing"/), at(/exemption "registry\.example\.com\/old\/\*" .* expired after 2020-01-01/)].map((f) => f && [f.level, f.file, f.line]),
      [['error', '.gate/policies/a.yaml', 18], ['error', '.gate/policies/a.yaml', 8], ['error', '.gate/policies/a.yaml', 11], ['error', '.gate/config.yaml', 2]],
    );
    assert.deepEqual([at(/"docker\.io\/library\/\*" matches only images written with "docker\.io\/"/)?.level, at(/keySecret "unused": this key is not used/)?.level], ['warning', 'warning']);
    assert.equal(report.summary.errors, 4);
    assert.deepEqual(report.findings.map((f) => f.level), [...report.findings.map((f) => f.level)].sort());
  });

  it('an invalid policy stops lint as it stops check: exit 2 and the line', async () => {
    await repo.write('.gate/policies/broken.yaml', 'apiVersion: portieris.cloud.ibm.com/v1\nkind: ClusterImagePolicy\nmetadata: {name: broken}\nspec:\n  repositories:\n  - name: x\n    polcy: {}\n');
    try {
      const run = await gate(['policy', 'lint'], { cwd: repo.dir });
      assert.equal(run.code, 2);
      assert.match(run.stderr, /broken\.yaml:7: .*unknown field "polcy" \(did you mean "policy"\?\)/);
    } finally {
      await rm(path.join(repo.dir, '.gate/policies/broken.yaml'));
    }
  });

  it('a missing key is one error, where it is first named, however many patterns use it', async () => {
    const many = await makeRepo({
      '.gate/policies/p.yaml': `apiVersion: portieris.cloud.ibm.com/v1\nkind: ClusterImagePolicy\nmetadata: {name: p}\nspec:\n  repositories:\n${['a', 'b', 'c'].map((r) => `  - name: "registry.example.com/${r}/*"\n    policy: {simple: {requirements: [{type: signedBy, keySecret: gone}]}}\n`).join('')}`,
    });
    try {
      const run = await gate(['policy', 'lint', '-o', 'json'], { cwd: many.dir });
      const missing = (JSON.parse(run.stdout) as { findings: Array<{ line: number; message: string }> }).findings.filter((f) => f.message.startsWith('KEY_MISSING'));
      assert.deepEqual(missing.map((f) => f.line), [7]);
      assert.match(missing[0].message, /repository "registry\.example\.com\/a\/\*".*there is no \.gate\/keys\/gone\.asc, and no Secret "gone"/);
    } finally {
      await many.dispose();
    }
  });

  it('a pattern spelt with "**" is the same pattern as with "*": the later one is never chosen', async () => {
    const twice = await makeRepo({
      '.gate/keys/team.asc': await key(),
      '.gate/policies/p.yaml': 'apiVersion: portieris.cloud.ibm.com/v1\nkind: ClusterImagePolicy\nmetadata: {name: p}\nspec:\n  repositories:\n  - name: "registry.example.com/team/*"\n    policy: {simple: {requirements: [{type: signedBy, keySecret: team}]}}\n  - name: "registry.example.com/team/**"\n    policy: {simple: {requirements: [{type: insecureAcceptAnything}]}}\n',
    });
    try {
      const run = await gate(['policy', 'lint', '-o', 'json'], { cwd: twice.dir });
      assert.equal(run.code, 1);
      const findings = (JSON.parse(run.stdout) as { findings: Array<{ line: number; message: string }> }).findings;
      assert.deepEqual(findings.filter((f) => /never chosen/.test(f.message)).map((f) => f.line), [8]);
    } finally {
      await twice.dispose();
    }
  });

  it('a digest pattern is matchable; an exemption of "*" is a warning (clock injected)', () => {
    const origin = { file: 'c', line: 3 };
    const now = new Date('2027-01-01T00:00:00Z');
    const exemption = (image: string): Exemption => ({ image, namespace: null, reason: 'r', owner: 'o', expires: '2027-12-31', origin });
    const digest = `sha256:${'1'.repeat(64)}`;
    for (const image of ['registry.example.com/shop/worker@*', 'registry.example.com/shop/worker:*', 'registry.example.com/shop/*']) {
      assert.ok(patternMatchesImage(image, image.replace(/@\*$/, `@${digest}`).replace(/:\*$/, ':1').replace(/\/\*$/, '/x')), `${image} matches an image`);
      assert.deepEqual(lintExemptions([exemption(image)], now), [], image);
    }
    assert.deepEqual(lintExemptions([exemption('*')], now).map((f) => [f.level, /exempts images of every registry in every namespace/.test(f.message)]), [['warning', true]]);
  });

  it('warns two weeks ahead of an exemption\'s expiry (clock injected)', () => {
    const e: Exemption = { image: 'a.example.com/*', namespace: null, reason: 'r', owner: 'o', expires: '2027-03-15', origin: { file: 'c', line: 3 } };
    assert.deepEqual(lintExemptions([e], new Date('2027-02-28T12:00:00Z')), []);
    assert.deepEqual(lintExemptions([e], new Date('2027-03-02T12:00:00Z')).map((f) => [f.level, f.message.replace(/.*expires/, 'expires')]), [['warning', 'expires in 14 day(s), after 2027-03-15']]);
    assert.equal(lintExemptions([e], new Date('2027-03-16T00:00:00Z'))[0].level, 'error');
  });
});

describe('the shipped JSON Schemas agree with gate\'s validation', () => {
  const policy = (spec: string, extra = '') => `apiVersion: portieris.cloud.ibm.com/v1\nkind: ClusterImagePolicy\nmetadata:\n  name: p\n${extra}spec:\n${spec}`;
  const cases: Array<[string, string]> = [
    ['minimal', policy('  repositories:\n  - name: "r.example.com/*"\n')],
    ['signedBy with every identity', policy('  repositories:\n' + ['{type: ""}', '{type: matchExact}', '{type: matchRepository}', '{type: matchExactReference, dockerReference: "r.example.com/a:1"}', '{type: matchExactRepository, dockerRepository: "r.example.com/a"}', '{type: remapIdentity, prefix: "m.example.com", signedPrefix: "r.example.com"}'].map((id, i) => `  - name: "r${i}.example.com/*"\n    policy: {simple: {requirements: [{type: signedBy, keySecret: k, signedIdentity: ${id}}]}}\n`).join(''))],
    ['reject, accept, storeURL, trust, vulnerability', policy('  repositories:\n  - name: "*"\n    policy:\n      mutateImage: false\n      simple: {storeURL: "https://s.example.com", storeSecret: s, requirements: [{type: reject}, {type: insecureAcceptAnything}]}\n      trust: {enabled: false, trustServer: "https://n.example.com", signerSecrets: [{name: a}]}\n      vulnerability: {ICCRVA: {enabled: false, account: x}}\n')],
    ['the require-digest annotation', policy('  repositories: []\n', '  annotations: {gate/require-digest: "true", other: x}\n')],
    ['unknown spec field', policy('  repositories: []\n  extra: 1\n')],
    ['unknown policy field', policy('  repositories:\n  - name: x\n    policy: {simpel: {}}\n')],
    ['unknown requirement type', policy('  repositories:\n  - name: x\n    policy: {simple: {requirements: [{type: signedByKey, keySecret: k}]}}\n')],
    ['signedBy without keySecret', policy('  repositories:\n  - name: x\n    policy: {simple: {requirements: [{type: signedBy}]}}\n')],
    ['keySecret on reject', policy('  repositories:\n  - name: x\n    policy: {simple: {requirements: [{type: reject, keySecret: k}]}}\n')],
    ['c/image identity name', policy('  repositories:\n  - name: x\n    policy: {simple: {requirements: [{type: signedBy, keySecret: k, signedIdentity: {type: exactReference, dockerReference: "a.example.com/b:1"}}]}}\n')],
    ['remap without signedPrefix', policy('  repositories:\n  - name: x\n    policy: {simple: {requirements: [{type: signedBy, keySecret: k, signedIdentity: {type: remapIdentity, prefix: "a.example.com"}}]}}\n')],
    ['storeURL not http', policy('  repositories:\n  - name: x\n    policy: {simple: {storeURL: "file:///sigs"}}\n')],
    ['empty pattern', policy('  repositories:\n  - name: ""\n')],
    ['annotation not a boolean string', policy('  repositories: []\n', '  annotations: {gate/require-digest: "yes"}\n')],
    ['wrong apiVersion', policy('  repositories: []\n').replace('portieris.cloud.ibm.com/v1', 'portieris.cloud.ibm.com/v2')],
  ];

  it('policies: the schema accepts exactly what gate accepts', async () => {
    const validate = ajv().compile(await schema('image-policy.schema.json'));
    for (const [name, text] of cases) {
      let gateAccepts = true;
      try {
        for (const object of parseManifestStream(text, `${name}.yaml`).objects) validatePolicy(object, 'default');
      } catch (e) {
        if (!(e instanceof GateError)) throw e;
        gateAccepts = false;
      }
      assert.equal(validate(parseYaml(text)), gateAccepts, `${name}: gate ${gateAccepts ? 'accepts' : 'refuses'} it`);
    }
    const accepted = cases.filter(([name, text]) => validate(parseYaml(text))).length;
    assert.ok(accepted >= 4 && accepted <= cases.length - 8, 'both outcomes are covered');
  });

  it('config.yaml: the schema accepts exactly what gate accepts', async () => {
    const validate = ajv().compile(await schema('config.schema.json'));
    const entry = (fields: string) => `exemptions:\n- ${fields}\n`;
    const full = 'image: "a.example.com/*"\n  reason: r\n  owner: o\n  expires: "2027-01-31"';
    for (const text of ['', 'requireDigest: true\n', entry(full), entry(`${full}\n  namespace: ns`), 'requireDigest: "yes"\n', 'other: 1\n', entry(full.replace('  owner: o\n', '')), entry(full.replace('2027-01-31', '2027-02-30')), entry(full.replace('"2027-01-31"', '"31.01.2027"')), entry(`${full}\n  expiry: "2027-01-01"`), 'webhook: none\n', 'webhook: kyverno\n', 'rules:\n  mutate-image: warn\n', 'rules:\n  mutate-image: maybe\n', 'rules:\n  mutateImage: warn\n']) {
      let gateAccepts = true;
      try {
        parseSettings(text, 'config.yaml');
      } catch (e) {
        if (!(e instanceof GateError)) throw e;
        gateAccepts = false;
      }
      assert.equal(validate(parseYaml(text) ?? null), gateAccepts, text);
    }
  });

  it('the schemas ship in the npm package, where gate init reads them', async () => {
    const packed = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: PROJECT_ROOT });
    assert.equal(packed.code, 0, packed.stderr);
    const files = (JSON.parse(packed.stdout.toString('utf8')) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path);
    for (const file of ['schemas/image-policy.schema.json', 'schemas/config.schema.json', 'dist/src/commands/init.js']) assert.ok(files.includes(file), file);
  });
});
