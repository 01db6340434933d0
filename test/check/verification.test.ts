// Verdicts on crafted signatures, made by real gpg and skopeo, read from a file
// lookaside by the real `gate check`. Where skopeo standalone-verify can judge a case
// (key, digest, exact identity), its verdict must agree with gate's.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gateJson } from '../helpers/gate.js';
import { Gpg1Signer, GpgHome, signaturePacketVersions, skopeoSign, skopeoVerify } from '../helpers/gpg.js';
import { clusterPolicy, deployment, makeRepo, ociManifest, parityConfig, sha256Digest, STORE_LINE } from '../helpers/repo.js';

const REPO = 'registry.example.com/team/web';
const MANIFEST = ociManifest('web');
const DIGEST = sha256Digest(MANIFEST);
const OTHER_MANIFEST = ociManifest('api');
const IMAGE = `${REPO}@${DIGEST}`;
const TAGGED = `${REPO}:1.4`;

let home: GpgHome;
const fpr: Record<'team' | 'other' | 'old' | 'sub' | 'revoked' | 'v3revoked' | 'weak' | 'dsa', string> = { team: '', other: '', old: '', sub: '', revoked: '', v3revoked: '', weak: '', dsa: '' };
let subkeyFpr = '';
let v3RevokedSubkeyFpr = '';
const armored: Record<string, string> = {};

before(async () => {
  home = await GpgHome.create();
  fpr.team = await home.generateKey('Team <team@example.com>');
  fpr.other = await home.generateKey('Other <other@example.com>');
  fpr.old = await home.generateKey('Old <old@example.com>', { fakedTime: '20200101T000000' });
  fpr.sub = await home.generateKey('Sub <sub@example.com>');
  subkeyFpr = await home.addSigningSubkey(fpr.sub, 'Sub <sub@example.com>');
  fpr.revoked = await home.generateKey('Revoked <revoked@example.com>');
  await home.addSigningSubkey(fpr.revoked, 'Revoked <revoked@example.com>');
  fpr.v3revoked = await home.generateKey('V3 Revoked <v3revoked@example.com>');
  v3RevokedSubkeyFpr = await home.addSigningSubkey(fpr.v3revoked, 'V3 Revoked <v3revoked@example.com>');
  fpr.weak = await home.generateKey('Weak <weak@example.com>', { algorithm: 'rsa1024' });
  fpr.dsa = await home.generateKey('DSA <dsa@example.com>', { algorithm: 'dsa2048' });
  for (const name of Object.keys(fpr) as Array<keyof typeof fpr>) armored[name] = await home.exportPublic(fpr[name]);
});

after(async () => {
  await home?.dispose();
});

function payload(fields: { type?: string; digest?: string; reference?: string; extraCritical?: boolean }): string {
  const critical: Record<string, unknown> = {
    type: fields.type ?? 'atomic container signature',
    image: { 'docker-manifest-digest': fields.digest ?? DIGEST },
    identity: { 'docker-reference': fields.reference ?? TAGGED },
  };
  if (fields.extraCritical) critical.note = 'not part of the format';
  return JSON.stringify({ critical, optional: { creator: 'gate tests' } });
}

interface Scenario {
  signatures: Buffer[];
  requirements?: string;
  identity?: string;
  image?: string;
  pattern?: string;
  keys?: Record<string, string>;
  offline?: boolean;
}

const signedBy = (keySecret: string, identity = '') => `        - type: signedBy\n          keySecret: ${keySecret}\n${identity}`;

async function check(scenario: Scenario) {
  const requirements = scenario.requirements ?? signedBy('team', scenario.identity);
  const repo = await makeRepo({
    '.gate/policies/default.yaml': clusterPolicy('default', `  - name: "${scenario.pattern ?? 'registry.example.com/*'}"\n    policy:\n      simple:\n${STORE_LINE}        requirements:\n${requirements}`),
    '.gate/config.yaml': parityConfig(Object.keys(scenario.keys ?? { team: 1 })),
    'apps/web/deploy.yaml': deployment('web', [scenario.image ?? IMAGE]),
  });
  for (const [name, key] of Object.entries(scenario.keys ?? { team: armored.team })) await repo.write(`.gate/keys/${name}.asc`, key);
  await repo.storeSignatures('.gate/sigstore', 'team/web', DIGEST, scenario.signatures);
  try {
    const { code, report, stderr } = await gateJson(['check', 'apps', ...(scenario.offline ? ['--offline'] : [])], { cwd: repo.dir });
    assert.equal(report.results.length, 1, stderr);
    return { code, result: report.results[0] };
  } finally {
    await repo.dispose();
  }
}

