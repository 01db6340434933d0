// An OCI distribution client for what gate needs from a registry: the /v2/ ping, a tag's
// digest (HEAD, or GET and sha256 when no digest header comes back), manifests and blobs
// by digest (hashed and checked), and the signature extension API. Authentication tries
// the credentials in order — anonymous first — with Bearer tokens (per token service and
// credential, each asked for every repository of the run it can cover: tokens.ts) or Basic, and remembers which one worked for each repository. One client
// serves one run (its credentials, tokens and per-registry limits); the connections
// underneath may be shared across runs (http.ts).

import { createHash } from 'node:crypto';
import type { ImageReference } from '../reference/reference.js';
import { validateDigest } from '../reference/reference.js';
import { once } from '../memo.js';
import { parseChallenge, type Challenge } from './challenge.js';
import { basicAuthorization, type CredentialCandidate } from './credentials.js';
import { PlainHttpAnswer, redact, TransportError, type HttpClient, type HttpResponse } from './http.js';
import { TokenBook, type IssuedToken } from './tokens.js';

export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
const SCHEMA1 = /application\/vnd\.docker\.distribution\.manifest\.v1/;
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_TOKEN_BYTES = 1024 * 1024;
/** The token lifetime the distribution token spec assumes when the service names none. */
const DEFAULT_TOKEN_SECONDS = 60;

export interface Endpoint {
  /** https://host[:port], http:// only for registries declared insecure. */
  origin: string;
  insecure: boolean;
}

export interface Ping {
  /** X-Registry-Supports-Signatures: 1 — the registry serves the signature extension API. */
  supportsSignatures: boolean;
}

export interface RegistryOptions {
  http: HttpClient;
  endpoint(domain: string): Endpoint;
  /** Requests in flight per registry. */
  perRegistry: number;
  /** Whether credentials may go to this host:port over plain HTTP (declared insecure). */
  cleartextAllowed(hostPort: string): boolean;
  /** Where credential choices are reported (--verbose); never given a secret. */
  log?: (line: string) => void;
}

export class RegistryClient {
  private readonly pings = new Map<string, Promise<Ping>>();
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new TokenBook();
  private readonly working = new Map<string, string>();
  private readonly slots = new Map<string, Semaphore>();

  constructor(private readonly options: RegistryOptions) {}

  /** A repository the run will read: its token is asked for with the first one the registry needs. */
  expect(ref: ImageReference): void {
    this.tokens.expect(ref.domain, ref.path);
  }

  /** GET /v2/ without credentials, once per registry. 200 and 401 both mean "a registry is here". */
  ping(domain: string): Promise<Ping> {
    return once(this.pings, domain, async () => {
      const response = await this.options.http.fetch(`${this.endpoint(domain).origin}/v2/`, { maxBytes: 64 * 1024, slot: this.slotOf(domain) }).catch((e: unknown) => {
        // Every request to a registry starts with this ping, so this is where "it speaks HTTP" is told.
        if (e instanceof PlainHttpAnswer) throw new TransportError('unreachable', e.message, `${domain} serves plain HTTP: reach it with --insecure-registry ${domain} (credentials then cross the network unencrypted)`);
        throw e;
      });
      if (response.status !== 200 && response.status !== 401) {
        throw new TransportError('unreachable', `${domain} does not answer like a registry: GET /v2/ gave ${response.status}`);
      }
      const ownAnswer = new URL(response.url).origin === this.endpoint(domain).origin;
      const challenge = ownAnswer ? parseChallenge(response.headers['www-authenticate']) : undefined;
      if (challenge) this.challenges.set(domain, challenge);
      return { supportsSignatures: ownAnswer && response.headers['x-registry-supports-signatures'] === '1' };
    });
  }

  /**
   * The Bearer token realm the registry named at its ping, if any: the one place besides a
   * trust server's own origin where a Notary v1 server may send the registry's credentials.
   */
  async tokenRealm(domain: string): Promise<string | undefined> {
    await this.ping(domain).catch(() => undefined);
    const challenge = this.challenges.get(domain);
    return challenge?.scheme === 'bearer' ? challenge.params.realm : undefined;
  }

