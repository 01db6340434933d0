// sigstore policy-controller's ClusterImagePolicy (policy.sigstore.dev/v1beta1, and
// v1alpha1 of the same shape) and TrustRoot (v1alpha1), read as they are, strictly, so
// that one file serves gate and the cluster. Each authority becomes a sigstoreSigned
// requirement (verify/sigstore/) with policy-controller's defaults, or a static answer,
// or — for what gate cannot evaluate offline — an UNSUPPORTED denial naming the field:
// never an authority quietly left out.
//
// Semantics (pkg/apis/policy/v1beta1, pkg/webhook/validator.go): every CIP whose glob
// matches must pass (AND); within one, any authority passes (OR); `mode: warn` reports a
// failure without enforcing it. A key authority without `ctlog` does not need the
// transparency log; a keyless one needs the SET. `match` (resource kinds and labels) is
// not evaluated: gate applies the policy to every workload, which is stricter.

import { createHash, createPublicKey } from 'node:crypto';
import { GateError } from '../../errors.js';
import type { ManifestObject, PathSegment } from '../../manifests/document.js';
import { StrictReader, type Origin } from '../../manifests/strict.js';
import type { MaterialSource, SigstoreSignedRequirement } from '../../verify/sigstore/config.js';
import type { IdentityRule, Matcher } from '../../verify/sigstore/identity.js';
import { GLOB_CHARACTERS, globToRegExp } from './glob.js';

export const SIGSTORE_POLICY_GROUP = 'policy.sigstore.dev';
const CIP_VERSIONS = ['policy.sigstore.dev/v1beta1', 'policy.sigstore.dev/v1alpha1'];
const TRUST_ROOT_VERSION = 'policy.sigstore.dev/v1alpha1';
/** Where gate finds the trusted root for an authority without trustRootRef (policy-controller's embedded public-good root). */
export const DEFAULT_TRUSTED_ROOT = 'trust/trusted_root.json';
/** The namespace policy-controller is installed in (its Helm chart's default): where key.secretRef Secrets are. */
export const POLICY_CONTROLLER_NAMESPACE = 'cosign-system';

export type Authority = { name: string; origin: Origin } & (
  | { kind: 'static'; action: 'pass' | 'fail'; message?: string }
  | { kind: 'signature'; requirement: SigstoreSignedRequirement; format: 'legacy' | 'bundle' }
  | { kind: 'unsupported'; field: string; message: string }
);

export interface SigstorePolicy {
  name: string;
  origin: Origin;
  globs: Array<{ glob: string; regexp: RegExp; origin: Origin }>;
  mode: 'enforce' | 'warn';
  authorities: Authority[];
  /** A CIP-level field gate cannot evaluate (the CUE/Rego `policy`): the whole CIP fails. */
  unsupported?: { field: string; message: string };
  /** Set when the CIP has `match`: gate applies it to every resource (stricter). */
  match: boolean;
  fingerprint: string;
}

export function isSigstorePolicyObject(value: Record<string, unknown>): boolean {
  return typeof value.apiVersion === 'string' && value.apiVersion.startsWith(`${SIGSTORE_POLICY_GROUP}/`);
}

const META = ['name', 'namespace', 'labels', 'annotations', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'finalizers', 'ownerReferences'];

/** TrustRoots by name, as trusted_root.json documents (verify/sigstore/trust.ts reads them). */
export type TrustRoots = ReadonlyMap<string, { json: string; origin: Origin }>;

