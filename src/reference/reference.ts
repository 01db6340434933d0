// Image references as docker/distribution's `reference` package defines them
// (ParseNormalizedNamed): the grammar, docker.io normalisation, and the string forms
// that identity matching compares.
//
// Two grammars are in play, as in the cluster: Portieris reads the pod's image with
// github.com/distribution/reference ('distribution'), while containers/image, which
// verifies the signatures, uses its own older fork ('containers-image'): no IPv6 hosts,
// and a first component is a host only if it has a '.' or ':' or is `localhost` (the
// upstream also takes an upper-case first component as a host).

export interface ImageReference {
  /** Registry host, with port if any: `docker.io`, `registry.example.com:5000`. */
  readonly domain: string;
  /** Repository path without the host: `library/nginx`, `team/web`. */
  readonly path: string;
  readonly tag?: string;
  /** `algorithm:hex`, validated. */
  readonly digest?: string;
}

export type ReferenceParseResult = { ok: true; ref: ImageReference } | { ok: false; message: string };
export type Grammar = 'distribution' | 'containers-image';

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const NAME_TOTAL_LENGTH_MAX = 255;

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainPattern = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const forkDomainPattern = `${domainName}(?::[0-9]+)?`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const ANCHORED_DOMAIN = new RegExp(`^${domainPattern}$`);
const ANCHORED_FORK_DOMAIN = new RegExp(`^${forkDomainPattern}$`);
const ANCHORED_PATH = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const ANCHORED_TAG = new RegExp(`^${tagPattern}$`);
const ANCHORED_DIGEST = new RegExp(`^${digestPattern}$`);
const ANCHORED_HEX_ID = /^[a-f0-9]{64}$/;
const ANCHORED_FORK_NAME_WITH_DOMAIN = new RegExp(`^${forkDomainPattern}/${pathComponent}(?:/${pathComponent})*$`);

/** Digest algorithms go-digest knows, with the length of their hex encoding. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** Validates `algorithm:hex` as go-digest's Parse does. Returns an error message or undefined. */
export function validateDigest(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  if (colon < 1) return `invalid digest "${digest}": expected algorithm:hex`;
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) return `invalid digest "${digest}": unsupported digest algorithm ${algorithm}`;
  if (hex.length !== length || !/^[a-f0-9]+$/.test(hex)) {
    return `invalid digest "${digest}": ${algorithm} needs ${length} lowercase hex characters`;
  }
  return undefined;
}

/**
 * Parses an image string the way ParseNormalizedNamed does: `nginx` becomes
 * docker.io/library/nginx, `index.docker.io` becomes docker.io. No default tag is added.
 */
export function parseReference(input: string, grammar: Grammar = 'distribution'): ReferenceParseResult {
  const fail = (message: string): ReferenceParseResult => ({ ok: false, message });
  if (input.length === 0) return fail('empty image reference');
  if (ANCHORED_HEX_ID.test(input)) {
    return fail(`invalid repository name "${input}": cannot be a 64-character hexadecimal string`);
  }

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!ANCHORED_DIGEST.test(digest)) return fail(`invalid digest "${digest}" in "${input}"`);
    const problem = validateDigest(digest);
    if (problem) return fail(problem);
  }

  // A tag follows the last ':' after the last '/'; an earlier ':' belongs to a port.
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', lastSlash + 1);
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!ANCHORED_TAG.test(tag)) return fail(`invalid tag "${tag}" in "${input}"`);
  }

  let domain: string;
  let path: string;
  const firstSlash = rest.indexOf('/');
  const head = firstSlash >= 0 ? rest.slice(0, firstSlash) : '';
  const upperCaseHost = grammar === 'distribution' && head.toLowerCase() !== head;
  if (firstSlash < 0 || (!/[.:]/.test(head) && head !== 'localhost' && !upperCaseHost)) {
    domain = DEFAULT_DOMAIN;
    path = rest;
  } else {
    domain = head;
    path = rest.slice(firstSlash + 1);
    const domainSyntax = grammar === 'distribution' ? ANCHORED_DOMAIN : ANCHORED_FORK_DOMAIN;
    if (!domainSyntax.test(domain)) return fail(`invalid registry host "${domain}" in "${input}"`);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (path !== path.toLowerCase() && ANCHORED_PATH.test(path.toLowerCase())) {
    return fail(`invalid repository "${path}" in "${input}": repository names must be lowercase`);
  }
  if (!ANCHORED_PATH.test(path)) return fail(`invalid repository name "${path}" in "${input}"`);
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (domain.length + 1 + path.length > NAME_TOTAL_LENGTH_MAX) {
    return fail(`repository name in "${input}" is longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  return { ok: true, ref: { domain, path, tag, digest } };
}

/** `domain/path`: the repository, without tag or digest (reference.Named.Name()). */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full normalised string (reference.Named.String()). */
export function referenceString(ref: ImageReference): string {
  return repositoryName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

export function isNameOnly(ref: ImageReference): boolean {
  return ref.tag === undefined && ref.digest === undefined;
}

/** The reference a kubelet pulls: a name without tag or digest means `:latest`. */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return isNameOnly(ref) ? { ...ref, tag: 'latest' } : ref;
}


/**
 * containers/image's test for remapIdentity prefixes: a host[:port], or an
 * unnormalised repository name that starts with one (`host/ns`, `host/ns/repo`).
 */
export function isRemapPrefix(s: string): boolean {
  return ANCHORED_FORK_DOMAIN.test(s) || ANCHORED_FORK_NAME_WITH_DOMAIN.test(s);
}
