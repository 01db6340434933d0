// A requirement kind that exists only in the tests, to show what adding a signature
// format takes: this folder and one registration line. `testHmac` trusts a shared
// secret from .gate/keys/<hmacKey>.hmac and reads sigstore-json blobs of its own media
// type from the lookaside: the payload names a digest and a reference, an annotation
// holds HMAC-SHA256(secret, payload). Never shipped: nothing in src/ imports it.

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Origin } from '../../../src/manifests/strict.js';
import { referenceString } from '../../../src/reference/reference.js';
import type { SignatureKind } from '../../../src/verify/kind.types.js';

export const TEST_MEDIA_TYPE = 'application/vnd.gate.test.hmac+json';
export const MAC_ANNOTATION = 'gate.test/hmac';

export interface TestHmacRequirement {
  type: 'testHmac';
  hmacKey: string;
  origin: Origin;
}

interface Claim {
  digest: string;
  reference: string;
}

export const testHmac: SignatureKind<TestHmacRequirement, Buffer, Claim> = {
  type: 'testHmac',
  section: 'simple',
  needs: 'signatures',
  parse(v, path) {
    v.fields(path, ['type', 'hmacKey'], true);
    const hmacKey = v.string([...path, 'hmacKey'], true)!;
    return { type: 'testHmac', hmacKey, origin: v.origin(path) };
  },
  label: (r) => `hmacKey ${r.hmacKey}`,
  keyExtension: 'hmac',
  key: (r, namespace) => ({ secret: r.hmacKey, namespace, extension: 'hmac', howToExport: 'write the shared secret to <hmacKey>.hmac' }),
  async trust(material) {
    if (material.bytes.length < 16) return { ok: false, message: 'a shared secret has at least 16 bytes' };
    return { ok: true, value: Buffer.from(material.bytes), ids: [`hmac:${material.sha256.slice(0, 12)}`], warnings: [] };
  },
  consumes: (blob) => blob.format === 'sigstore-json' && blob.mediaType === TEST_MEDIA_TYPE,
  async verify(blob, secret) {
    let envelope: { payload?: string };
    try {
      envelope = JSON.parse(Buffer.from(blob.bytes).toString('utf8')) as { payload?: string };
    } catch {
      return { ok: false, reason: 'BAD_SIGNATURE', message: 'not JSON' };
    }
    const payload = Buffer.from(envelope.payload ?? '', 'base64');
    const mac = Buffer.from(blob.annotations?.[MAC_ANNOTATION] ?? '', 'hex');
    const expected = createHmac('sha256', secret).update(payload).digest();
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return { ok: false, reason: 'BAD_SIGNATURE', message: 'the MAC does not match the payload' };
    return { ok: true, claim: JSON.parse(payload.toString('utf8')) as Claim, signer: 'the shared secret' };
  },
  accept(claim, { digest, intended }) {
    if (claim.digest !== digest) return { ok: false, reason: 'DIGEST_MISMATCH', message: `MAC for ${claim.digest}, not ${digest}` };
    if (claim.reference !== referenceString(intended)) return { ok: false, reason: 'IDENTITY_MISMATCH', message: `MAC for "${claim.reference}"` };
    return { ok: true, signedReference: claim.reference };
  },
  hint: (reason) => `make a new MAC (${reason})`,
  explain: (r, trust) => ({ keySecret: r.hmacKey, ...(trust ? { keySource: trust.source, fingerprints: trust.ids } : {}) }),
};
