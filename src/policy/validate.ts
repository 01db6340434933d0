// Strict validation of the ImagePolicy / ClusterImagePolicy envelope (apiVersion,
// metadata, repositories, storeURL, the gate annotation); each requirement is read by
// its kind (verify/kinds.ts). A typo in a security
// policy must not be silently ignored, so every unknown field, wrong type and unknown
// enum value is an error with the file and line of the offending field.

import type { ManifestObject, PathSegment } from '../manifests/document.js';
import { isPlainObject } from '../manifests/document.js';
import { StrictReader, typeName } from '../manifests/strict.js';
import type { KindRegistry } from '../verify/kind.types.js';
import { KINDS, typesIn } from '../verify/kinds.js';
import type { Policy, PolicyKind, PolicyResource, RepositoryRule, Requirement } from './types.js';

export const PORTIERIS_API_VERSION = 'portieris.cloud.ibm.com/v1';
/**
 * gate's one extension of a policy, as an annotation because Portieris' CRDs are
 * structural (an unknown spec field would be pruned, or refused by strict validation):
 * "true" denies images of this policy that are referenced by tag (NOT_PINNED).
 */
export const REQUIRE_DIGEST_ANNOTATION = 'gate/require-digest';
const LEGACY_API_GROUP = 'securityenforcement.admission.cloud.ibm.com';

const OBJECT_META_FIELDS = [
  'name', 'namespace', 'labels', 'annotations', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'finalizers', 'ownerReferences', 'managedFields', 'generateName', 'selfLink',
];

export function isPolicyKind(kind: unknown): kind is PolicyKind {
  return kind === 'ImagePolicy' || kind === 'ClusterImagePolicy';
}

/** Whether an object is meant to be a Portieris policy (and so must validate). */
export function looksLikePolicy(value: Record<string, unknown>): boolean {
  const api = typeof value.apiVersion === 'string' ? value.apiVersion : '';
  return isPolicyKind(value.kind) && (api.startsWith('portieris.cloud.ibm.com/') || api.startsWith(`${LEGACY_API_GROUP}/`));
}

/**
 * Validates one policy object. `defaultNamespace` is where an ImagePolicy without
 * metadata.namespace would land when applied (the app's destination namespace).
 */
export function validatePolicy(object: ManifestObject, defaultNamespace: string, kinds: KindRegistry = KINDS): PolicyResource {
  const v = new StrictReader(object);
  const kind = object.value.kind as PolicyKind;
  v.fields([], ['apiVersion', 'kind', 'metadata', 'spec'], true);
  const apiVersion = v.string(['apiVersion'], true)!;
  if (apiVersion.startsWith(`${LEGACY_API_GROUP}/`)) {
    v.fail(['apiVersion'], `${apiVersion} is the legacy Portieris group, which Portieris no longer enforces; use ${PORTIERIS_API_VERSION}`);
  }
  if (apiVersion !== PORTIERIS_API_VERSION) v.fail(['apiVersion'], `unsupported apiVersion "${apiVersion}" for ${kind}; expected ${PORTIERIS_API_VERSION}`);

  v.fields(['metadata'], OBJECT_META_FIELDS, true);
  const name = v.string(['metadata', 'name'], true)!;
  if (name === '') v.fail(['metadata', 'name'], 'metadata.name must not be empty');
  const metaNamespace = v.string(['metadata', 'namespace'], false);
  const requireDigestPath = ['metadata', 'annotations', REQUIRE_DIGEST_ANNOTATION];
  const requireDigest = v.string(requireDigestPath, false);
  if (requireDigest !== undefined && requireDigest !== 'true' && requireDigest !== 'false') v.fail(requireDigestPath, 'must be "true" or "false"');

  v.fields(['spec'], ['repositories'], true);
  const repositories: RepositoryRule[] = [];
  const repos = v.array(['spec', 'repositories'], true) ?? [];
  repos.forEach((_, i) => repositories.push(validateRepository(v, ['spec', 'repositories', i], kind, kinds)));

  const spec = object.value.spec;
  return {
    kind,
    name,
    // An empty namespace is no namespace: the object lands in the default one.
    namespace: kind === 'ImagePolicy' ? (metaNamespace || defaultNamespace) : null,
    repositories,
    requireDigest: requireDigest === 'true',
    origin: { file: object.file, line: object.line },
    fingerprint: canonicalJson({ spec, requireDigest: requireDigest === 'true' }),
  };
}

