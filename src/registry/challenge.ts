// WWW-Authenticate challenges (RFC 7235) as registries send them:
//   Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull"
//   Basic realm="Registry Realm"

export interface Challenge {
  scheme: 'bearer' | 'basic';
  params: Record<string, string>;
}

export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const scheme = match[1].toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'basic') return undefined;
  const params: Record<string, string> = {};
  const pair = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)/g;
  for (let m = pair.exec(match[2]); m; m = pair.exec(match[2])) {
    params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    if (m[0] === '') break;
  }
  return { scheme, params };
}