/** skopeo's verdict on one signature: exact identity `reference`, signer `fingerprint`. */
async function oracle(signature: Buffer, reference = TAGGED, fingerprint = fpr.team): Promise<boolean> {
  return (await skopeoVerify(home, MANIFEST, reference, fingerprint, signature)).accepted;
}

function corrupt(signature: Buffer): Buffer {
  const copy = Buffer.from(signature);
  copy[copy.length - 40] ^= 0x55;
  return copy;
}

describe('signedBy over a file lookaside', () => {
  it('accepts an image signed by the policy key (skopeo agrees)', async () => {
    const signature = await skopeoSign(home, MANIFEST, TAGGED, fpr.team);
    const { code, result } = await check({ signatures: [signature] });
    assert.equal(result.verdict, 'allow');
    assert.equal(result.reason, 'SIGNED');
    assert.equal(result.digest, DIGEST);
    assert.match(result.message, new RegExp(fpr.team));
    assert.equal(code, 0);
    assert.equal(await oracle(signature), true);
  });

  it('denies an image with no signature, saying where it looked', async () => {
    const { code, result } = await check({ signatures: [] });
    assert.equal(result.reason, 'NO_SIGNATURE');
    assert.match(result.message, /no signature exists.*team\/web@sha256=/);
    assert.equal(code, 1);
  });

  it('denies a signature by a key the policy does not trust (skopeo agrees)', async () => {
    const signature = await skopeoSign(home, MANIFEST, TAGGED, fpr.other);
    const { result } = await check({ signatures: [signature] });
    assert.equal(result.reason, 'UNTRUSTED_KEY');
    assert.equal(await oracle(signature), false);
  });

  it('trusts every key of an armoured block with several keys', async () => {
    const signature = await skopeoSign(home, MANIFEST, TAGGED, fpr.other);
    const { result } = await check({ signatures: [signature], keys: { team: await home.exportPublic(fpr.team, fpr.other) } });
    assert.equal(result.reason, 'SIGNED');
  });

  it('denies a signature made for another digest (skopeo agrees)', async () => {
    const signature = await skopeoSign(home, OTHER_MANIFEST, TAGGED, fpr.team);
    const { result } = await check({ signatures: [signature] });
    assert.equal(result.reason, 'DIGEST_MISMATCH');
    assert.equal(await oracle(signature), false);
  });

  it('denies corrupted signature bytes (skopeo agrees)', async () => {
    const signature = corrupt(await skopeoSign(home, MANIFEST, TAGGED, fpr.team));
    const { result } = await check({ signatures: [signature] });
    assert.equal(result.reason, 'BAD_SIGNATURE');
    assert.equal(await oracle(signature), false);
  });

  it('denies a payload with an extra critical field (skopeo agrees)', async () => {
    const signature = await home.signBytes(fpr.team, payload({ extraCritical: true }));
    const { result } = await check({ signatures: [signature] });
    assert.equal(result.reason, 'BAD_SIGNATURE');
    assert.match(result.message, /Unknown key "note"/);
    assert.equal(await oracle(signature), false);
  });

  it('denies a payload with the wrong type (skopeo agrees)', async () => {
    const signature = await home.signBytes(fpr.team, payload({ type: 'cosign container image signature' }));
    const { result } = await check({ signatures: [signature] });
    assert.equal(result.reason, 'BAD_SIGNATURE');
    assert.match(result.message, /Unrecognized signature type/);
    assert.equal(await oracle(signature), false);
  });

  it('accepts a hand-written payload that follows the format exactly (skopeo agrees)', async () => {
    const signature = await home.signBytes(fpr.team, payload({}));
    const { result } = await check({ signatures: [signature] });
    assert.equal(result.reason, 'SIGNED');
    assert.equal(await oracle(signature), true);
  });

  it('denies an expired signature (skopeo agrees)', async () => {
    const signature = await home.signBytes(fpr.old, payload({}), { fakedTime: '20200102T000000', expire: '1d' });
    const { result } = await check({ signatures: [signature], requirements: signedBy('old'), keys: { old: armored.old } });
    assert.equal(result.reason, 'BAD_SIGNATURE');
    assert.match(result.message, /expired/);
    assert.equal(await oracle(signature, TAGGED, fpr.old), false);
  });

  it('accepts a signature made by a signing subkey, naming the primary key (skopeo agrees on the subkey)', async () => {
    const signature = await skopeoSign(home, MANIFEST, TAGGED, fpr.sub);
    const { result } = await check({ signatures: [signature], requirements: signedBy('sub'), keys: { sub: armored.sub } });
    assert.equal(result.reason, 'SIGNED');
    assert.match(result.message, new RegExp(fpr.sub));
    // skopeo 1.9 reports the signing subkey's fingerprint as the signer.
    assert.equal(await oracle(signature, TAGGED, subkeyFpr), true);
  });

  it('denies a signature by a subkey that has since been revoked', async () => {
    const signature = await skopeoSign(home, MANIFEST, TAGGED, fpr.revoked);
    const revokedHome = home;
    await revokedHome.revokeSubkey(fpr.revoked, 1);
    const revokedKey = await revokedHome.exportPublic(fpr.revoked);
    const { result } = await check({ signatures: [signature], requirements: signedBy('rev'), keys: { rev: revokedKey } });
    assert.equal(result.reason, 'BAD_SIGNATURE');
    assert.match(result.message, /revoked/i);
  });

  it('accepts one good signature among bad ones', async () => {
    const good = await skopeoSign(home, MANIFEST, TAGGED, fpr.team);
    const signatures = [corrupt(good), await skopeoSign(home, MANIFEST, TAGGED, fpr.other), good];
    const { result } = await check({ signatures });
    assert.equal(result.reason, 'SIGNED');
    assert.match(result.message, /signature-3/);
  });

  it('reports the most telling reason when every signature fails', async () => {
    const signatures = [await skopeoSign(home, MANIFEST, TAGGED, fpr.other), await skopeoSign(home, MANIFEST, 'registry.example.com/team/api:1.4', fpr.team)];
    const { result } = await check({ signatures });
    assert.equal(result.reason, 'IDENTITY_MISMATCH');
    assert.match(result.message, /none of the 2 signatures/);
  });

  it('ignores sigstore-format blobs for signedBy and says so', async () => {
    const sigstore = Buffer.concat([Buffer.from([0]), Buffer.from('sigstore-json\n{"mimeType":"x","payload":"","annotations":{}}')]);
    const { result } = await check({ signatures: [sigstore] });
    assert.equal(result.reason, 'NO_SIGNATURE');
    assert.match(result.message, /1 sigstore signature/);
  });

  it('fails the whole lookup on an armoured signature file', async () => {
    const good = await skopeoSign(home, MANIFEST, TAGGED, fpr.team);
    const armour = Buffer.from(`-----BEGIN PGP MESSAGE-----\n\n${good.toString('base64')}\n-----END PGP MESSAGE-----\n`);
    const { result } = await check({ signatures: [good, armour] });
    assert.equal(result.reason, 'BAD_SIGNATURE');
    assert.match(result.message, /signature-2.*unrecognized signature format.*armoured/);
  });

  it('denies a detached signature followed by the data: not the layout containers/image reads', async () => {
    const data = payload({});
    const blob = Buffer.concat([await home.detachSign(fpr.team, data), await home.literalMessage(data, { compressLevel: 0 })]);
    const { result } = await check({ signatures: [blob] });
    assert.equal(result.reason, 'BAD_SIGNATURE');
    assert.match(result.message, /not signed/);
  });

  it('refuses a compressed signature that expands past 4 MiB, without inflating it all', async () => {
    const bomb = await home.signBytes(fpr.team, Buffer.alloc(64 * 1024 * 1024), { compressLevel: 9 });
    assert.ok(bomb.length < 1024 * 1024);
    const { result } = await check({ signatures: [bomb] });
    assert.equal(result.reason, 'BAD_SIGNATURE');
    assert.match(result.message, /expands to more than/);
  });

  it('is stricter than skopeo on SHA-1 signatures, and says so', async () => {
    const signature = await home.signBytes(fpr.team, payload({}), { digestAlgo: 'SHA1' });
    const { result } = await check({ signatures: [signature] });
    assert.equal(result.reason, 'BAD_SIGNATURE');
    assert.match(result.message, /SHA1/i);
    assert.equal(await oracle(signature), true, 'skopeo accepts SHA-1; gate deliberately does not');
  });

  it('denies an OpenPGP message that is not signed', async () => {
    const { result } = await check({ signatures: [await home.literalMessage(payload({}))] });
    assert.equal(result.reason, 'BAD_SIGNATURE');
    assert.match(result.message, /not signed/);
  });
});