/** Reads every policy.sigstore.dev object: TrustRoots first, then the CIPs that name them. */
export function readSigstorePolicies(objects: ManifestObject[]): { policies: SigstorePolicy[]; trustRoots: TrustRoots } {
  const trustRoots = new Map<string, { json: string; origin: Origin }>();
  for (const object of objects.filter((o) => o.value.kind === 'TrustRoot')) {
    const root = readTrustRoot(object);
    const existing = trustRoots.get(root.name);
    if (existing && existing.json !== root.json) throw new GateError('POLICY_CONFLICT', `TrustRoot "${root.name}" is defined twice with different content (also at ${existing.origin.file}:${existing.origin.line})`, root.origin);
    trustRoots.set(root.name, { json: root.json, origin: root.origin });
  }
  const byName = new Map<string, SigstorePolicy>();
  for (const object of objects.filter((o) => o.value.kind !== 'TrustRoot')) {
    const policy = readClusterImagePolicy(object, trustRoots);
    const existing = byName.get(policy.name);
    if (existing && existing.fingerprint !== policy.fingerprint) throw new GateError('POLICY_CONFLICT', `ClusterImagePolicy "${policy.name}" (policy.sigstore.dev) is defined twice with different content (also at ${existing.origin.file}:${existing.origin.line})`, policy.origin);
    byName.set(policy.name, policy);
  }
  return { policies: [...byName.values()], trustRoots };
}

export function readClusterImagePolicy(object: ManifestObject, trustRoots: TrustRoots): SigstorePolicy {
  const v = new StrictReader(object);
  v.fields([], ['apiVersion', 'kind', 'metadata', 'spec'], true);
  const apiVersion = v.string(['apiVersion'], true)!;
  if (object.value.kind !== 'ClusterImagePolicy') v.fail(['kind'], `gate reads ClusterImagePolicy and TrustRoot of ${SIGSTORE_POLICY_GROUP}, not ${String(object.value.kind)}`);
  if (!CIP_VERSIONS.includes(apiVersion)) v.fail(['apiVersion'], `unsupported apiVersion "${apiVersion}"; expected ${CIP_VERSIONS.join(' or ')}`);
  v.fields(['metadata'], META, true);
  const name = v.string(['metadata', 'name'], true)!;
  v.fields(['spec'], ['images', 'authorities', 'policy', 'mode', 'match'], true);
  const images = v.array(['spec', 'images'], false) ?? [];
  if (images.length === 0) v.fail(['spec', 'images'], 'must list at least one image glob');
  const globs = images.map((_, i) => {
    const at: PathSegment[] = ['spec', 'images', i];
    v.fields(at, ['glob'], true);
    const glob = v.string([...at, 'glob'], true)!;
    if (!GLOB_CHARACTERS.test(glob)) v.fail([...at, 'glob'], `"${glob}" has characters policy-controller does not allow in a glob (only A-Z a-z 0-9 - _ : / * . @)`);
    return { glob, regexp: globToRegExp(glob), origin: v.origin([...at, 'glob']) };
  });
  const mode = v.string(['spec', 'mode'], false) ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'warn') v.fail(['spec', 'mode'], `must be enforce or warn, found "${mode}"`);
  const authorities = (v.array(['spec', 'authorities'], false) ?? []).map((_, i) => readAuthority(v, ['spec', 'authorities', i], i, trustRoots));
  if (authorities.length === 0) v.fail(['spec', 'authorities'], 'must list at least one authority');
  const unsupported = v.at(['spec', 'policy']) !== undefined ? { field: 'spec.policy', message: 'a CUE or Rego policy (spec.policy), which gate cannot evaluate' } : undefined;
  return {
    name,
    origin: { file: object.file, line: object.line },
    globs,
    mode: mode as 'enforce' | 'warn',
    authorities,
    ...(unsupported ? { unsupported } : {}),
    match: v.at(['spec', 'match']) !== undefined,
    fingerprint: JSON.stringify(object.value.spec),
  };
}

const AUTHORITY_FIELDS = ['name', 'key', 'keyless', 'static', 'ctlog', 'rfc3161timestamp', 'source', 'attestations', 'signatureFormat'];

