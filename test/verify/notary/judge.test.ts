// The rules of a trust verdict (verify/notary/judge.ts) on generated, verified repositories:
// a tag against the registry's digest, a pinned digest against the tags signed for it, and what
// Portieris does with a digest reference (it looks up tag latest and, unless mutateImage is
// false, rewrites the pod to latest's digest). Expected outcomes written from Portieris' source.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { judgeTrust, type TrustQuestion } from '../../../src/verify/notary/judge.js';
import { loadRepository, type Repository } from '../../../src/verify/notary/repository.js';
import { ecdsaKey, generateRepo } from '../../helpers/notary-repo.js';

const GUN = 'registry.example.com/shop/web';
const D1 = 'ab'.repeat(32);
const D2 = 'cd'.repeat(32);
const NOW = new Date();

describe('the verdict of a trust policy on verified trust data', () => {
  let repository: Repository;
  const ask = (q: Partial<TrustQuestion>) => judgeTrust({ repository, signers: [], now: NOW, portieris: true, mutateImageOff: true, ...q });

  before(async () => {
    const files = await generateRepo({ gun: GUN, targets: { v1: D1, latest: D2 } });
    const loaded = await loadRepository(async (name) => files.get(name), { gun: GUN, now: NOW });
    assert.ok(loaded.ok);
    repository = loaded.repository;
  });

  it('a tag: allowed when the registry serves the signed digest, DIGEST_MISMATCH when it serves another', () => {
    const same = ask({ tag: 'v1', registryDigest: `sha256:${D1}` });
    assert.equal(same.ok && same.digest, `sha256:${D1}`);
    const moved = ask({ tag: 'v1', registryDigest: `sha256:${D2}` });
    assert.equal(!moved.ok && moved.reason, 'DIGEST_MISMATCH');
  });

  it('a digest reference under gate alone: allowed when some tag is released for it', () => {
    const outcome = ask({ digest: `sha256:${D1}`, portieris: false });
    assert.equal(outcome.ok && outcome.tag, 'v1');
    const unsigned = ask({ digest: `sha256:${'ef'.repeat(32)}`, portieris: false });
    assert.equal(!unsigned.ok && unsigned.reason, 'TRUST_NOT_SIGNED');
  });

  it('a digest reference under Portieris: with mutation, latest\'s other digest would replace it (MUTATES_IMAGE); without, allowed', () => {
    const mutated = ask({ digest: `sha256:${D1}`, mutateImageOff: false });
    assert.equal(!mutated.ok && mutated.reason, 'MUTATES_IMAGE');
    assert.match(!mutated.ok ? mutated.message : '', new RegExp(`rewrite the image to latest's signed digest sha256:${D2}`));
    assert.equal(ask({ digest: `sha256:${D1}`, mutateImageOff: true }).ok, true);
    assert.equal(ask({ digest: `sha256:${D2}`, mutateImageOff: false }).ok, true, 'latest itself: the rewrite changes nothing');
  });

  it('an unsigned tag is TRUST_DELEGATION_INVALID only when a delegation left out could have signed it (its paths cover the tag)', async () => {
    const past = new Date(NOW.getTime() - 86_400_000);
    const load = async (paths: string[]) => {
      const files = await generateRepo({ gun: GUN, targets: {}, releases: { targets: { 'rc-1': D1 }, signer: ecdsaKey(), expires: past, paths } });
      const loaded = await loadRepository(async (name) => files.get(name), { gun: GUN, now: NOW });
      assert.ok(loaded.ok);
      return loaded.repository;
    };
    const covering = await load(['']);
    const elsewhere = await load(['rc-']);
    const question = { tag: 'v1', registryDigest: `sha256:${D1}`, signers: [], now: NOW, portieris: true, mutateImageOff: true };
    const a = judgeTrust({ ...question, repository: covering });
    assert.equal(!a.ok && a.reason, 'TRUST_DELEGATION_INVALID');
    assert.match(!a.ok ? a.message : '', /targets\/releases left out: targets\/releases expired/);
    const b = judgeTrust({ ...question, repository: elsewhere });
    assert.equal(!b.ok && b.reason, 'TRUST_NOT_SIGNED', 'a delegation for rc-* tags says nothing about v1');
  });
});
