// `gate record` then `gate test`: policy tests on recorded evidence. Recorded against the real
// docker-registry and a lookaside over HTTP (images signed by gpg through skopeo), the cases then
// pass with the registry and the lookaside stopped; a changed policy fails the right case; a
// tampered or incomplete recording stops the run (exit 2); a re-recording after a tag moved
// shows in git diff. The clock is the recording's unless --now says otherwise.

import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gate } from '../helpers/gate.js';
import { parseJunit } from '../helpers/formats.js';
import { makeRepo, type TempRepo } from '../helpers/repo.js';
import { startNotaryBed, type NotaryBed } from '../helpers/notary.js';
import { bundle, cosignPayload, keyPair, legacyWithKey, pushBundle, pushLegacy, Sigstore, statement } from '../helpers/cosign.js';
import { mustRun } from '../helpers/tools.js';
import { makeWorld, type World } from '../helpers/world.js';

describe('gate record, then gate test offline', () => {
  let world: World;
  let repo: TempRepo;
  let web: string;
  const insecure = () => ['--insecure-registry', world.host];
  const cases = () => `cases:
- name: web by tag is signed by the team key
  image: ${world.host}/shop/web:1
  namespace: shop
  expect: {verdict: allow, reason: SIGNED}
- name: web by digest too
  image: ${world.host}/shop/web@${web}
  namespace: shop
  expect: {verdict: allow}
- name: api is not signed
  image: ${world.host}/shop/api:1
  namespace: shop
  expect: {verdict: deny, reason: NO_SIGNATURE}
`;

  before(async () => {
    world = await makeWorld();
    web = await world.push('shop/web', '1');
    await world.push('shop/api', '1', { signBy: null });
    repo = await world.repo({ '.gate/tests/shop.yaml': cases() });
    await mustRun('git', ['init', '-q', '.'], { cwd: repo.dir });
    await mustRun('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '.'], { cwd: repo.dir });
  });
  after(async () => {
    await repo?.dispose();
    await world?.stop().catch(() => undefined);
  });

  it('records what the decisions read: tag digests, the signature blobs, content-addressed, no credentials', async () => {
    const recorded = await gate(['record', ...insecure()], { cwd: repo.dir });
    assert.equal(recorded.code, 0, `${recorded.stdout}${recorded.stderr}`);
    assert.match(recorded.stdout, /All 3 case\(s\) passed\./);
    const index = JSON.parse(await readFile(path.join(repo.dir, '.gate/testdata/recording.json'), 'utf8')) as { tags: Array<{ reference: string; digest: string }>; lookups: Array<{ repository: string; blobs?: Array<{ sha256: string }> }> };
    assert.equal(index.tags.find((t) => t.reference === `${world.host}/shop/web:1`)?.digest, web);
    const blobs = await readdir(path.join(repo.dir, '.gate/testdata/blobs'));
    assert.ok(blobs.length >= 1);
    for (const lookup of index.lookups) for (const blob of lookup.blobs ?? []) assert.ok(blobs.includes(blob.sha256));
    await mustRun('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '.'], { cwd: repo.dir });
    await mustRun('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'recording'], { cwd: repo.dir });
  });

  it('a re-recording after a tag moved shows in git diff', async () => {
    const moved = await world.push('shop/web', '1');
    assert.notEqual(moved, web);
    const again = await gate(['record', ...insecure()], { cwd: repo.dir });
    assert.equal(again.code, 0, again.stderr);
    const diff = await mustRun('git', ['diff', '--', '.gate/testdata/recording.json'], { cwd: repo.dir });
    const text = diff.stdout.toString('utf8');
    assert.match(text, new RegExp(`^-\\s*"digest": "${web}"`, 'm'));
    assert.match(text, new RegExp(`^\\+\\s*"digest": "${moved}"`, 'm'));
    // Back to the committed recording (the first image's), for the cases below.
    await mustRun('git', ['checkout', '-q', '--', '.gate/testdata'], { cwd: repo.dir });
    await mustRun('git', ['clean', '-qfd', '.gate/testdata'], { cwd: repo.dir });
  });

  it('passes offline, with the registry and the lookaside stopped, at the recording\'s time', async () => {
    await world.registry.stop();
    await world.lookaside.close();
    const result = await gate(['test'], { cwd: repo.dir });
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /✔ web by tag is signed by the team key — allow SIGNED/);
    assert.match(result.stdout, /✔ api is not signed — deny NO_SIGNATURE/);
    assert.match(result.stdout, /All 3 case\(s\) passed\./);
    const index = JSON.parse(await readFile(path.join(repo.dir, '.gate/testdata/recording.json'), 'utf8')) as { recorded: string };
    assert.match(result.stdout, new RegExp(`decided at ${index.recorded.replace(/[.]/g, '\\.')}`));
    const later = await gate(['test', '--now', '2030-01-01T00:00:00Z'], { cwd: repo.dir });
    assert.match(later.stdout, /decided at 2030-01-01T00:00:00\.000Z/);
  });

  it('a changed policy fails the case it changes, in text and JUnit (exit 1)', async () => {
    const policy = path.join(repo.dir, '.gate/policies/policy.yaml');
    const original = await readFile(policy, 'utf8');
    try {
      await writeFile(policy, original.replace('keySecret: team', 'keySecret: other'));
      const result = await gate(['test'], { cwd: repo.dir });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stdout, /✖ web by tag is signed by the team key \(.*shop\.yaml, case 1\) — expected allow SIGNED, got deny UNTRUSTED_KEY/);
      assert.match(result.stdout, /✔ api is not signed/);
      const junit = await parseJunit((await gate(['test', '-o', 'junit'], { cwd: repo.dir })).stdout);
      const failures = junit.testsuite!.flatMap((s) => s.testcase ?? []).filter((c) => c.failure).map((c) => c.name);
      assert.deepEqual(failures.sort(), ['web by digest too', 'web by tag is signed by the team key']);
    } finally {
      await writeFile(policy, original);
    }
  });

  it('a tampered blob stops the run (RECORDING_INVALID, exit 2); so does a case the recording cannot answer (RECORDING_STALE)', async () => {
    const blobs = path.join(repo.dir, '.gate/testdata/blobs');
    const [first] = await readdir(blobs);
    const bytes = await readFile(path.join(blobs, first));
    try {
      await writeFile(path.join(blobs, first), Buffer.concat([bytes, Buffer.from('x')]));
      const tampered = await gate(['test'], { cwd: repo.dir });
      assert.equal(tampered.code, 2);
      assert.match(tampered.stderr, /does not hash to its name: the recording was altered/);
    } finally {
      await writeFile(path.join(blobs, first), bytes);
    }
    const tests = path.join(repo.dir, '.gate/tests/more.yaml');
    await writeFile(tests, `cases:\n- name: worker was never recorded\n  image: ${world.host}/shop/worker:1\n  namespace: shop\n  expect: {verdict: allow}\n`);
    try {
      const stale = await gate(['test'], { cwd: repo.dir });
      assert.equal(stale.code, 2);
      assert.match(stale.stderr, /does not hold the digest of .*shop\/worker:1.*re-record with gate record/);
    } finally {
      await writeFile(tests, 'cases: []\n');
      await mustRun('rm', [tests]);
    }
  });

  it('a case file with an unknown field or reason, or a workload outside the repository or without the image, stops the run: a typo must not make a test pass', async () => {
    const tests = path.join(repo.dir, '.gate/tests/typo.yaml');
    try {
      await writeFile(tests, `cases:\n- name: typo\n  image: ${world.host}/shop/web:1\n  expect: {verdict: allow, reason: SIGNDE}\n`);
      const result = await gate(['test'], { cwd: repo.dir });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /"SIGNDE" is not a reason gate gives/);
      await writeFile(tests, `cases:\n- name: outside\n  image: ${world.host}/shop/web:1\n  workload: ../../../etc/hostname\n  expect: {verdict: allow}\n`);
      const outside = await gate(['test'], { cwd: repo.dir });
      assert.equal(outside.code, 2);
      assert.match(outside.stderr, /outside the repository|does not exist/);
      await repo.write('apps/other.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: other, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: nginx:1\n');
      await writeFile(tests, `cases:\n- name: not its image\n  image: ${world.host}/shop/web:1\n  workload: apps/other.yaml\n  expect: {verdict: allow}\n`);
      const notUsed = await gate(['test'], { cwd: repo.dir });
      assert.equal(notUsed.code, 2);
      assert.match(notUsed.stderr, /apps\/other\.yaml does not use .*shop\/web:1 \(it uses nginx:1\)/);
    } finally {
      await mustRun('rm', ['-f', tests]);
    }
  });
});