describe('version-3 signature packets, made by gpg1 --force-v3-sigs', () => {
  // gpg 2.2 ignores --force-v3-sigs; GnuPG 1.4 (gpg1) still writes v3 packets, with keys made by gpg 2.
  let gpg1: Gpg1Signer;
  before(async () => {
    gpg1 = await Gpg1Signer.fromHome(home, [fpr.team, fpr.other, fpr.sub, fpr.v3revoked, fpr.weak, fpr.dsa]);
  });
  after(async () => {
    await gpg1?.dispose();
  });

  /** A v3 signed simple-signing blob; fails unless gpg itself reads its signature packet as version 3. */
  async function signV3(fingerprint: string, body = payload({}), options: Parameters<Gpg1Signer['signV3']>[2] = {}): Promise<Buffer> {
    const signature = await gpg1.signV3(fingerprint, body, options);
    assert.deepEqual(await signaturePacketVersions(home, signature), [3], 'gpg1 made a version-3 signature packet');
    return signature;
  }

  it('accepts a v3 signature by the policy key, naming it (skopeo agrees)', async () => {
    const signature = await signV3(fpr.team);
    const { code, result } = await check({ signatures: [signature] });
    assert.equal(result.reason, 'SIGNED', result.message);
    assert.match(result.message, new RegExp(fpr.team));
    assert.equal(code, 0);
    assert.equal(await oracle(signature), true);
  });

  it('accepts a v3 signature by a signing subkey, naming the primary key (skopeo agrees on the subkey)', async () => {
    const signature = await signV3(subkeyFpr);
    const { result } = await check({ signatures: [signature], requirements: signedBy('sub'), keys: { sub: armored.sub } });
    assert.equal(result.reason, 'SIGNED', result.message);
    assert.match(result.message, new RegExp(fpr.sub));
    assert.equal(await oracle(signature, TAGGED, subkeyFpr), true);
  });

  it('accepts a v3 text-mode signature (type 0x01) of a payload with line breaks (skopeo agrees)', async () => {
    const signature = await signV3(fpr.team, `${JSON.stringify(JSON.parse(payload({})), null, 2)}\n`, { textmode: true });
    const { result } = await check({ signatures: [signature] });
    assert.equal(result.reason, 'SIGNED', result.message);
    assert.equal(await oracle(signature), true);
  });

  it('denies a v3 signature by a key the policy does not trust (skopeo agrees)', async () => {
    const signature = await signV3(fpr.other);
    const { result } = await check({ signatures: [signature] });
    assert.equal(result.reason, 'UNTRUSTED_KEY');
    assert.match(result.message, /version-3 signature/);
    assert.equal(await oracle(signature), false);
  });

  it('denies a v3 signature made for another digest (skopeo agrees)', async () => {
    const signature = await signV3(fpr.team, payload({ digest: sha256Digest(OTHER_MANIFEST) }));
    const { result } = await check({ signatures: [signature] });
    assert.equal(result.reason, 'DIGEST_MISMATCH');
    assert.equal(await oracle(signature), false);
  });

  it('denies corrupted v3 signature bytes (skopeo agrees)', async () => {
    const signature = corrupt(await signV3(fpr.team, payload({}), { compressLevel: 0 }));
    const { result } = await check({ signatures: [signature] });
    assert.equal(result.reason, 'BAD_SIGNATURE');
    assert.match(result.message, /version-3 signature: signature error/);
    assert.equal(await oracle(signature), false);
  });

  it('denies a v3 signature by a subkey that has since been revoked (skopeo agrees)', async () => {
    const signature = await signV3(v3RevokedSubkeyFpr);
    await home.revokeSubkey(fpr.v3revoked, 1);
    const { result } = await check({ signatures: [signature], requirements: signedBy('rev'), keys: { rev: await home.exportPublic(fpr.v3revoked) } });
    assert.equal(result.reason, 'BAD_SIGNATURE');
    assert.match(result.message, /version-3 signature.*revoked/i);
    assert.equal(await oracle(signature, TAGGED, v3RevokedSubkeyFpr), false);
  });

  it('is stricter than skopeo on v3 SHA-1 signatures, and says so', async () => {
    const signature = await signV3(fpr.team, payload({}), { digestAlgo: 'SHA1' });
    const { result } = await check({ signatures: [signature] });
    assert.equal(result.reason, 'BAD_SIGNATURE');
    assert.match(result.message, /version-3 signature: insecure message hash algorithm SHA1/);
    assert.equal(await oracle(signature), true, 'skopeo accepts SHA-1; gate deliberately does not');
  });

  it('is stricter than skopeo on v3 signatures by an RSA key under 2048 bits, and says so', async () => {
    const signature = await signV3(fpr.weak);
    const { result } = await check({ signatures: [signature], requirements: signedBy('weak'), keys: { weak: armored.weak } });
    assert.equal(result.reason, 'BAD_SIGNATURE');
    assert.match(result.message, /version-3 signature.*RSA keys shorter than 2047 bits/);
    assert.equal(await oracle(signature, TAGGED, fpr.weak), true, 'skopeo accepts RSA-1024; gate deliberately does not');
  });

  it('is stricter than skopeo on DSA keys, in v3 signatures as in v4 ones, and says so', async () => {
    for (const signature of [await signV3(fpr.dsa), await home.signBytes(fpr.dsa, payload({}))]) {
      const { result } = await check({ signatures: [signature], requirements: signedBy('dsa'), keys: { dsa: armored.dsa } });
      assert.equal(result.reason, 'BAD_SIGNATURE');
      assert.match(result.message, /dsa keys are considered too weak/);
      assert.equal(await oracle(signature, TAGGED, fpr.dsa), true, 'skopeo accepts DSA; gate deliberately does not');
    }
  });
});

