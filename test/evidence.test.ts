// The hash the crypto memo keys on covers every part of a blob a kind can read: two
// cosign layers share their payload bytes and differ in their annotations (signature,
// certificate), so one's verification must never stand in for the other's.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { untrustedBlob, type Evidence } from '../src/evidence.js';

const payload = new TextEncoder().encode('{"critical":{}}');
const base: Omit<Evidence, 'sha256'> = { format: 'sigstore-attachment', mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', bytes: payload, annotations: { 'dev.cosignproject.cosign/signature': 'MEUC-one' }, location: 'layer 1' };

describe('untrustedBlob', () => {
  it('gives the same hash for the same parts, wherever the blob was found and in whatever order its annotations came', () => {
    const again = untrustedBlob({ ...base, location: 'layer 2', annotations: { ...base.annotations } });
    assert.equal(untrustedBlob(base).sha256, again.sha256);
    const two = { a: '1', b: '2' };
    assert.equal(untrustedBlob({ ...base, annotations: two }).sha256, untrustedBlob({ ...base, annotations: { b: '2', a: '1' } }).sha256);
  });

  it('gives another hash when any part a kind can read differs', () => {
    const hash = untrustedBlob(base).sha256;
    const variants: Array<Omit<Evidence, 'sha256'>> = [
      { ...base, annotations: { 'dev.cosignproject.cosign/signature': 'MEUC-two' } },
      { ...base, annotations: undefined },
      { ...base, mediaType: 'application/vnd.other+json' },
      { ...base, format: 'sigstore-json' },
      { ...base, bytes: new TextEncoder().encode('{"critical":{} }') },
    ];
    for (const variant of variants) assert.notEqual(untrustedBlob(variant).sha256, hash, JSON.stringify({ ...variant, bytes: undefined }));
  });
});
