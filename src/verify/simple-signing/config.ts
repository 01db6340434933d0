// The policy schema of Portieris' `signedBy` requirement (simple signing), read strictly:
// keySecret, keySecretNamespace and the signedIdentity rule, with containers/image's
// names for the identity types restated in Portieris' spelling.

import type { PathSegment } from '../../manifests/document.js';
import type { Origin, StrictReader } from '../../manifests/strict.js';
import { isNameOnly, isRemapPrefix, parseReference } from '../../reference/reference.js';
import type { SignedIdentity } from '../identity.js';
import { PORTIERIS_REQUIREMENT_FIELDS } from '../portieris/crd.js';

export interface SignedByRequirement {
  type: 'signedBy';
  keySecret: string;
  keySecretNamespace?: string;
  signedIdentity: SignedIdentity;
  origin: Origin;
}

const IDENTITY_FIELDS: Record<string, string[]> = {
  '': [],
  matchExact: [],
  matchRepository: [],
  matchExactReference: ['dockerReference'],
  matchExactRepository: ['dockerRepository'],
  remapIdentity: ['prefix', 'signedPrefix'],
};

export function parseSignedBy(v: StrictReader, path: PathSegment[]): SignedByRequirement {
  v.fields(path, PORTIERIS_REQUIREMENT_FIELDS, true);
  const keySecret = v.string([...path, 'keySecret'], false);
  const keySecretNamespace = v.string([...path, 'keySecretNamespace'], false);
  const identityPath = [...path, 'signedIdentity'];
  if (keySecret === undefined || keySecret === '') v.fail(path, 'KeySecret missing in signedBy requirement');
  const signedIdentity: SignedIdentity = v.at(identityPath) !== undefined ? parseIdentity(v, identityPath) : { type: 'matchRepoDigestOrExact' };
  return {
    type: 'signedBy',
    keySecret,
    keySecretNamespace: keySecretNamespace === '' ? undefined : keySecretNamespace,
    signedIdentity,
    origin: v.origin(path),
  };
}

export function parseIdentity(v: StrictReader, path: PathSegment[]): SignedIdentity {
  v.fields(path, ['type', 'dockerReference', 'dockerRepository', 'prefix', 'signedPrefix'], true);
  const type = v.string([...path, 'type'], true)!;
  const allowed = IDENTITY_FIELDS[type];
  if (allowed === undefined) {
    const hint = type === 'exactReference' || type === 'exactRepository' ? ` (Portieris calls it match${type[0].toUpperCase()}${type.slice(1)})` : '';
    const hint2 = type === 'matchRepoDigestOrExact' ? ' (Portieris spells the default as "" or an omitted type)' : '';
    v.fail([...path, 'type'], `invalid SignedIdentity Type: ${type}${hint}${hint2}; expected one of "", ${Object.keys(IDENTITY_FIELDS).filter(Boolean).join(', ')}`);
  }
  for (const field of ['dockerReference', 'dockerRepository', 'prefix', 'signedPrefix']) {
    if (v.at([...path, field]) !== undefined && !allowed.includes(field)) v.fail([...path, field], `${field} does not apply to signedIdentity type "${type || '(default)'}"`);
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
