// One signed tag checked with --require-digest is decided three ways — the tag, the
// digest form gate offers as a pin, and the pin's NOT_PINNED verdict — and explain
// shows every signature's fate on top: the crypto runs once per (signature, trust)
// all the same. Counted through a verifier injected into the signedBy kind (a real
// registry, real gpg and skopeo signatures; no timing).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCheck } from '../../src/commands/check.js';
import { runExplain } from '../../src/commands/explain.js';
import type { SignatureKind } from '../../src/verify/kind.types.js';
import { KINDS } from '../../src/verify/kinds.js';
import { deployment } from '../helpers/repo.js';
import { makeWorld, type World } from '../helpers/world.js';

function counting(): { kinds: typeof KINDS; calls: () => number } {
  let calls = 0;
  const signedBy: SignatureKind = {
    ...KINDS.signedBy,
    verify: (blob, trust, now) => {
      calls++;
      return KINDS.signedBy.verify(blob, trust as never, now);
    },
  };
  return { kinds: { ...KINDS, signedBy: signedBy as typeof KINDS.signedBy }, calls: () => calls };
}

describe('the crypto of a signature runs once per run', () => {
  let world: World;
  let image: string;
  before(async () => {
    world = await makeWorld();
    await world.push('shop/web', '1.4');
    image = `${world.host}/shop/web:1.4`;
  });
  after(async () => world?.stop());

  it('for one signed tag checked with --require-digest: one OpenPGP verification', async () => {
    const repo = await world.repo({ 'apps/app.yaml': deployment('web', [image]) });
    try {
      const { kinds, calls } = counting();
      const io = { cwd: repo.dir, now: () => new Date(), env: {}, readStdin: async () => new Uint8Array() };
      const report = await runCheck({ paths: ['apps'], namespace: 'default', insecureRegistries: [world.host], requireDigest: true, kinds }, io);
      const [result] = report.results;
      // The tag verified, its digest form verified too (so a pin is offered), and the tag is still denied.
      assert.equal(result.reason, 'NOT_PINNED');
      assert.match(result.pin ?? '', /@sha256:[0-9a-f]{64}$/);
      assert.equal(calls(), 1);
    } finally {
      await repo.dispose();
    }
  });

  it('for gate explain of a tag: the verdict and the fate of each signature share one verification', async () => {
    const repo = await world.repo({});
    try {
      const { kinds, calls } = counting();
      const io = { cwd: repo.dir, now: () => new Date(), env: {}, readStdin: async () => new Uint8Array() };
      const explained = await runExplain(image, { namespace: 'default', insecureRegistries: [world.host], kinds }, io);
      assert.equal(explained.verdict.reason, 'SIGNED');
      assert.equal(explained.signatures?.each.length, 1);
      assert.equal(calls(), 1);
    } finally {
      await repo.dispose();
    }
  });
});
