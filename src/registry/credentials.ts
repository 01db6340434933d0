// Registry credentials: the docker config formats (.dockerconfigjson `auths`, legacy
// .dockercfg, config.json, containers auth.json) and how an entry is found for a
// registry. Pure: parsing and lookup only; reading files and running credential helpers
// is in auth-files.ts.

export interface Credential {
  /** Where it came from, for messages; never the secret itself. */
  source: string;
  username: string;
  password: string;
}

/** Anonymous first, then credentials in the order Portieris tries them. */
export type CredentialCandidate = { anonymous: true; source: 'anonymous' } | ({ anonymous?: false } & Credential);

export const ANONYMOUS: CredentialCandidate = { anonymous: true, source: 'anonymous' };

/** Which credentials a result was obtained with: what one workload may see, another may not. */
export function credentialKey(credentials: CredentialCandidate[]): string {
  return credentials.map((c) => c.source).join('\u0001');
}

/** The Authorization header value of HTTP Basic auth (RFC 7617). */
export function basicAuthorization(credential: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
}

export interface DockerConfig {
  auths: Map<string, { username: string; password: string }>;
  credsStore?: string;
  credHelpers: Map<string, string>;
}

/**
 * Reads config.json / auth.json / .dockerconfigjson (`{"auths": {...}}`) or the legacy
 * .dockercfg (the map itself). `auth` (base64 user:password) wins over username/password.
 * Returns an error message for malformed input.
 */
export function parseDockerConfig(json: unknown, legacy = false): DockerConfig | string {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'not a JSON object';
  const root = json as Record<string, unknown>;
  const auths = legacy ? root : root.auths ?? {};
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths)) return '"auths" is not an object';
  const config: DockerConfig = { auths: new Map(), credHelpers: new Map() };
  for (const [key, entry] of Object.entries(auths as Record<string, unknown>)) {
    if (typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    let username: string | undefined;
    let password: string | undefined;
    if (typeof e.auth === 'string' && e.auth !== '') {
      const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return `the "auth" of ${key} is not base64 of user:password`;
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    } else if (typeof e.username === 'string' && typeof e.password === 'string') {
      username = e.username;
      password = e.password;
    }
    if (username !== undefined && password !== undefined) config.auths.set(normaliseKey(key), { username, password });
  }
  if (!legacy) {
    if (typeof root.credsStore === 'string' && root.credsStore !== '') config.credsStore = root.credsStore;
    if (typeof root.credHelpers === 'object' && root.credHelpers !== null) {
      for (const [key, helper] of Object.entries(root.credHelpers as Record<string, unknown>)) {
        if (typeof helper === 'string' && helper !== '') config.credHelpers.set(normaliseKey(key), helper);
      }
    }
  }
  return config;
}

/** `https://index.docker.io/v1/` → `index.docker.io`: docker keys its entries loosely. */
function normaliseKey(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

/**
 * The keys under which a registry's entry may be stored, most exact first: host:port as
 * docker login writes it, then the host alone as Portieris looks it up, and Docker
 * Hub's historical names.
 */
export function configKeysFor(registry: string): string[] {
  const keys = [registry];
  const host = registry.replace(/:\d+$/, '');
  if (host !== registry) keys.push(host);
  if (['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(host)) keys.push('index.docker.io', 'docker.io', 'registry-1.docker.io');
  return [...new Set(keys)];
}

export function lookupAuth(config: DockerConfig, registry: string): { username: string; password: string } | undefined {
  for (const key of configKeysFor(registry)) {
    const entry = config.auths.get(key);
    if (entry) return entry;
  }
  return undefined;
}

/** The credHelpers entry for a registry (it wins over `auths`; credsStore comes after them). */
export function specificHelper(config: DockerConfig, registry: string): string | undefined {
  for (const key of configKeysFor(registry)) {
    const helper = config.credHelpers.get(key);
    if (helper) return helper;
  }
  return undefined;
}
