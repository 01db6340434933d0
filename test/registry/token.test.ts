// Against the real docker-registry with Bearer token auth: the token service is part
// of the test harness (JWTs the registry verifies through its auth.token settings).

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { selfSigned } from '../helpers/pki.js';
import { deployment } from '../helpers/repo.js';
import { tokenServer, type TestServer } from '../helpers/servers.js';
import { checkImages, makeWorld, type World } from '../helpers/world.js';

const USERS = { alice: 'wonderland' };

describe('registry with Bearer token auth', () => {
  let world: World;
  let tokens: TestServer;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gate-token-'));
    const signer = await selfSigned(dir, 'token-signer', '/CN=gate test token issuer');
    tokens = await tokenServer(signer, 'gate-registry', 'gate-token-issuer', USERS);
    world = await makeWorld({ token: { realm: `${tokens.url}/token`, service: 'gate-registry', issuer: 'gate-token-issuer', signer }, creds: 'alice:wonderland' });
    await world.push('team/api', '1');
    await world.push('team/api', '2');
    await world.push('team/web', '1');
    await world.push('team/worker', '1');
  });
  after(async () => {
    await world?.stop();
    await tokens?.close();
    await rm(dir, { recursive: true, force: true });
  });

  function secret(password: string): string {
    const auth = Buffer.from(`alice:${password}`).toString('base64');
    return `apiVersion: v1\nkind: Secret\nmetadata: {name: regcred, namespace: shop}\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{"auths": {"${world.host}": {"auth": "${auth}"}}}'\n`;
  }
  const withSecret = (images: string[]) => deployment('app', images).replace('    spec:\n      containers:', '    spec:\n      imagePullSecrets: [{name: regcred}]\n      containers:');

  it('gets a token with the pull secret, once per repository and credential', async () => {
    const before = tokens.requests.length;
    const images = [`${world.host}/team/api:1`, `${world.host}/team/api:2`];
    const { code, report } = await checkImages(world, images, ['--insecure-registry', world.host, '--insecure-registry', tokens.host], { 'apps/app.yaml': withSecret(images), 'apps/secret.yaml': secret('wonderland') });
    assert.deepEqual(report.results.map((r) => r.reason), ['SIGNED', 'SIGNED'], JSON.stringify(report.results.map((r) => r.message)));
    assert.equal(code, 0);
    const asked = tokens.requests.slice(before);
    // Anonymous first (refused by the registry), then the pull secret: one token each for team/api.
    assert.deepEqual(asked.map((r) => [new URL(r.path, 'http://x').searchParams.get('scope'), r.headers.authorization === undefined ? 'anonymous' : 'basic']), [
      ['repository:team/api:pull', 'anonymous'],
      ['repository:team/api:pull', 'basic'],
    ]);
  });

  it('asks one token per credential for every repository of the run, and reuses it for each', async () => {
    const before = tokens.requests.length;
    const registryBefore = world.registry.accessLog().length;
    const images = [`${world.host}/team/api:1`, `${world.host}/team/web:1`, `${world.host}/team/worker:1`];
    const { code, report } = await checkImages(world, images, ['--insecure-registry', world.host, '--insecure-registry', tokens.host], { 'apps/app.yaml': withSecret(images), 'apps/secret.yaml': secret('wonderland') });
    assert.deepEqual(report.results.map((r) => r.reason), ['SIGNED', 'SIGNED', 'SIGNED'], JSON.stringify(report.results.map((r) => r.message)));
    assert.equal(code, 0);
    const asked = tokens.requests.slice(before).map((r) => [new URL(r.path, 'http://x').searchParams.getAll('scope').sort(), r.headers.authorization === undefined ? 'anonymous' : 'basic']);
    const all = ['repository:team/api:pull', 'repository:team/web:pull', 'repository:team/worker:pull'];
    // The anonymous token (which the registry refuses) and the pull secret's, each asked once for all three repositories.
    assert.deepEqual(asked, [[all, 'anonymous'], [all, 'basic']]);
    // Per image: the HEAD refused anonymously, the HEAD with the token; plus the one ping.
    assert.equal(world.registry.accessLog().length - registryBefore, 1 + 2 * images.length);
  });

  it('denies a missing tag as INVALID_REFERENCE once a token lets the pull secret in', async () => {
    const images = [`${world.host}/team/api:404`];
    const { code, report } = await checkImages(world, images, ['--insecure-registry', world.host, '--insecure-registry', tokens.host], { 'apps/app.yaml': withSecret(images), 'apps/secret.yaml': secret('wonderland') });
    assert.equal(report.results[0].reason, 'INVALID_REFERENCE', report.results[0].message);
    assert.match(report.results[0].message, /anonymous \(401\), pull secret shop\/regcred \(404\)/);
    assert.equal(code, 1);
  });

  it('denies with AUTH_FAILED when the token service refuses the credentials', async () => {
    const images = [`${world.host}/team/api:1`];
    const { code, report } = await checkImages(world, images, ['--insecure-registry', world.host, '--insecure-registry', tokens.host], { 'apps/app.yaml': withSecret(images), 'apps/secret.yaml': secret('wrong') });
    assert.equal(report.results[0].reason, 'AUTH_FAILED');
    assert.match(report.results[0].message, /anonymous \(401\), pull secret shop\/regcred \(401\)/);
    assert.equal(code, 3);
  });
});
