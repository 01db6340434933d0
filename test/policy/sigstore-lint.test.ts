// gate policy lint on cosign policies: a sigstoreSigned requirement Portieris cannot
// enforce, policies the chosen webhook does not read, identity patterns that are not
// anchored or use RE2-only syntax, globs with a tag, bundle authorities under
// policy-controller, fields gate cannot evaluate, and trust material whose validity ends
// within 30 days (the clock is the test's).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runLint, type LintReport } from '../../src/commands/lint.js';
import { keyPair, Sigstore } from '../helpers/cosign.js';
import { clusterPolicy, makeRepo, type TempRepo } from '../helpers/repo.js';

const NOW = new Date('2027-03-01T00:00:00Z');
const DAY = 86_400_000;

describe('gate policy lint on cosign policies', () => {
  let sigstore: Sigstore;
  let repo: TempRepo;
  before(async () => {
    sigstore = await Sigstore.create();
  });
  after(() => repo?.dispose());

  async function lint(files: Record<string, string>): Promise<LintReport> {
    await repo?.dispose();
    repo = await makeRepo(files);
    return runLint({ namespace: 'default' }, { cwd: repo.dir, now: () => NOW, env: {}, readStdin: async () => new Uint8Array() });
  }
  const messages = (report: LintReport, level: 'error' | 'warning') => report.findings.filter((f) => f.level === level).map((f) => f.message);

  const portieris = clusterPolicy('cosign', '  - name: "registry.example.com/*"\n    policy:\n      simple:\n        requirements:\n        - type: sigstoreSigned\n          keyPath: keys/cosign.pub\n          trustedRootPath: trust/trusted_root.json\n');

  it('says Portieris cannot enforce sigstoreSigned (an error), and that none or policy-controller are the ways out; the key file counts as used', async () => {
    const key = keyPair('p256');
    const files = { '.gate/policies/cosign.yaml': portieris, '.gate/keys/cosign.pub': key.pem, '.gate/trust/trusted_root.json': sigstore.trustedRoot() };
    const underPortieris = await lint(files);
    assert.equal(messages(underPortieris, 'error').length, 1, JSON.stringify(underPortieris.findings));
    assert.match(messages(underPortieris, 'error')[0], /Portieris cannot enforce a sigstoreSigned requirement .*webhook: none.*policy-controller/);
    const underNone = await lint({ ...files, '.gate/config.yaml': 'webhook: none\n' });
    assert.deepEqual(underNone.findings, [], 'no finding: the key is used, the trust root is valid');
    const underPolicyController = await lint({ ...files, '.gate/config.yaml': 'webhook: policy-controller\n' });
    assert.equal(messages(underPolicyController, 'error').length, 0, JSON.stringify(underPolicyController.findings));
    assert.deepEqual(messages(underPolicyController, 'warning').map((m) => /this Portieris policy is not read/.test(m)), [true], JSON.stringify(underPolicyController.findings));
  });

  it('reads ClusterImagePolicies of policy.sigstore.dev under policy-controller: patterns, globs, bundle authorities, unsupported fields', async () => {
    const key = keyPair('p256');
    const cip = `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: {name: release}
spec:
  images:
  - glob: "registry.example.com/shop/web:1.*"
  authorities:
  - name: ci
    keyless:
      trustRootRef: private
      identities:
      - {issuerRegExp: "token.actions.githubusercontent.com", subject: "https://github.com/acme/web/.github/workflows/r.yml@refs/heads/main"}
      - {issuer: "https://accounts.example.com", subjectRegExp: "(?i)^RELEASE@example\\\\.com$"}
  - name: bundled
    key:
      data: |
${key.pem.trim().replace(/^/gm, '        ')}
    signatureFormat: bundle
  - name: kms
    key: {kms: "awskms:///alias/release"}
`;
    const report = await lint({ '.gate/policies/cip.yaml': cip, '.gate/policies/root.yaml': sigstore.trustRootResource('private'), '.gate/config.yaml': 'webhook: policy-controller\n' });
    const errors = messages(report, 'error');
    const warnings = messages(report, 'warning');
    assert.ok(errors.some((m) => /subjectRegExp: the regular expression "\(\?i\)\^RELEASE@example\\\.com\$" uses Go RE2 syntax/.test(m)), JSON.stringify(errors));
    assert.ok(errors.some((m) => /authority bundled: signatureFormat: bundle, which policy-controller cannot verify/.test(m)), JSON.stringify(errors));
    assert.ok(errors.some((m) => /authority kms: authorities\[2\]\.key\.kms/.test(m)), JSON.stringify(errors));
    assert.ok(warnings.some((m) => /issuerRegExp "token\.actions\.githubusercontent\.com" is not anchored/.test(m)), JSON.stringify(warnings));
    assert.ok(warnings.some((m) => /glob "registry\.example\.com\/shop\/web:1\.\*" names a tag/.test(m)), JSON.stringify(warnings));
    assert.equal(report.summary.policies, 1);
  });

  it('warns about trust material whose validity ends within 30 days, or has ended, by the run\'s clock', async () => {
    const key = keyPair('p256');
    const root = JSON.parse(sigstore.trustedRoot()) as { certificateAuthorities: Array<{ validFor: { start: string; end?: string } }>; tlogs: Array<{ publicKey: { validFor: { start: string; end?: string } } }> };
    root.certificateAuthorities[0].validFor.end = new Date(NOW.getTime() + 10 * DAY).toISOString();
    root.tlogs[0].publicKey.validFor.end = new Date(NOW.getTime() - DAY).toISOString();
    const report = await lint({ '.gate/policies/cosign.yaml': portieris, '.gate/keys/cosign.pub': key.pem, '.gate/trust/trusted_root.json': JSON.stringify(root), '.gate/config.yaml': 'webhook: none\n' });
    const warnings = messages(report, 'warning');
    assert.ok(warnings.some((m) => /a Fulcio CA \(its validFor\) stops being valid in 10 day\(s\)/.test(m)), JSON.stringify(warnings));
    assert.ok(warnings.some((m) => /the Rekor log https:\/\/rekor\.gate\.test stopped being valid/.test(m)), JSON.stringify(warnings));
    const later = JSON.parse(JSON.stringify(root)) as typeof root;
    later.certificateAuthorities[0].validFor.end = new Date(NOW.getTime() + 60 * DAY).toISOString();
    delete later.tlogs[0].publicKey.validFor.end;
    const quiet = await lint({ '.gate/policies/cosign.yaml': portieris, '.gate/keys/cosign.pub': key.pem, '.gate/trust/trusted_root.json': JSON.stringify(later), '.gate/config.yaml': 'webhook: none\n' });
    assert.ok(!messages(quiet, 'warning').some((m) => /validFor/.test(m)), JSON.stringify(quiet.findings));
  });
});