  /** The digest a tag points to now: the top-level manifest (an index for a multi-arch image). */
  async resolveTag(ref: ImageReference, credentials: CredentialCandidate[]): Promise<string> {
    const path = `/v2/${ref.path}/manifests/${ref.tag ?? 'latest'}`;
    const accept = MANIFEST_MEDIA_TYPES.join(', ');
    const head = await this.authorized(ref, 'HEAD', path, { accept }, credentials, 0);
    this.expectFound(head, ref, 'tag');
    const announced = head.headers['docker-content-digest'];
    if (announced && !validateDigest(announced) && announced.startsWith('sha256:')) return announced;
    // No usable digest header: fetch the manifest and hash it, as containers/image does.
    const get = await this.authorized(ref, 'GET', path, { accept }, credentials, MAX_MANIFEST_BYTES);
    this.expectFound(get, ref, 'tag');
    if (SCHEMA1.test(get.headers['content-type'] ?? '')) {
      throw new TransportError('unsupported', `${ref.domain}/${ref.path}:${ref.tag} is a Docker schema 1 manifest, which gate does not verify`, 'push the image again with a current client (schema 2 or OCI)');
    }
    const computed = sha256(get.body);
    const claimed = get.headers['docker-content-digest'];
    if (claimed && claimed !== computed) {
      throw new TransportError('unreachable', `${ref.domain} served a manifest for ${ref.path}:${ref.tag} whose sha256 is ${computed}, not the ${claimed} it announced (a broken cache or proxy?)`);
    }
    return computed;
  }

  /** A manifest by tag or digest; by digest, its bytes must hash to it. Undefined when absent. */
  async manifest(ref: ImageReference, reference: string, credentials: CredentialCandidate[], accept: string[]): Promise<{ bytes: Uint8Array; mediaType: string } | undefined> {
    const response = await this.authorized(ref, 'GET', `/v2/${ref.path}/manifests/${reference}`, { accept: accept.join(', ') }, credentials, MAX_MANIFEST_BYTES);
    if (response.status === 404) return undefined;
    this.expectOk(response, ref, 'manifest');
    if (reference.startsWith('sha256:') && sha256(response.body) !== reference) {
      throw new TransportError('unreachable', `${ref.domain} served manifest bytes for ${ref.path}@${reference} that do not match that digest`);
    }
    return { bytes: response.body, mediaType: (response.headers['content-type'] ?? '').split(';')[0].trim() };
  }

  /** A blob by digest, checked against it. */
  async blob(ref: ImageReference, digest: string, credentials: CredentialCandidate[], maxBytes: number): Promise<Uint8Array> {
    const response = await this.authorized(ref, 'GET', `/v2/${ref.path}/blobs/${digest}`, {}, credentials, maxBytes);
    this.expectOk(response, ref, 'blob');
    if (sha256(response.body) !== digest) throw new TransportError('unreachable', `${ref.domain} served blob bytes for ${ref.path}@${digest} that do not match that digest`);
    return response.body;
  }

  /**
   * One page of the OCI 1.1 referrers listing of `digest` (`path` is the listing, or the
   * `Link: rel="next"` page the previous one named): undefined when the registry has no
   * referrers API (404); any status but 200 and 404 fails the lookup.
   */
  async referrers(ref: ImageReference, path: string, credentials: CredentialCandidate[], maxBytes: number): Promise<{ bytes: Uint8Array; mediaType: string; next?: string; filtered: boolean } | undefined> {
    const response = await this.authorized(ref, 'GET', path, { accept: 'application/vnd.oci.image.index.v1+json' }, credentials, maxBytes);
    if (response.status === 404) return undefined;
    this.expectOk(response, ref, 'referrers listing');
    const next = nextPage(response.headers.link, this.endpoint(ref.domain).origin, path.replace(/\?.*$/, ''));
    return {
      bytes: response.body,
      mediaType: (response.headers['content-type'] ?? '').split(';')[0].trim(),
      ...(next ? { next } : {}),
      filtered: (response.headers['oci-filters-applied'] ?? '').split(',').map((f) => f.trim()).includes('artifactType'),
    };
  }

  /** GET /extensions/v2/<repo>/signatures/<digest> (OpenShift-style); any status but 200 fails the lookup. */
  async extensionSignatures(ref: ImageReference, digest: string, credentials: CredentialCandidate[], maxBytes: number): Promise<HttpResponse> {
    const response = await this.authorized(ref, 'GET', `/extensions/v2/${ref.path}/signatures/${digest}`, { accept: 'application/json' }, credentials, maxBytes);
    this.expectOk(response, ref, 'signature list');
    return response;
  }

  private endpoint(domain: string): Endpoint {
    return this.options.endpoint(domain);
  }

  private expectFound(response: Answer, ref: ImageReference, what: string): void {
    if (response.status === 404) {
      const answers = response.answers ? `: ${response.answers.join(', ')}` : '';
      throw new TransportError('not-found', `${ref.domain}/${ref.path}:${ref.tag} does not exist in the registry (404 for the ${what}${answers})`, 'push the image, or fix the name or tag');
    }
    this.expectOk(response, ref, what);
  }

