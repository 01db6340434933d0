// A pod that names no pull secret of its own still gets those of its ServiceAccount
// (kubelet's rule, and Portieris reads them too). When the ServiceAccount is among the
// manifests, its imagePullSecrets complete each use's: the uses handed on are whole.

import type { ManifestObject } from './document.js';
import { secretNames, type ImageUse } from './extract.js';

/** The uses with their ServiceAccount's pull secrets added after their own (each name once); the input is left as it was. */
export function withServiceAccountSecrets(uses: readonly ImageUse[], objects: readonly ManifestObject[], defaultNamespace: string): ImageUse[] {
  const accounts = serviceAccountSecrets(objects, defaultNamespace);
  return uses.map((use) => {
    const fromAccount = accounts.get(`${use.namespace}/${use.serviceAccount}`) ?? [];
    return { ...use, pullSecrets: [...new Set([...use.pullSecrets, ...fromAccount])] };
  });
}

/** ServiceAccount pull secrets by `namespace/name`, from the manifests. */
function serviceAccountSecrets(objects: readonly ManifestObject[], defaultNamespace: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { value } of objects) {
    if (value.kind !== 'ServiceAccount' || value.apiVersion !== 'v1') continue;
    const meta = (value.metadata ?? {}) as Record<string, unknown>;
    if (typeof meta.name !== 'string') continue;
    const namespace = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : defaultNamespace;
    map.set(`${namespace}/${meta.name}`, secretNames(value.imagePullSecrets));
  }
  return map;
}
