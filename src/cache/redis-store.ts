// The evidence cache in Redis, so that every repo-server replica and CI runner shares one
// (Argo CD already runs one: argocd-redis, or redis-ha). Entries are strings under
// `gate:evidence:v1:<key>` with Redis' own expiry. Redis is a convenience, never a
// dependency: the client connects on first use, does not queue commands while the server
// is away and does not reconnect, and each command has a deadline; any failure makes the
// cache give up on Redis for the run (evidence-cache.ts says so once).
// The client is @redis/client (node-redis), loaded only when a Redis URL is given.

import type { EvidenceBackend } from './evidence-cache.js';

const PREFIX = 'gate:evidence:v1:';

export interface RedisSettings {
  /** redis://[user[:password]@]host[:port][/db] or rediss://… (TLS). */
  url: string;
  /** Used when the URL carries none ($GATE_CACHE_REDIS_PASSWORD: Argo CD keeps it in Secret argocd-redis, key auth). */
  password?: string;
  /** Trust roots for rediss:// (PEM), as for registries. */
  ca?: () => Promise<string[]>;
  /** Connect and per-command limit. */
  timeoutMs: number;
}

/** The URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username || u.password ? `${u.username}${u.password ? ':…' : ''}@` : '';
    return `${u.protocol}//${user}${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    // Unparsable: everything up to the last @ may be a password (one with a / in it too).
    return url.replace(/\/\/.*@/, '//…@');
  }
}

/** Refuses a URL that is not redis:// or rediss:// with a host, without echoing a password. */
export function checkRedisUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `not a URL: ${redactRedisUrl(url)}`;
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') return `${redactRedisUrl(url)} is not a redis:// or rediss:// URL`;
  if (!parsed.hostname) return `${redactRedisUrl(url)} names no host`;
  return undefined;
}

interface Client {
  getRange(key: string, start: number, end: number): Promise<string>;
  set(key: string, value: string, options: { expiration: { type: 'PX'; value: number } }): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
}

export class RedisEvidenceStore implements EvidenceBackend {
  readonly label: string;
  private client?: Promise<Client>;

  constructor(private readonly settings: RedisSettings) {
    this.label = `Redis ${redactRedisUrl(settings.url)}`;
  }

  async get(key: string, maxBytes: number): Promise<Uint8Array | undefined> {
    const client = await this.connected();
    // GETRANGE reads at most maxBytes + 1 bytes, whatever was planted under the key.
    const value = await this.deadline(client.getRange(PREFIX + key, 0, maxBytes));
    const bytes = Buffer.from(value, 'utf8');
    return bytes.length === 0 || bytes.length > maxBytes ? undefined : bytes;
  }

  async put(key: string, entry: Uint8Array, ttlMs: number): Promise<void> {
    const client = await this.connected();
    await this.deadline(client.set(PREFIX + key, Buffer.from(entry).toString('utf8'), { expiration: { type: 'PX', value: Math.max(1, Math.round(ttlMs)) } }));
  }

  async close(): Promise<void> {
    const pending = this.client;
    this.client = undefined;
    if (!pending) return;
    const client = await pending.catch(() => undefined);
    if (!client) return;
    await this.deadline(client.close()).catch(() => client.destroy());
  }

  private connected(): Promise<Client> {
    this.client ??= this.connect();
    return this.client;
  }

  private async connect(): Promise<Client> {
    const { createClient } = await import('@redis/client');
    const url = new URL(this.settings.url);
    const tls = url.protocol === 'rediss:';
    const ca = tls && this.settings.ca ? await this.settings.ca() : undefined;
    const client = createClient({
      url: this.settings.url,
      ...(!url.password && this.settings.password ? { password: this.settings.password } : {}),
      // Fail at once while the server is away instead of queueing until it returns.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: this.settings.timeoutMs,
        reconnectStrategy: false,
        ...(tls ? { tls: true as const, servername: url.hostname, ...(ca ? { ca } : {}) } : {}),
      },
      commandOptions: { timeout: this.settings.timeoutMs, rejectInFlight: true },
    });
    // node-redis emits every socket error as an event; the failed command says it too.
    client.on('error', () => undefined);
    try {
      await this.deadline(client.connect());
    } catch (e) {
      client.destroy();
      throw new Error(describe(e));
    }
    return client as unknown as Client;
  }

  /** A promise that settles within the per-command limit, whatever the client does. */
  private deadline<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.settings.timeoutMs} ms`)), this.settings.timeoutMs);
    });
    return Promise.race([work, limit])
      .catch((e: unknown) => {
        throw new Error(describe(e));
      })
      .finally(() => clearTimeout(timer));
  }
}

/** What went wrong, in the server's or the socket's words (node-redis messages carry no password). */
function describe(e: unknown): string {
  const error = e as NodeJS.ErrnoException;
  return error.code && !String(error.message).includes(error.code) ? `${error.code}: ${error.message}` : String(error?.message ?? e);
}
