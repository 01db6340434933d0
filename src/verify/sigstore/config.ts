// The policy schema of gate's `sigstoreSigned` requirement (cosign signatures), read
// strictly. Field names are containers/image's (containers-policy.json(5)): exactly one
// key source — keyPath, keyPaths, keyData, keyDatas or fulcio — the Rekor keys, and
// signedIdentity. What c/image lacks, gate adds: trustedRootPath (a sigstore
// trusted_root.json: Fulcio CAs, Rekor logs, CT logs, timestamp authorities),
// fulcio.subjectURI and fulcio.buildSignerURI for CI workflow identities, and
// insecureIgnoreTlog, the opt-out of the transparency log for key-based requirements.
// Paths are relative to .gate/ and stay inside it. Portieris' CRD rejects the type:
// such a policy is for gate (and the webhook that enforces cosign signatures), never
// for Portieris itself.

import type { PathSegment } from '../../manifests/document.js';
import type { Origin, StrictReader } from '../../manifests/strict.js';
import type { SignedIdentity } from '../identity.js';
import { parseIdentity } from '../simple-signing/config.js';
import { exactIdentity, type IdentityRule } from './identity.js';

/** A piece of trust material: a file under .gate/, the bytes written in the policy, or a Secret (policy-controller's key.secretRef). */
export type MaterialSource = { path: string } | { data: string; field: string } | { secret: { name: string; namespace: string } };

export interface SigstoreSignedRequirement {
  type: 'sigstoreSigned';
  /** Public keys (PEM): any one may have signed. Empty for a keyless requirement. */
  keys: MaterialSource[];
  /**
   * Keyless: the Fulcio identities any one of which may have signed (sigstoreSigned names
   * one; a policy-controller authority may list several), and where the CA certificates
   * are (caPath/caData, or the trusted root).
   */
  fulcio?: { identities: IdentityRule[]; ca?: MaterialSource; ignoreSCT?: boolean; requireSCT?: boolean };
  rekorKeys: MaterialSource[];
  trustedRoot?: MaterialSource;
  /** Key-based only: accept signatures without a transparency-log entry (cosign --insecure-ignore-tlog). */
  insecureIgnoreTlog: boolean;
  /** The repository a legacy payload must name; absent: not compared (policy-controller never compares it). */
  signedIdentity?: SignedIdentity;
  /** Which storage formats count (a policy-controller authority's signatureFormat); absent: both. */
  formats?: ReadonlyArray<'legacy' | 'bundle'>;
  /** policy-controller: the hash a key signature is checked with (key.hashAlgorithm, default sha256); absent: by key type. */
  hash?: 'sha224' | 'sha256' | 'sha384' | 'sha512';
  /** policy-controller's rfc3161timestamp: an RFC 3161 stamp by a TSA of this trust root is required. */
  timestampAuthority?: MaterialSource;
  origin: Origin;
}

export const SIGSTORE_SIGNED_FIELDS = [
  'type',
  'keyPath',
  'keyPaths',
  'keyData',
  'keyDatas',
  'fulcio',
  'rekorPublicKeyPath',
  'rekorPublicKeyPaths',
  'rekorPublicKeyData',
  'rekorPublicKeyDatas',
  'trustedRootPath',
  'insecureIgnoreTlog',
  'signedIdentity',
];

const FULCIO_FIELDS = ['caPath', 'caData', 'oidcIssuer', 'subjectEmail', 'subjectURI', 'buildSignerURI'];

/** A path under .gate/: relative, no `..`, no backslash or NUL. */
export function isGatePath(value: string): boolean {
  return value !== '' && !value.startsWith('/') && !/[\\\0]/.test(value) && !value.split('/').includes('..');
}

