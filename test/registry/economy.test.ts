// Request economy, counted at a loopback front before the real registry (not timed):
// 200 distinct signed images of one private registry (Bearer tokens, a pull secret)
// take at most 2 registry requests per image, whatever the number of containers.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gateJson } from '../helpers/gate.js';
import { selfSigned } from '../helpers/pki.js';
import { deployment } from '../helpers/repo.js';
import { front, tokenServer, type TestServer } from '../helpers/servers.js';
import { makeWorld, type World } from '../helpers/world.js';

const IMAGES = 200;

describe('request economy (counted at a loopback front)', () => {
  let world: World;
  let tokens: TestServer;
  let counter: TestServer;
  let dir: string;
  const images: string[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gate-economy-'));
    const signer = await selfSigned(dir, 'signer', '/CN=gate economy issuer');
    tokens = await tokenServer(signer, 'economy', 'economy-issuer', { ci: 'token' });
    world = await makeWorld({
      token: { realm: `${tokens.url}/token`, service: 'economy', issuer: 'economy-issuer', signer },
      creds: 'ci:token',
      frontHost: async (registry) => (counter = await front(registry.url)),
    });
    for (let start = 0; start < IMAGES; start += 10) {
      await Promise.all(Array.from({ length: Math.min(10, IMAGES - start) }, (_, j) => world.push(`fleet/app${start + j}`, '1')));
    }
    for (let i = 0; i < IMAGES; i++) images.push(`${world.host}/fleet/app${i}:1`);
  });
  after(async () => {
    await world?.stop();
    await tokens?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(`checks ${IMAGES} signed images used by ${IMAGES * 3} containers with at most 2 registry requests each`, async (t) => {
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: regcred, namespace: shop}\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{"auths": {"${world.host}": {"auth": "${Buffer.from('ci:token').toString('base64')}"}}}'\n`;
    const workloads = [0, 1, 2].map((n) =>
      deployment(`fleet-${n}`, images).replace('    spec:\n      containers:', '    spec:\n      imagePullSecrets: [{name: regcred}]\n      containers:'),
    );
    const repo = await world.repo({ 'apps/fleet.yaml': workloads.join('---\n'), 'apps/secret.yaml': secret });
    try {
      const before = counter.requests.length;
      const { code, report, stderr } = await gateJson(['check', 'apps', '--insecure-registry', world.host, '--insecure-registry', tokens.host], { cwd: repo.dir });
      const registryRequests = counter.requests.slice(before);
      assert.equal(code, 0, stderr);
      assert.equal(report.summary.allowed, IMAGES);
      t.diagnostic(`${registryRequests.length} registry requests and ${tokens.requests.length} token requests for ${IMAGES} images`);
      assert.ok(registryRequests.length <= 2 * IMAGES, `${registryRequests.length} registry requests for ${IMAGES} images`);
      // Each image's tag is resolved once, although three workloads use it.
      const heads = registryRequests.filter((r) => r.method === 'HEAD');
      assert.equal(new Set(heads.map((r) => r.path)).size, IMAGES);
    } finally {
      await repo.dispose();
    }
  });
});
