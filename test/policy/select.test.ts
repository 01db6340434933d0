import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rankCandidates, scopeFor, selectPolicy } from '../../src/policy/select.js';
import type { PolicyResource, PolicySet } from '../../src/policy/types.js';

function resource(kind: PolicyResource['kind'], name: string, patterns: string[], namespace: string | null = null): PolicyResource {
  return {
    kind,
    name,
    namespace,
    repositories: patterns.map((pattern) => ({ name: pattern, policy: { trustEnabled: false, vulnerabilityEnabled: false }, origin: { file: 'p.yaml', line: 1 } })),
    requireDigest: false,
    origin: { file: 'p.yaml', line: 1 },
    fingerprint: name,
  };
}

function set(images: PolicyResource[], clusters: PolicyResource[]): PolicySet {
  return { imagePolicies: images, clusterImagePolicies: clusters };
}

function chosen(image: string, namespace: string, policies: PolicySet): string {
  const selection = selectPolicy(image, namespace, policies);
  return selection.found ? `${selection.match.resource.name}:${selection.match.rule.name}` : `none(${selection.scope})`;
}

describe('policy selection (Portieris GetPolicyToEnforce / FindImagePolicy)', () => {
  const cluster = resource('ClusterImagePolicy', 'cluster', ['*', 'registry.example.com/*']);

  it('uses ClusterImagePolicies when the namespace has no ImagePolicy', () => {
    assert.equal(chosen('registry.example.com/team/web:1', 'shop', set([], [cluster])), 'cluster:registry.example.com/*');
  });

  it('an ImagePolicy in the namespace shuts out ClusterImagePolicies, even when it does not match', () => {
    const local = resource('ImagePolicy', 'local', ['quay.io/*'], 'shop');
    assert.equal(chosen('registry.example.com/team/web:1', 'shop', set([local], [cluster])), 'none(namespace)');
    assert.equal(chosen('quay.io/x/y:1', 'shop', set([local], [cluster])), 'local:quay.io/*');
  });

  it('an ImagePolicy of another namespace does not apply', () => {
    const elsewhere = resource('ImagePolicy', 'local', ['quay.io/*'], 'other');
    assert.equal(chosen('registry.example.com/team/web:1', 'shop', set([elsewhere], [cluster])), 'cluster:registry.example.com/*');
  });

  it('the most specific pattern wins (length minus stars)', () => {
    const c = resource('ClusterImagePolicy', 'c', ['registry.example.com/*', 'registry.example.com/team/*', '*']);
    assert.equal(chosen('registry.example.com/team/web:1', 'shop', set([], [c])), 'c:registry.example.com/team/*');
  });

  it('an exact pattern without a star wins at once, even over a longer wildcard', () => {
    const c = resource('ClusterImagePolicy', 'c', ['registry.example.com/team/web:1*', 'registry.example.com/team/web:1']);
    assert.equal(chosen('registry.example.com/team/web:1', 'shop', set([], [c])), 'c:registry.example.com/team/web:1');
  });

  it('the first resource by name wins a tie, as the API server lists them', () => {
    const b = resource('ClusterImagePolicy', 'b-policy', ['registry.example.com/*']);
    const a = resource('ClusterImagePolicy', 'a-policy', ['registry.example.com/*']);
    assert.equal(chosen('registry.example.com/team/web:1', 'shop', set([], [b, a])), 'a-policy:registry.example.com/*');
  });

  it('policies of one kind are merged', () => {
    const a = resource('ClusterImagePolicy', 'a', ['quay.io/*']);
    const b = resource('ClusterImagePolicy', 'b', ['registry.example.com/team/*']);
    assert.equal(chosen('registry.example.com/team/web:1', 'shop', set([], [a, b])), 'b:registry.example.com/team/*');
  });

  it('no matching pattern denies, and no policy at all denies', () => {
    const c = resource('ClusterImagePolicy', 'c', ['quay.io/*']);
    assert.equal(chosen('registry.example.com/team/web:1', 'shop', set([], [c])), 'none(cluster)');
    assert.equal(chosen('registry.example.com/team/web:1', 'shop', set([], [])), 'none(none)');
  });

  it('does not let a trusted host in the path match a host pattern (v0.14.2 bypass)', () => {
    const c = resource('ClusterImagePolicy', 'c', ['trusted.example.com/*']);
    assert.equal(chosen('evil.io/trusted.example.com/app:1', 'shop', set([], [c])), 'none(cluster)');
  });

  it('matches the literal image string: nginx is not docker.io/library/nginx', () => {
    const c = resource('ClusterImagePolicy', 'c', ['docker.io/library/*']);
    assert.equal(chosen('nginx:1.25', 'shop', set([], [c])), 'none(cluster)');
    assert.equal(chosen('docker.io/library/nginx:1.25', 'shop', set([], [c])), 'c:docker.io/library/*');
  });
});

describe('scopeFor: which policies an image in a namespace is chosen from', () => {
  const clusterB = resource('ClusterImagePolicy', 'b', ['*']);
  const clusterA = resource('ClusterImagePolicy', 'a', ['registry.example.com/*']);
  const shop = resource('ImagePolicy', 'shop', ['registry.example.com/shop/*'], 'shop');

  it('an ImagePolicy in the namespace shuts out every ClusterImagePolicy', () => {
    const scope = scopeFor('shop', set([shop], [clusterB, clusterA]));
    assert.equal(scope.scope, 'namespace');
    assert.deepEqual(scope.resources.map((r) => r.name), ['shop']);
    assert.deepEqual(scope.ignored.map((r) => r.name), ['b', 'a']);
  });

  it('otherwise the ClusterImagePolicies, in API order (by name); none at all is scope none', () => {
    const scope = scopeFor('web', set([shop], [clusterB, clusterA]));
    assert.deepEqual([scope.scope, scope.resources.map((r) => r.name), scope.ignored], ['cluster', ['a', 'b'], []]);
    assert.equal(scopeFor('web', set([shop], [])).scope, 'none');
  });

  it('rankCandidates and selectPolicy see the same scope', () => {
    const policies = set([shop], [clusterB, clusterA]);
    const { candidates, ignored } = rankCandidates('registry.example.com/shop/web:1', 'shop', policies);
    assert.deepEqual(candidates.map((c) => c.resource.name), ['shop']);
    assert.deepEqual(ignored.map((r) => r.name), ['b', 'a']);
    assert.equal(chosen('registry.example.com/shop/web:1', 'shop', policies), 'shop:registry.example.com/shop/*');
  });
});