describe('signedIdentity', () => {
  const sign = (reference: string, manifest = MANIFEST) => skopeoSign(home, manifest, reference, fpr.team);
  const identity = (yaml: string) => `          signedIdentity:\n${yaml}`;

  const cases: Array<{ name: string; identity: string; signedFor: string; image?: string; expect: 'SIGNED' | 'IDENTITY_MISMATCH'; oracleRef?: string }> = [
    { name: 'default, digest image: another tag of the same repository passes', identity: '', signedFor: `${REPO}:2.0`, expect: 'SIGNED' },
    { name: 'default, digest image: another repository fails', identity: '', signedFor: 'registry.example.com/team/api:1.4', expect: 'IDENTITY_MISMATCH', oracleRef: TAGGED },
    { name: 'matchExact: the digest reference itself passes', identity: identity('            type: matchExact\n'), signedFor: IMAGE, expect: 'SIGNED', oracleRef: IMAGE },
    { name: 'matchExact: a tag of the repository fails for a digest image', identity: identity('            type: matchExact\n'), signedFor: TAGGED, expect: 'IDENTITY_MISMATCH', oracleRef: IMAGE },
    { name: 'matchRepository: any reference in the repository passes', identity: identity('            type: matchRepository\n'), signedFor: `${REPO}:nightly`, expect: 'SIGNED' },
    { name: 'matchRepository: another repository fails', identity: identity('            type: matchRepository\n'), signedFor: 'registry.example.com/other/web:1.4', expect: 'IDENTITY_MISMATCH' },
    { name: 'matchExactReference: the named reference passes', identity: identity(`            type: matchExactReference\n            dockerReference: ${TAGGED}\n`), signedFor: TAGGED, expect: 'SIGNED' },
    { name: 'matchExactReference: another tag fails', identity: identity(`            type: matchExactReference\n            dockerReference: ${TAGGED}\n`), signedFor: `${REPO}:1.5`, expect: 'IDENTITY_MISMATCH', oracleRef: TAGGED },
    { name: 'matchExactRepository: the named repository passes', identity: identity('            type: matchExactRepository\n            dockerRepository: registry.example.com/release/web\n'), signedFor: 'registry.example.com/release/web:9', expect: 'SIGNED' },
    { name: 'matchExactRepository: the image\'s own repository fails', identity: identity('            type: matchExactRepository\n            dockerRepository: registry.example.com/release/web\n'), signedFor: TAGGED, expect: 'IDENTITY_MISMATCH' },
    { name: 'remapIdentity inside the prefix: the remapped identity passes', identity: identity('            type: remapIdentity\n            prefix: registry.example.com/team\n            signedPrefix: quay.io/upstream\n'), signedFor: 'quay.io/upstream/web:1.4', expect: 'SIGNED' },
    { name: 'remapIdentity inside the prefix: the unmapped identity fails', identity: identity('            type: remapIdentity\n            prefix: registry.example.com/team\n            signedPrefix: quay.io/upstream\n'), signedFor: TAGGED, expect: 'IDENTITY_MISMATCH' },
    { name: 'remapIdentity outside the prefix: the image keeps its own identity', identity: identity('            type: remapIdentity\n            prefix: registry.example.com/mirror\n            signedPrefix: quay.io/upstream\n'), signedFor: TAGGED, expect: 'SIGNED' },
    { name: 'remapIdentity outside the prefix: the remapped identity fails', identity: identity('            type: remapIdentity\n            prefix: registry.example.com/mirror\n            signedPrefix: quay.io/upstream\n'), signedFor: 'quay.io/upstream/web:1.4', expect: 'IDENTITY_MISMATCH' },
    { name: 'remapIdentity: a prefix that is only a string prefix of the repository does not apply', identity: identity('            type: remapIdentity\n            prefix: registry.example.com/te\n            signedPrefix: quay.io/upstream\n'), signedFor: TAGGED, expect: 'SIGNED' },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const signature = await sign(c.signedFor);
      const { result } = await check({ signatures: [signature], identity: c.identity });
      assert.equal(result.reason, c.expect, result.message);
      if (c.oracleRef) {
        // skopeo checks the exact identity: it must accept exactly when gate's exact rule does.
        assert.equal(await oracle(signature, c.oracleRef), c.expect === 'SIGNED');
      }
    });
  }
});

