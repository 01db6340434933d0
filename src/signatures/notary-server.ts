// Reading a Notary v1 server (Docker Content Trust) for one GUN, with the token flow Portieris
// uses (pkg/notary/notary.go, helpers/oauth/oauth.go): an unauthenticated GET of root.json;
// on 401, the Bearer challenge must name realm, service and scope; then, for each of the
// workload's credentials in turn, a token from the realm — a POST form (grant_type=password,
// client_id=portieris-client), or an anonymous GET when the realm answers the POST with 404 or
// 405 — and the repository read with it; 401/403 move on to the next credential. Unlike
// Portieris: the trust server must be https (or named with --insecure-registry); a credential
// goes only to a realm on the trust server's origin or the registry's own token realm, over
// https; a POST is never redirected; every read is bounded. The files are then verified by
// verify/notary/repository.ts: this file only fetches.

import { parseChallenge } from '../registry/challenge.js';
import { TransportError, type HttpClient, type HttpResponse } from '../registry/http.js';
import type { NotaryFetch } from '../evidence.js';

export interface NotaryCredential {
  /** Where it came from, for messages (`pull secret regcred`). */
  source: string;
  username: string;
  password: string;
}

export interface NotaryServer {
  http: HttpClient;
  /** https://notary.example.com[:port][/prefix] */
  url: string;
  gun: string;
  /** The workload's credentials, tried in turn when the server asks for a token. */
  credentials: readonly NotaryCredential[];
  /** Whether plain HTTP may carry a credential to this host:port. */
  cleartextAllowed(hostPort: string): boolean;
  /**
   * Token realms that may receive the registry's credentials (the registry's own token
   * realm). A realm elsewhere gets none: the challenge comes from the trust server, the
   * credentials are the registry's.
   */
  credentialRealms?: readonly string[];
  /**
   * Whether a realm on the trust server's own origin may receive them too: only when the
   * trust server was chosen by a reviewed policy (.gate/) or Portieris' built-in map, never
   * by a policy in the checked manifests. Default true.
   */
  originTrusted?: boolean;
}

export interface NotaryAccess {
  fetch: NotaryFetch;
  /** How the server was read: anonymously, or with which credential's token. */
  via: string;
  /** Read with a credential's token: what it read is that workload's, not everyone's. */
  authenticated: boolean;
}

const PROBE_MAX = 4 * 1024 * 1024;