describe('gate record, then gate test offline, on Notary v1 trust data (the real notary-server)', () => {
  let bed: NotaryBed;
  let repo: TempRepo;

  before(async () => {
    bed = await startNotaryBed();
    const gun = `${bed.registry.host}/rec/app`;
    const pushed = await bed.push('rec/app', 'v1');
    for (const args of [['init', '-p', gun], ['addhash', '-p', gun, 'v1', String(pushed.size), '--sha256', pushed.digest.slice(7)]]) {
      const result = await bed.notary(args);
      assert.equal(result.code, 0, `notary ${args.join(' ')}: ${result.stderr}`);
    }
    await bed.push('rec/app', 'v2');
    repo = await makeRepo({
      '.gate/policies/trust.yaml': `apiVersion: portieris.cloud.ibm.com/v1\nkind: ClusterImagePolicy\nmetadata: {name: trust}\nspec:\n  repositories:\n  - name: "${bed.registry.host}/rec/*"\n    policy:\n      mutateImage: false\n      trust:\n        enabled: true\n        trustServer: ${bed.notaryUrl}\n`,
      [`.gate/certs.d/${bed.registry.host}/ca.crt`]: bed.ca.cert,
      [`.gate/certs.d/${new URL(bed.notaryUrl).host}/ca.crt`]: bed.ca.cert,
      '.gate/tests/trust.yaml': `cases:\n- name: v1 is signed\n  image: ${gun}:v1\n  expect: {verdict: allow, reason: SIGNED}\n- name: v2 is not\n  image: ${gun}:v2\n  expect: {verdict: deny, reason: TRUST_NOT_SIGNED}\n`,
    });
  });
  after(async () => {
    await repo?.dispose();
    await bed?.stop().catch(() => undefined);
  });

  it('records the trust server\'s files, then replays them with the notary-server and the registry stopped', async () => {
    const recorded = await gate(['record'], { cwd: repo.dir });
    assert.equal(recorded.code, 0, `${recorded.stdout}${recorded.stderr}`);
    const index = JSON.parse(await readFile(path.join(repo.dir, '.gate/testdata/recording.json'), 'utf8')) as { notary: Array<{ gun: string; files: Record<string, string | null> }> };
    assert.ok(index.notary.length === 1 && 'root.json' in index.notary[0].files && 'timestamp.json' in index.notary[0].files, JSON.stringify(index.notary));
    await bed.stop();
    const result = await gate(['test'], { cwd: repo.dir });
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /✔ v1 is signed — allow SIGNED/);
    assert.match(result.stdout, /✔ v2 is not — deny TRUST_NOT_SIGNED/);
  });
});

