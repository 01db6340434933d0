// Reading a notary-server that asks for tokens, as Portieris does: the real notary-server with
// token auth (a token service of the test harness, as registries' notary servers have one),
// trust data published by the real notary client logged in; gate's transport tries each pull
// secret in turn with the POST form and reads the repository with the token that works.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HttpClient, TransportError } from '../../../src/registry/http.js';
import { openNotary, type NotaryCredential } from '../../../src/signatures/notary-server.js';
import { lookupTag } from '../../../src/verify/notary/lookup.js';
import { loadRepository } from '../../../src/verify/notary/repository.js';
import { startNotaryBed, type NotaryBed } from '../../helpers/notary.js';
import { selfSigned, serverCertificate } from '../../helpers/pki.js';

describe('a notary-server with token auth (Portieris\' token flow)', () => {
  let bed: NotaryBed;
  let gun: string;
  let digest: string;
  let http: HttpClient;
  const login = 'puller:secret';

  before(async () => {
    bed = await startNotaryBed({ token: { users: { puller: 'secret' } } });
    gun = `${bed.registry.host}/bed/authd`;
    const pushed = await bed.push('bed/authd', 'v1');
    digest = pushed.digest;
    for (const args of [['init', '-p', gun], ['addhash', '-p', gun, 'v1', String(pushed.size), '--sha256', digest.slice(7)]]) {
      const result = await bed.notary(args, undefined, login);
      assert.equal(result.code, 0, `notary ${args.join(' ')}: ${result.stderr}`);
    }
    http = new HttpClient({ requestTimeoutMs: 5000, deadlineMs: Date.now() + 60_000, caFor: async () => [bed.ca.cert] });
  });
  after(async () => {
    await http?.close();
    await bed?.stop();
  });

  const open = (credentials: NotaryCredential[], cleartext = true, realms = [`${bed.tokens!.url}/token`]) =>
    openNotary({ http, url: bed.notaryUrl, gun, credentials, cleartextAllowed: (host) => cleartext && host === bed.tokens!.host, credentialRealms: realms });

  it('tries each pull secret in turn and reads the repository with the token that works; the client, logged in, agrees', async () => {
    const access = await open([
      { source: 'pull secret wrong', username: 'puller', password: 'nope' },
      { source: 'pull secret regcred', username: 'puller', password: 'secret' },
    ]);
    assert.equal(access.via, 'with a token for pull secret regcred');
    const loaded = await loadRepository(access.fetch, { gun, now: new Date() });
    assert.ok(loaded.ok, !loaded.ok ? loaded.failure.message : '');
    const found = loaded.ok ? lookupTag(loaded.repository, 'v1') : undefined;
    assert.equal(found?.ok && found.digest, digest);
    const judge = await bed.notary(['lookup', gun, 'v1'], `${bed.dir}/fresh-token`, login);
    assert.match(judge.stdout.toString('utf8'), new RegExp(`v1 ${digest}`));
    const posts = bed.tokens!.requests.filter((r) => r.method === 'POST');
    assert.ok(posts.length >= 2, 'a POST form for each credential tried');
  });

  it('without a pull secret, or with only wrong ones, is AUTH_FAILED saying so (the client without a login fails too)', async () => {
    await assert.rejects(open([]), (e: TransportError) => e.kind === 'auth' && /no valid ImagePullSecret defined for .*names no pull secret/.test(e.message));
    await assert.rejects(open([{ source: 'pull secret wrong', username: 'puller', password: 'nope' }]), (e: TransportError) => e.kind === 'auth' && /refused every credential: pull secret wrong/.test(e.message));
    const judge = await bed.notary(['lookup', gun, 'v1'], `${bed.dir}/fresh-anon`);
    assert.notEqual(judge.code, 0);
    assert.match(`${judge.stdout.toString('utf8')}${judge.stderr}`, /not authorized|401/);
  });

  it('sends no credential to a realm that is neither the trust server\'s origin nor the registry\'s token realm', async () => {
    const before = bed.tokens!.requests.length;
    await assert.rejects(open([{ source: 'pull secret regcred', username: 'puller', password: 'secret' }], true, []), (e: TransportError) => e.kind === 'auth' && /neither its own origin nor the registry's token realm/.test(e.message));
    assert.equal(bed.tokens!.requests.length, before, 'the token service heard nothing');
  });

  it('sends no credential to a token realm over plain HTTP it was not told to trust', async () => {
    const before = bed.tokens!.requests.length;
    await assert.rejects(open([{ source: 'pull secret regcred', username: 'puller', password: 'secret' }], false), (e: TransportError) => e.kind === 'auth' && /is not https: gate sends no credential there/.test(e.message));
    assert.equal(bed.tokens!.requests.length, before, 'the token service heard nothing');
  });
});

describe('a trust server that is its own token service (a realm on its own origin)', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let http: HttpClient;
  const posts: string[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gate-notary-origin-'));
    const ca = await selfSigned(dir, 'ca', '/CN=gate origin CA');
    const tls = await serverCertificate(dir, ca);
    server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      if (req.url?.startsWith('/token')) {
        posts.push(req.method ?? '');
        return void res.writeHead(401).end('{}');
      }
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${url}/token",service="notary",scope="repository:registry.example.com/shop/web:pull"` }).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    http = new HttpClient({ requestTimeoutMs: 5000, deadlineMs: Date.now() + 60_000, caFor: async () => [ca.cert] });
  });
  after(async () => {
    await http?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const credentials = [{ source: 'pull secret regcred', username: 'ci', password: 'secret' }];
  const open = (originTrusted: boolean) => openNotary({ http, url, gun: 'registry.example.com/shop/web', credentials, cleartextAllowed: () => false, originTrusted });

  it('gets no credential when a policy in the checked manifests named it', async () => {
    await assert.rejects(open(false), (e: TransportError) => e.kind === 'auth' && /named by a policy in the checked manifests/.test(e.message));
    assert.deepEqual(posts, [], 'the token service heard nothing');
  });

  it('gets the pull secrets when a .gate/ policy (or Portieris\' map) named it', async () => {
    await assert.rejects(open(true), (e: TransportError) => e.kind === 'auth' && /refused every credential/.test(e.message));
    assert.deepEqual(posts, ['POST'], 'the POST form was sent to the realm on the server\'s own origin');
  });
});
