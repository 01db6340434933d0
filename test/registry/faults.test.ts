// Faults injected by a loopback front between gate and the real registry (with
// Bearer token auth): throttling, server errors, slowness, truncated and altered
// manifests, a redirect to another origin, and no registry at all. Every fault must
// end in its own reason, exit 3, and nothing allowed.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { selfSigned } from '../helpers/pki.js';
import { freePort } from '../helpers/registry.js';
import { deployment } from '../helpers/repo.js';
import { createServer } from 'node:http';
import { front, statusServer, tokenServer, withoutHeader, type Forward, type TestServer, type Upstream } from '../helpers/servers.js';
import { checkImages, makeWorld, type World } from '../helpers/world.js';

type Fault = (req: IncomingMessage, res: ServerResponse, forward: Forward) => void | Promise<void>;

const isManifest = (req: IncomingMessage) => /\/manifests\//.test(req.url ?? '');
/** Another origin answering 401 with a challenge that names `realm`. */
async function listenChallenging(realm: string): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="trap"` });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Whether a Bearer token grants nothing (the token service's answer to an anonymous client). */
async function anonymousToken(authorization: string): Promise<boolean> {
  const payload = JSON.parse(Buffer.from(authorization.slice(7).split('.')[1], 'base64url').toString('utf8')) as { access: unknown[] };
  return payload.access.length === 0;
}

/** A HEAD answer without Docker-Content-Digest makes gate GET the manifest and hash it. */
const withoutDigestHeader = (answer: Upstream): Upstream => ({ ...answer, headers: withoutHeader(answer.headers, 'docker-content-digest') });

describe('faults between gate and the registry (loopback fault-injection front)', () => {
  let world: World;
  let tokens: TestServer;
  let elsewhere: TestServer;
  let dir: string;
  let fault: Fault | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gate-faults-'));
    const signer = await selfSigned(dir, 'signer', '/CN=gate faults issuer');
    tokens = await tokenServer(signer, 'faults', 'faults-issuer', { alice: 'secret' });
    elsewhere = await statusServer(403);
    world = await makeWorld({
      token: { realm: `${tokens.url}/token`, service: 'faults', issuer: 'faults-issuer', signer },
      creds: 'alice:secret',
      frontHost: (registry) => front(registry.url, (req, res, forward) => (fault && isManifest(req) ? fault(req, res, forward) : forward())),
    });
    await world.push('team/app', '1');
  });
  after(async () => {
    await world?.stop();
    await tokens?.close();
    await elsewhere?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const secret = () =>
    `apiVersion: v1\nkind: Secret\nmetadata: {name: regcred, namespace: shop}\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{"auths": {"${world.host}": {"auth": "${Buffer.from('alice:secret').toString('base64')}"}}}'\n`;

  async function withFault(injected: Fault, args: string[] = []) {
    fault = injected;
    try {
      const image = `${world.host}/team/app:1`;
      const app = deployment('app', [image]).replace('    spec:\n      containers:', '    spec:\n      imagePullSecrets: [{name: regcred}]\n      containers:');
      return await checkImages(world, [image], ['--insecure-registry', world.host, '--insecure-registry', tokens.host, ...args], { 'apps/app.yaml': app, 'apps/secret.yaml': secret() });
    } finally {
      fault = undefined;
    }
  }

  function assertIncomplete(outcome: Awaited<ReturnType<typeof withFault>>, reason: string, message?: RegExp): void {
    assert.equal(outcome.report.results[0].reason, reason, outcome.report.results[0].message);
    assert.equal(outcome.report.summary.allowed, 0);
    assert.equal(outcome.code, 3);
    if (message) assert.match(outcome.report.results[0].message, message);
  }

  it('without faults, the image is allowed (the front itself changes nothing)', async () => {
    const outcome = await withFault((_req, _res, forward) => forward());
    assert.equal(outcome.report.results[0].reason, 'SIGNED', outcome.report.results[0].message);
  });

  it('retries a 429 after its Retry-After and then succeeds', async () => {
    let served = 0;
    const outcome = await withFault(async (_req, res, forward) => {
      if (served++ > 0) {
        await forward();
      } else {
        res.writeHead(429, { 'retry-after': '1' });
        res.end();
      }
    });
    assert.equal(outcome.report.results[0].reason, 'SIGNED');
    assert.equal(outcome.code, 0);
  });

  it('429 every time: THROTTLED, never "unsigned"', async () => {
    const outcome = await withFault((_req, res) => {
      res.writeHead(429, { 'retry-after': '1' });
      res.end();
    }, ['--timeout', '2.5']);
    assertIncomplete(outcome, 'THROTTLED', /429/);
  });

  it('503 every time: THROTTLED after backing off', async () => {
    const outcome = await withFault((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    assertIncomplete(outcome, 'THROTTLED', /still 503 after 4 attempts/);
  });

  it('an answer slower than the request timeout: TIMEOUT', async () => {
    const outcome = await withFault(async (_req, _res, forward) => {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await forward();
    }, ['--request-timeout', '0.3']);
    assertIncomplete(outcome, 'TIMEOUT', /no answer within 0\.3 s, the per-request limit \(--request-timeout\)/);
  });

  it('a truncated manifest: UNREACHABLE', async () => {
    const outcome = await withFault((req, _res, forward) => {
      if (req.method === 'HEAD') return forward(withoutDigestHeader);
      return forward((answer, res) => {
        // Announce the whole manifest, send half of it, and hang up.
        res.writeHead(200, { ...answer.headers, 'content-length': String(answer.body.length) });
        res.write(answer.body.subarray(0, answer.body.length >> 1), () => res.socket?.destroy());
        return undefined;
      });
    });
    assertIncomplete(outcome, 'UNREACHABLE', /truncated|broke/);
  });

  it('manifest bytes that do not match the digest the registry announces: UNREACHABLE', async () => {
    const outcome = await withFault((req, _res, forward) => {
      if (req.method === 'HEAD') return forward(withoutDigestHeader);
      return forward((answer) => {
        const body = Buffer.from(answer.body.toString('utf8').replace('"schemaVersion":2', '"schemaVersion": 2'));
        return { ...answer, body, headers: { ...answer.headers, 'content-length': String(body.length) } };
      });
    });
    assertIncomplete(outcome, 'UNREACHABLE', /does not match|not the sha256/);
  });

  it('a redirect to another origin: no Authorization header arrives there, and nothing is allowed', async () => {
    const before = elsewhere.requests.length;
    const outcome = await withFault((req, res) => {
      res.writeHead(307, { location: `${elsewhere.url}/redirected${req.url}` });
      res.end();
    });
    const arrived = elsewhere.requests.slice(before);
    assert.ok(arrived.length > 0, 'the redirect was followed');
    assert.ok(arrived.every((r) => r.headers.authorization === undefined), JSON.stringify(arrived.map((r) => r.headers)));
    assertIncomplete(outcome, 'AUTH_FAILED');
  });

  it('a 401 from the redirect target cannot send credentials to a token service it names', async () => {
    const trap = await statusServer(200);
    const challenger = await listenChallenging(`${trap.url}/token`);
    try {
      const outcome = await withFault((req, res) => {
        res.writeHead(307, { location: `${challenger.url}${req.url}` });
        res.end();
      });
      assert.deepEqual(trap.requests, [], 'no request reached the realm the other origin named');
      assert.ok(challenger.requests.every((r) => r.headers.authorization === undefined));
      assertIncomplete(outcome, 'AUTH_FAILED');
    } finally {
      await trap.close();
      await challenger.close();
    }
  });

  it('a registry that hides the repository from anonymous users (404): the pull secret is still tried', async () => {
    const outcome = await withFault(async (req, res, forward) => {
      if (req.headers.authorization?.startsWith('Bearer ') && !(await anonymousToken(req.headers.authorization))) return forward();
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
    });
    assert.equal(outcome.report.results[0].reason, 'SIGNED', outcome.report.results[0].message);
  });

  it('a redirect to an invalid location: UNREACHABLE, no crash', async () => {
    const outcome = await withFault((_req, res) => {
      res.writeHead(307, { location: 'http://[not-a-host/x' });
      res.end();
    });
    assertIncomplete(outcome, 'UNREACHABLE', /invalid location/);
  });

  it('no registry listening: UNREACHABLE', async () => {
    const port = await freePort();
    const image = `127.0.0.1:${port}/team/app:1`;
    const policy = `apiVersion: portieris.cloud.ibm.com/v1\nkind: ClusterImagePolicy\nmetadata: {name: all}\nspec:\n  repositories:\n  - name: "*"\n    policy: {simple: {requirements: [{type: signedBy, keySecret: team}]}}\n`;
    const outcome = await checkImages(world, [image], ['--insecure-registry', `127.0.0.1:${port}`], { '.gate/policies/policy.yaml': policy });
    assertIncomplete(outcome, 'UNREACHABLE', /connection refused/);
  });
});
