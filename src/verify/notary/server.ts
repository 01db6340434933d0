// Which Notary v1 server holds a repository's trust data, as Portieris chooses it
// (pkg/verifier/trust/verifier.go, helpers/trustmap): the policy's trustServer, verbatim;
// else a built-in map of registries to their notary servers — today only Docker Hub and
// Quay (the IBM Cloud entries were removed in Portieris #386). Portieris matches the map with
// a plain suffix test (`evildocker.io` would use notary.docker.io); gate matches the host and
// its subdomains only, and says so when nothing applies. Pure.

export type TrustServerChoice =
  | { ok: true; url: string; from: 'policy' | 'built-in map' }
  | { ok: false; message: string; hint: string };

/** Portieris' built-in map (v0.14.2), by registry host. */
export const DEFAULT_TRUST_SERVERS: ReadonlyArray<{ registry: string; server: string }> = [
  { registry: 'docker.io', server: 'https://notary.docker.io' },
  { registry: 'quay.io', server: 'https://quay.io:443' },
];

export function trustServerFor(trustServer: string | undefined, registryHost: string): TrustServerChoice {
  if (trustServer !== undefined && trustServer !== '') {
    let url: URL;
    try {
      url = new URL(trustServer);
    } catch {
      return { ok: false, message: `trustServer "${trustServer}" is not a URL`, hint: 'write the notary server as https://notary.example.com[:port]' };
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, message: `trustServer "${trustServer}" is not an http(s) URL`, hint: 'write the notary server as https://notary.example.com[:port]' };
    // Credentials in a URL would be printed in every verdict: never accepted.
    if (url.username !== '' || url.password !== '') return { ok: false, message: 'trustServer must not carry a user name or password: gate prints it in verdicts, and credentials come from the workload\'s pull secrets', hint: 'write the notary server as https://notary.example.com[:port]' };
    return { ok: true, url: trustServer.replace(/\/+$/, ''), from: 'policy' };
  }
  const host = registryHost.replace(/:\d+$/, '').toLowerCase();
  const mapped = DEFAULT_TRUST_SERVERS.find((m) => host === m.registry || host.endsWith(`.${m.registry}`));
  if (mapped) return { ok: true, url: mapped.server, from: 'built-in map' };
  return {
    ok: false,
    message: `Trust Server/Image Configuration Error: no trust server could be found for ${registryHost} (the policy sets no trustServer, and Portieris' built-in map knows only ${DEFAULT_TRUST_SERVERS.map((m) => m.registry).join(' and ')})`,
    hint: `set trust.trustServer in the policy to the notary server that holds the trust data of ${registryHost}`,
  };
}
