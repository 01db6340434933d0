// policy-controller's ClusterImagePolicy and TrustRoot as gate reads them: globs with
// policy-controller's semantics (written here from pkg/apis/glob/glob.go's rules), strict
// fields, policy-controller's defaults per authority, and every field gate cannot
// evaluate offline turned into an UNSUPPORTED authority (never dropped).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseManifestStream } from '../../src/manifests/document.js';
import { readSigstorePolicies } from '../../src/policy/policy-controller/cip.js';
import { globMatches, globToRegExp } from '../../src/policy/policy-controller/glob.js';
import { parseReference } from '../../src/reference/reference.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const PEM = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----';

function matches(glob: string, image: string): boolean {
  const parsed = parseReference(image);
  if (!parsed.ok) throw new Error(parsed.message);
  return globMatches(globToRegExp(glob), parsed.ref, DIGEST, image);
}

function read(yaml: string) {
  return readSigstorePolicies(parseManifestStream(yaml, 'cip.yaml').objects);
}

const cip = (authorities: string, extra = '') => `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: {name: release}
spec:
  images: [{glob: "registry.example.com/**"}]
  authorities:
${authorities}${extra}`;

describe("policy-controller's globs", () => {
  it('`*` spans neither `/` nor nothing but stays in one path segment (it spans `:` and `@`); `**` spans segments', () => {
    assert.equal(matches('registry.example.com/team/*', 'registry.example.com/team/web:1'), true);
    assert.equal(matches('registry.example.com/team/*', 'registry.example.com/team/sub/web:1'), false);
    assert.equal(matches('registry.example.com/**', 'registry.example.com/team/sub/web:1'), true);
    assert.equal(matches('registry.example.com/team/web', 'registry.example.com/team/web:1'), false, 'the name alone: the webhook sees name@digest');
    assert.equal(matches('registry.example.com/team/web*', 'registry.example.com/team/web:1'), true);
  });

  it('spells Docker Hub as index.docker.io: bare `*` is index.docker.io/library/*, and docker.io/library/* never matches', () => {
    assert.equal(matches('*', 'nginx:1.27'), true);
    assert.equal(matches('*/*', 'bitnami/redis:7'), true);
    assert.equal(matches('index.docker.io/library/*', 'nginx'), true);
    assert.equal(matches('docker.io/library/*', 'nginx:1.27'), false);
    assert.equal(matches('*', 'registry.example.com/web:1'), false);
  });

  it('compares the name pinned to the digest, as the webhook sees it after resolving the tag: a glob with a tag never matches', () => {
    assert.equal(matches('registry.example.com/web:1.*', 'registry.example.com/web:1.4'), false);
    assert.equal(matches('registry.example.com/web:1.*', `registry.example.com/web@${DIGEST}`), false);
    assert.equal(matches(`registry.example.com/web@${DIGEST}`, 'registry.example.com/web:1.4'), true);
    assert.equal(matches('registry.example.com/web@*', 'registry.example.com/web:1.4'), true);
  });

  it('keeps regexp characters literal', () => {
    assert.equal(matches('registry.example.com/a.b/*', 'registry.example.com/axb/web:1'), false);
  });
});