describe('gate record, then gate test offline, on cosign signatures (a legacy .sig and a bundle; Fulcio and Rekor are @sigstore/mock\'s)', () => {
  let world: World;
  let sigstore: Sigstore;
  let repo: TempRepo;

  before(async () => {
    world = await makeWorld();
    sigstore = await Sigstore.create();
    const key = keyPair('p256');
    const legacy = await world.push('cosign/legacy', '1', { signBy: null });
    await pushLegacy(world.registry.url, 'cosign/legacy', legacy, [await legacyWithKey(sigstore, key, cosignPayload(`${world.host}/cosign/legacy`, legacy))]);
    const bundled = await world.push('cosign/bundled', '1', { signBy: null });
    await pushBundle(world.registry.url, 'cosign/bundled', bundled, await bundle(sigstore, { key }, statement(bundled)));
    await world.push('cosign/unsigned', '1', { signBy: null });
    const expect = (name: string, verdict: string, reason: string) => `- name: ${name}\n  image: ${world.host}/cosign/${name}:1\n  expect: {verdict: ${verdict}, reason: ${reason}}\n`;
    repo = await world.repo(
      {
        '.gate/keys/cosign.pub': key.pem,
        '.gate/trust/trusted_root.json': sigstore.trustedRoot(),
        '.gate/config.yaml': 'webhook: none\n',
        '.gate/tests/cosign.yaml': `cases:\n${expect('legacy', 'allow', 'SIGNED')}${expect('bundled', 'allow', 'SIGNED')}${expect('unsigned', 'deny', 'NO_SIGNATURE')}`,
      },
      { requirements: '        - type: sigstoreSigned\n          keyPath: keys/cosign.pub\n          trustedRootPath: trust/trusted_root.json\n', lookaside: false },
    );
  });
  after(async () => {
    await repo?.dispose();
    await world?.stop().catch(() => undefined);
  });

  it('records the cosign layers and bundles, then replays them with the registry stopped', async () => {
    const recorded = await gate(['record', '--insecure-registry', world.host], { cwd: repo.dir });
    assert.equal(recorded.code, 0, `${recorded.stdout}${recorded.stderr}`);
    assert.match(recorded.stdout, /All 3 case\(s\) passed\./);
    const index = JSON.parse(await readFile(path.join(repo.dir, '.gate/testdata/recording.json'), 'utf8')) as { lookups: Array<{ blobs?: Array<{ format: string }> }> };
    const formats = new Set(index.lookups.flatMap((l) => (l.blobs ?? []).map((b) => b.format)));
    assert.ok(formats.has('sigstore-attachment') && formats.has('sigstore-bundle'), [...formats].join(', '));
    await world.registry.stop();
    const result = await gate(['test'], { cwd: repo.dir });
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /All 3 case\(s\) passed\./);
  });
});
