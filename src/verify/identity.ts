// Does the identity a signature claims satisfy the policy's signedIdentity rule?
// containers/image signature/policy_reference_match.go, restated. `intended` is the
// image being admitted, normalised, with `:latest` when it had neither tag nor digest.

import {
  isNameOnly,
  parseReference,
  referenceString,
  repositoryName,
  type ImageReference,
} from '../reference/reference.js';

/**
 * Portieris' names for containers/image's signedIdentity types; an empty or absent
 * type is containers/image's default, matchRepoDigestOrExact. Shared by every kind
 * whose signatures name a docker reference.
 */
export type SignedIdentity =
  | { type: 'matchRepoDigestOrExact' }
  | { type: 'matchExact' }
  | { type: 'matchRepository' }
  | { type: 'matchExactReference'; dockerReference: string }
  | { type: 'matchExactRepository'; dockerRepository: string }
  | { type: 'remapIdentity'; prefix: string; signedPrefix: string };

export function identityMatches(rule: SignedIdentity, intended: ImageReference, signedReference: string): boolean {
  const parsed = parseReference(signedReference, 'containers-image');
  if (!parsed.ok) return false;
  const signed = parsed.ref;
  switch (rule.type) {
    case 'matchExact':
      return !isNameOnly(intended) && !isNameOnly(signed) && referenceString(signed) === referenceString(intended);
    case 'matchRepoDigestOrExact':
      return repoDigestOrExact(intended, signed);
    case 'matchRepository':
      return repositoryName(signed) === repositoryName(intended);
    case 'matchExactReference': {
      const required = parseReference(rule.dockerReference, 'containers-image');
      if (!required.ok || isNameOnly(required.ref) || isNameOnly(signed)) return false;
      return referenceString(signed) === referenceString(required.ref);
    }
    case 'matchExactRepository': {
      const required = parseReference(rule.dockerRepository, 'containers-image');
      return required.ok && repositoryName(signed) === repositoryName(required.ref);
    }
    case 'remapIdentity': {
      const remapped = remap(intended, rule.prefix, rule.signedPrefix);
      return remapped !== undefined && repoDigestOrExact(remapped, signed);
    }
  }
}

/** A tagged image needs exactly its own reference signed; a digest image any tag of its repository. */
function repoDigestOrExact(intended: ImageReference, signed: ImageReference): boolean {
  if (isNameOnly(signed)) return false;
  if (intended.tag !== undefined) return referenceString(signed) === referenceString(intended);
  if (intended.digest !== undefined) return repositoryName(signed) === repositoryName(intended);
  return false;
}

/**
 * Inside the prefix (the repository equals it, or continues it after a `/`), the
 * prefix is replaced by signedPrefix; outside it the image keeps its own identity.
 * A rewritten name that is not canonical fails the match (reference.ParseNamed).
 */
export function remap(intended: ImageReference, prefix: string, signedPrefix: string): ImageReference | undefined {
  const name = repositoryName(intended);
  const inside = name === prefix || (name.startsWith(prefix) && name[prefix.length] === '/');
  if (!inside) return intended;
  const rewritten = referenceString(intended).replace(prefix, signedPrefix);
  const parsed = parseReference(rewritten, 'containers-image');
  if (!parsed.ok || referenceString(parsed.ref) !== rewritten) return undefined;
  return parsed.ref;
}

/** The rule in words, for messages and `gate explain`. */
export function describeIdentityRule(rule: SignedIdentity, intended: ImageReference): string {
  const image = referenceString(intended);
  switch (rule.type) {
    case 'matchRepoDigestOrExact':
      return intended.digest !== undefined
        ? `any tag or digest of repository "${repositoryName(intended)}" (default matchRepoDigestOrExact)`
        : `exactly "${image}" (default matchRepoDigestOrExact)`;
    case 'matchExact':
      return `exactly "${image}" (matchExact)`;
    case 'matchRepository':
      return `repository "${repositoryName(intended)}" (matchRepository)`;
    case 'matchExactReference':
      return `exactly "${rule.dockerReference}" (matchExactReference)`;
    case 'matchExactRepository':
      return `repository "${rule.dockerRepository}" (matchExactRepository)`;
    case 'remapIdentity': {
      const remapped = remap(intended, rule.prefix, rule.signedPrefix);
      const target = remapped ? describeIdentityRule({ type: 'matchRepoDigestOrExact' }, remapped) : `a valid remapped name`;
      return `${target} after remapping "${rule.prefix}" to "${rule.signedPrefix}" (remapIdentity)`;
    }
  }
}