function readAuthority(v: StrictReader, path: PathSegment[], index: number, trustRoots: TrustRoots): Authority {
  v.fields(path, AUTHORITY_FIELDS, true);
  const at = (...rest: PathSegment[]): PathSegment[] => [...path, ...rest];
  const name = v.string(at('name'), false) ?? `authority-${index}`;
  const origin = v.origin(path);
  const base = { name, origin };
  const kinds = ['key', 'keyless', 'static'].filter((k) => v.at(at(k)) !== undefined);
  if (kinds.length !== 1) v.fail(path, `needs exactly one of key, keyless and static${kinds.length ? `, found ${kinds.join(' and ')}` : ''}`);
  const unsupported = (field: string, message: string): Authority => ({ ...base, kind: 'unsupported', field: `authorities[${index}].${field}`, message });

  if (kinds[0] === 'static') {
    v.fields(at('static'), ['action', 'message'], true);
    const action = v.string(at('static', 'action'), true);
    if (action !== 'pass' && action !== 'fail') v.fail(at('static', 'action'), `must be pass or fail, found "${action}"`);
    for (const field of ['ctlog', 'rfc3161timestamp', 'source', 'attestations', 'signatureFormat']) if (v.at(at(field)) !== undefined) v.fail(at(field), 'does not apply to a static authority');
    const message = v.string(at('static', 'message'), false);
    return { ...base, kind: 'static', action: action as 'pass' | 'fail', ...(message ? { message } : {}) };
  }

  const format = v.string(at('signatureFormat'), false) ?? 'legacy';
  if (format !== 'legacy' && format !== 'bundle') v.fail(at('signatureFormat'), `must be legacy or bundle, found "${format}"`);
  if (v.at(at('attestations')) !== undefined) return unsupported('attestations', 'attestation policies, which gate does not evaluate yet');
  if (v.at(at('source')) !== undefined) return unsupported('source', 'signatures in another repository (source), which gate does not read from a ClusterImagePolicy yet');

  const trustRootOf = (field: PathSegment[]): string | undefined => {
    const ref = v.string(field, false);
    if (ref === undefined) return undefined;
    const root = trustRoots.get(ref);
    if (!root) v.fail(field, `names TrustRoot "${ref}", which is neither in .gate/policies nor in the checked manifests`);
    return root.json;
  };
  if (v.fields(at('ctlog'), ['url', 'trustRootRef'], false)) v.string(at('ctlog', 'url'), false);
  const ctlogRoot = trustRootOf(at('ctlog', 'trustRootRef'));
  const tsaRoot = v.fields(at('rfc3161timestamp'), ['trustRootRef'], false) ? trustRootOf(at('rfc3161timestamp', 'trustRootRef')) : undefined;
  const hasTimestamp = v.at(at('rfc3161timestamp')) !== undefined;
  const hasCtlog = v.at(at('ctlog')) !== undefined;
  // policy-controller never compares the payload's docker-reference: no signedIdentity.
  const common = {
    type: 'sigstoreSigned' as const,
    formats: [format as 'legacy' | 'bundle'],
    origin,
    ...(hasTimestamp ? { timestampAuthority: trustedRootSource(tsaRoot, `rfc3161timestamp of authority ${name}`) } : {}),
  };

  if (kinds[0] === 'key') {
    v.fields(at('key'), ['data', 'secretRef', 'kms', 'hashAlgorithm'], true);
    if (v.at(at('key', 'kms')) !== undefined) return unsupported('key.kms', 'a KMS key, which gate cannot reach offline: put the public key in key.data');
    const hash = v.string(at('key', 'hashAlgorithm'), false);
    if (hash !== undefined && !['sha224', 'sha256', 'sha384', 'sha512'].includes(hash)) v.fail(at('key', 'hashAlgorithm'), `must be sha224, sha256, sha384 or sha512, found "${hash}"`);
    let source: MaterialSource;
    if (v.fields(at('key', 'secretRef'), ['name', 'namespace'], false)) {
      if (v.at(at('key', 'data')) !== undefined) v.fail(at('key'), 'needs exactly one of data, secretRef and kms');
      const secretName = v.string(at('key', 'secretRef', 'name'), true)!;
      const namespace = v.string(at('key', 'secretRef', 'namespace'), false) ?? POLICY_CONTROLLER_NAMESPACE;
      source = { secret: { name: secretName, namespace } };
    } else {
      const data = v.string(at('key', 'data'), true)!;
      if (!data.includes('-----BEGIN PUBLIC KEY-----')) v.fail(at('key', 'data'), 'must be a PEM public key (-----BEGIN PUBLIC KEY-----)');
      source = { data: Buffer.from(data).toString('base64'), field: `key.data of authority ${name}` };
    }
    const requirement: SigstoreSignedRequirement = {
      ...common,
      hash: (hash ?? 'sha256') as NonNullable<SigstoreSignedRequirement['hash']>,
      keys: [source],
      rekorKeys: [],
      ...(ctlogRoot ?? hasCtlog ? { trustedRoot: trustedRootSource(ctlogRoot, `ctlog of authority ${name}`) } : {}),
      // policy-controller: a key authority without ctlog does not look at the transparency log.
      insecureIgnoreTlog: !hasCtlog,
    };
    return { ...base, kind: 'signature', requirement, format: format as 'legacy' | 'bundle' };
  }

  v.fields(at('keyless'), ['url', 'ca-cert', 'identities', 'trustRootRef', 'insecureIgnoreSCT'], true);
  if (v.at(at('keyless', 'ca-cert')) !== undefined) return unsupported('keyless.ca-cert', 'keyless.ca-cert, which policy-controller itself does not use for verification ("no Keyless URL specified"): use trustRootRef');
  v.string(at('keyless', 'url'), false);
  const list = v.array(at('keyless', 'identities'), false) ?? [];
  if (list.length === 0) v.fail(at('keyless', 'identities'), 'must list at least one identity (issuer and subject, or their RegExp forms)');
  const identities: IdentityRule[] = list.map((_, i) => {
    const id = at('keyless', 'identities', i);
    v.fields(id, ['issuer', 'subject', 'issuerRegExp', 'subjectRegExp'], true);
    const matcher = (exact: string, pattern: string): Matcher => {
      const e = v.string([...id, exact], false);
      const r = v.string([...id, pattern], false);
      if ((e === undefined || e === '') === (r === undefined || r === '')) v.fail(id, `needs exactly one of ${exact} and ${pattern}`);
      return e ? { exact: e } : { regexp: r! };
    };
    return { issuer: matcher('issuer', 'issuerRegExp'), subject: matcher('subject', 'subjectRegExp') };
  });
  const root = trustRootOf(at('keyless', 'trustRootRef')) ?? ctlogRoot;
  const requirement: SigstoreSignedRequirement = {
    ...common,
    keys: [],
    // policy-controller requires an SCT unless insecureIgnoreSCT, whether or not the trust root has CT logs.
    fulcio: { identities, ...(v.boolean(at('keyless', 'insecureIgnoreSCT')) === true ? { ignoreSCT: true } : { requireSCT: true }) },
    rekorKeys: [],
    trustedRoot: trustedRootSource(root, `trustRootRef of authority ${name}`),
    insecureIgnoreTlog: false,
  };
  return { ...base, kind: 'signature', requirement, format: format as 'legacy' | 'bundle' };
}