describe('requirements', () => {
  it('AND-s two signedBy requirements: one unmet requirement denies', async () => {
    const signature = await skopeoSign(home, MANIFEST, TAGGED, fpr.team);
    const requirements = signedBy('team') + signedBy('other');
    const { result } = await check({ signatures: [signature], requirements, keys: { team: armored.team, other: armored.other } });
    assert.equal(result.reason, 'UNTRUSTED_KEY');
    assert.match(result.message, /requirement 2 of 2 \(keySecret other\)/);
  });

  it('AND-s two signedBy requirements: both met allows', async () => {
    const signatures = [await skopeoSign(home, MANIFEST, TAGGED, fpr.team), await skopeoSign(home, MANIFEST, TAGGED, fpr.other)];
    const requirements = signedBy('team') + signedBy('other');
    const { result } = await check({ signatures, requirements, keys: { team: armored.team, other: armored.other } });
    assert.equal(result.reason, 'SIGNED');
  });

  it('a reject requirement denies whatever the signatures', async () => {
    const signature = await skopeoSign(home, MANIFEST, TAGGED, fpr.team);
    const { result } = await check({ signatures: [signature], requirements: signedBy('team') + '        - type: reject\n' });
    assert.equal(result.reason, 'REJECTED_BY_POLICY');
  });

  it('insecureAcceptAnything allows even a tag', async () => {
    const { code, result } = await check({ signatures: [], image: TAGGED, requirements: '        - type: insecureAcceptAnything\n' });
    assert.equal(result.reason, 'ACCEPT_ANYTHING');
    assert.equal(code, 0);
  });

  it('denies a tag reference offline, asking for a digest', async () => {
    const { code, result } = await check({ signatures: [], image: TAGGED, offline: true });
    assert.equal(result.reason, 'NOT_PINNED');
    assert.match(result.message, /registry/);
    assert.match(result.hint ?? '', /@sha256:/);
    assert.equal(code, 1);
  });

  it('denies a digest other than sha256, which Portieris cannot handle, whatever the policy', async () => {
    const { result } = await check({ signatures: [], image: `${REPO}@sha512:${'e'.repeat(128)}`, requirements: '' });
    assert.equal(result.reason, 'INVALID_REFERENCE');
  });

  it('denies an image containers/image cannot parse although Portieris matched it (an upper-case first component)', async () => {
    const signature = await skopeoSign(home, MANIFEST, TAGGED, fpr.team);
    const { result } = await check({ signatures: [signature], image: `Team/web@${DIGEST}`, pattern: 'Team/*' });
    assert.equal(result.reason, 'INVALID_REFERENCE');
    assert.match(result.message, /containers\/image.*cannot read/);
  });

  it('denies a reference with both a tag and a digest, as containers/image does', async () => {
    const { result } = await check({ signatures: [], image: `${TAGGED}@${DIGEST}` });
    assert.equal(result.reason, 'INVALID_REFERENCE');
  });
});
