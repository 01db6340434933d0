// Bearer tokens of one run, per (token service, credential): the distribution token
// protocol lets a client ask for several repositories in one request (one `scope` each,
// and the service grants each as it would alone), so the first token a credential needs
// on a registry is asked for every repository the run will read there (at most
// MAX_SCOPES), and later requests reuse it. When the registry refuses a batched token for
// a repository its claims said it granted (or an opaque token whose claims cannot be
// read), the client asks for that repository alone (`narrow`): a service that batches
// differently costs a request, never a verdict. A JWT's `access` claim is read, not
// trusted: the registry decides, and a token only ever goes to the registry that asked.

/** Scopes asked for in one token request (a URL stays well under common limits). */
export const MAX_SCOPES = 25;

export interface IssuedToken {
  token?: string;
  /** Epoch ms after which it is fetched again. */
  expiresAt: number;
  /** Set when the service was asked for fewer repositories than requested (it took one scope at a time). */
  repositories?: string[];
}

interface Held {
  pending: Promise<IssuedToken & { granted?: ReadonlySet<string> }>;
  /** Repositories it was asked for (and not narrowed away since). */
  asked: Set<string>;
}

/** Asks the token service for pull on `repositories` (each becomes a scope). */
export type TokenFetcher = (repositories: string[]) => Promise<IssuedToken>;

export class TokenBook {
  private readonly expected = new Map<string, Set<string>>();
  private readonly held = new Map<string, Held[]>();

  /** Repositories the run will read on a registry (known before the first request). */
  expect(domain: string, repository: string): void {
    let paths = this.expected.get(domain);
    if (!paths) this.expected.set(domain, (paths = new Set()));
    paths.add(repository);
  }

  /**
   * The token to send for `repository`: one held that covers it, else a new one asked
   * for it and for the other expected repositories of the registry that no token covers.
   * `batch`: a refusal with this token should be asked again with a token of its own (it
   * was asked for several repositories, and its claims grant this one or cannot be read).
   */
  async tokenFor(book: string, domain: string, repository: string, now: number, fetch: TokenFetcher): Promise<{ token?: string; batch: boolean }> {
    const held = this.held.get(book) ?? [];
    this.held.set(book, held);
    for (const entry of held) {
      if (!entry.asked.has(repository)) continue;
      const issued = await entry.pending.catch(() => undefined);
      if (!issued || issued.expiresAt <= now) continue;
      return { token: issued.token, batch: retriable(entry, issued, repository) };
    }
    const others = [...(this.expected.get(domain) ?? [])].filter((path) => path !== repository && !held.some((h) => h.asked.has(path)));
    const asked = [repository, ...others].slice(0, MAX_SCOPES);
    const entry: Held = {
      asked: new Set(asked),
      pending: fetch(asked).then((issued) => {
        if (issued.repositories) entry.asked = new Set(issued.repositories);
        return { ...issued, ...(issued.token ? grantedBy(issued.token) : {}) };
      }),
    };
    held.push(entry);
    try {
      const issued = await entry.pending;
      return { token: issued.token, batch: retriable(entry, issued, repository) };
    } catch (e) {
      held.splice(held.indexOf(entry), 1);
      throw e;
    }
  }

  /** The registry refused a batched token for `repository`: from now on it gets a token of its own. */
  narrow(book: string, repository: string): void {
    for (const entry of this.held.get(book) ?? []) if (entry.asked.size > 1) entry.asked.delete(repository);
  }
}

/** Whether a 401 with a batched token is worth a token of the repository's own. */
function retriable(entry: Held, issued: { granted?: ReadonlySet<string> }, repository: string): boolean {
  if (entry.asked.size <= 1) return false;
  // The service said what it grants: a repository it left out is refused alone too.
  return issued.granted === undefined || issued.granted.has(repository);
}

/** The repositories a JWT's `access` claim grants pull on; nothing when the token is no JWT. */
function grantedBy(token: string): { granted?: ReadonlySet<string> } {
  const parts = token.split('.');
  if (parts.length !== 3) return {};
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { access?: unknown };
    if (!Array.isArray(claims.access)) return {};
    const granted = new Set<string>();
    for (const item of claims.access as Array<{ type?: unknown; name?: unknown; actions?: unknown }>) {
      if (item?.type === 'repository' && typeof item.name === 'string' && Array.isArray(item.actions) && (item.actions.includes('pull') || item.actions.includes('*'))) {
        granted.add(item.name);
      }
    }
    return { granted };
  } catch {
    return {};
  }
}
