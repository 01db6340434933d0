import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSimpleSigningPayload } from '../../../src/verify/simple-signing/payload.js';

const DIGEST = 'sha256:' + 'a'.repeat(64);
const good = {
  critical: { type: 'atomic container signature', image: { 'docker-manifest-digest': DIGEST }, identity: { 'docker-reference': 'reg.io/a/b:1' } },
  optional: { creator: 'skopeo', timestamp: 1700000000 },
};

function parse(text: string) {
  return parseSimpleSigningPayload(new TextEncoder().encode(text));
}

function fails(text: string, pattern: RegExp): void {
  const result = parse(text);
  assert.equal(result.ok, false, text);
  if (!result.ok) assert.match(result.message, pattern);
}

describe('simple-signing payload parsing', () => {
  it('reads a valid payload', () => {
    const result = parse(JSON.stringify(good));
    assert.ok(result.ok);
    assert.equal(result.payload.dockerManifestDigest, DIGEST);
    assert.equal(result.payload.dockerReference, 'reg.io/a/b:1');
  });

  it('ignores unknown optional keys', () => {
    assert.ok(parse(JSON.stringify({ ...good, optional: { anything: [1, 2] } })).ok);
  });

  it('refuses an unknown top-level key', () => fails(JSON.stringify({ ...good, extra: 1 }), /Unknown key "extra"/));
  it('refuses a missing key', () => fails(JSON.stringify({ critical: good.critical }), /Key "optional" missing/));
  it('refuses an extra critical key', () => fails(JSON.stringify({ ...good, critical: { ...good.critical, x: 1 } }), /Unknown key "x" in critical/));
  it('refuses an extra image key', () => fails(JSON.stringify({ ...good, critical: { ...good.critical, image: { 'docker-manifest-digest': DIGEST, size: 1 } } }), /Unknown key "size"/));
  it('refuses an extra identity key', () => fails(JSON.stringify({ ...good, critical: { ...good.critical, identity: { 'docker-reference': 'a:1', x: 1 } } }), /Unknown key "x"/));
  it('refuses keys in another case', () => fails(JSON.stringify({ ...good, critical: { ...good.critical, image: { 'Docker-manifest-digest': DIGEST } } }), /Unknown key "Docker-manifest-digest"/));
  it('refuses a duplicate key', () => fails(JSON.stringify(good).replace('"optional":{', '"optional":{"creator":"a",'), /Duplicate key "creator"/));
  it('refuses another type', () => fails(JSON.stringify({ ...good, critical: { ...good.critical, type: 'cosign container image signature' } }), /Unrecognized signature type/));
  it('refuses a bad digest', () => fails(JSON.stringify({ ...good, critical: { ...good.critical, image: { 'docker-manifest-digest': 'sha256:xyz' } } }), /invalid docker-manifest-digest/));
  it('refuses a fractional timestamp', () => fails(JSON.stringify({ ...good, optional: { timestamp: 1.5 } }), /not an integer/));
  it('refuses a non-string creator', () => fails(JSON.stringify({ ...good, optional: { creator: 5 } }), /creator must be a string/));
  it('refuses trailing data', () => fails(JSON.stringify(good) + '{}', /after the JSON value/));
  it('refuses a non-object optional', () => fails(JSON.stringify({ ...good, optional: null }), /JSON object expected/));
  it('refuses text that is not JSON', () => fails('not json', /invalid JSON/));
  it('refuses a byte-order mark before the JSON', () => fails('\ufeff' + JSON.stringify(good), /invalid JSON/));
  it('refuses a timestamp beyond int64', () => fails(JSON.stringify({ ...good, optional: { timestamp: 1e300 } }), /not an integer/));
});
