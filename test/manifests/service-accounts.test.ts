// A ServiceAccount in the manifests completes the pull secrets of the pods that run as
// it; the manifests go through the real parser and extractor.

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

  it('adds the ServiceAccount\'s pull secrets after the pod\'s own, each once, in the account\'s namespace only', () => {
    const complete = withServiceAccountSecrets(uses, objects, 'default');
    assert.deepEqual(complete.map((u) => [u.image, u.pullSecrets]), [
      ['registry.example.com/a:1', ['own-cred', 'sa-cred']],
      ['registry.example.com/b:1', ['default-cred']],
      ['registry.example.com/c:1', []],
    ]);
  });

  it('leaves the uses it was given as they were', () => {
    const before = structuredClone(uses);
    withServiceAccountSecrets(uses, objects, 'default');
    assert.deepEqual(uses, before);
  });
});
