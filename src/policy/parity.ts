// The webhook-parity rules: where gate's verdict would differ from Portieris' in the
// cluster for reasons beyond the signatures, each as a pure function from what the
// engine found to what Portieris would do (undefined: nothing differs). The engine turns
// each into a denial or a warning as `.gate/config.yaml` `rules:` sets it (policy/settings.ts);
// under `webhook: none` none applies. README "Which webhook gate predicts" lists them.
//   mutate-image     Portieris rewrites an admitted tag to a digest (mutation)
//   key-secret       Portieris reads the key only from the Secret it names (undeployedKey)
//   signature-store  Portieris reads signatures only from storeURL or the registry's API (unpublishedSignatures)

import { repositoryName, type ImageReference } from '../reference/reference.js';
import type { KeyNeed } from '../verify/kind.types.js';
import { namespaceOf, type KeyPlacement } from './keys.js';
import type { Policy, PolicyResource } from './types.js';
import { deny, type Verdict } from '../verify/verdict.js';

export interface Divergence {
  message: string;
  hint: string;
}

/**
 * Whether Portieris would rewrite the image in the object it admits (v0.14.2,
 * pkg/controller/multi/controller.go): after a policy with simple requirements or Notary
 * trust admits it, unless mutateImage is false, the container's image becomes
 * `<normalised name>@sha256:<digest>`. The object then differs from Git unless the image
 * was written exactly so; Argo CD reports OutOfSync, self-heal re-applies Git, and Portieris
 * rewrites again. Returns what happens, or undefined when nothing changes.
 */
export function mutation(image: string, ref: ImageReference, policy: Policy, resource: PolicyResource, pattern: string): Divergence | undefined {
  if (policy.mutateImage === false) return undefined;
  if ((policy.simple?.requirements ?? []).length === 0 && !policy.trust) return undefined;
  const rewritten = ref.digest !== undefined ? `${repositoryName(ref)}@${ref.digest}` : undefined;
  if (rewritten === image) return undefined;
  const to = rewritten ?? `${repositoryName(ref)}@sha256:<digest>`;
  const where = `${resource.kind}/${resource.name} repository "${pattern}"`;
  return {
    message: `Portieris would admit "${image}" and rewrite it to "${to}" (${where} lacks mutateImage: false), so Argo CD would find the live object differing from Git for ever (OutOfSync: self-heal re-applies Git, Portieris rewrites again)`,
    hint: `set mutateImage: false in the policy entry of ${where} (gate verifies before the sync, so the rewrite buys nothing)${rewritten ? `, or write the image as "${rewritten}"` : ''}`,
  };
}

/**
 * Portieris builds its policy from Secret <keySecret> in the workload's namespace (or
 * keySecretNamespace) and denies the pod when it is missing. A key gate found only in its
 * own configuration (.gate/keys/, a .gate/ Secret without a namespace) says nothing about
 * that Secret; with --cluster gate asked the cluster, which has none.
 */
export function undeployedKey(placement: KeyPlacement, need: KeyNeed, label: string): Divergence | undefined {
  if (placement.deployed) return undefined;
  const from = placement.file ?? '<public key file>';
  const create = `kubectl create secret generic ${need.secret} --from-file=key=${from} -n ${need.namespace}`;
  const where = `Secret "${need.secret}" in ${namespaceOf(need)}`;
  if (placement.clusterAsked) {
    return {
      message: `${label} needs keySecret "${need.secret}": gate found the key in ${placement.kept}, but the cluster has no ${where}, so Portieris would deny the pod`,
      hint: `deploy the key where Portieris reads it: ${create}`,
    };
  }
  return {
    message: `${label} needs keySecret "${need.secret}": gate found the key only in ${placement.kept}, and nothing says the cluster holds ${where}, which is all Portieris reads`,
    hint: `deploy it: ${create}; then tell gate so: add the Secret to the manifests, declare it in .gate/config.yaml (keySecrets: [{name: ${need.secret}, namespaces: [${need.namespace}]}]), or check against the cluster with --cluster`,
  };
}

/** Where the signatures were found that Portieris would not read. */
export interface UnreadStore {
  /** `ClusterImagePolicy/x (repository "…")`. */
  label: string;
  /** The registries.d scope, and where it is declared. */
  scope: string;
  declared: string;
  /** Where gate looked in it (the lookup's `searched`). */
  searched: string;
  /** The registry whose signature API Portieris reads instead. */
  host: string;
}

/**
 * Portieris without storeURL reads signatures only through the registry's signature API
 * (registries.d is not read in the webhook: reference signature-formats.md §1.5). When
 * that denies and a registries.d lookaside gate can read would allow, the webhook's
 * denial stands, under its own reason, with the fix; when the lookaside denies too, its
 * own reason is the clearer one, and the fix adds where Portieris reads.
 */
export function unpublishedSignatures(webhook: Verdict, gateOnly: Verdict | undefined, store: UnreadStore): Verdict {
  if (webhook.allowed || gateOnly === undefined) return webhook;
  const readsInstead = `Portieris reads no registries.d: without simple.storeURL in ${store.label} it reads only the registry's signature API of ${store.host}`;
  const local = /\/var\/lib\/containers\/sigstore|\/\.local\/share\/containers\/sigstore/.test(store.searched)
    ? ` That folder is skopeo's default local signature store: signatures written there stay on the machine that signed.`
    : '';
  const fix = `publish the lookaside on a web server and set simple.storeURL: https://<server>/<path> in ${store.label} (offline runs read a declared local copy: signatureStores.mirrors in .gate/config.yaml); or push the signatures to a registry with a signature API; or, if no Portieris enforces these images, opt the scope in: signatureStores.gateOnly: [{scope: "${store.scope}", reason: "…"}]`;
  if (!gateOnly.allowed) return { ...gateOnly, hint: `${gateOnly.hint ? `${gateOnly.hint}; then ` : ''}${fix} (${readsInstead})` };
  return deny(
    'SIGNATURES_NOT_PUBLISHED',
    `the signatures verify in ${store.searched} (registries.d scope ${store.scope}, ${store.declared}), which only gate reads. ${readsInstead}, and there: ${webhook.message}.${local}`,
    fix,
    gateOnly.digest ?? webhook.digest,
  );
}
