// The simple-signing verdict, in-process, on every committed scenario of
// test/fixtures/signatures/ (real gpg, gpg1 and skopeo output, see
// scripts/regenerate-signature-fixtures.sh). The expected reasons below are written by hand
// from what each scenario means; where skopeo standalone-verify can judge a scenario (key,
// digest, exact identity) it is asked too, as an independent oracle.

import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReasonCode } from '../../../src/verify/verdict.js';
import { GpgHome, skopeoVerify } from '../../helpers/gpg.js';
import { checkSignature, evaluateSignatures, evaluateSignedBy, identityMatches, parseSimpleSigningPayload, verifySignedMessage } from './engine.js';
import { loadScenario, scenarioNames, type Scenario } from './scenarios.js';

const REPO = 'registry.example.com/team/web';
const TAGGED = `${REPO}:1.4`;

interface Expectation {
  /** The behaviour, as the test name. */
  says: string;
  reason: ReasonCode;
  message?: RegExp;
  /** For SIGNED: the signatures (1-based) whose signers the verdict must name. */
  names?: number[];
  /**
   * skopeo standalone-verify of signature-1 with the manifest, `reference` (default the
   * tag 1.4) and the fingerprint of the first key file's primary key, or of its signing
   * subkey (skopeo 1.9 reports the subkey as the signer).
   */
  skopeo?: { accepts: boolean; reference?: string; signer?: 'subkey'; why?: string };
}

const stricter = 'skopeo accepts it; gate deliberately does not';

