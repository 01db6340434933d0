// Which pull secrets a pod pulls with: its own imagePullSecrets when it lists any, else
// those of its ServiceAccount (named, or `default`), never both. That is the kubelet's
// rule, and Portieris v0.14.2 reads them the same way (pkg/kubernetes/podspec.go,
// mutateWithSA: it returns at once when the pod spec lists a pull secret, else fetches
// the ServiceAccount and takes its imagePullSecrets). The ServiceAccount is looked for in
// the manifests (where it would be deployed), else, when one is given, elsewhere (the
// cluster, with --cluster).

import { once } from '../memo.js';
import type { ManifestObject } from './document.js';
import { secretNames, type ImageUse } from './extract.js';

/** The pull secrets of a ServiceAccount found outside the manifests; undefined when it has none to give. */
export type ServiceAccountLookup = (namespace: string, name: string) => Promise<string[] | undefined>;

/**
 * The uses with the pull secrets the webhook would use for them: a use that names none
 * gets its ServiceAccount's. The input is left as it was.
 */
export async function withServiceAccountSecrets(uses: readonly ImageUse[], objects: readonly ManifestObject[], defaultNamespace: string, elsewhere?: ServiceAccountLookup): Promise<ImageUse[]> {
  const inManifests = serviceAccountSecrets(objects, defaultNamespace);
  const asked = new Map<string, Promise<string[]>>();
  const accountSecrets = (namespace: string, name: string): Promise<string[]> => {
    const key = `${namespace}/${name}`;
    const found = inManifests.get(key);
    if (found || !elsewhere) return Promise.resolve(found ?? []);
    return once(asked, key, async () => (await elsewhere(namespace, name)) ?? []);
  };
  return Promise.all(
    uses.map(async (use) => {
      if (use.pullSecrets.length > 0) return use;
      const fromAccount = await accountSecrets(use.namespace, use.serviceAccount);
      return fromAccount.length > 0 ? { ...use, pullSecrets: [...new Set(fromAccount)] } : use;
    }),
  );
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
