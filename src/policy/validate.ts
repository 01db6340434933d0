// Strict validation of ImagePolicy / ClusterImagePolicy objects. A typo in a security
// policy must not be silently ignored, so every unknown field, wrong type and unknown
// enum value is an error with the file and line of the offending field.

import { GateError } from '../errors.js';
import type { ManifestObject, PathSegment } from '../manifests/document.js';
import { isPlainObject, valueAt } from '../manifests/document.js';
import { isNameOnly, isRemapPrefix, parseReference } from '../reference/reference.js';
import type { Policy, PolicyKind, PolicyResource, RepositoryRule, Requirement, SignedIdentity } from './types.js';

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

const IDENTITY_FIELDS: Record<string, string[]> = {
  '': [],
  matchExact: [],
  matchRepository: [],
  matchExactReference: ['dockerReference'],
  matchExactRepository: ['dockerRepository'],
  remapIdentity: ['prefix', 'signedPrefix'],
};

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
export function validatePolicy(object: ManifestObject, defaultNamespace: string): PolicyResource {
  const v = new Validator(object);
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
  repos.forEach((_, i) => repositories.push(validateRepository(v, ['spec', 'repositories', i], kind)));

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

function validateRepository(v: Validator, path: PathSegment[], kind: PolicyKind): RepositoryRule {
  v.fields(path, ['name', 'policy'], true);
  const name = v.string([...path, 'name'], true)!;
  if (name === '') v.fail([...path, 'name'], 'repository name must not be empty: an empty pattern never matches an image');
  const policyPath = [...path, 'policy'];
  const raw = valueAt(v.object.value, policyPath);
  if (raw === null && kind === 'ClusterImagePolicy') v.fail(policyPath, 'policy must not be null in a ClusterImagePolicy');
  const policy = raw === undefined || raw === null ? emptyPolicy() : validatePolicyBody(v, policyPath);
  return { name, policy, origin: v.origin([...path, 'name']) };
}

function emptyPolicy(): Policy {
  return { trustEnabled: false, vulnerabilityEnabled: false };
}

function validatePolicyBody(v: Validator, path: PathSegment[]): Policy {
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
  if (v.fields(trust, ['enabled', 'trustServer', 'signerSecrets'], false)) {
    policy.trustEnabled = v.boolean([...trust, 'enabled']) === true;
    v.string([...trust, 'trustServer'], false);
    (v.array([...trust, 'signerSecrets'], false) ?? []).forEach((_, i) => {
      v.fields([...trust, 'signerSecrets', i], ['name'], true);
      v.string([...trust, 'signerSecrets', i, 'name'], false);
    });
  }

  const simple = [...path, 'simple'];
  if (v.fields(simple, ['storeURL', 'storeSecret', 'requirements'], false)) {
    const storeURL = v.string([...simple, 'storeURL'], false);
    if (storeURL !== undefined && storeURL !== '' && !/^https?:\/\/[^/]/.test(storeURL)) {
      v.fail([...simple, 'storeURL'], `storeURL "${storeURL}" must be an http:// or https:// URL (Portieris accepts no other scheme)`);
    }
    const storeSecret = v.string([...simple, 'storeSecret'], false);
    const requirements = (v.array([...simple, 'requirements'], true) ?? []).map((_, i) =>
      validateRequirement(v, [...simple, 'requirements', i]),
    );
    policy.simple = {
      requirements,
      storeURL: storeURL === '' ? undefined : storeURL,
      storeSecret: storeSecret === '' ? undefined : storeSecret,
    };
  }
  return policy;
}

function validateRequirement(v: Validator, path: PathSegment[]): Requirement {
  v.fields(path, ['type', 'keySecret', 'keySecretNamespace', 'signedIdentity'], true);
  const type = v.string([...path, 'type'], true)!;
  const origin = v.origin(path);
  const keySecret = v.string([...path, 'keySecret'], false);
  const keySecretNamespace = v.string([...path, 'keySecretNamespace'], false);
  const identityPath = [...path, 'signedIdentity'];
  const hasIdentity = valueAt(v.object.value, identityPath) !== undefined;

  if (type === 'insecureAcceptAnything' || type === 'reject') {
    for (const field of ['keySecret', 'keySecretNamespace', 'signedIdentity']) {
      if (valueAt(v.object.value, [...path, field]) !== undefined) {
        v.fail([...path, field], `${field} only applies to signedBy requirements, not ${type}`);
      }
    }
    return { type, origin };
  }
  if (type !== 'signedBy') {
    v.fail([...path, 'type'], `simple policy invalid Type: ${type} (expected signedBy, reject or insecureAcceptAnything)`);
  }
  if (keySecret === undefined || keySecret === '') v.fail(path, 'KeySecret missing in signedBy requirement');
  const signedIdentity: SignedIdentity = hasIdentity ? validateIdentity(v, identityPath) : { type: 'matchRepoDigestOrExact' };
  return {
    type: 'signedBy',
    keySecret,
    keySecretNamespace: keySecretNamespace === '' ? undefined : keySecretNamespace,
    signedIdentity,
    origin,
  };
}

function validateIdentity(v: Validator, path: PathSegment[]): SignedIdentity {
  v.fields(path, ['type', 'dockerReference', 'dockerRepository', 'prefix', 'signedPrefix'], true);
  const type = v.string([...path, 'type'], true)!;
  const allowed = IDENTITY_FIELDS[type];
  if (allowed === undefined) {
    const hint = type === 'exactReference' || type === 'exactRepository' ? ` (Portieris calls it match${type[0].toUpperCase()}${type.slice(1)})` : '';
    const hint2 = type === 'matchRepoDigestOrExact' ? ' (Portieris spells the default as "" or an omitted type)' : '';
    v.fail([...path, 'type'], `invalid SignedIdentity Type: ${type}${hint}${hint2}; expected one of "", ${Object.keys(IDENTITY_FIELDS).filter(Boolean).join(', ')}`);
  }
  for (const field of ['dockerReference', 'dockerRepository', 'prefix', 'signedPrefix']) {
    const value = valueAt(v.object.value, [...path, field]);
    if (value !== undefined && !allowed.includes(field)) v.fail([...path, field], `${field} does not apply to signedIdentity type "${type || '(default)'}"`);
  }
  const required = (field: string): string => {
    const value = v.string([...path, field], true)!;
    if (value === '') v.fail([...path, field], `${field} must not be empty for signedIdentity type ${type}`);
    return value;
  };
  switch (type) {
    case '':
      return { type: 'matchRepoDigestOrExact' };
    case 'matchExact':
    case 'matchRepository':
      return { type };
    case 'matchExactReference': {
      const dockerReference = required('dockerReference');
      const parsed = parseReference(dockerReference, 'containers-image');
      if (!parsed.ok) v.fail([...path, 'dockerReference'], `Invalid format of dockerReference "${dockerReference}": ${parsed.message}`);
      if (isNameOnly(parsed.ref)) v.fail([...path, 'dockerReference'], `dockerReference "${dockerReference}" contains neither a tag nor digest`);
      return { type, dockerReference };
    }
    case 'matchExactRepository': {
      const dockerRepository = required('dockerRepository');
      const parsed = parseReference(dockerRepository, 'containers-image');
      if (!parsed.ok) v.fail([...path, 'dockerRepository'], `Invalid format of dockerRepository "${dockerRepository}": ${parsed.message}`);
      return { type, dockerRepository };
    }
    default: {
      const prefix = required('prefix');
      const signedPrefix = required('signedPrefix');
      for (const [field, value] of [['prefix', prefix], ['signedPrefix', signedPrefix]] as const) {
        if (!isRemapPrefix(value)) {
          v.fail([...path, field], `${field} "${value}" is not valid: use a registry host, host/namespace or host/namespace/repository`);
        }
      }
      return { type: 'remapIdentity', prefix, signedPrefix };
    }
  }
}

/** Field-by-field checks that know where each field is in the source file. */
class Validator {
  constructor(readonly object: ManifestObject) {}

  origin(path: readonly PathSegment[]) {
    return { file: this.object.file, line: this.object.lineOf(path) };
  }

  fail(path: readonly PathSegment[], message: string): never {
    const kind = String(this.object.value.kind);
    const name = valueAt(this.object.value, ['metadata', 'name']);
    const what = typeof name === 'string' ? `${kind}/${name}` : kind;
    const where = path.length > 0 ? ` ${formatPath(path)}` : '';
    throw new GateError('POLICY_INVALID', `${what}${where}: ${message}`, this.origin(path));
  }

  /** Checks that `path` is a mapping with only `allowed` keys; false when absent and optional. */
  fields(path: readonly PathSegment[], allowed: string[], required: boolean): boolean {
    const value = valueAt(this.object.value, path);
    if (value === undefined || value === null) {
      if (required && path.length > 0 && value === undefined) this.fail(path, 'is required');
      return false;
    }
    if (!isPlainObject(value)) this.fail(path, `must be a mapping, found ${typeName(value)}`);
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.fail([...path, key], `unknown field "${key}"${suggest(key, allowed)}; allowed here: ${allowed.join(', ')}`);
      }
    }
    return true;
  }

  string(path: readonly PathSegment[], required: boolean): string | undefined {
    const value = valueAt(this.object.value, path);
    if (value === undefined || value === null) {
      if (required) this.fail(path, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') this.fail(path, `must be a string, found ${typeName(value)}`);
    return value;
  }

  boolean(path: readonly PathSegment[]): boolean | undefined {
    const value = valueAt(this.object.value, path);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') this.fail(path, `must be true or false, found ${typeName(value)}`);
    return value;
  }

  array(path: readonly PathSegment[], nullable: boolean): unknown[] | undefined {
    const value = valueAt(this.object.value, path);
    if (value === undefined || (value === null && nullable)) return undefined;
    if (!Array.isArray(value)) this.fail(path, `must be a list, found ${typeName(value)}`);
    return value;
  }
}

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** ` (did you mean "x"?)` for a field name close to an allowed one, else ''. */
export function suggest(key: string, allowed: string[]): string {
  const lower = key.toLowerCase();
  const match = allowed.find((a) => a.toLowerCase() === lower || editDistance(a.toLowerCase(), lower) <= 2);
  return match ? ` (did you mean "${match}"?)` : '';
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