/** Access to the GUN's trust data; a TransportError ('auth', 'unreachable'…) when none is possible. */
export async function openNotary(server: NotaryServer): Promise<NotaryAccess> {
  const base = `${server.url.replace(/\/+$/, '')}/v2/${server.gun}/_trust/tuf/`;
  const get = (name: string, maxBytes: number, token?: string): Promise<HttpResponse> =>
    server.http.fetch(`${base}${name}`, { maxBytes, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });
  const fetcher = (token: string | undefined, probe?: HttpResponse): NotaryFetch => {
    let first = probe;
    return async (name, maxBytes) => {
      const response = name === 'root.json' && first ? first : await get(name, maxBytes, token);
      if (name === 'root.json') first = undefined;
      if (response.status === 404) return undefined;
      if (response.status !== 200) throw new TransportError(response.status === 401 || response.status === 403 ? 'auth' : 'unreachable', `unable to reach trust server at this time: ${response.status} for ${name}`);
      if (response.body.length > maxBytes) throw new TransportError('unreachable', `${name} is larger than ${maxBytes} bytes`);
      return response.body;
    };
  };

  const serverUrl = new URL(server.url);
  if (serverUrl.protocol !== 'https:' && !(serverUrl.protocol === 'http:' && server.cleartextAllowed(serverUrl.host))) {
    throw new TransportError('unreachable', `the trust server ${serverUrl.origin} is not https: name it with --insecure-registry if it is a test server`);
  }
  const probe = await get('root.json', PROBE_MAX);
  if (probe.status !== 401) return { fetch: fetcher(undefined, probe), via: 'anonymously (the trust server asks for no token)', authenticated: false };
  const challenge = parseChallenge(probe.headers['www-authenticate']);
  const { realm, service, scope } = challenge?.scheme === 'bearer' ? challenge.params : ({} as Record<string, string>);
  if (!realm || !service || !scope) throw new TransportError('auth', `could not resolve the auth-endpoint, no supported auth-endpoint found (the trust server's challenge must name realm, service and scope: ${probe.headers['www-authenticate'] ?? 'none'})`);
  let realmUrl: URL;
  try {
    realmUrl = new URL(realm);
  } catch {
    throw new TransportError('auth', `the trust server's token realm is not a URL: ${JSON.stringify(realm.slice(0, 100))}`);
  }
  if (realmUrl.protocol !== 'https:' && !(realmUrl.protocol === 'http:' && server.cleartextAllowed(realmUrl.host))) {
    throw new TransportError('auth', `the trust server's token realm ${realmUrl.origin} is not https: gate sends no credential there (name it with --insecure-registry if it is a test service)`);
  }
  const registryRealm = (server.credentialRealms ?? []).some((r) => new URL(r).origin === realmUrl.origin && new URL(r).pathname === realmUrl.pathname);
  const ownOrigin = realmUrl.origin === serverUrl.origin;
  if (!registryRealm && !(ownOrigin && server.originTrusted !== false)) {
    throw new TransportError(
      'auth',
      ownOrigin
        ? `the trust server ${serverUrl.origin} asks for a token, and it is named by a policy in the checked manifests: gate sends the registry's credentials only to the registry's own token service, or to a trust server a .gate/ policy names`
        : `the trust server names the token realm ${realmUrl.origin}${realmUrl.pathname}, which is neither its own origin nor the registry's token realm: gate sends the registry's credentials to neither`,
      ownOrigin ? 'name this trust server in a policy under .gate/ (reviewed with the repository\'s CODEOWNERS)' : undefined,
    );
  }
  if (server.credentials.length === 0) throw new TransportError('auth', `no valid ImagePullSecret defined for ${server.gun}: the trust server asks for a token, and the workload names no pull secret for it`);
  const refused: string[] = [];
  for (const credential of server.credentials) {
    const token = await tokenFor(server.http, realmUrl, service, scope, credential);
    if (!token.ok) {
      refused.push(`${credential.source} (${token.why})`);
      continue;
    }
    const root = await get('root.json', PROBE_MAX, token.token);
    if (root.status === 401 || root.status === 403) {
      refused.push(`${credential.source} (${root.status})`);
      continue;
    }
    return { fetch: fetcher(token.token, root), via: `with a token for ${credential.source}`, authenticated: true };
  }
  throw new TransportError('auth', `no valid ImagePullSecret defined for ${server.gun}: the trust server refused every credential: ${refused.join(', ')}`);
}

async function tokenFor(http: HttpClient, realm: URL, service: string, scope: string, credential: NotaryCredential): Promise<{ ok: true; token: string } | { ok: false; why: string }> {
  const form = new URLSearchParams({ grant_type: 'password', client_id: 'portieris-client', username: credential.username, password: credential.password, service, scope }).toString();
  let answer = await http.fetch(realm.href, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' }, maxBytes: 64 * 1024 });
  if (answer.status === 404 || answer.status === 405) {
    // The realm takes no form: an anonymous GET, as Portieris falls back to (no credential sent).
    const url = new URL(realm.href);
    url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    answer = await http.fetch(url.href, { maxBytes: 64 * 1024 });
  }
  if (answer.status !== 200) return { ok: false, why: `the token service answered ${answer.status}` };
  let token: unknown;
  try {
    token = (JSON.parse(Buffer.from(answer.body).toString('utf8')) as { token?: unknown }).token;
  } catch {
    return { ok: false, why: 'the token service answered no JSON' };
  }
  return typeof token === 'string' && token !== '' ? { ok: true, token } : { ok: false, why: 'the token service gave no token' };
}
