// Against the real docker-registry with TLS (a test CA) and htpasswd Basic auth:
// pull secrets, CI auth files, credential helpers, certs.d, and AUTH_FAILED.

import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gate, type JsonReport } from '../helpers/gate.js';
import type { Pem } from '../helpers/pki.js';
import { deployment, pullSecret, withPullSecret } from '../helpers/repo.js';
import { basicAuthWorld, checkImages, type BasicAuthWorld, type World } from '../helpers/world.js';

const USER = 'robot';
const PASSWORD = 'p4ss-w0rd-never-printed';

describe('TLS registry with htpasswd Basic auth', () => {
  let world: World;
  let registry: BasicAuthWorld;
  let ca: Pem;
  let image: string;
  let digest: string;

  before(async () => {
    registry = await basicAuthWorld(USER, PASSWORD);
    ({ world, ca } = registry);
    digest = await world.push('team/private', '1');
    image = `${world.host}/team/private:1`;
  });
  after(() => registry?.stop());

  const trusted = () => ({ [`.gate/certs.d/${world.host}/ca.crt`]: ca.cert });

  it('uses the pod\'s pull secret and trusts the CA in .gate/certs.d', async () => {
    const files = { ...trusted(), 'apps/app.yaml': withPullSecret(image, 'regcred'), 'apps/secret.yaml': pullSecret('regcred', world.host, USER, PASSWORD) };
    const repo = await world.repo(files);
    try {
      const { code, stdout, stderr } = await gate(['check', 'apps', '-o', 'json', '--verbose'], { cwd: repo.dir });
      const result = JSON.parse(stdout).results[0];
      assert.equal(result.reason, 'SIGNED', result.message);
      assert.equal(result.digest, digest);
      assert.equal(code, 0);
      assert.match(stderr, /team\/private: access with pull secret shop\/regcred/);
      assert.doesNotMatch(stdout + stderr, new RegExp(PASSWORD));
      assert.doesNotMatch(stdout + stderr, new RegExp(Buffer.from(`${USER}:${PASSWORD}`).toString('base64')));
    } finally {
      await repo.dispose();
    }
  });

  it('uses the pull secrets of the ServiceAccount when the pod has none', async () => {
    const account = 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: shop}\nimagePullSecrets: [{name: sa-cred}]\n';
    const { report } = await checkImages(world, [image], [], { ...trusted(), 'apps/sa.yaml': account, 'apps/secret.yaml': pullSecret('sa-cred', world.host, USER, PASSWORD) });
    assert.equal(report.results[0].reason, 'SIGNED', report.results[0].message);
  });

  it('denies with AUTH_FAILED, exit 3, naming every credential tried', async () => {
    const files = { ...trusted(), 'apps/app.yaml': withPullSecret(image, 'wrong'), 'apps/secret.yaml': pullSecret('wrong', world.host, USER, 'not-the-password') };
    const { code, report } = await checkImages(world, [image], [], files);
    assert.equal(report.results[0].reason, 'AUTH_FAILED');
    assert.match(report.results[0].message, /anonymous \(401\), pull secret shop\/wrong \(401\)/);
    assert.equal(code, 3);
  });

  it('decides each set of pull secrets on its own: a workload without one is not let in by another\'s', async () => {
    const withSecret = withPullSecret(image, 'regcred');
    const without = deployment('other-app', [image], 'other');
    const files = { ...trusted(), 'apps/app.yaml': `${withSecret}---\n${without}`, 'apps/secret.yaml': pullSecret('regcred', world.host, USER, PASSWORD) };
    const { code, report } = await checkImages(world, [image], [], files);
    const byNamespace = Object.fromEntries(report.results.map((r) => [r.namespace, r.reason]));
    assert.deepEqual(byNamespace, { shop: 'SIGNED', other: 'AUTH_FAILED' });
    assert.equal(code, 3);
    const sameNamespace = { ...files, 'apps/app.yaml': `${withSecret}---\n${deployment('other-app', [image])}` };
    const mixed = await checkImages(world, [image], [], sameNamespace);
    assert.equal(mixed.report.results.length, 1);
    assert.equal(mixed.report.results[0].reason, 'AUTH_FAILED');
    assert.match(mixed.report.results[0].message, /for the 1 use\(s\) with no pull secret: .*other uses: 1 use\(s\) with regcred: SIGNED/);
  });

  it('denies a tag that does not exist as INVALID_REFERENCE (exit 1) when the pull secret gets in', async () => {
    const missing = `${world.host}/team/private:9.9`;
    const files = { ...trusted(), 'apps/app.yaml': withPullSecret(missing, 'regcred'), 'apps/secret.yaml': pullSecret('regcred', world.host, USER, PASSWORD) };
    const { code, report } = await checkImages(world, [missing], [], files);
    const result = report.results[0];
    assert.equal(result.reason, 'INVALID_REFERENCE', result.message);
    assert.match(result.message, /team\/private:9\.9 does not exist .*404 .*pull secret shop\/regcred/);
    assert.equal(code, 1);
  });

  it('keeps a missing tag AUTH_FAILED when no credential gets in: anonymous or a wrong password learns nothing', async () => {
    const missing = `${world.host}/team/private:9.9`;
    const anonymous = await checkImages(world, [missing], [], trusted());
    assert.equal(anonymous.report.results[0].reason, 'AUTH_FAILED', anonymous.report.results[0].message);
    assert.equal(anonymous.code, 3);
    const files = { ...trusted(), 'apps/app.yaml': withPullSecret(missing, 'wrong'), 'apps/secret.yaml': pullSecret('wrong', world.host, USER, 'not-the-password') };
    const wrong = await checkImages(world, [missing], [], files);
    assert.equal(wrong.report.results[0].reason, 'AUTH_FAILED', wrong.report.results[0].message);
    assert.equal(wrong.code, 3);
  });

  it('takes CI credentials from --auth-file in place of a pull secret the workload names but the repository does not hold, and says so', async () => {
    // The usual PR CI: the Deployment names regcred, whose Secret is only in the cluster.
    const repo = await world.repo({ ...trusted(), 'apps/app.yaml': withPullSecret(image, 'regcred') });
    try {
      await repo.write('ci-auth.json', JSON.stringify({ auths: { [world.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
      const { stdout } = await gate(['check', 'apps', '-o', 'json', '--auth-file', 'ci-auth.json'], { cwd: repo.dir });
      const report = JSON.parse(stdout) as JsonReport;
      assert.equal(report.results[0].reason, 'SIGNED', report.results[0].message);
      assert.ok(report.warnings.some((w) => w.message.includes('assumes that Secret shop/regcred grants the same access in the cluster')), JSON.stringify(report.warnings));
    } finally {
      await repo.dispose();
    }
  });

  it('does not let CI credentials in for a workload that names no pull secret: the webhook reads the registry anonymously', async () => {
    const repo = await world.repo({ ...trusted(), 'apps/app.yaml': deployment('app', [image]) });
    try {
      await repo.write('ci-auth.json', JSON.stringify({ auths: { [world.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
      const parity = await gate(['check', 'apps', '-o', 'json', '--auth-file', 'ci-auth.json'], { cwd: repo.dir });
      const result = (JSON.parse(parity.stdout) as JsonReport).results[0];
      assert.equal(result.reason, 'AUTH_FAILED', result.message);
      assert.match(result.hint ?? '', /name a pull secret for .* in the workload \(imagePullSecrets of the pod, or of its ServiceAccount\)/);
      assert.equal(parity.code, 3);
      // Without a webhook to predict, the CI's credentials count as before.
      const none = await gate(['check', 'apps', '-o', 'json', '--auth-file', 'ci-auth.json', '--webhook', 'none'], { cwd: repo.dir });
      assert.equal((JSON.parse(none.stdout) as JsonReport).results[0].reason, 'SIGNED');
    } finally {
      await repo.dispose();
    }
  });

  it('runs a docker credential helper named in the docker config (a real helper program on PATH)', async () => {
    const bin = await mkdtemp(path.join(tmpdir(), 'gate-helper-'));
    const helper = path.join(bin, 'docker-credential-gatetest');
    await writeFile(helper, `#!/bin/sh\nread server\n[ "$1" = get ] && [ "$server" = "${world.host}" ] || exit 1\nprintf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$server"\n`);
    await chmod(helper, 0o755);
    // Standing in for the pull secret the Deployment names, whose Secret the repository does not hold.
    const repo = await world.repo({ ...trusted(), 'apps/app.yaml': withPullSecret(image, 'regcred') });
    try {
      await repo.write('docker/config.json', JSON.stringify({ credHelpers: { [world.host]: 'gatetest' } }));
      const { stdout, stderr } = await gate(['check', 'apps', '-o', 'json', '--verbose'], {
        cwd: repo.dir,
        env: { DOCKER_CONFIG: path.join(repo.dir, 'docker'), PATH: `${bin}:${process.env.PATH}` },
      });
      assert.equal(JSON.parse(stdout).results[0].reason, 'SIGNED', stderr);
      assert.match(stderr, /access with credential helper docker-credential-gatetest/);
    } finally {
      await repo.dispose();
      await rm(bin, { recursive: true, force: true });
    }
  });

  it('refuses a certificate it cannot verify (UNREACHABLE, exit 3), and trusts --ca-file', async () => {
    const files = { 'apps/app.yaml': withPullSecret(image, 'regcred'), 'apps/secret.yaml': pullSecret('regcred', world.host, USER, PASSWORD) };
    const untrusted = await checkImages(world, [image], [], files);
    assert.equal(untrusted.report.results[0].reason, 'UNREACHABLE');
    assert.ok(untrusted.report.results[0].message.includes(`TLS: `), untrusted.report.results[0].message);
    assert.ok(untrusted.report.results[0].message.includes(`.gate/certs.d/${world.host}/ca.crt`), 'the certs.d folder is named with the registry\'s own host:port');
    assert.equal(untrusted.code, 3);
    const trustedByFlag = await checkImages(world, [image], ['--ca-file', ca.certFile], files);
    assert.equal(trustedByFlag.report.results[0].reason, 'SIGNED');
  });
});