/** A TrustRoot's document, or the committed default (policy-controller's embedded public-good root). */
function trustedRootSource(json: string | undefined, field: string): SigstoreSignedRequirement['trustedRoot'] {
  return json !== undefined ? { data: Buffer.from(json).toString('base64'), field } : { path: DEFAULT_TRUSTED_ROOT };
}

// ——— TrustRoot (spec.sigstoreKeys) → trusted_root.json ———

interface TrustRootObject {
  name: string;
  json: string;
  origin: Origin;
}

function readTrustRoot(object: ManifestObject): TrustRootObject {
  const v = new StrictReader(object);
  v.fields([], ['apiVersion', 'kind', 'metadata', 'spec'], true);
  if (v.string(['apiVersion'], true) !== TRUST_ROOT_VERSION) v.fail(['apiVersion'], `expected ${TRUST_ROOT_VERSION}`);
  v.fields(['metadata'], META, true);
  const name = v.string(['metadata', 'name'], true)!;
  v.fields(['spec'], ['remote', 'repository', 'sigstoreKeys'], true);
  for (const field of ['remote', 'repository']) {
    if (v.at(['spec', field]) !== undefined) v.fail(['spec', field], `a TrustRoot from a TUF ${field} is fetched at run time, which gate does not do (offline by design): convert it to spec.sigstoreKeys, or commit trusted_root.json`);
  }
  const keys = ['spec', 'sigstoreKeys'];
  v.fields(keys, ['certificateAuthorities', 'tLogs', 'ctLogs', 'timestampAuthorities'], true);
  const cas = (field: string) =>
    (v.array([...keys, field], false) ?? []).map((_, i) => {
      const at = [...keys, field, i];
      v.fields(at, ['subject', 'uri', 'certChain', 'validFor'], true);
      const chain = Buffer.from(v.string([...at, 'certChain'], true)!, 'base64').toString('utf8');
      const certificates = (chain.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((pem) => ({ rawBytes: pem.replace(/-----[A-Z ]+-----|\s+/g, '') }));
      if (certificates.length === 0) v.fail([...at, 'certChain'], 'must be the base64 encoding of PEM certificates');
      return { subject: v.at([...at, 'subject']) ?? {}, uri: v.string([...at, 'uri'], false) ?? '', certChain: { certificates }, validFor: validFor(v, [...at, 'validFor']) };
    });
  const logs = (field: string) =>
    (v.array([...keys, field], false) ?? []).map((_, i) => {
      const at = [...keys, field, i];
      v.fields(at, ['baseURL', 'hashAlgorithm', 'publicKey', 'logID', 'validFor'], true);
      const pem = Buffer.from(v.string([...at, 'publicKey'], true)!, 'base64').toString('utf8');
      let der: Buffer;
      let details: string;
      try {
        const key = createPublicKey(pem);
        der = key.export({ type: 'spki', format: 'der' });
        const curve = key.asymmetricKeyDetails?.namedCurve;
        details = key.asymmetricKeyType === 'ed25519' ? 'PKIX_ED25519' : key.asymmetricKeyType === 'rsa' ? 'PKIX_RSA_PKCS1V15_2048_SHA256' : curve === 'secp384r1' ? 'PKIX_ECDSA_P384_SHA_384' : 'PKIX_ECDSA_P256_SHA_256';
      } catch {
        return v.fail([...at, 'publicKey'], 'must be the base64 encoding of a PEM public key');
      }
      const logID = v.string([...at, 'logID'], false);
      return {
        baseUrl: v.string([...at, 'baseURL'], false) ?? '',
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: der.toString('base64'), keyDetails: details, validFor: validFor(v, [...at, 'validFor']) },
        logId: { keyId: logID ? Buffer.from(logID, 'hex').toString('base64') : createHash('sha256').update(der).digest('base64') },
      };
    });
  const json = JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: logs('tLogs'),
    certificateAuthorities: cas('certificateAuthorities'),
    ctlogs: logs('ctLogs'),
    timestampAuthorities: cas('timestampAuthorities'),
  });
  return { name, json, origin: { file: object.file, line: object.line } };
}

function validFor(v: StrictReader, path: PathSegment[]): { start: string; end?: string } {
  if (!v.fields(path, ['start', 'end'], false)) return { start: new Date(0).toISOString() };
  const start = v.string([...path, 'start'], false);
  const end = v.string([...path, 'end'], false);
  return { start: start ?? new Date(0).toISOString(), ...(end ? { end } : {}) };
}