const EXPECTED: Record<string, Expectation> = {
  accepted: { says: 'accepts a skopeo signature by the policy key', reason: 'SIGNED', skopeo: { accepts: true } },
  'no-signature': { says: 'denies an image with no signature', reason: 'NO_SIGNATURE', message: /no signature exists/ },
  'other-key': { says: 'denies a signature by a key the policy does not trust', reason: 'UNTRUSTED_KEY', message: /not one of the policy's keys/, skopeo: { accepts: false } },
  'two-keys-in-block': { says: 'trusts every key of an armoured block with several keys', reason: 'SIGNED' },
  'other-digest': { says: 'denies a signature made for another digest', reason: 'DIGEST_MISMATCH', skopeo: { accepts: false } },
  corrupted: { says: 'denies corrupted signature bytes', reason: 'BAD_SIGNATURE', skopeo: { accepts: false } },
  'extra-critical-field': { says: 'denies a payload with an extra critical field', reason: 'BAD_SIGNATURE', message: /Unknown key "note"/, skopeo: { accepts: false } },
  'wrong-type': { says: 'denies a payload with the wrong type', reason: 'BAD_SIGNATURE', message: /Unrecognized signature type/, skopeo: { accepts: false } },
  'hand-written-payload': { says: 'accepts a hand-written payload that follows the format exactly', reason: 'SIGNED', skopeo: { accepts: true } },
  'expired-signature': { says: 'denies an expired signature', reason: 'BAD_SIGNATURE', message: /expired/, skopeo: { accepts: false } },
  subkey: { says: 'accepts a signature by a signing subkey, naming the primary key', reason: 'SIGNED', skopeo: { accepts: true, signer: 'subkey' } },
  'revoked-subkey': { says: 'denies a signature by a subkey that has since been revoked', reason: 'BAD_SIGNATURE', message: /revoked/i, skopeo: { accepts: false, signer: 'subkey' } },
  'one-good-among-bad': { says: 'accepts one good signature among bad ones', reason: 'SIGNED', message: /signature-3/, names: [3] },
  'all-rejected': { says: 'reports the most telling reason when every signature fails', reason: 'IDENTITY_MISMATCH', message: /none of the 2 signatures/ },
  'detached-then-data': {
    says: 'denies a detached signature followed by the data, a layout skopeo (gpgme) accepts',
    reason: 'BAD_SIGNATURE',
    message: /not signed/,
    skopeo: { accepts: true, why: 'gpgme reads a detached signature followed by literal data; gate requires a signed message' },
  },
  'compression-bomb': { says: 'refuses a compressed message that expands past 4 MiB', reason: 'BAD_SIGNATURE', message: /expands to more than/, skopeo: { accepts: false } },
  'sha1-digest-algo': { says: 'is stricter than skopeo on SHA-1 signatures', reason: 'BAD_SIGNATURE', message: /SHA1/i, skopeo: { accepts: true, why: stricter } },
  'not-signed': { says: 'denies an OpenPGP message that is not signed', reason: 'BAD_SIGNATURE', message: /not signed/, skopeo: { accepts: false } },
  'dsa-key': { says: 'is stricter than skopeo on DSA keys', reason: 'BAD_SIGNATURE', message: /dsa keys are considered too weak/, skopeo: { accepts: true, why: stricter } },

  'v3-signature': { says: 'accepts a v3 signature by the policy key', reason: 'SIGNED', skopeo: { accepts: true } },
  'v3-subkey': { says: 'accepts a v3 signature by a signing subkey, naming the primary key', reason: 'SIGNED', skopeo: { accepts: true, signer: 'subkey' } },
  'v3-textmode': { says: 'accepts a v3 text-mode signature of a payload with line breaks', reason: 'SIGNED', skopeo: { accepts: true } },
  'v3-other-key': { says: 'denies a v3 signature by a key the policy does not trust', reason: 'UNTRUSTED_KEY', message: /version-3 signature/, skopeo: { accepts: false } },
  'v3-other-digest': { says: 'denies a v3 signature made for another digest', reason: 'DIGEST_MISMATCH', skopeo: { accepts: false } },
  'v3-corrupted': { says: 'denies corrupted v3 signature bytes', reason: 'BAD_SIGNATURE', message: /version-3 signature: signature error/, skopeo: { accepts: false } },
  'v3-revoked-subkey': { says: 'denies a v3 signature by a revoked subkey', reason: 'BAD_SIGNATURE', message: /version-3 signature.*revoked/i, skopeo: { accepts: false, signer: 'subkey' } },
  'v3-sha1-digest-algo': { says: 'is stricter than skopeo on v3 SHA-1 signatures', reason: 'BAD_SIGNATURE', message: /version-3 signature: insecure message hash algorithm SHA1/, skopeo: { accepts: true, why: stricter } },
  'v3-rsa1024': { says: 'is stricter than skopeo on v3 signatures by an RSA key under 2048 bits', reason: 'BAD_SIGNATURE', message: /version-3 signature.*RSA keys shorter than 2047 bits/, skopeo: { accepts: true, why: stricter } },
  'v3-dsa-key': { says: 'is stricter than skopeo on v3 signatures by a DSA key', reason: 'BAD_SIGNATURE', message: /dsa keys are considered too weak/, skopeo: { accepts: true, why: stricter } },

  'identity-default-other-tag': { says: 'default identity, digest image: accepts another tag of the same repository', reason: 'SIGNED' },
  'identity-default-other-repository': { says: 'default identity, digest image: denies another repository', reason: 'IDENTITY_MISMATCH', skopeo: { accepts: false } },
  'identity-exact-digest': { says: 'matchExact: accepts the digest reference itself', reason: 'SIGNED', skopeo: { accepts: true, reference: 'digest' } },
  'identity-exact-tag': { says: 'matchExact: denies a tag of the repository for a digest image', reason: 'IDENTITY_MISMATCH', skopeo: { accepts: false, reference: 'digest' } },
  'identity-repository-any-tag': { says: 'matchRepository: accepts any reference in the repository', reason: 'SIGNED' },
  'identity-repository-other': { says: 'matchRepository: denies another repository', reason: 'IDENTITY_MISMATCH' },
  'identity-exact-reference-named': { says: 'matchExactReference: accepts the named reference', reason: 'SIGNED', skopeo: { accepts: true } },
  'identity-exact-reference-other-tag': { says: 'matchExactReference: denies another tag', reason: 'IDENTITY_MISMATCH', skopeo: { accepts: false } },
  'identity-exact-repository-named': { says: 'matchExactRepository: accepts the named repository', reason: 'SIGNED' },
  'identity-exact-repository-own': { says: "matchExactRepository: denies the image's own repository", reason: 'IDENTITY_MISMATCH' },
  'identity-remap-inside-remapped': { says: 'remapIdentity inside the prefix: accepts the remapped identity', reason: 'SIGNED' },
  'identity-remap-inside-unmapped': { says: 'remapIdentity inside the prefix: denies the unmapped identity', reason: 'IDENTITY_MISMATCH' },
  'identity-remap-outside-own': { says: 'remapIdentity outside the prefix: the image keeps its own identity', reason: 'SIGNED' },
  'identity-remap-outside-remapped': { says: 'remapIdentity outside the prefix: denies the remapped identity', reason: 'IDENTITY_MISMATCH' },
  'identity-remap-string-prefix': { says: 'remapIdentity: a prefix that is only a string prefix of the repository does not apply', reason: 'SIGNED' },

  'two-requirements-one-unmet': { says: 'AND-s two signedBy requirements: one unmet requirement denies', reason: 'UNTRUSTED_KEY', message: /requirement 2 of 2 \(keySecret other\)/ },
  'two-requirements-both-met': { says: 'AND-s two signedBy requirements: both met allows, naming both signers', reason: 'SIGNED', names: [1, 2] },
};

/** gpg's own reading of a scenario's key files (not gate's). */
async function gpgKeys(scenario: Scenario, home?: GpgHome): Promise<Array<{ primary: string; subkeys: string[] }>> {
  const own = home ?? (await GpgHome.create());
  try {
    for (const { armored } of scenario.keyFiles) await own.importKeys(armored);
    return await own.listKeys();
  } finally {
    if (!home) await own.dispose();
  }
}

/** The primary fingerprint of the key that holds `fingerprint`, as gpg lists the key files. */
function primaryOf(keys: Array<{ primary: string; subkeys: string[] }>, fingerprint: string): string {
  const key = keys.find((k) => k.primary === fingerprint || k.subkeys.includes(fingerprint));
  assert.ok(key, `no key file holds ${fingerprint}`);
  return key.primary;
}

const names = await scenarioNames();

describe('simple-signing scenarios (test/fixtures/signatures), in-process', () => {
  it('has an expectation, written here, for every scenario folder and a folder for every expectation', () => {
    assert.deepEqual(names, Object.keys(EXPECTED).sort());
  });

  for (const name of names) {
    const expected = EXPECTED[name];
    if (!expected) continue;
    it(`${expected.says} (${name})`, async () => {
      const scenario = await loadScenario(name);
      assert.equal(`sha256:${createHash('sha256').update(scenario.manifest).digest('hex')}`, scenario.digest, 'manifestDigest is the digest of the manifest');
      const verdict = await evaluateSignatures(scenario.requirements, scenario.intended, scenario.digest, scenario.signatures, scenario.now);
      assert.equal(verdict.reason, expected.reason, verdict.message);
      assert.equal(verdict.allowed, expected.reason === 'SIGNED');
      if (expected.message) assert.match(verdict.message, expected.message);
      if (expected.reason === 'SIGNED') {
        const keys = await gpgKeys(scenario);
        for (const n of expected.names ?? [1]) {
          const primary = primaryOf(keys, scenario.signed[n - 1].signer);
          assert.ok(verdict.message.includes(primary), `the verdict names the primary key ${primary}: ${verdict.message}`);
        }
      }
      if (expected.skopeo) await assertSkopeoAgrees(scenario, expected.skopeo);
    });
  }
});

async function assertSkopeoAgrees(scenario: Scenario, oracle: NonNullable<Expectation['skopeo']>): Promise<void> {
  const home = await GpgHome.create();
  try {
    const [key] = await gpgKeys(scenario, home);
    const fingerprint = oracle.signer === 'subkey' ? key.subkeys[key.subkeys.length - 1] : key.primary;
    const reference = oracle.reference === 'digest' ? `${REPO}@${scenario.digest}` : (oracle.reference ?? TAGGED);
    const verdict = await skopeoVerify(home, scenario.manifest, reference, fingerprint, Buffer.from(scenario.signatures[0].bytes));
    assert.equal(verdict.accepted, oracle.accepts, `skopeo standalone-verify ${reference} ${fingerprint}: ${verdict.message}${oracle.why ? ` (${oracle.why})` : ''}`);
  } finally {
    await home.dispose();
  }
}

describe('the simple-signing layers one at a time, on scenarios whose signature is valid OpenPGP', () => {
  const valid = names.filter((n) => ['SIGNED', 'DIGEST_MISMATCH', 'IDENTITY_MISMATCH'].includes(EXPECTED[n]?.reason) && !n.startsWith('two-requirements') && n !== 'all-rejected' && n !== 'one-good-among-bad');

  for (const name of valid) {
    it(`reads back exactly the digest and identity the signer signed, and applies the identity rule to it (${name})`, async () => {
      const scenario = await loadScenario(name);
      const [requirement] = scenario.requirements;
      const [signed] = scenario.signed;
      const crypto = await verifySignedMessage(scenario.signatures[0].bytes, requirement.trusted, scenario.now);
      assert.ok(crypto.ok, crypto.ok ? '' : crypto.message);
      assert.equal(crypto.signerFingerprint, primaryOf(await gpgKeys(scenario), signed.signer));
      const parsed = parseSimpleSigningPayload(crypto.signedPayload);
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
      assert.equal(parsed.payload.dockerManifestDigest, signed.signedDigest);
      assert.equal(parsed.payload.dockerReference, signed.signedReference);
      assert.equal(parsed.payload.dockerManifestDigest === scenario.digest, EXPECTED[name].reason !== 'DIGEST_MISMATCH');
      if (EXPECTED[name].reason !== 'DIGEST_MISMATCH') {
        assert.equal(identityMatches(requirement.requirement.signedIdentity, scenario.intended, parsed.payload.dockerReference), EXPECTED[name].reason === 'SIGNED');
      }
    });
  }

  it('judges each signature of one-good-among-bad on its own: corrupted, untrusted, good', async () => {
    const scenario = await loadScenario('one-good-among-bad');
    const [requirement] = scenario.requirements;
    const outcomes = [];
    for (const signature of scenario.signatures) outcomes.push(await checkSignature(requirement, scenario.intended, scenario.digest, signature, scenario.now));
    assert.deepEqual(outcomes.map((o) => (o.passed ? 'passed' : o.reason)), ['BAD_SIGNATURE', 'UNTRUSTED_KEY', 'passed']);
  });

  it('judges each requirement of two-requirements-one-unmet on its own: the team key passes, the other key finds no signature of its own', async () => {
    const scenario = await loadScenario('two-requirements-one-unmet');
    const outcomes = [];
    for (const requirement of scenario.requirements) outcomes.push(await evaluateSignedBy(requirement, scenario.intended, scenario.digest, scenario.signatures, scenario.now));
    assert.deepEqual(outcomes.map((o) => (o.passed ? 'passed' : o.reason)), ['passed', 'UNTRUSTED_KEY']);
  });

  it('accepts the expired signature when checked on the day it was valid: the verdict follows the injected date', async () => {
    const scenario = await loadScenario('expired-signature');
    const verdict = await evaluateSignatures(scenario.requirements, scenario.intended, scenario.digest, scenario.signatures, new Date('2020-01-02T12:00:00Z'));
    assert.equal(verdict.reason, 'SIGNED', verdict.message);
  });

  it('denies a signature checked before it was made, naming the date', async () => {
    const scenario = await loadScenario('accepted');
    const verdict = await evaluateSignatures(scenario.requirements, scenario.intended, scenario.digest, scenario.signatures, new Date('2024-01-01T00:00:00Z'));
    assert.equal(verdict.reason, 'BAD_SIGNATURE');
    assert.match(verdict.message, /dated after 2024-01-01/);
  });
});
