import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decisionKey, type DecisionKeyParts } from '../../src/cache/key.js';

const PARTS: DecisionKeyParts = {
  gateVersion: '1.0.0',
  digest: `sha256:${'a'.repeat(64)}`,
  intended: 'registry.example.com/team/web:1.4',
  requirements: [['key material', { type: 'matchRepoDigestOrExact' }]],
  store: 'https://sigs.example.com',
  credentials: null,
};

describe('decisionKey', () => {
  it('is a sha256 in hex, the same for the same parts', () => {
    assert.match(decisionKey(PARTS), /^[0-9a-f]{64}$/);
    assert.equal(decisionKey({ ...PARTS }), decisionKey(PARTS));
  });

  it('changes with every part, the credential set included when a caller passes one', () => {
    const variants: DecisionKeyParts[] = [
      { ...PARTS, gateVersion: '1.0.1' },
      { ...PARTS, digest: `sha256:${'b'.repeat(64)}` },
      { ...PARTS, intended: 'registry.example.com/team/web:1.5' },
      { ...PARTS, requirements: [['other key material', { type: 'matchRepoDigestOrExact' }]] },
      { ...PARTS, requirements: [['key material', { type: 'matchExact' }]] },
      { ...PARTS, store: 'https://other.example.com' },
      { ...PARTS, credentials: 'pull secret shop/regcred' },
      { ...PARTS, credentials: '' },
    ];
    const keys = new Set([decisionKey(PARTS), ...variants.map(decisionKey)]);
    assert.equal(keys.size, variants.length + 1);
  });

  it('does not let one part run into the next', () => {
    assert.notEqual(decisionKey({ ...PARTS, intended: 'a', store: 'bc' }), decisionKey({ ...PARTS, intended: 'ab', store: 'c' }));
  });
});
