import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evidenceCacheKey, type EvidenceCacheParts } from '../../src/cache/key.js';

const PARTS: EvidenceCacheParts = {
  store: 'https://sigs.example.com',
  repository: 'registry.example.com/team/web',
  digest: `sha256:${'a'.repeat(64)}`,
  attachments: false,
};

describe('evidenceCacheKey', () => {
  it('is a sha256 in hex, the same for the same parts in any process', () => {
    assert.match(evidenceCacheKey(PARTS), /^[0-9a-f]{64}$/);
    assert.equal(evidenceCacheKey({ ...PARTS }), evidenceCacheKey(PARTS));
  });

  it('changes with every part', () => {
    const variants: EvidenceCacheParts[] = [
      { ...PARTS, store: 'registry:registry.example.com' },
      { ...PARTS, repository: 'registry.example.com/team/api' },
      { ...PARTS, digest: `sha256:${'b'.repeat(64)}` },
      { ...PARTS, attachments: true },
    ];
    assert.equal(new Set([PARTS, ...variants].map(evidenceCacheKey)).size, variants.length + 1);
  });

  it('does not let one part run into the next', () => {
    assert.notEqual(evidenceCacheKey({ ...PARTS, store: 'https://a', repository: 'bc' }), evidenceCacheKey({ ...PARTS, store: 'https://ab', repository: 'c' }));
  });
});