function validateRepository(v: StrictReader, path: PathSegment[], kind: PolicyKind, kinds: KindRegistry): RepositoryRule {
  v.fields(path, ['name', 'policy'], true);
  const name = v.string([...path, 'name'], true)!;
  if (name === '') v.fail([...path, 'name'], 'repository name must not be empty: an empty pattern never matches an image');
  const policyPath = [...path, 'policy'];
  const raw = v.at(policyPath);
  if (raw === null && kind === 'ClusterImagePolicy') v.fail(policyPath, 'policy must not be null in a ClusterImagePolicy');
  const policy = raw === undefined || raw === null ? emptyPolicy() : validatePolicyBody(v, policyPath, kinds);
  return { name, policy, origin: v.origin([...path, 'name']) };
}

function emptyPolicy(): Policy {
  return { vulnerabilityEnabled: false };
}

function validatePolicyBody(v: StrictReader, path: PathSegment[], kinds: KindRegistry): Policy {
  v.fields(path, ['mutateImage', 'vulnerability', 'trust', 'simple'], true);
  const policy = emptyPolicy();
  policy.mutateImage = v.boolean([...path, 'mutateImage']);

  const vuln = [...path, 'vulnerability'];
  if (v.fields(vuln, ['ICCRVA'], false)) {
    if (v.fields([...vuln, 'ICCRVA'], ['enabled', 'account'], false)) {
      policy.vulnerabilityEnabled = v.boolean([...vuln, 'ICCRVA', 'enabled']) === true;
      v.string([...vuln, 'ICCRVA', 'account'], false);
    }
  }

  const trust = [...path, 'trust'];
  const trustValue = v.at(trust);
  if (trustValue !== undefined && trustValue !== null) {
    // The section is read (and so validated) whether or not it is enabled, by the kind registered for it.
    const trustKind = Object.values(kinds).find((k) => k.section === 'trust');
    if (!trustKind) v.fail(trust, 'gate has no requirement kind for the trust section');
    const requirement = trustKind.parse(v, trust);
    if (isPlainObject(trustValue) && trustValue.enabled === true) policy.trust = requirement;
  }

  const simple = [...path, 'simple'];
  if (v.fields(simple, ['storeURL', 'storeSecret', 'requirements'], false)) {
    const storeURL = v.string([...simple, 'storeURL'], false);
    if (storeURL !== undefined && storeURL !== '' && !/^https?:\/\/[^/]/.test(storeURL)) {
      v.fail([...simple, 'storeURL'], `storeURL "${storeURL}" must be an http:// or https:// URL (Portieris accepts no other scheme)`);
    }
    const storeSecret = v.string([...simple, 'storeSecret'], false);
    const requirements = (v.array([...simple, 'requirements'], true) ?? []).map((_, i) =>
      validateRequirement(v, [...simple, 'requirements', i], kinds),
    );
    policy.simple = {
      requirements,
      storeURL: storeURL === '' ? undefined : storeURL,
      storeSecret: storeSecret === '' ? undefined : storeSecret,
    };
  }
  return policy;
}

/** The requirement's `type` chooses its kind, which reads the rest: an unknown type is an error, never skipped. */
function validateRequirement(v: StrictReader, path: PathSegment[], kinds: KindRegistry): Requirement {
  const node = v.at(path);
  if (!isPlainObject(node)) v.fail(path, `must be a mapping, found ${typeName(node)}`);
  const type = v.string([...path, 'type'], true)!;
  const kind = Object.hasOwn(kinds, type) ? kinds[type] : undefined;
  if (!kind || kind.section !== 'simple') {
    v.fail([...path, 'type'], `simple policy invalid Type: ${type} (expected ${listOr(typesIn(kinds, 'simple'))})`);
  }
  return kind.parse(v, path);
}

function listOr(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
