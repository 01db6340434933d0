import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SignedIdentity } from '../../src/verify/identity.js';
import { parseReference, withDefaultTag } from '../../src/reference/reference.js';
import { identityMatches } from '../../src/verify/identity.js';

const D = 'sha256:' + 'b'.repeat(64);

function matches(rule: SignedIdentity, image: string, signed: string): boolean {
  const parsed = parseReference(image);
  assert.ok(parsed.ok);
  return identityMatches(rule, withDefaultTag(parsed.ref), signed);
}

describe('signedIdentity rules (containers/image policy_reference_match)', () => {
  const def: SignedIdentity = { type: 'matchRepoDigestOrExact' };
  it('default: a tagged image needs exactly its reference, normalised', () => {
    assert.equal(matches(def, 'busybox:1', 'docker.io/library/busybox:1'), true);
    assert.equal(matches(def, 'busybox:1', 'busybox:2'), false);
  });
  it('default: an untagged image means :latest', () => {
    assert.equal(matches(def, 'busybox', 'busybox:latest'), true);
    assert.equal(matches(def, 'busybox', 'busybox'), false);
  });
  it('default: a digest image accepts any tag or digest of its repository, never a name-only identity', () => {
    assert.equal(matches(def, `reg.io/a@${D}`, 'reg.io/a:7'), true);
    assert.equal(matches(def, `reg.io/a@${D}`, 'reg.io/b:7'), false);
    assert.equal(matches(def, `reg.io/a@${D}`, 'reg.io/a'), false);
  });
  it('matchExact: digest image needs the digest reference', () => {
    assert.equal(matches({ type: 'matchExact' }, `reg.io/a@${D}`, `reg.io/a@${D}`), true);
    assert.equal(matches({ type: 'matchExact' }, `reg.io/a@${D}`, 'reg.io/a:1'), false);
  });
  it('matchRepository: any identity in the repository, name-only included', () => {
    assert.equal(matches({ type: 'matchRepository' }, 'reg.io/a:1', 'reg.io/a'), true);
    assert.equal(matches({ type: 'matchRepository' }, 'reg.io/a:1', 'reg.io/ab:1'), false);
  });
  it('matchExactReference and matchExactRepository ignore the image', () => {
    assert.equal(matches({ type: 'matchExactReference', dockerReference: 'reg.io/x:1' }, 'reg.io/a:1', 'reg.io/x:1'), true);
    assert.equal(matches({ type: 'matchExactReference', dockerReference: 'reg.io/x:1' }, 'reg.io/a:1', 'reg.io/a:1'), false);
    assert.equal(matches({ type: 'matchExactRepository', dockerRepository: 'reg.io/x' }, 'reg.io/a:1', 'reg.io/x:9'), true);
  });
  it('remapIdentity rewrites only a whole-component prefix', () => {
    const rule: SignedIdentity = { type: 'remapIdentity', prefix: 'mirror.io/up', signedPrefix: 'quay.io/up' };
    assert.equal(matches(rule, 'mirror.io/up/app:1', 'quay.io/up/app:1'), true);
    assert.equal(matches(rule, 'mirror.io/up/app:1', 'mirror.io/up/app:1'), false);
    assert.equal(matches(rule, 'mirror.io/upstream/app:1', 'mirror.io/upstream/app:1'), true);
    assert.equal(matches(rule, 'mirror.io/up:1', 'quay.io/up:1'), true);
  });
  it('remapIdentity to a prefix that is not canonical fails', () => {
    const rule: SignedIdentity = { type: 'remapIdentity', prefix: 'mirror.io/lib', signedPrefix: 'docker.io' };
    // docker.io/app is not canonical (docker.io/library/app is), so the remapped name is refused.
    assert.equal(matches(rule, 'mirror.io/lib/app:1', 'docker.io/library/app:1'), false);
  });
  it('an unparsable signed identity never matches', () => {
    assert.equal(matches({ type: 'matchRepository' }, 'reg.io/a:1', 'NOT A REFERENCE'), false);
  });
});