  private expectOk(response: HttpResponse, ref: ImageReference, what: string): void {
    if (response.status !== 200) {
      throw new TransportError('unreachable', `${ref.domain} answered ${response.status} for the ${what} of ${ref.path} (${redact(response.url)})`);
    }
  }

  /**
   * One request, tried with each credential in turn until one is let in. 401 and 403
   * mean "not with this credential"; so does 404, since registries hide private
   * repositories from those who may not see them. "Not found" is concluded when every
   * credential gets 404, or when only anonymous access was refused (401/403) and every
   * credential the registry let in got 404: a registry that asks for credentials and
   * then answers 404 has looked. A credential refused outright leaves it AUTH_FAILED,
   * since it might have seen the tag. The credential that worked is tried first next time.
   */
  private async authorized(
    ref: ImageReference,
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string>,
    credentials: CredentialCandidate[],
    maxBytes: number,
  ): Promise<Answer> {
    const key = `${ref.domain}/${ref.path}`;
    // The credential that worked for this repository, else for another one of the registry.
    const preferred = this.working.get(key) ?? this.working.get(ref.domain);
    const ordered = preferred ? [...credentials].sort((a, b) => Number(b.source === preferred) - Number(a.source === preferred)) : credentials;
    const refused: string[] = [];
    let notFound: HttpResponse | undefined;
    let refusedWithCredential = false;
    for (const candidate of ordered) {
      const response = await this.withCredential(ref, method, path, headers, candidate, maxBytes);
      if (response.status === 404) {
        notFound ??= response;
        refused.push(`${candidate.source} (404)`);
        continue;
      }
      if (response.status !== 401 && response.status !== 403) {
        if (this.working.get(key) !== candidate.source) {
          this.working.set(key, candidate.source);
          this.working.set(ref.domain, candidate.source);
          this.options.log?.(`${ref.domain}/${ref.path}: access with ${candidate.source}`);
        }
        return response;
      }
      refused.push(`${candidate.source} (${response.status})`);
      if (!candidate.anonymous) refusedWithCredential = true;
    }
    if (notFound && !refusedWithCredential) return { ...notFound, answers: refused };
    const unseen = notFound ? '; a 404 may also mean that the credential may not see the repository' : '';
    throw new TransportError(
      'auth',
      `${ref.domain} refused access to ${ref.path} with every credential: ${refused.join(', ')}${unseen}`,
      `name a pull secret for ${ref.domain} in the workload (imagePullSecrets of the pod, or of its ServiceAccount): the webhook has no other credential. CI credentials (--auth-file, docker login) stand in only for a pull secret the workload names whose Secret is not in the repository (or all, under --webhook none)`,
    );
  }

  private async withCredential(
    ref: ImageReference,
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string>,
    candidate: CredentialCandidate,
    maxBytes: number,
  ): Promise<HttpResponse> {
    const origin = this.endpoint(ref.domain).origin;
    const url = `${origin}${path}`;
    let batch = false;
    const send = async (): Promise<HttpResponse> => {
      const authorization = await this.authorization(ref, candidate);
      batch = authorization?.batch === true;
      const header = authorization?.header;
      return this.options.http.fetch(url, { method, headers: header ? { ...headers, authorization: header } : headers, maxBytes, slot: this.slotOf(ref.domain) });
    };
    // Learn how the registry authenticates once (GET /v2/), before any request of it:
    // concurrent requests then all get their token first instead of a 401 each.
    await this.ping(ref.domain);
    const answered = this.challenges.get(ref.domain);
    let response = await send();
    const ours = new URL(response.url).origin === origin;
    // Only the registry itself may say how to authenticate to it: a challenge from
    // another origin (after a redirect) could send credentials anywhere.
    const challenge = ours && response.status === 401 ? parseChallenge(response.headers['www-authenticate']) : undefined;
    if (challenge && !sameChallenge(challenge, answered)) {
      this.challenges.set(ref.domain, challenge);
      response = await send();
    } else if (ours && batch && answered && [401, 403, 404].includes(response.status)) {
      // A token asked for many repositories may not cover this one after all (registries
      // refuse, forbid or hide): ask for it alone, as a client asking for nothing else would.
      this.tokens.narrow(tokenBook(ref.domain, answered, candidate), ref.path);
      response = await send();
    }
    return response;
  }