export function parseSigstoreSigned(v: StrictReader, path: PathSegment[]): SigstoreSignedRequirement {
  v.fields(path, SIGSTORE_SIGNED_FIELDS, true);
  const at = (field: string): PathSegment[] => [...path, field];
  const sources = (single: string, plural: string, dataSingle: string, dataPlural: string): MaterialSource[] => {
    const out: MaterialSource[] = [];
    const given = [single, plural, dataSingle, dataPlural].filter((f) => v.at(at(f)) !== undefined);
    if (given.length > 1) v.fail(at(given[1]), `${given.join(' and ')} are exclusive: use one of them`);
    const pathOf = (p: PathSegment[]): MaterialSource => {
      const value = v.string(p, true)!;
      if (!isGatePath(value)) v.fail(p, `"${value}" must be a path relative to .gate/ that stays inside it (no leading /, no ..)`);
      return { path: value };
    };
    const dataOf = (p: PathSegment[], field: string): MaterialSource => {
      const value = v.string(p, true)!;
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) v.fail(p, 'must be the base64 encoding of the PEM bytes');
      return { data: value, field };
    };
    if (v.at(at(single)) !== undefined) out.push(pathOf(at(single)));
    if (v.at(at(dataSingle)) !== undefined) out.push(dataOf(at(dataSingle), dataSingle));
    for (const [field, read] of [[plural, pathOf], [dataPlural, (p: PathSegment[]) => dataOf(p, dataPlural)]] as const) {
      const list = v.array(at(field), false);
      if (list === undefined) continue;
      if (list.length === 0) v.fail(at(field), 'must list at least one entry');
      list.forEach((_, i) => out.push(read([...at(field), i])));
    }
    return out;
  };

  const keys = sources('keyPath', 'keyPaths', 'keyData', 'keyDatas');
  const rekorKeys = sources('rekorPublicKeyPath', 'rekorPublicKeyPaths', 'rekorPublicKeyData', 'rekorPublicKeyDatas');
  const trustedRootPath = v.string(at('trustedRootPath'), false);
  if (trustedRootPath !== undefined && !isGatePath(trustedRootPath)) v.fail(at('trustedRootPath'), `"${trustedRootPath}" must be a path relative to .gate/ that stays inside it`);
  const trustedRoot = trustedRootPath !== undefined ? { path: trustedRootPath } : undefined;
  const insecureIgnoreTlog = v.boolean(at('insecureIgnoreTlog')) === true;

  let fulcio: SigstoreSignedRequirement['fulcio'];
  if (v.fields(at('fulcio'), FULCIO_FIELDS, false)) {
    const f = at('fulcio');
    if (keys.length > 0) v.fail(f, 'a requirement is either key-based (keyPath, keyPaths, keyData, keyDatas) or keyless (fulcio), not both: write two requirements');
    const caPath = v.string([...f, 'caPath'], false);
    const caData = v.string([...f, 'caData'], false);
    if (caPath !== undefined && caData !== undefined) v.fail([...f, 'caData'], 'caPath and caData are exclusive');
    if (caPath !== undefined && !isGatePath(caPath)) v.fail([...f, 'caPath'], `"${caPath}" must be a path relative to .gate/ that stays inside it`);
    const ca: MaterialSource | undefined = caPath !== undefined ? { path: caPath } : caData !== undefined ? { data: caData, field: 'fulcio.caData' } : undefined;
    if (!ca && !trustedRoot) v.fail(f, 'says no Fulcio CA: set fulcio.caPath (or caData), or trustedRootPath');
    const nonEmpty = (field: string, required: boolean): string | undefined => {
      const value = v.string([...f, field], required);
      if (value === '') v.fail([...f, field], 'must not be empty');
      return value;
    };
    const oidcIssuer = nonEmpty('oidcIssuer', true)!;
    const subjectEmail = nonEmpty('subjectEmail', false);
    const subjectURI = nonEmpty('subjectURI', false);
    const buildSignerURI = nonEmpty('buildSignerURI', false);
    if ((subjectEmail === undefined) === (subjectURI === undefined)) {
      v.fail(f, 'needs exactly one of subjectEmail (an e-mail SAN) and subjectURI (a URI SAN, such as a CI workflow\'s https://github.com/<org>/<repo>/.github/workflows/<file>@<ref>)');
    }
    fulcio = { identities: [exactIdentity({ issuer: oidcIssuer, subject: (subjectEmail ?? subjectURI)!, subjectType: subjectEmail !== undefined ? 'email' : 'uri', ...(buildSignerURI ? { buildSignerURI } : {}) })], ...(ca ? { ca } : {}) };
    if (insecureIgnoreTlog) v.fail(at('insecureIgnoreTlog'), 'applies to key-based requirements only: a keyless signature needs the transparency log (or a timestamp) to prove when the short-lived certificate was used');
  } else if (keys.length === 0) {
    v.fail(path, 'needs exactly one of keyPath, keyPaths, keyData, keyDatas (a cosign public key) or fulcio (keyless)');
  }
  if (!insecureIgnoreTlog && rekorKeys.length === 0 && !trustedRoot) {
    v.fail(path, 'says no Rekor key: set rekorPublicKeyPath (or trustedRootPath) so that gate can check the transparency-log entry offline' + (fulcio ? '' : ', or insecureIgnoreTlog: true to accept key-based signatures without one'));
  }
  const identityPath = at('signedIdentity');
  // cosign's payload names the repository only (no tag): containers/image's default,
  // matchRepoDigestOrExact, would refuse every tag. gate's default is matchRepository.
  const signedIdentity: SignedIdentity = v.at(identityPath) !== undefined ? parseIdentity(v, identityPath) : { type: 'matchRepository' };
  return {
    type: 'sigstoreSigned',
    keys,
    ...(fulcio ? { fulcio } : {}),
    rekorKeys,
    ...(trustedRoot ? { trustedRoot } : {}),
    insecureIgnoreTlog,
    signedIdentity,
    origin: v.origin(path),
  };
}
