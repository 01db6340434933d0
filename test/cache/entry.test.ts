// An evidence cache entry: what a lookup found comes back as the same untrusted blobs,
// for as long as the TTL allows by the injected clock; anything else is a miss.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeEvidence, encodeEvidence, MAX_ENTRY_BYTES } from '../../src/cache/entry.js';
import { untrustedBlob } from '../../src/evidence.js';

const HOUR = 3600_000;
const NOW = Date.UTC(2026, 11, 7, 12);
const FOUND = {
  searched: 'https://sigs.example.com/team/web@sha256=ab…/signature-N',
  blobs: [
    untrustedBlob({ format: 'simple-signing', bytes: new Uint8Array([0xa3, 1, 2, 3, 0xff]), location: 'https://sigs.example.com/team/web@sha256=ab/signature-1' }),
    untrustedBlob({
      format: 'sigstore-attachment',
      mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
      annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ…', 'dev.sigstore.cosign/bundle': '{"x":1}' },
      bytes: new TextEncoder().encode('{"critical":{}}'),
      location: 'sigstore attachments layer 1',
    }),
  ],
};

function entry(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function written(): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(encodeEvidence(FOUND, NOW)!)) as Record<string, unknown>;
}

describe('evidence cache entries', () => {
  it('give back every blob with its format, media type, annotations, location and bytes, and the same hash', () => {
    const back = decodeEvidence(encodeEvidence(FOUND, NOW)!, NOW + 1000, HOUR);
    assert.ok(back);
    assert.equal(back.searched, FOUND.searched);
    assert.equal(back.fetched, NOW);
    assert.deepEqual(back.blobs, FOUND.blobs);
  });

  it('are used for the TTL after the fetch and not a millisecond longer, by the injected clock', () => {
    const bytes = encodeEvidence(FOUND, NOW)!;
    assert.ok(decodeEvidence(bytes, NOW + HOUR - 1, HOUR));
    assert.equal(decodeEvidence(bytes, NOW + HOUR, HOUR), undefined);
  });

  it('miss when fetched further in the future than the clocks of replicas differ', () => {
    assert.ok(decodeEvidence(entry({ ...written(), fetched: NOW + 60_000 }), NOW, HOUR), 'a minute ahead: another replica');
    assert.equal(decodeEvidence(entry({ ...written(), fetched: NOW + 24 * HOUR }), NOW, HOUR), undefined);
  });

  it('compute the hash the crypto memo keys on from the bytes read, whatever the entry says', () => {
    const planted = written();
    const blobs = planted.blobs as Array<Record<string, unknown>>;
    blobs[0] = { ...blobs[0], sha256: FOUND.blobs[1].sha256, bytes: Buffer.from('other bytes').toString('base64') };
    const back = decodeEvidence(entry(planted), NOW, HOUR)!;
    const expected = untrustedBlob({ format: 'simple-signing', bytes: new TextEncoder().encode('other bytes'), location: FOUND.blobs[0].location });
    assert.equal(back.blobs[0].sha256, expected.sha256);
    assert.notEqual(back.blobs[0].sha256, FOUND.blobs[0].sha256);
  });

  it('miss on anything but the exact shape', () => {
    const good = written();
    const blob = (good.blobs as Array<Record<string, unknown>>)[0];
    const cases: Array<[string, unknown]> = [
      ['not JSON', null],
      ['another kind of entry', { ...good, gate: 'verdict' }],
      ['another version', { ...good, v: 2 }],
      ['no fetch time', { ...good, fetched: undefined }],
      ['a fetch time that is no number', { ...good, fetched: '2026-12-07' }],
      ['no blobs', { ...good, blobs: [] }],
      ['blobs that are no list', { ...good, blobs: {} }],
      ['an unknown format', { ...good, blobs: [{ ...blob, format: 'x509' }] }],
      ['bytes that are not base64', { ...good, blobs: [{ ...blob, bytes: 'not base64!' }] }],
      ['an annotation that is no string', { ...good, blobs: [{ ...blob, annotations: { a: 1 } }] }],
      ['a location too long to be one', { ...good, blobs: [{ ...blob, location: 'x'.repeat(5000) }] }],
      ['a verdict, as the old cache kept', { reason: 'SIGNED', message: 'signed by X', digest: 'sha256:…', signers: [], expires: NOW + HOUR }],
    ];
    for (const [what, value] of cases) {
      const bytes = value === null ? new TextEncoder().encode('{"gate": "evidence",') : entry(value);
      assert.equal(decodeEvidence(bytes, NOW, HOUR), undefined, what);
    }
  });

  it('are neither written nor read past the size bound', () => {
    const large = { searched: 's', blobs: [untrustedBlob({ format: 'simple-signing', bytes: new Uint8Array(MAX_ENTRY_BYTES), location: 'l' })] };
    assert.equal(encodeEvidence(large, NOW), undefined);
    const padded = new Uint8Array(MAX_ENTRY_BYTES + 1).fill(0x20);
    padded.set(encodeEvidence(FOUND, NOW)!);
    assert.equal(decodeEvidence(padded, NOW, HOUR), undefined);
  });

  it('hold no digest of a decision: only bytes and where they were found', () => {
    const keys = Object.keys(written()).sort();
    assert.deepEqual(keys, ['blobs', 'fetched', 'gate', 'searched', 'v']);
    const sha = createHash('sha256').update(FOUND.blobs[0].bytes).digest('base64');
    assert.ok(!JSON.stringify(written()).includes(sha), 'no hash of the bytes is stored for a reader to trust');
  });
});
