// A pod that lists no pull secret gets those of its ServiceAccount, and one that lists
// any keeps only its own (the kubelet's and Portieris' rule); the manifests go through
// the real parser and extractor.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseManifestStream } from '../../src/manifests/document.js';
import { extractImages } from '../../src/manifests/extract.js';
import { withServiceAccountSecrets } from '../../src/manifests/service-accounts.js';

const MANIFESTS = `
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder, namespace: shop}
imagePullSecrets: [{name: sa-cred}, {name: own-cred}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default}
imagePullSecrets: [{name: default-cred}]
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop}
spec:
  serviceAccountName: builder
  imagePullSecrets: [{name: own-cred}]
  containers: [{name: c, image: "registry.example.com/a:1"}]
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec:
  containers: [{name: c, image: "registry.example.com/b:1"}]
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: other}
spec:
  serviceAccountName: builder
  containers: [{name: c, image: "registry.example.com/c:1"}]
`;

describe('withServiceAccountSecrets', () => {
  const { objects } = parseManifestStream(MANIFESTS, 'm.yaml');
  const uses = objects.flatMap((o) => extractImages(o, 'default').uses);

  it('a pod that lists pull secrets keeps only its own; one that lists none gets its ServiceAccount\'s, in the account\'s namespace only', async () => {
    const complete = await withServiceAccountSecrets(uses, objects, 'default');
    assert.deepEqual(complete.map((u) => [u.image, u.pullSecrets]), [
      ['registry.example.com/a:1', ['own-cred']],
      ['registry.example.com/b:1', ['default-cred']],
      ['registry.example.com/c:1', []],
    ]);
  });

  it('asks elsewhere (the cluster) only for a ServiceAccount the manifests do not hold, once each, and never for a pod with pull secrets of its own', async () => {
    const asked: string[] = [];
    const lookup = async (namespace: string, name: string) => {
      asked.push(`${namespace}/${name}`);
      return name === 'builder' ? ['cluster-cred'] : undefined;
    };
    const twice = [...uses, ...uses];
    const complete = await withServiceAccountSecrets(twice, objects, 'default', lookup);
    assert.deepEqual(complete.slice(0, 3).map((u) => [u.image, u.pullSecrets]), [
      ['registry.example.com/a:1', ['own-cred']],
      ['registry.example.com/b:1', ['default-cred']],
      ['registry.example.com/c:1', ['cluster-cred']],
    ]);
    assert.deepEqual(asked, ['other/builder']);
  });

  it('leaves the uses it was given as they were', async () => {
    const before = structuredClone(uses);
    await withServiceAccountSecrets(uses, objects, 'default', async () => ['x']);
    assert.deepEqual(uses, before);
  });
});