describe("reading policy-controller's ClusterImagePolicy", () => {
  it("applies policy-controller's defaults: legacy format, a key without ctlog ignores the log, a keyless one needs it", () => {
    const { policies } = read(cip(`  - name: key\n    key:\n      data: |\n${PEM.replace(/^/gm, '        ')}\n  - name: ci\n    keyless:\n      identities: [{issuerRegExp: "^https://token\\\\.actions", subject: "https://github.com/acme/web/.github/workflows/r.yml@refs/heads/main"}]\n`));
    const [key, keyless] = policies[0].authorities;
    assert.equal(key.kind === 'signature' && key.format, 'legacy');
    assert.equal(key.kind === 'signature' && key.requirement.insecureIgnoreTlog, true);
    assert.equal(keyless.kind === 'signature' && keyless.requirement.insecureIgnoreTlog, false);
    assert.deepEqual(keyless.kind === 'signature' && keyless.requirement.fulcio?.identities, [{ issuer: { regexp: '^https://token\\.actions' }, subject: { exact: 'https://github.com/acme/web/.github/workflows/r.yml@refs/heads/main' } }]);
    assert.deepEqual(keyless.kind === 'signature' && keyless.requirement.trustedRoot, { path: 'trust/trusted_root.json' }, 'without trustRootRef: the committed public-good root');
    assert.equal(policies[0].mode, 'enforce');
  });

  it('turns what gate cannot evaluate offline into an UNSUPPORTED authority naming the field (a secretRef it reads)', () => {
    const { policies } = read(
      cip(`  - key: {kms: "awskms:///alias/x"}\n  - key: {secretRef: {name: release}}\n  - keyless: {ca-cert: {data: x}, identities: [{issuer: a, subject: b}]}\n  - key: {data: "${PEM.replace(/\n/g, '\\n')}"}\n    attestations: [{name: sbom, predicateType: spdx}]\n  - key: {data: "${PEM.replace(/\n/g, '\\n')}"}\n    source: [{oci: registry.example.com/signatures}]\n`),
    );
    const fields = policies[0].authorities.map((a) => (a.kind === 'unsupported' ? a.field : a.kind));
    assert.deepEqual(fields, ['authorities[0].key.kms', 'signature', 'authorities[2].keyless.ca-cert', 'authorities[3].attestations', 'authorities[4].source']);
    const secretRef = policies[0].authorities[1];
    assert.deepEqual(secretRef.kind === 'signature' && secretRef.requirement.keys, [{ secret: { name: 'release', namespace: 'cosign-system' } }], "a key in a Secret of policy-controller's namespace, read like other keys");
    const rego = read(cip('  - static: {action: pass}\n', '  policy: {type: rego, data: "package x"}\n'));
    assert.equal(rego.policies[0].unsupported?.field, 'spec.policy');
  });

  it('reads v1alpha1 as v1beta1 (the same shape)', () => {
    const alpha = read(cip('  - static: {action: pass}\n').replace('policy.sigstore.dev/v1beta1', 'policy.sigstore.dev/v1alpha1'));
    assert.equal(alpha.policies[0].authorities[0].kind, 'static');
    assert.throws(() => read(cip('  - static: {action: pass}\n').replace('policy.sigstore.dev/v1beta1', 'policy.sigstore.dev/v2')), /unsupported apiVersion "policy\.sigstore\.dev\/v2"/);
  });

  it('reads a TrustRoot with sigstoreKeys, and refuses a TUF one (fetched at run time)', () => {
    const remote = 'apiVersion: policy.sigstore.dev/v1alpha1\nkind: TrustRoot\nmetadata: {name: tuf}\nspec:\n  remote: {mirror: "https://tuf.example.com", root: eA==}\n';
    assert.throws(() => read(remote), /fetched at run time/);
    const missing = cip('  - keyless:\n      trustRootRef: nowhere\n      identities: [{issuer: a, subject: b}]\n');
    assert.throws(() => read(missing), /names TrustRoot "nowhere", which is neither in \.gate\/policies nor in the checked manifests/);
  });

  it('is strict: an unknown field, two kinds in one authority, a bad glob, a missing identity are policy errors with the line', () => {
    for (const [yaml, pattern] of [
      [cip('  - static: {action: pass}\n    keys: {}\n'), /unknown field "keys".*did you mean "key"/],
      [cip(`  - static: {action: pass}\n    key: {data: x}\n`), /exactly one of key, keyless and static, found key and static/],
      [cip('  - static: {action: pass}\n').replace('registry.example.com/**', 'registry.example.com/[ab]'), /characters policy-controller does not allow/],
      [cip('  - keyless: {identities: [{issuer: a}]}\n'), /exactly one of subject and subjectRegExp/],
      [cip('  - static: {action: maybe}\n'), /must be pass or fail/],
    ] as const) {
      assert.throws(() => read(yaml), (e: Error & { code?: string; file?: string; line?: number }) => e.code === 'POLICY_INVALID' && pattern.test(e.message), yaml);
    }
  });
});