  /** The Authorization header for a credential under the registry's challenge, if it has one; `batch` when it is a token asked for several repositories. */
  private async authorization(ref: ImageReference, candidate: CredentialCandidate): Promise<{ header?: string; batch: boolean } | undefined> {
    const challenge = this.challenges.get(ref.domain);
    if (!challenge) return undefined;
    const basic = candidate.anonymous ? undefined : basicAuthorization(candidate);
    if (challenge.scheme === 'basic') return { header: basic, batch: false };
    const { token, batch } = await this.tokens.tokenFor(tokenBook(ref.domain, challenge, candidate), ref.domain, ref.path, this.options.http.now(), (repositories) =>
      this.fetchToken(ref.domain, challenge, repositories.map((r) => `repository:${r}:pull`), basic).then(({ only, ...issued }) => (only ? { ...issued, repositories: [repositories[0]] } : issued)),
    );
    return { header: token ? `Bearer ${token}` : undefined, batch };
  }

  private async fetchToken(domain: string, challenge: Challenge, scopes: string[], basic: string | undefined): Promise<IssuedToken & { only?: string }> {
    const realm = challenge.params.realm;
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new TransportError('unreachable', `${domain} names no valid token service (realm ${JSON.stringify(realm ?? null)})`);
    }
    // Credentials go to the realm the registry names, and in clear text only to a host declared insecure.
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.options.cleartextAllowed(url.host))) {
      throw new TransportError('auth', `${domain} sends its clients to a token service over ${url.protocol} (${redact(url.href)}); gate sends credentials in clear text only to hosts named with --insecure-registry`);
    }
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const response = await this.options.http.fetch(url.href, { headers: basic ? { authorization: basic } : {}, maxBytes: MAX_TOKEN_BYTES });
    // A token service that does not take several scopes at once gets them one at a time.
    if (scopes.length > 1 && response.status !== 200 && response.status !== 401 && response.status !== 403) {
      return { ...(await this.fetchToken(domain, challenge, scopes.slice(0, 1), basic)), only: scopes[0] };
    }
    const now = this.options.http.now();
    if (response.status === 401 || response.status === 403) return { expiresAt: now + DEFAULT_TOKEN_SECONDS * 1000 };
    if (response.status !== 200) throw new TransportError('unreachable', `the token service of ${domain} answered ${response.status} (${redact(url.href)})`);
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(Buffer.from(response.body).toString('utf8')) as typeof body;
    } catch {
      throw new TransportError('unreachable', `the token service of ${domain} did not answer with JSON`);
    }
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!token) throw new TransportError('unreachable', `the token service of ${domain} gave no token`);
    // Refresh a little before the end of the lifetime (60 s when the service names none).
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    return { token, expiresAt: now + Math.max(lifetime - 10, 1) * 1000 };
  }

  /** Each attempt of a request to `domain` takes one of its slots; the back-off between attempts does not. */
  private slotOf(domain: string): <T>(attempt: () => Promise<T>) => Promise<T> {
    let slot = this.slots.get(domain);
    if (!slot) {
      slot = new Semaphore(this.options.perRegistry);
      this.slots.set(domain, slot);
    }
    const semaphore = slot;
    return (attempt) => semaphore.run(attempt);
  }
}

/** An answer to an authorized request; a 404 says what each credential got. */
type Answer = HttpResponse & { answers?: string[] };

/**
 * Which tokens may serve a request: those one token service gave for one credential, to be
 * sent to one registry (two registries that name the same token service share nothing).
 */
function tokenBook(domain: string, challenge: Challenge, candidate: CredentialCandidate): string {
  return [domain, challenge.params.realm ?? '', challenge.params.service ?? '', candidate.source].join('\u0000');
}

function sameChallenge(a: Challenge, b: Challenge | undefined): boolean {
  return b !== undefined && a.scheme === b.scheme && a.params.realm === b.params.realm && a.params.service === b.params.service;
}

/**
 * The path of a `Link: <…>; rel="next"` header, when it stays on the registry's origin:
 * credentials go to no other host, so a page elsewhere is an error, not a request.
 */
export function nextPage(link: string | undefined, origin: string, listing: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (!match || !/(^|;)\s*rel="?next"?\s*(;|$)/.test(match[2])) continue;
    let url: URL;
    try {
      url = new URL(match[1], origin);
    } catch {
      throw new TransportError('unreachable', `the registry's next referrers page is not a URL (${JSON.stringify(match[1].slice(0, 100))})`);
    }
    if (url.origin !== origin) throw new TransportError('unreachable', `the registry's next referrers page is on another host (${url.origin}): gate does not follow it`);
    // The same listing only: the credentials of this repository go to no other path.
    if (url.pathname !== listing) throw new TransportError('unreachable', `the registry's next referrers page is another path (${url.pathname}) than the listing ${listing}: gate does not follow it`);
    return url.pathname + url.search;
  }
  return undefined;
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** At most `size` tasks at once. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
