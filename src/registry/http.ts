// HTTP for registries and lookasides, on undici. Two lifetimes: `Connections` (keep-alive
// pools per origin and trust roots) may live as long as the process; an `HttpClient` is
// one run's view of them, with that run's deadline, per-request timeout and clock. Bodies
// are bounded, 429/5xx retried (retry.ts), and redirects followed by hand so that an
// Authorization header never reaches another origin.

import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Agent, Dispatcher } from 'undici';
import { once } from '../memo.js';
import { RETRIED_STATUSES, retryDecision } from './retry.js';

/**
 * Why a registry or signature store gave no usable answer, in transport words; what a
 * kind means for the verdict is decided in one place (engine/failures.ts).
 */
export type FailureKind =
  | 'unreachable' // no usable answer: network, TLS, a server error, an answer too large or garbled
  | 'throttled' // 429/5xx still, after the retries the time left allowed
  | 'auth' // refused with every credential, or credentials that may not be sent
  | 'timeout' // the run's budget or the per-request limit ran out
  | 'too-many' // a store listing more signatures than any real one holds
  | 'malformed' // a stored blob or attachment that is not what the store's format says
  | 'not-found' // the tag asked for does not exist
  | 'unsupported' // an answer gate does not read (a schema 1 manifest)
  | 'offline'; // the store is on the network and the run is offline

export interface StoreFailure {
  kind: FailureKind;
  message: string;
  hint?: string;
}

export class TransportError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }

  get failure(): StoreFailure {
    return { kind: this.kind, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

/**
 * A server that answered a TLS handshake in plain HTTP: what the fix is depends on what
 * the server is (a registry: --insecure-registry; a lookaside: an http:// URL).
 */
export class PlainHttpAnswer extends TransportError {
  constructor(message: string, hint: string) {
    super('unreachable', message, hint);
    this.name = 'PlainHttpAnswer';
  }
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  /** The URL that answered, after redirects. */
  url: string;
}

export interface HttpRequest {
  /** POST only for token requests (a form body); a POST is never redirected. */
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  /** The POST body (an application/x-www-form-urlencoded form). */
  body?: string;
  /** Largest body accepted; a larger one is an error. */
  maxBytes: number;
  /**
   * Wraps each attempt (a concurrency slot): the back-off between attempts runs outside
   * it, so a 429 does not hold a slot while it waits.
   */
  slot?: <T>(attempt: () => Promise<T>) => Promise<T>;
}

export interface HttpOptions {
  requestTimeoutMs: number;
  /** Epoch ms after which no request starts and running ones are cut. */
  deadlineMs: number;
  /** Every trust root (PEM) for an origin host[:port]. */
  caFor(hostPort: string): Promise<string[]>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Pools shared with other runs; absent, the client makes its own and closes them. */
  connections?: Connections;
}

const MAX_REDIRECTS = 5;
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL|HOSTNAME/;
// What OpenSSL says when the bytes after a ClientHello are not TLS: "HTTP/1.1 400 …" from a
// plain-HTTP server reads as a record of an unknown version, or of an absurd length.
const PLAIN_HTTP_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);

/**
 * A set of trust roots, read once per origin in a run. Its TLS secure context is built once
 * per distinct set (parsing some 300 root certificates costs tens of milliseconds: per
 * connection, that was most of a cold run's CPU).
 */
export interface TrustRoots {
  /** sha256 (hex) of the PEMs, in order: which connections may share a context. */
  id: string;
  pems: readonly string[];
}

export function trustRoots(pems: readonly string[]): TrustRoots {
  const hash = createHash('sha256');
  for (const pem of pems) hash.update(pem).update('\u0000');
  return { id: hash.digest('hex'), pems };
}

let undici: Promise<typeof Agent> | undefined;

/**
 * undici, loaded on the first request: it costs a run about 100 ms to load (fetch,
 * cookies, WebSocket come with it), which a run that reads only files never needs.
 */
function loadAgent(): Promise<typeof Agent> {
  undici ??= import('undici').then((m) => m.Agent);
  return undici;
}

/**
 * Keep-alive pools that may outlive a run: one undici Agent per origin, trust roots and
 * connect timeout, so that a run with other roots (another .gate/certs.d) never shares a
 * TLS context; one secure context per distinct set of roots. Holds no credentials and no
 * deadline.
 */
export class Connections {
  private readonly agents = new Map<string, Agent>();
  private readonly contexts = new Map<string, SecureContext>();
  /** TLS connections opened, for --verbose and the tests. */
  handshakes = 0;

  /** TLS secure contexts built: one per distinct set of trust roots. */
  get trustContexts(): number {
    return this.contexts.size;
  }

  async agent(origin: string, roots: TrustRoots | undefined, connectTimeoutMs: number): Promise<Agent> {
    const key = `${origin} ${roots?.id ?? 'plain'} ${connectTimeoutMs}`;
    const Agent = await loadAgent();
    let agent = this.agents.get(key);
    if (!agent) {
      const secureContext = roots ? this.context(roots) : undefined;
      // The connect timeout covers the TCP connect and the TLS handshake (undici's default is 10 s).
      agent = new Agent({
        keepAliveTimeout: 30_000,
        connections: 16,
        connect: { timeout: connectTimeoutMs, ...(secureContext ? { secureContext } : {}) },
      });
      agent.on('connect', () => {
        if (origin.startsWith('https:')) this.handshakes++;
      });
      this.agents.set(key, agent);
    }
    return agent;
  }

  private context(roots: TrustRoots): SecureContext {
    let context = this.contexts.get(roots.id);
    if (!context) {
      context = createSecureContext(roots.pems.length > 0 ? { ca: [...roots.pems] } : {});
      this.contexts.set(roots.id, context);
    }
    return context;
  }

  /** Ends every connection: a request still connecting is dropped, not awaited. */
  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((a) => a.destroy()));
  }
}

