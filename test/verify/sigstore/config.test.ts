// The sigstoreSigned requirement as a policy writes it: containers-policy.json's field
// names, gate's additions, and every combination that could not be enforced as written
// refused with the line (policy errors, exit 2), never read loosely.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseManifestStream } from '../../../src/manifests/document.js';
import { validatePolicy } from '../../../src/policy/validate.js';
import type { SigstoreSignedRequirement } from '../../../src/verify/sigstore/config.js';

function requirementOf(lines: string): SigstoreSignedRequirement {
  const yaml = `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: cosign}
spec:
  repositories:
  - name: "registry.example.com/*"
    policy:
      simple:
        requirements:
        - type: sigstoreSigned
${lines.replace(/^/gm, '          ')}`;
  const [object] = parseManifestStream(yaml, 'p.yaml').objects;
  return validatePolicy(object, 'default').repositories[0].policy.simple!.requirements[0] as SigstoreSignedRequirement;
}

describe('the sigstoreSigned requirement', () => {
  it('reads a key-based and a keyless requirement, with gate\'s defaults', () => {
    const key = requirementOf('keyPaths: [keys/a.pub, keys/b.pub]\nrekorPublicKeyPath: trust/rekor.pub\n');
    assert.deepEqual(key.keys, [{ path: 'keys/a.pub' }, { path: 'keys/b.pub' }]);
    assert.deepEqual(key.rekorKeys, [{ path: 'trust/rekor.pub' }]);
    assert.deepEqual(key.signedIdentity, { type: 'matchRepository' });
    assert.equal(key.insecureIgnoreTlog, false);
    const keyless = requirementOf('fulcio:\n  oidcIssuer: https://accounts.example.com\n  subjectEmail: release@example.com\ntrustedRootPath: trust/trusted_root.json\n');
    assert.deepEqual(keyless.fulcio?.identities, [{ issuer: { exact: 'https://accounts.example.com' }, subject: { exact: 'release@example.com' }, subjectType: 'email' }]);
    assert.deepEqual(keyless.trustedRoot, { path: 'trust/trusted_root.json' });
  });

  it('refuses what could not be enforced as written, naming the field', () => {
    const cases: Array<[string, RegExp]> = [
      ['keyPath: keys/a.pub\nfulcio: {oidcIssuer: x, subjectEmail: a@b.c}\ntrustedRootPath: t.json\n', /either key-based .* or keyless/],
      ['fulcio: {oidcIssuer: x, subjectEmail: a@b.c}\ntrustedRootPath: t.json\ninsecureIgnoreTlog: true\n', /applies to key-based requirements only/],
      ['keyPath: ../outside.pub\ninsecureIgnoreTlog: true\n', /must be a path relative to \.gate\/ that stays inside it/],
      ['keyPath: /etc/cosign.pub\ninsecureIgnoreTlog: true\n', /must be a path relative to \.gate\//],
      ['keyPath: keys/a.pub\n', /says no Rekor key: set rekorPublicKeyPath \(or trustedRootPath\).*or insecureIgnoreTlog: true/],
      ['fulcio: {oidcIssuer: x, subjectEmail: a@b.c, subjectURI: "https://x"}\ntrustedRootPath: t.json\n', /needs exactly one of subjectEmail .* and subjectURI/],
      ['fulcio: {oidcIssuer: x, subjectEmail: a@b.c}\nrekorPublicKeyPath: r.pub\n', /says no Fulcio CA/],
      ['keyData: "not base64!"\ninsecureIgnoreTlog: true\n', /must be the base64 encoding of the PEM bytes/],
      ['keyPath: keys/a.pub\nkeyPaths: [keys/b.pub]\ninsecureIgnoreTlog: true\n', /keyPath and keyPaths are exclusive/],
      ['keyPath: keys/a.pub\ninsecureIgnoreTlog: true\nsubjectEmail: a@b.c\n', /unknown field "subjectEmail"/],
      ['insecureIgnoreTlog: true\n', /needs exactly one of keyPath, keyPaths, keyData, keyDatas .* or fulcio/],
    ];
    for (const [lines, pattern] of cases) {
      assert.throws(() => requirementOf(lines), (e: Error & { code?: string }) => e.code === 'POLICY_INVALID' && pattern.test(e.message), lines);
    }
  });
});
