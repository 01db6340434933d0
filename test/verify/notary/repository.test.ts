// gate's Notary v1 reader against the real notary-server, with trust data published by the
// real notary client, which is also the judge: for every tag, the digest gate reads from the
// verified repository is the one `notary lookup` prints. Root pinning and version floors,
// which the stateless client needs, are checked on the same data. (The trust policy itself
// is still denied UNSUPPORTED: this is the client it will use.)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lookupTag } from '../../../src/verify/notary/lookup.js';
import { loadRepository, type NotaryFetch } from '../../../src/verify/notary/repository.js';
import { checkSigners, signerKey } from '../../../src/verify/notary/signers.js';
import { startNotaryBed, type NotaryBed } from '../../helpers/notary.js';

describe('the Notary v1 reader against the real notary-server (notary client as judge)', () => {
  let bed: NotaryBed;
  let gun: string;
  const digests: Record<string, { digest: string; size: number }> = {};
  let alice: { cert: string; key: string; pub: string };
  const fetchFor = (name: string): NotaryFetch => (file) => bed.fetchTuf(name, file);

  before(async () => {
    bed = await startNotaryBed();
    gun = `${bed.registry.host}/bed/app`;
    digests.v1 = await bed.push('bed/app', 'v1');
    digests.v2 = await bed.push('bed/app', 'v2');
    const must = async (args: string[]) => {
      const result = await bed.notary(args);
      assert.equal(result.code, 0, `notary ${args.join(' ')}: ${result.stderr}`);
    };
    await must(['init', '-p', gun]);
    await must(['addhash', '-p', gun, 'v1', String(digests.v1.size), '--sha256', digests.v1.digest.slice(7)]);
    await must(['key', 'rotate', gun, 'snapshot', '-r']);
    alice = await bed.signer('alice');
    await must(['delegation', 'add', '-p', gun, 'targets/releases', alice.cert, '--all-paths']);
    await must(['delegation', 'add', '-p', gun, 'targets/alice', alice.cert, '--all-paths']);
    await must(['key', 'import', alice.key, '--role', 'alice']);
    await must(['addhash', '-p', gun, 'v2', String(digests.v2.size), '--sha256', digests.v2.digest.slice(7), '--roles', 'targets/releases', '--roles', 'targets/alice']);
    // A tag only alice's own role signs: no released digest.
    await must(['addhash', '-p', gun, 'v3', String(digests.v2.size), '--sha256', digests.v2.digest.slice(7), '--roles', 'targets/alice']);
  });
  after(() => bed?.stop());

  it('reads the verified repository and finds the digest notary lookup prints, for targets and targets/releases', async () => {
    const loaded = await loadRepository(fetchFor(gun), { gun, now: new Date() });
    assert.ok(loaded.ok, !loaded.ok ? loaded.failure.message : '');
    if (!loaded.ok) return;
    const repository = loaded.repository;
    assert.deepEqual(repository.roles.map((r) => r.name), ['targets', 'targets/releases', 'targets/alice']);
    for (const tag of ['v1', 'v2']) {
      const judge = await bed.notary(['lookup', gun, tag], `${bed.dir}/fresh-${tag}`);
      assert.equal(judge.code, 0, judge.stderr);
      const [, printed] = judge.stdout.toString('utf8').trim().split(/\s+/);
      const found = lookupTag(repository, tag);
      assert.ok(found.ok, !found.ok ? found.message : '');
      assert.equal(found.ok && found.digest, printed, `${tag}: gate and the notary client agree`);
      assert.equal(found.ok && found.digest, digests[tag].digest, `${tag}: and it is what the registry serves`);
    }
    assert.equal(lookupTag(repository, 'v2').ok && (lookupTag(repository, 'v2') as { released: string }).released, 'targets/releases');
  });

  it('says a tag is not signed as the client does, and refuses a tag only a signer role holds', async () => {
    const loaded = await loadRepository(fetchFor(gun), { gun, now: new Date() });
    assert.ok(loaded.ok);
    if (!loaded.ok) return;
    const judge = await bed.notary(['lookup', gun, 'v9'], `${bed.dir}/fresh-v9`);
    assert.notEqual(judge.code, 0);
    assert.match(`${judge.stdout.toString('utf8')}${judge.stderr}`, /No valid trust data for v9/);
    const missing = lookupTag(loaded.repository, 'v9');
    assert.equal(!missing.ok && missing.message, 'No valid trust data for v9');
    const signerOnly = lookupTag(loaded.repository, 'v3');
    assert.equal(!signerOnly.ok && signerOnly.reason, 'no-released-role');
    assert.deepEqual(signerOnly.entries.map((e) => e.role), ['targets/alice']);
  });

  it('says a repository without trust data as the client does', async () => {
    const other = `${bed.registry.host}/bed/none`;
    const judge = await bed.notary(['lookup', other, 'v1'], `${bed.dir}/fresh-none`);
    assert.notEqual(judge.code, 0);
    assert.match(`${judge.stdout.toString('utf8')}${judge.stderr}`, /does not have trust data for/);
    const loaded = await loadRepository(fetchFor(other), { gun: other, now: new Date() });
    assert.equal(!loaded.ok && loaded.failure.kind, 'no-trust-data');
    assert.match(!loaded.ok ? loaded.failure.message : '', new RegExp(`does not have trust data for ${other.replace(/[.]/g, '\\.')}`));
  });

  it("checks signerSecrets as Portieris does: the cert form the delegation lists passes, the bare-key form of the same key is 'Public keys are different' (and passes when gate compares keys)", async () => {
    const loaded = await loadRepository(fetchFor(gun), { gun, now: new Date() });
    assert.ok(loaded.ok);
    if (!loaded.ok) return;
    const { readFile } = await import('node:fs/promises');
    const cert = await readFile(alice.cert, 'utf8');
    const pub = await readFile(alice.pub, 'utf8');
    // The notary client names the delegation's key by its canonical ID; the certificate form's TUF ID is what the role lists.
    const listed = loaded.repository.roles.find((r) => r.name === 'targets/alice')!.keyIds;
    const certKey = signerKey(cert, new Date());
    assert.ok(certKey.ok && listed.includes(certKey.id), 'the Secret\'s certificate has the ID the delegation lists');
    const released = lookupTag(loaded.repository, 'v2');
    assert.ok(released.ok);
    if (!released.ok) return;
    const secret = (publicKey: string, name = 'alice') => [{ secret: 'alice-signer', name, publicKey }];
    assert.deepEqual(checkSigners(loaded.repository, 'v2', released.digest, secret(cert), new Date(), true), { ok: true });
    const bare = checkSigners(loaded.repository, 'v2', released.digest, secret(pub), new Date(), true);
    assert.equal(bare.ok, false);
    assert.match(!bare.ok ? bare.message : '', /^Public keys are different: .*lists the same key as a certificate/);
    assert.match(!bare.ok ? bare.hint ?? '' : '', /put the certificate form in Secret alice-signer/);
    assert.deepEqual(checkSigners(loaded.repository, 'v2', released.digest, secret(pub), new Date(), false), { ok: true }, 'webhook none compares the keys');
    const bob = await bed.signer('bob');
    const notDelegated = checkSigners(loaded.repository, 'v2', released.digest, secret(await readFile(bob.cert, 'utf8'), 'bob'), new Date(), true);
    assert.match(!notDelegated.ok ? notDelegated.message : '', /^no signature found for role bob/);
    const otherKey = checkSigners(loaded.repository, 'v2', released.digest, secret(await readFile(bob.cert, 'utf8')), new Date(), false);
    assert.match(!otherKey.ok ? otherKey.message : '', /^Public keys are different/);
    const v1 = lookupTag(loaded.repository, 'v1');
    const unsignedByAlice = checkSigners(loaded.repository, 'v1', v1.ok ? v1.digest : '', secret(cert), new Date(), true);
    assert.match(!unsignedByAlice.ok ? unsignedByAlice.message : '', /^no signature found for role alice .*does not sign v1/);
  });

  it('holds the root to pinned root certificates, and versions to a floor (what a stateless client needs)', async () => {
    const first = await loadRepository(fetchFor(gun), { gun, now: new Date() });
    assert.ok(first.ok);
    if (!first.ok) return;
    const pinned = await loadRepository(fetchFor(gun), { gun, now: new Date(), pinnedRootIds: first.repository.rootCertIds });
    assert.equal(pinned.ok, true);
    const judge = await bed.notary(['key', 'list'], `${bed.dir}/trust`);
    assert.ok(first.repository.rootCertIds.every((id) => judge.stdout.toString('utf8').includes(id)), 'the canonical root ID is the one notary key list names');
    const wrongPin = await loadRepository(fetchFor(gun), { gun, now: new Date(), pinnedRootIds: ['0'.repeat(64)] });
    assert.equal(!wrongPin.ok && wrongPin.failure.kind, 'pin');
    const floor = await loadRepository(fetchFor(gun), { gun, now: new Date(), minimumVersions: { targets: first.repository.versions.targets + 1 } });
    assert.equal(!floor.ok && floor.failure.kind, 'rollback');
    assert.match(!floor.ok ? floor.failure.message : '', /version \d+ is lower than current version \d+ \(targets\)/);
  });

  it('judges expiry by the injected clock: the timestamp (14 days) has expired ten years on', async () => {
    const later = new Date(Date.now() + 10 * 365 * 86_400_000);
    const loaded = await loadRepository(fetchFor(gun), { gun, now: later });
    assert.equal(!loaded.ok && loaded.failure.kind, 'root', 'the root certificate has expired by then too, and is judged first');
    const soon = new Date(Date.now() + 30 * 86_400_000);
    const expired = await loadRepository(fetchFor(gun), { gun, now: soon });
    assert.equal(!expired.ok && expired.failure.kind, 'expired');
    assert.match(!expired.ok ? expired.failure.message : '', /^timestamp expired at /);
  });
});