/** One run's HTTP: its deadline, per-request limit, clock and trust roots, over shared or own Connections. */
export class HttpClient {
  private readonly roots = new Map<string, Promise<TrustRoots>>();
  private readonly connections: Connections;
  private readonly ownsConnections: boolean;
  readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: HttpOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.ownsConnections = options.connections === undefined;
    this.connections = options.connections ?? new Connections();
  }

  /** GET or HEAD with retries; throws TransportError when no usable answer comes. */
  async fetch(url: string, request: HttpRequest): Promise<HttpResponse> {
    const slot = request.slot ?? ((attempt) => attempt());
    for (let attempt = 1; ; attempt++) {
      const response = await slot(() => this.followRedirects(url, request));
      if (!RETRIED_STATUSES.has(response.status)) return response;
      const decision = retryDecision(response.status, response.headers['retry-after'], attempt, this.now(), this.options.deadlineMs);
      if (!decision.retry) throw new TransportError('throttled', `${redact(url)}: ${decision.why}`);
      await this.sleep(decision.delayMs);
    }
  }

  private async followRedirects(url: string, request: HttpRequest): Promise<HttpResponse> {
    let current = new URL(url);
    let headers = { ...request.headers };
    for (let hop = 0; ; hop++) {
      const response = await this.once(current, request.method ?? 'GET', headers, request.maxBytes, request.body);
      const location = response.headers.location;
      // A POST carries a credential in its body: it is answered where it was sent, or not at all.
      if (![301, 302, 303, 307, 308].includes(response.status) || !location || request.method === 'POST') return response;
      if (hop >= MAX_REDIRECTS) throw new TransportError('unreachable', `${redact(url)}: more than ${MAX_REDIRECTS} redirects`);
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        throw new TransportError('unreachable', `${redact(url)}: a redirect to an invalid location`);
      }
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new TransportError('unreachable', `${redact(url)}: redirect to ${next.protocol} refused`);
      if (current.protocol === 'https:' && next.protocol === 'http:') throw new TransportError('unreachable', `${redact(url)}: redirect from https to http refused`);
      // Credentials belong to their own origin: a redirect elsewhere (a CDN) goes without them.
      if (next.origin !== current.origin) headers = withoutAuthorization(headers);
      current = next;
    }
  }

  private async once(url: URL, method: 'GET' | 'HEAD' | 'POST', headers: Record<string, string>, maxBytes: number, body?: string): Promise<HttpResponse> {
    const remaining = this.options.deadlineMs - this.now();
    const where = redact(url.href);
    if (remaining <= 0) throw new TransportError('timeout', `${where}: the time budget ran out before this request`);
    const perRequest = this.options.requestTimeoutMs;
    // --request-timeout bounds each phase (connect + TLS in the agent, headers, each stall
    // of the body); the run's budget cuts whatever is still running at the deadline.
    const budget = AbortSignal.timeout(remaining);
    const fail = (e: unknown, phase: Phase) => toTransportError(e, url, budget.aborted ? { budgetMs: remaining } : { perRequestMs: perRequest }, phase);
    const agent = await this.agentFor(url);
    let answer: Dispatcher.ResponseData;
    try {
      const pending = agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        // undici closes a connection after every HEAD by default (for servers that send a
        // body anyway): a new TLS handshake per tag. Registries answer HEAD correctly.
        reset: false,
        headers: { 'user-agent': 'gate', ...headers },
        ...(method === 'POST' ? { body: body ?? '' } : {}),
        headersTimeout: perRequest,
        bodyTimeout: perRequest,
        signal: budget,
      });
      answer = await untilAborted(pending, budget);
    } catch (e) {
      throw fail(e, 'headers');
    }
    const responseHeaders = flatten(answer.headers);
    const declared = Number(responseHeaders['content-length'] ?? NaN);
    if (method !== 'HEAD' && declared > maxBytes) {
      answer.body.destroy();
      throw new TransportError('unreachable', `${where}: the response is ${declared} bytes, more than the ${maxBytes} accepted`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of answer.body) {
        total += (chunk as Buffer).length;
        if (total > maxBytes) {
          answer.body.destroy();
          throw new TransportError('unreachable', `${where}: the response is larger than the ${maxBytes} bytes accepted`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (e) {
      if (e instanceof TransportError) throw e;
      throw fail(e, 'body');
    }
    return { status: answer.statusCode, headers: responseHeaders, body: Buffer.concat(chunks), url: url.href };
  }

  private async agentFor(url: URL): Promise<Agent> {
    const roots = url.protocol === 'https:' ? await once(this.roots, url.host, async () => trustRoots(await this.options.caFor(url.host))) : undefined;
    return this.connections.agent(url.origin, roots, this.options.requestTimeoutMs);
  }

  /** TLS connections opened so far through this client's pools (shared pools count every run's). */
  get handshakes(): number {
    return this.connections.handshakes;
  }

  /** The end of the run: closes the connections only when this client made them. */
  async close(): Promise<void> {
    if (this.ownsConnections) await this.connections.close();
  }
}

/** Which limit ended a request: the run's budget (what was left of it), or --request-timeout. */
type TimeLimit = { budgetMs: number } | { perRequestMs: number };
type Phase = 'headers' | 'body';

/**
 * The request's answer, or the abort's reason as soon as `signal` fires: undici does not
 * abort a request still waiting for its connection, which must not outlive the budget.
 */
function untilAborted<T extends Dispatcher.ResponseData>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    pending.then(
      (answer) => {
        signal.removeEventListener('abort', abort);
        // An answer that comes after gate gave up is dropped with its connection.
        if (signal.aborted) answer.body.destroy();
        resolve(answer);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

function toTransportError(e: unknown, url: URL, limit: TimeLimit, phase: Phase): TransportError {
  const where = redact(url.href);
  const error = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = error.code ?? error.cause?.code ?? '';
  const message = error.cause?.message ?? error.message ?? String(e);
  const duringBody = phase === 'body';
  if ('budgetMs' in limit) {
    const what = duringBody ? 'the answer was not complete' : 'no answer';
    return new TransportError('timeout', `${where}: ${what} within ${seconds(limit.budgetMs)} s, the time budget of the run ran out (raise --timeout, or the plugin parameter timeout)`);
  }
  if (/TIMEOUT/.test(code) || error.name === 'TimeoutError' || error.name === 'AbortError' || code === 'UND_ERR_ABORTED') {
    const s = seconds(limit.perRequestMs);
    const what =
      code === 'UND_ERR_CONNECT_TIMEOUT'
        ? `no connection within ${s} s (TCP connect and TLS handshake)`
        : duringBody
          ? `the answer stalled for ${s} s in the middle of its body`
          : `no answer within ${s} s`;
    return new TransportError('timeout', `${where}: ${what}, the per-request limit (--request-timeout)`);
  }
  if (url.protocol === 'https:' && PLAIN_HTTP_CODES.has(code)) {
    return new PlainHttpAnswer(`${where}: TLS: the server answered in plain HTTP, not TLS (${code})`, `${url.host} speaks plain HTTP: if that is intended, write its URL (a lookaside, a storeURL) with http://`);
  }
  if (TLS_CODES.test(code)) {
    return new TransportError('unreachable', `${where}: TLS: ${message} (trust the registry's CA with .gate/certs.d/${url.host}/ca.crt or --ca-file)`);
  }
  if (duringBody || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_SOCKET') {
    return new TransportError('unreachable', `${where}: the connection broke ${duringBody ? 'in the middle of the response (truncated)' : ''}: ${message}`.replace(/ +:/, ':'));
  }
  const plain: Record<string, string> = {
    ENOTFOUND: 'no such host (DNS)',
    EAI_AGAIN: 'the host name could not be resolved (DNS)',
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
  };
  return new TransportError('unreachable', `${where}: ${plain[code] ?? `${code ? `${code}: ` : ''}${message}`}`, 'check the registry name and the network; in an air-gapped run, pin digests and use --offline');
}

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) if (value !== undefined) out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== 'authorization'));
}

/** A URL for messages: never with userinfo or query (tokens). */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.href;
  } catch {
    // Unparsable: everything up to the last @ may be userinfo (a password with a / in it too).
    return url.replace(/\/\/.*@/, '//');
  }
}
