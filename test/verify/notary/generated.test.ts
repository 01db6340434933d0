// The cases the real notary-server will not serve, from repositories the tests generate and
// sign with their own keys (helpers/notary-repo.ts), served over TLS on loopback: gate's
// reader and the real notary client (a fresh trust folder each time) must reach the same
// verdict, in notary's words where gate keeps them. Expiry is judged at an injected clock.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent } from 'undici';
import { lookupTag } from '../../../src/verify/notary/lookup.js';
import { loadRepository, type NotaryFetch } from '../../../src/verify/notary/repository.js';
import { checkSigners } from '../../../src/verify/notary/signers.js';
import { ecdsaKey, generateRepo, rootCertKey, staticNotary } from '../../helpers/notary-repo.js';
import { selfSigned, serverCertificate, type Pem } from '../../helpers/pki.js';
import { requireTool, run } from '../../helpers/tools.js';

const GUN = 'registry.example.com/shop/web';
const D1 = 'ab'.repeat(32);
const D2 = 'cd'.repeat(32);
const DAY = 86_400_000;

describe('generated Notary v1 repositories: gate and the notary client agree', () => {
  let dir: string;
  let ca: Pem;
  let server: Awaited<ReturnType<typeof staticNotary>>;
  let agent: Agent;
  const cases = new Map<string, { gun: string; files: Map<string, Buffer> }>();

  before(async () => {
    requireTool('notary');
    dir = await mkdtemp(path.join(tmpdir(), 'gate-notary-gen-'));
    ca = await selfSigned(dir, 'ca', '/CN=gate notary static CA');
    const tls = await serverCertificate(dir, ca);
    const past = new Date(Date.now() - DAY);
    const alice = ecdsaKey();
    cases.set('good', { gun: GUN, files: await generateRepo({ gun: GUN, targets: { v1: D1 }, releases: { targets: { v2: D2 }, signer: alice } }) });
    cases.set('timestamp-expired', { gun: GUN, files: await generateRepo({ gun: GUN, targets: { v1: D1 }, expires: { timestamp: past } }) });
    cases.set('snapshot-expired', { gun: GUN, files: await generateRepo({ gun: GUN, targets: { v1: D1 }, expires: { snapshot: past } }) });
    cases.set('targets-expired', { gun: GUN, files: await generateRepo({ gun: GUN, targets: { v1: D1 }, expires: { targets: past } }) });
    cases.set('delegation-expired', { gun: GUN, files: await generateRepo({ gun: GUN, targets: { v1: D1 }, releases: { targets: { v2: D2 }, signer: alice, expires: past } }) });
    cases.set('delegation-wrong-key', { gun: GUN, files: await generateRepo({ gun: GUN, targets: { v1: D1 }, releases: { targets: { v2: D2 }, signer: ecdsaKey(), listed: alice } }) });
    cases.set('targets-tampered', { gun: GUN, files: await generateRepo({ gun: GUN, targets: { v1: D1 }, tamperTargets: true }) });
    cases.set('threshold', { gun: GUN, files: await generateRepo({ gun: GUN, targets: { v1: D1 }, targetsThreshold: 2 }) });
    cases.set('restricted-signer', { gun: GUN, files: await generateRepo({ gun: GUN, targets: { v1: D1 }, releases: { targets: { v1: D2 }, signer: alice, name: 'targets/alice', paths: ['other-'] } }) });
    cases.set('releases-sha512', { gun: GUN, files: await generateRepo({ gun: GUN, targets: { v1: D1 }, releases: { targets: { v1: D2 }, signer: alice, sha512Only: true } }) });
    cases.set('root-cn', { gun: GUN, files: await generateRepo({ gun: GUN, targets: { v1: D1 }, root: await rootCertKey(GUN, { cn: 'registry.example.com/other' }) }) });
    // A snapshot validly signed, but not the one the timestamp names.
    const swapped = await generateRepo({ gun: GUN, targets: { v1: D1 } });
    const other = await generateRepo({ gun: GUN, targets: { v1: D2 } });
    const expected = [...swapped.keys()].find((k) => /^snapshot\.[0-9a-f]{64}\.json$/.test(k))!;
    swapped.set(expected, other.get('snapshot.json')!);
    cases.set('snapshot-swapped', { gun: GUN, files: swapped });
    server = await staticNotary(tls, cases);
    agent = new Agent({ connect: { ca: ca.cert } });
  });
  after(async () => {
    await agent?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const fetchFor = (name: string): NotaryFetch => async (file) => {
    const answer = await fetch(`${server.url(name)}/v2/${GUN}/_trust/tuf/${file}`, { dispatcher: agent } as RequestInit);
    if (answer.status === 404) return undefined;
    return new Uint8Array(await answer.arrayBuffer());
  };
  const judge = async (name: string, tag: string) => {
    const trust = await mkdtemp(path.join(dir, 'trust-'));
    const result = await run('notary', ['-s', server.url(name), '-d', trust, '--tlscacert', ca.certFile, 'lookup', GUN, tag]);
    return { ok: result.code === 0, text: `${result.stdout.toString('utf8')}${result.stderr}` };
  };

  it('reads a good repository: targets and targets/releases digests, as the client does', async () => {
    const loaded = await loadRepository(fetchFor('good'), { gun: GUN, now: new Date() });
    assert.ok(loaded.ok, !loaded.ok ? loaded.failure.message : '');
    if (!loaded.ok) return;
    for (const [tag, digest] of [['v1', D1], ['v2', D2]]) {
      const client = await judge('good', tag);
      assert.ok(client.ok, client.text);
      assert.match(client.text, new RegExp(`${tag} sha256:${digest}`));
      const found = lookupTag(loaded.repository, tag);
      assert.equal(found.ok && found.digest, `sha256:${digest}`);
    }
  });

  const refusals: Array<[string, string, RegExp, string, RegExp]> = [
    ['timestamp-expired', 'v1', /timestamp expired at/, 'expired', /^timestamp expired at /],
    ['snapshot-expired', 'v1', /snapshot expired at/, 'expired', /^snapshot expired at /],
    ['targets-expired', 'v1', /targets expired at/, 'expired', /^targets expired at /],
    ['targets-tampered', 'v1', /valid signatures did not meet threshold for targets/, 'threshold', /valid signatures did not meet threshold for targets/],
    ['threshold', 'v1', /valid signatures did not meet threshold for targets/, 'threshold', /valid signatures did not meet threshold for targets/],
    ['root-cn', 'v1', /unable to retrieve valid leaf certificates/, 'root', /unable to retrieve valid leaf certificates/],
    ['snapshot-swapped', 'v1', /checksum for snapshot did not match/, 'hash', /checksum for snapshot did not match/],
  ];
  for (const [name, tag, clientSays, kind, gateSays] of refusals) {
    it(`refuses ${name} as the client does`, async () => {
      const client = await judge(name, tag);
      assert.equal(client.ok, false, client.text);
      assert.match(client.text, clientSays);
      const loaded = await loadRepository(fetchFor(name), { gun: GUN, now: new Date() });
      assert.equal(!loaded.ok && loaded.failure.kind, kind, loaded.ok ? 'allowed' : loaded.failure.message);
      assert.match(!loaded.ok ? loaded.failure.message : '', gateSays);
    });
  }

  for (const name of ['delegation-expired', 'delegation-wrong-key']) {
    it(`leaves out a delegation (${name.replace('delegation-', '')}), as the client does: its tag is not signed`, async () => {
      const client = await judge(name, 'v2');
      assert.equal(client.ok, false, client.text);
      assert.match(client.text, /No valid trust data for v2/);
      const loaded = await loadRepository(fetchFor(name), { gun: GUN, now: new Date() });
      assert.ok(loaded.ok, !loaded.ok ? loaded.failure.message : '');
      if (!loaded.ok) return;
      assert.match(loaded.repository.warnings.join('\n'), /targets\/releases left out/);
      const found = lookupTag(loaded.repository, 'v2');
      assert.equal(!found.ok && found.message, 'No valid trust data for v2');
      assert.equal(lookupTag(loaded.repository, 'v1').ok, true, 'targets itself still counts');
    });
  }

  it('counts a signer only for names under its paths (Portieris: no signature found for the role)', async () => {
    const loaded = await loadRepository(fetchFor('restricted-signer'), { gun: GUN, now: new Date() });
    assert.ok(loaded.ok, !loaded.ok ? loaded.failure.message : '');
    if (!loaded.ok) return;
    const found = lookupTag(loaded.repository, 'v1');
    assert.deepEqual(found.entries.map((e) => e.role), ['targets'], 'alice may sign only other-*');
    const check = checkSigners(loaded.repository, 'v1', found.ok ? found.digest : '', [{ secret: 'alice', name: 'alice', publicKey: '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n' }], new Date(), false);
    assert.match(!check.ok ? check.message : '', /^no signature found for role alice/);
  });

  it('refuses a tag whose released entry has no sha256 rather than fall back to targets\' digest (Portieris: an empty digest)', async () => {
    // The notary client's lookup falls back to targets here; Portieris takes the last released entry and gets no digest,
    // and docker pull fails on it: gate refuses, and is the stricter of the three.
    const client = await judge('releases-sha512', 'v1');
    assert.match(client.text, new RegExp(`v1 sha256:${D1}`));
    const loaded = await loadRepository(fetchFor('releases-sha512'), { gun: GUN, now: new Date() });
    assert.ok(loaded.ok);
    const found = loaded.ok ? lookupTag(loaded.repository, 'v1') : undefined;
    assert.equal(found?.ok, false);
    assert.match(found && !found.ok ? found.message : '', /targets\/releases signs v1 without a sha256 digest/);
  });

  it('trusts a root pinned by CA only when its certificate chains to that CA', async () => {
    const { testCa, rootCertKey: rootKey, generateRepo: generate } = await import('../../helpers/notary-repo.js');
    const ca = await testCa('gate test notary CA');
    const other = await testCa('another CA');
    const files = await generate({ gun: GUN, targets: { v1: D1 }, root: await rootKey(GUN, { issuer: ca }) });
    const fetch: NotaryFetch = async (name) => files.get(name);
    assert.equal((await loadRepository(fetch, { gun: GUN, now: new Date(), pinnedCa: ca.pem })).ok, true);
    const wrong = await loadRepository(fetch, { gun: GUN, now: new Date(), pinnedCa: other.pem });
    assert.equal(!wrong.ok && wrong.failure.kind, 'pin');
    assert.match(!wrong.ok ? wrong.failure.message : '', /do not chain to the pinned CA/);
    const selfSigned = await generate({ gun: GUN, targets: { v1: D1 } });
    const unpinned = await loadRepository(async (name) => selfSigned.get(name), { gun: GUN, now: new Date(), pinnedCa: ca.pem });
    assert.equal(!unpinned.ok && unpinned.failure.kind, 'pin', 'a self-signed root (trust on first use) does not pass a CA pin');
  });

  it('refuses an older repository once a newer version was seen (the client with a cache does the same)', async () => {
    const loaded = await loadRepository(fetchFor('good'), { gun: GUN, now: new Date(), minimumVersions: { timestamp: 2 } });
    assert.equal(!loaded.ok && loaded.failure.kind, 'rollback');
    assert.match(!loaded.ok ? loaded.failure.message : '', /version 1 is lower than current version 2 \(timestamp\)/);
  });
});
