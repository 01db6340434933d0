import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseReference, referenceString, repositoryName } from '../../src/reference/reference.js';

const HEX = 'a'.repeat(64);

describe('parseReference (docker/distribution ParseNormalizedNamed)', () => {
  const valid: Array<[string, string, string]> = [
    ['nginx', 'docker.io/library/nginx', 'docker.io/library/nginx'],
    ['nginx:1.25', 'docker.io/library/nginx', 'docker.io/library/nginx:1.25'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis', 'docker.io/bitnami/redis:7'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox', 'docker.io/library/busybox'],
    ['localhost/app', 'localhost/app', 'localhost/app'],
    ['localhost:5000/team/app:v1', 'localhost:5000/team/app', 'localhost:5000/team/app:v1'],
    ['registry.example.com/team/web@sha256:' + HEX, 'registry.example.com/team/web', 'registry.example.com/team/web@sha256:' + HEX],
    ['quay.io/a/b:t@sha256:' + HEX, 'quay.io/a/b', 'quay.io/a/b:t@sha256:' + HEX],
    ['[::1]:5000/app:1', '[::1]:5000/app', '[::1]:5000/app:1'],
    ['Registry.Example.com/app', 'Registry.Example.com/app', 'Registry.Example.com/app'],
    ['a/b__c/d-e--f.g:Tag_1.0', 'docker.io/a/b__c/d-e--f.g', 'docker.io/a/b__c/d-e--f.g:Tag_1.0'],
  ];
  for (const [input, name, full] of valid) {
    it(`reads ${input}`, () => {
      const parsed = parseReference(input);
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
      assert.equal(repositoryName(parsed.ref), name);
      assert.equal(referenceString(parsed.ref), full);
    });
  }

  const invalid = [
    '',
    'nginx:',
    'team/Web',
    `${'a'.repeat(64)}`,
    'reg.io/app@sha256:' + 'A'.repeat(64),
    'reg.io/app@sha256:abc',
    'reg.io/app@md5:' + 'a'.repeat(32),
    `reg.io/app:${'t'.repeat(129)}`,
    '$(params.image)',
    '{{inputs.parameters.image}}',
    '${IMAGE}',
    'ko://github.com/sigstore/policy-controller/cmd/webhook',
    ' nginx',
    'reg.io//app',
    `reg.io/${'a'.repeat(250)}`,
  ];
  for (const input of invalid) {
    it(`refuses ${JSON.stringify(input).slice(0, 50)}`, () => {
      assert.equal(parseReference(input).ok, false);
    });
  }

  it('reads with containers/image\'s older grammar where it verifies: no upper-case or IPv6 hosts', () => {
    assert.equal(parseReference('Foo/bar:1').ok, true);
    assert.equal(parseReference('Foo/bar:1', 'containers-image').ok, false);
    assert.equal(parseReference('[::1]:5000/app:1', 'containers-image').ok, false);
    const fork = parseReference('localhost:5000/Team', 'containers-image');
    assert.equal(fork.ok, false);
    const same = parseReference('quay.io/a/b:1', 'containers-image');
    assert.ok(same.ok && referenceString(same.ref) === 'quay.io/a/b:1');
  });
});
