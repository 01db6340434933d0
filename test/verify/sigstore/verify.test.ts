// The crypto and acceptance steps of sigstoreSigned, case by case, on signatures the tests
// make (helpers/cosign.ts: node:crypto keys, @sigstore/mock's Fulcio, Rekor and TSA, and a
// CA of our own). Where it can judge (key-based signatures and their SET), the independent
// node:crypto oracle (helpers/cosign-oracle.ts) must agree with gate's verdict.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Evidence } from '../../../src/evidence.js';
import { parseReference, withDefaultTag } from '../../../src/reference/reference.js';
import { exactIdentity, matchIdentity, type IdentityRule } from '../../../src/verify/sigstore/identity.js';
import type { SigstoreSignedRequirement } from '../../../src/verify/sigstore/config.js';
import { sigstoreSigned } from '../../../src/verify/sigstore/kind.js';
import type { SigstoreTrust } from '../../../src/verify/sigstore/trust.js';
import { bundle, cosignPayload, keyPair, legacyKeyless, legacyWithKey, Sigstore, statement, type Certificate, type KeyType } from '../../helpers/cosign.js';
import { judgeBundleSignature, judgeLegacy } from '../../helpers/cosign-oracle.js';
import { bundleEvidence, legacyEvidence, trustOf } from './world.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const OTHER = `sha256:${'cd'.repeat(32)}`;
const REPO = 'registry.gate.test/shop/web';
const GITHUB = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main';

function target(digest = DIGEST, image = `${REPO}:1.0`) {
  const parsed = parseReference(image);
  if (!parsed.ok) throw new Error(parsed.message);
  return { digest, intended: withDefaultTag(parsed.ref) };
}

function requirement(overrides: Partial<SigstoreSignedRequirement> = {}): SigstoreSignedRequirement {
  return { type: 'sigstoreSigned', keys: [{ path: 'keys/cosign.pub' }], rekorKeys: [], insecureIgnoreTlog: false, signedIdentity: { type: 'matchRepository' }, origin: { file: 'p.yaml', line: 1 }, ...overrides };
}

const keyless = (identity: IdentityRule): SigstoreSignedRequirement => requirement({ keys: [], fulcio: { identities: [identity] } });

/** Crypto, then acceptance: the reason code of the first failure, or 'SIGNED'. */
async function judge(blob: Evidence, trust: SigstoreTrust, req: SigstoreSignedRequirement, t = target()): Promise<{ reason: string; message: string }> {
  const verified = await sigstoreSigned.verify(blob, trust, new Date(0));
  if (!verified.ok) return { reason: verified.reason, message: verified.message };
  const accepted = sigstoreSigned.accept(verified.claim, t, req);
  return accepted.ok ? { reason: 'SIGNED', message: verified.signer } : { reason: accepted.reason, message: accepted.message };
}

