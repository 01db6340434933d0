import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseManifestStream } from '../../src/manifests/document.js';
import { validatePolicy } from '../../src/policy/validate.js';
import type { SignedByRequirement } from '../../src/verify/simple-signing/config.js';
import { throwsGateError } from '../helpers/assert.js';

function validate(yaml: string) {
  const [object] = parseManifestStream(yaml, 'policy.yaml').objects;
  return validatePolicy(object, 'default');
}

/** Asserts a POLICY_INVALID error at `line` whose message matches `pattern`. */
function rejects(yaml: string, line: number, pattern: RegExp): void {
  throwsGateError(() => validate(yaml), 'POLICY_INVALID', { line, message: pattern });
}

const head = `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata:
  name: default
spec:
  repositories:
  - name: "registry.example.com/*"
    policy:
      simple:
        requirements:
`;

describe('policy validation', () => {
  it('reads a valid policy with every identity type', () => {
    const policy = validate(`${head}        - type: signedBy
          keySecret: team
        - type: signedBy
          keySecret: team
          signedIdentity: {type: matchExactReference, dockerReference: "registry.example.com/a/b:1"}
        - type: signedBy
          keySecret: team
          signedIdentity: {type: remapIdentity, prefix: "mirror.local:5000/x", signedPrefix: "registry.example.com"}
        - type: signedBy
          keySecret: team
          signedIdentity: {type: ""}
  - name: "*"
    policy: {}
`);
    assert.equal(policy.repositories.length, 2);
    const types = policy.repositories[0].policy.simple?.requirements.map((r) => (r.type === 'signedBy' ? (r as SignedByRequirement).signedIdentity.type : r.type));
    assert.deepEqual(types, ['matchRepoDigestOrExact', 'matchExactReference', 'remapIdentity', 'matchRepoDigestOrExact']);
    assert.equal(policy.namespace, null);
  });

  it('places an ImagePolicy without namespace, or with an empty one, in the default namespace', () => {
    const policy = validate(head.replace('ClusterImagePolicy', 'ImagePolicy') + '        - type: reject\n');
    assert.equal(policy.namespace, 'default');
    const empty = validate(head.replace('ClusterImagePolicy', 'ImagePolicy').replace('  name: default\n', '  name: default\n  namespace: ""\n') + '        - type: reject\n');
    assert.equal(empty.namespace, 'default');
  });

  it('refuses an unknown field, with a suggestion', () => {
    rejects(`${head}        - type: signedBy\n          keysecret: team\n`, 12, /unknown field "keysecret".*did you mean "keySecret"/);
  });

  it('refuses an unknown requirement type', () => {
    rejects(`${head}        - type: signedByAnyone\n`, 11, /simple policy invalid Type: signedByAnyone/);
  });

  it('refuses containers/image spellings of identity types, naming the Portieris one', () => {
    rejects(`${head}        - type: signedBy\n          keySecret: k\n          signedIdentity:\n            type: exactRepository\n            dockerRepository: a/b\n`, 14, /matchExactRepository/);
  });

  it('refuses a wrong type of value', () => {
    rejects(`${head}        - type: signedBy\n          keySecret: [a, b]\n`, 12, /keySecret.*must be a string/);
  });

  it('refuses signedBy without keySecret', () => {
    rejects(`${head}        - type: signedBy\n`, 11, /KeySecret missing/);
  });

  it('refuses keySecret on a reject requirement', () => {
    rejects(`${head}        - type: reject\n          keySecret: k\n`, 12, /only applies to signedBy/);
  });

  it('refuses a field that does not belong to the identity type', () => {
    rejects(`${head}        - type: signedBy\n          keySecret: k\n          signedIdentity: {type: matchRepository, dockerReference: "a/b:1"}\n`, 13, /dockerReference does not apply/);
  });

  it('refuses an exact reference without tag or digest', () => {
    rejects(`${head}        - type: signedBy\n          keySecret: k\n          signedIdentity: {type: matchExactReference, dockerReference: "a/b"}\n`, 13, /neither a tag nor digest/);
  });

  it('refuses a remap prefix that is not a host or repository', () => {
    rejects(`${head}        - type: signedBy\n          keySecret: k\n          signedIdentity: {type: remapIdentity, prefix: "not a prefix", signedPrefix: "quay.io"}\n`, 13, /prefix "not a prefix" is not valid/);
  });

  it('refuses a storeURL that is not http(s)', () => {
    rejects(head.replace('        requirements:\n', '        storeURL: file:///sigs\n        requirements:\n') + '        - type: reject\n', 10, /http:\/\/ or https:\/\//);
  });

  it('refuses the legacy API group', () => {
    rejects(head.replace('portieris.cloud.ibm.com/v1', 'securityenforcement.admission.cloud.ibm.com/v1beta1') + '        - type: reject\n', 1, /legacy Portieris group/);
  });

  it('refuses a null policy in a ClusterImagePolicy but not in an ImagePolicy', () => {
    const nullPolicy = head.split('    policy:')[0] + '    policy: null\n';
    rejects(nullPolicy, 8, /must not be null/);
    assert.equal(validate(nullPolicy.replace('ClusterImagePolicy', 'ImagePolicy')).repositories[0].policy.simple, undefined);
  });

  it('refuses a repository entry without a name', () => {
    rejects(head.replace('  - name: "registry.example.com/*"\n', '  - policy:\n').replace('    policy:\n      simple', '      simple'), 7, /name.*is required/);
  });
});
