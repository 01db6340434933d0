// Adding a requirement kind end to end: the test-only kind in ./test-kind/ is
// registered with one line, and then gate check and gate explain read its policies,
// its key file and its blobs from a real file lookaside, as they do for signedBy.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { runCheck } from '../../src/commands/check.js';
import { runExplain } from '../../src/commands/explain.js';
import { KINDS } from '../../src/verify/kinds.js';
import { GpgHome } from '../helpers/gpg.js';
import { deployment, makeRepo, sha256Digest, type TempRepo } from '../helpers/repo.js';
import { MAC_ANNOTATION, TEST_MEDIA_TYPE, testHmac } from './test-kind/kind.js';

// The one registration line.
const kinds = { ...KINDS, testHmac };

const SECRET = 'a shared secret of the test kind';
const DIGEST = sha256Digest('the manifest of registry.example.com/shop/web');
const IMAGE = `registry.example.com/shop/web@${DIGEST}`;

/** A lookaside blob of the test kind: `\0sigstore-json\n` and the JSON envelope. */
function blob(claim: { digest: string; reference: string }, secret = SECRET): Buffer {
  const payload = Buffer.from(JSON.stringify(claim));
  const mac = createHmac('sha256', secret).update(payload).digest('hex');
  const envelope = { mimeType: TEST_MEDIA_TYPE, payload: payload.toString('base64'), annotations: { [MAC_ANNOTATION]: mac } };
  return Buffer.concat([Buffer.from('\u0000sigstore-json\n'), Buffer.from(JSON.stringify(envelope))]);
}

function policy(requirements: string): string {
  return `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: test-kind}
spec:
  repositories:
    - name: "registry.example.com/shop/*"
      policy:
        simple:
          requirements:
${requirements}`;
}

const HMAC_REQUIREMENT = '            - type: testHmac\n              hmacKey: shared\n';

describe('a requirement kind registered by a test (testHmac, not shipped)', () => {
  let repo: TempRepo;
  let gpg: GpgHome;
  before(async () => {
    gpg = await GpgHome.create();
    repo = await makeRepo({
      '.gate/keys/shared.hmac': SECRET,
      '.gate/keys/team.asc': await gpg.exportPublic(await gpg.generateKey('Team <team@example.com>')),
      'apps/app.yaml': deployment('web', [IMAGE]),
    });
    await repo.write('.gate/registries.d/lookaside.yaml', `default-docker:\n  lookaside: file://${repo.dir}/sigs\n`);
    // A lookaside Portieris cannot read, opted into gate-only evidence; the keys declared deployed.
    await repo.write('.gate/config.yaml', "keySecrets:\n- name: shared\n- name: team\nsignatureStores:\n  gateOnly:\n  - scope: default-docker\n    reason: the test's own lookaside\n");
  });
  after(async () => {
    await repo?.dispose();
    await gpg?.dispose();
  });

  const io = () => ({ cwd: repo.dir, now: () => new Date('2026-06-01T00:00:00Z'), env: {}, readStdin: async () => new Uint8Array() });
  const check = async (requirements: string, blobs: Buffer[], withKind = true) => {
    await repo.write('.gate/policies/policy.yaml', policy(requirements));
    await repo.storeSignatures('sigs', 'shop/web', DIGEST, blobs);
    const report = await runCheck({ paths: ['apps'], namespace: 'default', offline: true, ...(withKind ? { kinds } : {}) }, io());
    return report.results[0];
  };
  const good = () => blob({ digest: DIGEST, reference: IMAGE });

  it('allows an image whose blob the kind verifies and accepts', async () => {
    const result = await check(HMAC_REQUIREMENT, [good()]);
    assert.equal(result.reason, 'SIGNED', result.message);
    assert.match(result.message, /signed by the shared secret \(hmacKey shared from \.gate\/keys\/shared\.hmac\)/);
  });

  it('denies a blob made with another secret (its crypto step), and one for another digest (its acceptance step)', async () => {
    assert.equal((await check(HMAC_REQUIREMENT, [blob({ digest: DIGEST, reference: IMAGE }, 'another secret of sixteen bytes')])).reason, 'BAD_SIGNATURE');
    assert.equal((await check(HMAC_REQUIREMENT, [blob({ digest: sha256Digest('other'), reference: IMAGE })])).reason, 'DIGEST_MISMATCH');
  });

  it('hands each kind only the blobs it reads: signedBy beside it finds no simple signature, and says what it left aside', async () => {
    const result = await check(`${HMAC_REQUIREMENT}            - type: signedBy\n              keySecret: team\n`, [good()]);
    assert.equal(result.reason, 'NO_SIGNATURE');
    assert.match(result.message, /^requirement 2 of 2 \(keySecret team\): A signature was required, but no signature exists \(1 sigstore signature\(s\) found, which signedBy ignores\); looked in /);
  });

  it('is shown by gate explain with its own fields', async () => {
    await check(HMAC_REQUIREMENT, [good()]);
    const explained = await runExplain(IMAGE, { namespace: 'default', offline: true, kinds }, io());
    assert.equal(explained.verdict.reason, 'SIGNED');
    assert.deepEqual(explained.requirements, [{ type: 'testHmac', keySecret: 'shared', keySource: '.gate/keys/shared.hmac', fingerprints: [explained.requirements[0].fingerprints![0]] }]);
    assert.match(explained.requirements[0].fingerprints![0], /^hmac:[0-9a-f]{12}$/);
  });

  it('without the registration line, the same policy is a policy error that lists the known types', async () => {
    await assert.rejects(check(HMAC_REQUIREMENT, [good()], false), (e: Error & { code?: string }) => e.code === 'POLICY_INVALID' && /invalid Type: testHmac \(expected signedBy, sigstoreSigned, reject or insecureAcceptAnything\)/.test(e.message));
  });
});