describe('sigstoreSigned verification', () => {
  let sigstore: Sigstore;
  before(async () => {
    sigstore = await Sigstore.create();
  });

  describe('key-based, each key type', () => {
    for (const type of ['p256', 'p384', 'p521', 'rsa', 'ed25519'] as KeyType[]) {
      it(`${type}: a legacy layer and a bundle verify; another key does not (the oracle agrees)`, async () => {
        const key = keyPair(type);
        const wrong = keyPair(type);
        const layer = await legacyWithKey(sigstore, key, cosignPayload(REPO, DIGEST));
        const trust = trustOf({ keys: [key.pem], rekor: [sigstore.rekorPem] });
        const wrongTrust = trustOf({ keys: [wrong.pem], rekor: [sigstore.rekorPem] });
        assert.equal(judgeLegacy(layer.payload, layer.annotations, key.pem, sigstore.rekorPem), true);
        assert.equal((await judge(legacyEvidence(layer), trust, requirement())).reason, 'SIGNED');
        assert.equal(judgeLegacy(layer.payload, layer.annotations, wrong.pem, sigstore.rekorPem), false);
        assert.equal((await judge(legacyEvidence(layer), wrongTrust, requirement())).reason, 'UNTRUSTED_KEY');

        const json = await bundle(sigstore, { key }, statement(DIGEST));
        assert.deepEqual(judgeBundleSignature(json, key.pem), { signed: true, digests: [DIGEST] });
        const rootTrust = trustOf({ keys: [key.pem], trustedRoot: sigstore.trustedRoot() });
        assert.equal((await judge(bundleEvidence(json), rootTrust, requirement())).reason, 'SIGNED');
        assert.equal(judgeBundleSignature(json, wrong.pem).signed, false);
        assert.equal((await judge(bundleEvidence(json), trustOf({ keys: [wrong.pem], trustedRoot: sigstore.trustedRoot() }), requirement())).reason, 'UNTRUSTED_KEY');
      });
    }

    it('accepts a signature by any one of several policy keys', async () => {
      const [a, b] = [keyPair('p256'), keyPair('ed25519')];
      const layer = await legacyWithKey(sigstore, b, cosignPayload(REPO, DIGEST));
      assert.equal((await judge(legacyEvidence(layer), trustOf({ keys: [a.pem, b.pem], rekor: [sigstore.rekorPem] }), requirement())).reason, 'SIGNED');
    });
  });

  describe('the payload and the digest', () => {
    it('denies a valid signature for another digest: DIGEST_MISMATCH (legacy and bundle)', async () => {
      const key = keyPair('p256');
      const trust = trustOf({ keys: [key.pem], trustedRoot: sigstore.trustedRoot() });
      const layer = await legacyWithKey(sigstore, key, cosignPayload(REPO, OTHER));
      assert.equal(judgeLegacy(layer.payload, layer.annotations, key.pem, sigstore.rekorPem), true, 'the oracle finds the signature itself valid');
      const legacy = await judge(legacyEvidence(layer), trust, requirement());
      assert.equal(legacy.reason, 'DIGEST_MISMATCH');
      assert.match(legacy.message, new RegExp(`${OTHER}.*${DIGEST}`));
      const json = await bundle(sigstore, { key }, statement(OTHER));
      assert.equal((await judge(bundleEvidence(json), trust, requirement())).reason, 'DIGEST_MISMATCH');
    });

    it('denies a payload changed after signing: BAD_SIGNATURE, since the logged entry names the policy key', async () => {
      const key = keyPair('p256');
      const trust = trustOf({ keys: [key.pem], rekor: [sigstore.rekorPem] });
      const layer = await legacyWithKey(sigstore, key, cosignPayload(REPO, OTHER), { tamper: () => cosignPayload(REPO, DIGEST) });
      assert.equal(judgeLegacy(layer.payload, layer.annotations, key.pem, sigstore.rekorPem), false);
      const verdict = await judge(legacyEvidence(layer), trust, requirement());
      assert.equal(verdict.reason, 'BAD_SIGNATURE');
      assert.match(verdict.message, /changed after signing/);
      const json = await bundle(sigstore, { key }, statement(OTHER), { tamper: () => statement(DIGEST) });
      assert.equal((await judge(bundleEvidence(json), trustOf({ keys: [key.pem], trustedRoot: sigstore.trustedRoot() }), requirement())).reason, 'BAD_SIGNATURE');
    });

    it('parses the legacy payload strictly: a duplicate key, an unknown field or another type is BAD_SIGNATURE', async () => {
      const key = keyPair('p256');
      const trust = trustOf({ keys: [key.pem], insecureIgnoreTlog: true });
      const payloads = [
        `{"critical":{"identity":{"docker-reference":"${REPO}"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null,"optional":{}}`,
        `{"critical":{"identity":{"docker-reference":"${REPO}"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature","extra":1},"optional":null}`,
        `{"critical":{"identity":{"docker-reference":"${REPO}"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"atomic container signature"},"optional":null}`,
      ];
      for (const text of payloads) {
        const layer = await legacyWithKey(sigstore, key, Buffer.from(text), { rekor: false });
        assert.equal(judgeLegacy(layer.payload, layer.annotations, key.pem, undefined), true);
        const verdict = await judge(legacyEvidence(layer), trust, requirement({ insecureIgnoreTlog: true }));
        assert.equal(verdict.reason, 'BAD_SIGNATURE', text);
        assert.match(verdict.message, /invalid signature payload/);
      }
    });

    it('checks the signed repository of a legacy payload under signedIdentity (matchRepository by default)', async () => {
      const key = keyPair('p256');
      const trust = trustOf({ keys: [key.pem], rekor: [sigstore.rekorPem] });
      const layer = await legacyWithKey(sigstore, key, cosignPayload('registry.gate.test/shop/other', DIGEST));
      const verdict = await judge(legacyEvidence(layer), trust, requirement());
      assert.equal(verdict.reason, 'IDENTITY_MISMATCH');
      assert.match(verdict.message, /signed for "registry\.gate\.test\/shop\/other"/);
      const remapped = requirement({ signedIdentity: { type: 'remapIdentity', prefix: 'registry.gate.test/shop', signedPrefix: 'registry.gate.test/shop' } });
      assert.equal((await judge(legacyEvidence(layer), trust, remapped)).reason, 'IDENTITY_MISMATCH');
      const own = await legacyWithKey(sigstore, key, cosignPayload(REPO, DIGEST));
      assert.equal((await judge(legacyEvidence(own), trust, requirement())).reason, 'SIGNED');
      // containers/image's default refuses cosign's repository-only identity for a tag.
      assert.equal((await judge(legacyEvidence(own), trust, requirement({ signedIdentity: { type: 'matchRepoDigestOrExact' } }))).reason, 'IDENTITY_MISMATCH');
    });

    it('reads cosign\'s Docker Hub spelling index.docker.io/library/x as docker.io/library/x', async () => {
      const key = keyPair('p256');
      const layer = await legacyWithKey(sigstore, key, cosignPayload('index.docker.io/library/nginx', DIGEST));
      assert.equal((await judge(legacyEvidence(layer), trustOf({ keys: [key.pem], rekor: [sigstore.rekorPem] }), requirement(), target(DIGEST, 'nginx:1.27'))).reason, 'SIGNED');
    });
  });

  describe('the transparency log', () => {
    it('requires a Rekor entry for a key-based signature unless insecureIgnoreTlog is set', async () => {
      const key = keyPair('p256');
      const layer = await legacyWithKey(sigstore, key, cosignPayload(REPO, DIGEST), { rekor: false });
      const required = await judge(legacyEvidence(layer), trustOf({ keys: [key.pem], rekor: [sigstore.rekorPem] }), requirement());
      assert.equal(required.reason, 'BAD_SIGNATURE');
      assert.match(required.message, /no Rekor entry/);
      assert.equal((await judge(legacyEvidence(layer), trustOf({ keys: [key.pem], insecureIgnoreTlog: true }), requirement({ insecureIgnoreTlog: true }))).reason, 'SIGNED');
      const json = await bundle(sigstore, { key }, statement(DIGEST), { rekor: false });
      assert.equal((await judge(bundleEvidence(json), trustOf({ keys: [key.pem], trustedRoot: sigstore.trustedRoot() }), requirement())).reason, 'BAD_SIGNATURE');
    });

    it('denies a SET made by another log (the oracle agrees) and a SET whose signature was changed', async () => {
      const key = keyPair('p256');
      const other = await Sigstore.create(sigstore.clock);
      const layer = await legacyWithKey(other, key, cosignPayload(REPO, DIGEST));
      assert.equal(judgeLegacy(layer.payload, layer.annotations, key.pem, sigstore.rekorPem), false);
      assert.equal((await judge(legacyEvidence(layer), trustOf({ keys: [key.pem], rekor: [sigstore.rekorPem] }), requirement())).reason, 'BAD_SIGNATURE');

      const good = await legacyWithKey(sigstore, key, cosignPayload(REPO, DIGEST));
      const set = JSON.parse(good.annotations['dev.sigstore.cosign/bundle']) as { SignedEntryTimestamp: string; Payload: { integratedTime: number } };
      const broken = { ...good, annotations: { ...good.annotations, 'dev.sigstore.cosign/bundle': JSON.stringify({ ...set, Payload: { ...set.Payload, integratedTime: set.Payload.integratedTime + 1 } }) } };
      assert.equal(judgeLegacy(broken.payload, broken.annotations, key.pem, sigstore.rekorPem), false);
      assert.equal((await judge(legacyEvidence(broken), trustOf({ keys: [key.pem], rekor: [sigstore.rekorPem] }), requirement())).reason, 'BAD_SIGNATURE');
    });

    it('denies a bundle whose inclusion proof leads to another tree (a signed checkpoint of another entry)', async () => {
      const key = keyPair('p256');
      type Entry = { inclusionProof: { checkpoint: { envelope: string } }; inclusionPromise?: unknown };
      const mine = JSON.parse(await bundle(sigstore, { key }, statement(DIGEST))) as { verificationMaterial: { tlogEntries: Entry[] } };
      const theirs = JSON.parse(await bundle(sigstore, { key }, statement(OTHER))) as typeof mine;
      const trust = trustOf({ keys: [key.pem], trustedRoot: sigstore.trustedRoot() });
      // The proof alone (no SET) verifies as it is…
      delete mine.verificationMaterial.tlogEntries[0].inclusionPromise;
      assert.equal((await judge(bundleEvidence(JSON.stringify(mine)), trust, requirement())).reason, 'SIGNED');
      // …and not with the checkpoint of another tree, validly signed by the same log.
      mine.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint = theirs.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint;
      const verdict = await judge(bundleEvidence(JSON.stringify(mine)), trust, requirement());
      assert.equal(verdict.reason, 'BAD_SIGNATURE');
      assert.match(verdict.message, /inclusion proof|root/i);
    });
  });

  it('denies a bundle whose log entry is a Rekor v2 entry (0.0.2) UNSUPPORTED, never an allow', async () => {
    const key = keyPair('p256');
    const json = JSON.parse(await bundle(sigstore, { key }, statement(DIGEST))) as { verificationMaterial: { tlogEntries: Array<{ canonicalizedBody: string; kindVersion: { version: string } }> } };
    const entry = json.verificationMaterial.tlogEntries[0];
    const body = JSON.parse(Buffer.from(entry.canonicalizedBody, 'base64').toString()) as { apiVersion: string };
    body.apiVersion = '0.0.2';
    entry.canonicalizedBody = Buffer.from(JSON.stringify(body)).toString('base64');
    entry.kindVersion.version = '0.0.2';
    const verdict = await judge(bundleEvidence(JSON.stringify(json)), trustOf({ keys: [key.pem], trustedRoot: sigstore.trustedRoot() }), requirement());
    assert.equal(verdict.reason, 'UNSUPPORTED');
    assert.match(verdict.message, /Rekor v2/);
  });

  describe('keyless', () => {
    let github: Certificate;
    before(async () => {
      github = await sigstore.certificate({ uri: WORKFLOW, issuer: GITHUB, buildSignerURI: WORKFLOW });
    });
    const rule = (overrides: Partial<Parameters<typeof exactIdentity>[0]> = {}) => exactIdentity({ issuer: GITHUB, subject: WORKFLOW, subjectType: 'uri', ...overrides });

    it('verifies a legacy layer and a bundle from a CI workflow (SAN, issuer, Build Signer URI; SCT checked)', async () => {
      const trust = trustOf({ keyless: true, trustedRoot: sigstore.trustedRoot() });
      const layer = await legacyKeyless(sigstore, github, cosignPayload(REPO, DIGEST));
      const legacy = await judge(legacyEvidence(layer), trust, keyless(rule({ buildSignerURI: WORKFLOW })));
      assert.equal(legacy.reason, 'SIGNED', legacy.message);
      assert.match(legacy.message, /release\.yml@refs\/heads\/main \(issuer https:\/\/token\.actions/);
      const json = await bundle(sigstore, { cert: github }, statement(DIGEST), { tsa: true });
      assert.equal((await judge(bundleEvidence(json), trust, keyless(rule()))).reason, 'SIGNED');
    });

    it('says expected against actual on an identity mismatch: SAN, issuer, workflow claim', async () => {
      const trust = trustOf({ keyless: true, trustedRoot: sigstore.trustedRoot() });
      const layer = legacyEvidence(await legacyKeyless(sigstore, github, cosignPayload(REPO, DIGEST)));
      const san = await judge(layer, trust, keyless(rule({ subject: WORKFLOW.replace('main', 'dev') })));
      assert.equal(san.reason, 'IDENTITY_MISMATCH');
      assert.match(san.message, /certificate URI SAN is "https:\/\/github\.com\/acme\/web\/\.github\/workflows\/release\.yml@refs\/heads\/main", but the policy requires exactly ".*@refs\/heads\/dev"/);
      const issuer = await judge(layer, trust, keyless(rule({ issuer: 'https://gitlab.com' })));
      assert.equal(issuer.reason, 'IDENTITY_MISMATCH');
      assert.match(issuer.message, /issuer is "https:\/\/token\.actions\.githubusercontent\.com", but the policy requires exactly "https:\/\/gitlab\.com"/);
      const workflow = await judge(layer, trust, keyless(rule({ buildSignerURI: 'https://github.com/acme/web/.github/workflows/other.yml@refs/heads/main' })));
      assert.equal(workflow.reason, 'IDENTITY_MISMATCH');
      assert.match(workflow.message, /Build Signer URI/);
      const email = await judge(layer, trust, keyless(rule({ subjectType: 'email' })));
      assert.equal(email.reason, 'IDENTITY_MISMATCH', 'a URI SAN is not an e-mail SAN');
    });

    it('verifies an e-mail identity from another CA, and requires the SCT when the trusted root has CT logs', async () => {
      const cert = await sigstore.certificate({ email: 'release@example.com', issuer: 'https://accounts.example.com' });
      const layer = legacyEvidence(await legacyKeyless(sigstore, cert, cosignPayload(REPO, DIGEST)));
      const id = exactIdentity({ issuer: 'https://accounts.example.com', subject: 'release@example.com', subjectType: 'email' });
      assert.equal((await judge(layer, trustOf({ keyless: true, trustedRoot: sigstore.trustedRoot({ ctlog: false }) }), keyless(id))).reason, 'SIGNED');
      assert.equal((await judge(layer, trustOf({ keyless: true, ca: sigstore.ownCaPem, rekor: [sigstore.rekorPem] }), keyless(id))).reason, 'SIGNED');
      const withCT = await judge(layer, trustOf({ keyless: true, trustedRoot: sigstore.trustedRoot() }), keyless(id));
      assert.equal(withCT.reason, 'UNTRUSTED_KEY');
      assert.match(withCT.message, /SCT/);
      // Only the mock Fulcio's CA: ours is not trusted.
      assert.equal((await judge(layer, trustOf({ keyless: true, ca: sigstore.mockCaPem, rekor: [sigstore.rekorPem] }), keyless(id))).reason, 'UNTRUSTED_KEY');
    });

    it('denies a certificate that had expired when the signature was logged', async () => {
      const hour = 3_600_000;
      const cert = await sigstore.certificate({ email: 'release@example.com', issuer: 'https://accounts.example.com' }, { notBefore: new Date(sigstore.clock.getTime() - 2 * hour), notAfter: new Date(sigstore.clock.getTime() - hour) });
      const layer = legacyEvidence(await legacyKeyless(sigstore, cert, cosignPayload(REPO, DIGEST)));
      const verdict = await judge(layer, trustOf({ keyless: true, ca: sigstore.ownCaPem, rekor: [sigstore.rekorPem] }), keyless(exactIdentity({ issuer: 'https://accounts.example.com', subject: 'release@example.com' })));
      assert.equal(verdict.reason, 'UNTRUSTED_KEY');
      assert.match(verdict.message, /expired|not valid/);
    });

    it('requires a proven signing time: no SET and no RFC 3161 stamp is a denial', async () => {
      const layer = legacyEvidence(await legacyKeyless(sigstore, github, cosignPayload(REPO, DIGEST), { rekor: false }));
      const verdict = await judge(layer, trustOf({ keyless: true, trustedRoot: sigstore.trustedRoot() }), keyless(rule()));
      assert.equal(verdict.reason, 'BAD_SIGNATURE');
    });

    it('checks an RFC 3161 stamp against the trusted TSAs: a root without the TSA refuses it', async () => {
      const layer = legacyEvidence(await legacyKeyless(sigstore, github, cosignPayload(REPO, DIGEST), { tsa: true }));
      assert.equal((await judge(layer, trustOf({ keyless: true, trustedRoot: sigstore.trustedRoot() }), keyless(rule()))).reason, 'SIGNED');
      const noTsa = await judge(layer, trustOf({ keyless: true, trustedRoot: sigstore.trustedRoot({ tsa: false }) }), keyless(rule()));
      assert.equal(noTsa.reason, 'BAD_SIGNATURE');
      assert.match(noTsa.message, /timestamp/);
    });

    it('refuses a CA whose validFor window excludes the signing time', async () => {
      const layer = legacyEvidence(await legacyKeyless(sigstore, github, cosignPayload(REPO, DIGEST)));
      const later = sigstore.trustedRoot({ caValidFor: { start: new Date(sigstore.clock.getTime() + 86_400_000) } });
      assert.equal((await judge(layer, trustOf({ keyless: true, trustedRoot: later }), keyless(rule()))).reason, 'UNTRUSTED_KEY');
    });

    it('keeps key-based and keyless apart: a key signature under a keyless requirement and the reverse', async () => {
      const key = keyPair('p256');
      const keyLayer = legacyEvidence(await legacyWithKey(sigstore, key, cosignPayload(REPO, DIGEST)));
      assert.equal((await judge(keyLayer, trustOf({ keyless: true, trustedRoot: sigstore.trustedRoot() }), keyless(rule()))).reason, 'UNTRUSTED_KEY');
      const certBundle = bundleEvidence(await bundle(sigstore, { cert: github }, statement(DIGEST)));
      assert.equal((await judge(certBundle, trustOf({ keys: [key.pem], trustedRoot: sigstore.trustedRoot() }), requirement())).reason, 'UNTRUSTED_KEY');
    });
  });

  describe('bundles made by @sigstore/sign, the official signer', () => {
    it('verifies a keyless DSSE bundle it made against the mock Fulcio, Rekor (intoto entry) and TSA over loopback HTTP', async () => {
      const { DSSEBundleBuilder, FulcioSigner, RekorWitness, TSAWitness } = await import('@sigstore/sign');
      const { bundleToJSON } = await import('@sigstore/bundle');
      const services = await sigstore.serve();
      try {
        // The mock Fulcio reads the token's claims without checking a signature: an unsigned JWT.
        const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const token = `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: GITHUB, sub: WORKFLOW, aud: 'sigstore', exp: Math.floor(Date.now() / 1000) + 600 })}.`;
        const signer = new FulcioSigner({ fulcioBaseURL: services.url, identityProvider: { getToken: async () => token } });
        const builder = new DSSEBundleBuilder({ signer, witnesses: [new RekorWitness({ rekorBaseURL: services.url, entryType: 'intoto' }), new TSAWitness({ tsaBaseURL: services.url })] });
        const made = await builder.create({ data: statement(DIGEST), type: 'application/vnd.in-toto+json' });
        const json = JSON.stringify(bundleToJSON(made));
        const trust = trustOf({ keyless: true, trustedRoot: sigstore.trustedRoot() });
        const verdict = await judge(bundleEvidence(json), trust, keyless(exactIdentity({ issuer: GITHUB, subject: WORKFLOW, subjectType: 'uri' })));
        assert.equal(verdict.reason, 'SIGNED', verdict.message);
        assert.equal((await judge(bundleEvidence(json), trust, keyless(exactIdentity({ issuer: GITHUB, subject: `${WORKFLOW}x` })))).reason, 'IDENTITY_MISMATCH');
        assert.equal((await judge(bundleEvidence(json), trust, keyless(exactIdentity({ issuer: GITHUB, subject: WORKFLOW })), target(OTHER))).reason, 'DIGEST_MISMATCH');
      } finally {
        await services.close();
      }
    });
  });

  describe("policy-controller's authority semantics", () => {
    it('compares no repository (policy-controller never reads the payload\'s docker-reference)', async () => {
      const key = keyPair('p256');
      const layer = legacyEvidence(await legacyWithKey(sigstore, key, cosignPayload('mirror.example.com/copied/web', DIGEST)));
      const trust = trustOf({ keys: [key.pem], rekor: [sigstore.rekorPem] });
      const { signedIdentity: _dropped, ...noIdentity } = requirement();
      assert.equal((await judge(layer, trust, noIdentity)).reason, 'SIGNED');
      assert.equal((await judge(layer, trust, requirement())).reason, 'IDENTITY_MISMATCH', 'sigstoreSigned compares it (matchRepository)');
    });

    it('requires an SCT by default, even when the trust root has no CT log (insecureIgnoreSCT lifts it)', async () => {
      const cert = await sigstore.certificate({ email: 'release@example.com', issuer: 'https://accounts.example.com' });
      const layer = legacyEvidence(await legacyKeyless(sigstore, cert, cosignPayload(REPO, DIGEST)));
      const id = keyless(exactIdentity({ issuer: 'https://accounts.example.com', subject: 'release@example.com' }));
      const root = sigstore.trustedRoot({ ctlog: false });
      const strict = await judge(layer, trustOf({ keyless: true, trustedRoot: root, requireSCT: true }), id);
      assert.equal(strict.reason, 'UNTRUSTED_KEY');
      assert.match(strict.message, /SCT/);
      assert.equal((await judge(layer, trustOf({ keyless: true, trustedRoot: root }), id)).reason, 'SIGNED');
    });

    it('checks a key signature with key.hashAlgorithm (sha256 by default), not the hash the key type implies', async () => {
      const key = keyPair('p384');
      const layer = legacyEvidence(await legacyWithKey(sigstore, key, cosignPayload(REPO, DIGEST)));
      const sha256 = await judge(layer, trustOf({ keys: [key.pem], rekor: [sigstore.rekorPem], hash: 'sha256' }), requirement());
      assert.equal(sha256.reason, 'BAD_SIGNATURE');
      assert.match(sha256.message, /another hash than the policy's sha256 \(key\.hashAlgorithm\)/);
      assert.equal((await judge(layer, trustOf({ keys: [key.pem], rekor: [sigstore.rekorPem], hash: 'sha384' }), requirement())).reason, 'SIGNED');
    });

    it('requires an RFC 3161 stamp when the authority names rfc3161timestamp', async () => {
      const cert = await sigstore.certificate({ uri: WORKFLOW, issuer: GITHUB });
      const id = keyless(exactIdentity({ issuer: GITHUB, subject: WORKFLOW }));
      const trust = trustOf({ keyless: true, trustedRoot: sigstore.trustedRoot(), requireTimestamp: true });
      const without = await judge(legacyEvidence(await legacyKeyless(sigstore, cert, cosignPayload(REPO, DIGEST))), trust, id);
      assert.equal(without.reason, 'BAD_SIGNATURE');
      assert.match(without.message, /RFC 3161/);
      assert.equal((await judge(legacyEvidence(await legacyKeyless(sigstore, cert, cosignPayload(REPO, DIGEST), { tsa: true })), trust, id)).reason, 'SIGNED');
    });
  });

  describe('attestations', () => {
    it('are not signatures: the kind leaves an SBOM referrer aside, and a statement that lies in its annotation is refused', async () => {
      const key = keyPair('p256');
      const trust = trustOf({ keys: [key.pem], trustedRoot: sigstore.trustedRoot() });
      const json = await bundle(sigstore, { key }, statement(DIGEST, 'https://spdx.dev/Document', { spdxVersion: 'SPDX-2.3' }));
      assert.equal(sigstoreSigned.consumes(bundleEvidence(json, 'https://spdx.dev/Document')), false);
      const lying = bundleEvidence(json);
      assert.equal(sigstoreSigned.consumes(lying), true);
      const verdict = await judge(lying, trust, requirement());
      assert.equal(verdict.reason, 'NO_SIGNATURE');
      assert.match(verdict.message, /predicate type https:\/\/spdx\.dev\/Document, which is not an image signature/);
    });
  });
});

describe('identity patterns', () => {
  const actual = { emails: [], uris: [WORKFLOW], others: [], issuer: GITHUB };
  it('match the whole value, anchored whether or not the pattern says ^…$ (stricter than policy-controller, never looser)', () => {
    assert.equal(matchIdentity({ issuer: { exact: GITHUB }, subject: { regexp: 'acme/web' } }, actual).ok, false, 'a substring is not the value');
    assert.equal(matchIdentity({ issuer: { exact: GITHUB }, subject: { regexp: '^https://github\\.com/acme/.*' } }, actual).ok, true);
    assert.equal(matchIdentity({ issuer: { exact: GITHUB }, subject: { regexp: 'https://github\\.com/acme/web/.*@refs/heads/main' } }, actual).ok, true);
    const alternation = matchIdentity({ issuer: { exact: GITHUB }, subject: { regexp: '^https://github\\.com/acme/x$|evil' } }, { ...actual, uris: ['https://github.com/evil-acme/x'] });
    assert.equal(alternation.ok, false, 'each alternative must match the whole value');
  });

  it('refuses RE2-only syntax instead of reading it differently', () => {
    const result = matchIdentity({ issuer: { exact: GITHUB }, subject: { regexp: '(?i)ACME' } }, actual);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.unsupported, true);
  });

  it('refuses what RE2 refuses (lookaround, backreferences) and what JavaScript could take exponential time on', () => {
    for (const pattern of ['^(?!evil).*$', '(a)\\1', '(a+)+$', '^(x+y)*$']) {
      const result = matchIdentity({ issuer: { exact: GITHUB }, subject: { regexp: pattern } }, actual);
      assert.equal(!result.ok && result.unsupported, true, pattern);
    }
  });

  it('compares exact values as strings: dots are not wildcards', () => {
    assert.equal(matchIdentity(exactIdentity({ issuer: GITHUB, subject: 'a.b@x.com' }), { emails: ['a-b@xycom'], uris: [], others: [], issuer: GITHUB }).ok, false);
  });
});
