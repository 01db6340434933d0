// Against the real docker-registry with Bearer token auth: the token service is part
// of the test harness (JWTs the registry verifies through its auth.token settings).

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { selfSigned, type Pem } from '../helpers/pki.js';
import { clusterPolicy, deployment } from '../helpers/repo.js';
import { tokenServer, type TestServer } from '../helpers/servers.js';
import { checkImages, makeWorld, type World } from '../helpers/world.js';

const USERS = { alice: 'wonderland' };

describe('registry with Bearer token auth', () => {
  let world: World;
  let tokens: TestServer;
  let tokenSigner: Pem;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gate-token-'));
    tokenSigner = await selfSigned(dir, 'token-signer', '/CN=gate test token issuer');
    tokens = await tokenServer(tokenSigner, 'gate-registry', 'gate-token-issuer', USERS);
    world = await makeWorld({ token: { realm: `${tokens.url}/token`, service: 'gate-registry', issuer: 'gate-token-issuer', signer: tokenSigner }, creds: 'alice:wonderland' });
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

  it('keeps tokens per registry: a second registry naming the same token service gets tokens of its own', async () => {
    // A second real registry behind the same token service (realm and service), holding the same repository path.
    const second = await makeWorld({ token: { realm: `${tokens.url}/token`, service: 'gate-registry', issuer: 'gate-token-issuer', signer: tokenSigner }, creds: 'alice:wonderland' });
    try {
      await second.push('team/api', '1', { signBy: null, seed: 'the second registry' });
      const auth = Buffer.from('alice:wonderland').toString('base64');
      const both = `apiVersion: v1\nkind: Secret\nmetadata: {name: regcred, namespace: shop}\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{"auths": {"${world.host}": {"auth": "${auth}"}, "${second.host}": {"auth": "${auth}"}}}'\n`;
      const images = [`${world.host}/team/api:1`, `${second.host}/team/api:1`];
      const before = tokens.requests.length;
      const { report } = await checkImages(world, images, ['--insecure-registry', world.host, '--insecure-registry', second.host, '--insecure-registry', tokens.host, '--webhook', 'none'], {
        'apps/app.yaml': withSecret(images),
        'apps/secret.yaml': both,
        '.gate/policies/second.yaml': clusterPolicy('second', `  - name: "${second.host}/*"\n    policy:\n      mutateImage: false\n      simple:\n        storeURL: ${world.lookaside.url}\n        requirements: [{type: signedBy, keySecret: team}]\n`),
      });
      // Both registries let the pull secret in (the second image is unsigned): neither reused the other's token.
      assert.deepEqual(report.results.map((r) => [r.image.startsWith(world.host) ? 'first' : 'second', r.reason]).sort(), [['first', 'SIGNED'], ['second', 'NO_SIGNATURE']]);
      const asked = tokens.requests.slice(before).map((r) => r.headers.authorization === undefined ? 'anonymous' : 'basic');
      assert.deepEqual(asked.sort(), ['anonymous', 'anonymous', 'basic', 'basic'], 'an anonymous and a pull-secret token for each registry');
    } finally {
      await second.stop();
    }
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
