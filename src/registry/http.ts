// HTTP for registries and lookasides, on undici: keep-alive pools per origin, the
// trust roots of each origin (system CAs plus certs.d), a timeout per request and a
// deadline for the whole run, bounded bodies, retries (retry.ts), and redirects
// followed by hand so that an Authorization header never reaches another origin.

import { Agent, type Dispatcher } from 'undici';
import type { ReasonCode } from '../verify/verdict.js';
import { RETRIED_STATUSES, retryDecision } from './retry.js';

/**
 * A registry or signature store that gave no usable answer. Its reason is the denial's:
 * TIMEOUT, UNREACHABLE, THROTTLED and AUTH_FAILED make the run incomplete (exit 3);
 * a few answers are definite (a tag that does not exist) and carry their own reason.
 */
export class TransportError extends Error {
  constructor(
    readonly reason: ReasonCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'TransportError';
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
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  /** Largest body accepted; a larger one is an error. */
  maxBytes: number;
}

export interface HttpOptions {
  requestTimeoutMs: number;
  /** Epoch ms after which no request starts and running ones are cut. */
  deadlineMs: number;
  /** Every trust root (PEM) for an origin host[:port]. */
  caFor(hostPort: string): Promise<string[]>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const MAX_REDIRECTS = 5;
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL|HOSTNAME/;

export class HttpClient {
  private readonly agents = new Map<string, Promise<Agent>>();
  readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: HttpOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** GET or HEAD with retries; throws TransportError when no usable answer comes. */
  async fetch(url: string, request: HttpRequest): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt++) {
      const response = await this.followRedirects(url, request);
      if (!RETRIED_STATUSES.has(response.status)) return response;
      const decision = retryDecision(response.status, response.headers['retry-after'], attempt, this.now(), this.options.deadlineMs);
      if (!decision.retry) throw new TransportError('THROTTLED', `${redact(url)}: ${decision.why}`);
      await this.sleep(decision.delayMs);
    }
  }

  private async followRedirects(url: string, request: HttpRequest): Promise<HttpResponse> {
    let current = new URL(url);
    let headers = { ...request.headers };
    for (let hop = 0; ; hop++) {
      const response = await this.once(current, request.method ?? 'GET', headers, request.maxBytes);
      const location = response.headers.location;
      if (![301, 302, 303, 307, 308].includes(response.status) || !location) return response;
      if (hop >= MAX_REDIRECTS) throw new TransportError('UNREACHABLE', `${redact(url)}: more than ${MAX_REDIRECTS} redirects`);
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        throw new TransportError('UNREACHABLE', `${redact(url)}: a redirect to an invalid location`);
      }
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new TransportError('UNREACHABLE', `${redact(url)}: redirect to ${next.protocol} refused`);
      if (current.protocol === 'https:' && next.protocol === 'http:') throw new TransportError('UNREACHABLE', `${redact(url)}: redirect from https to http refused`);
      // Credentials belong to their own origin: a redirect elsewhere (a CDN) goes without them.
      if (next.origin !== current.origin) headers = withoutAuthorization(headers);
      current = next;
    }
  }

  private async once(url: URL, method: 'GET' | 'HEAD', headers: Record<string, string>, maxBytes: number): Promise<HttpResponse> {
    const remaining = this.options.deadlineMs - this.now();
    const where = redact(url.href);
    if (remaining <= 0) throw new TransportError('TIMEOUT', `${where}: the time budget ran out before this request`);
    const perRequest = this.options.requestTimeoutMs;
    // --request-timeout bounds each phase (connect + TLS in the agent, headers, each stall
    // of the body); the run's budget cuts whatever is still running at the deadline.
    const budget = AbortSignal.timeout(remaining);
    const fail = (e: unknown, phase: Phase) => toTransportError(e, where, budget.aborted ? { budgetMs: remaining } : { perRequestMs: perRequest }, phase);
    const agent = await this.agentFor(url);
    let answer: Dispatcher.ResponseData;
    try {
      const pending = agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        headers: { 'user-agent': 'gate', ...headers },
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
    if (method === 'GET' && declared > maxBytes) {
      answer.body.destroy();
      throw new TransportError('UNREACHABLE', `${where}: the response is ${declared} bytes, more than the ${maxBytes} accepted`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of answer.body) {
        total += (chunk as Buffer).length;
        if (total > maxBytes) {
          answer.body.destroy();
          throw new TransportError('UNREACHABLE', `${where}: the response is larger than the ${maxBytes} bytes accepted`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (e) {
      if (e instanceof TransportError) throw e;
      throw fail(e, 'body');
    }
    return { status: answer.statusCode, headers: responseHeaders, body: Buffer.concat(chunks), url: url.href };
  }

  private agentFor(url: URL): Promise<Agent> {
    let agent = this.agents.get(url.origin);
    if (!agent) {
      agent = (async () => {
        const ca = url.protocol === 'https:' ? await this.options.caFor(url.host) : [];
        // The connect timeout covers the TCP connect and the TLS handshake (undici's default is 10 s).
        return new Agent({ keepAliveTimeout: 10_000, connections: 16, connect: { timeout: this.options.requestTimeoutMs, ...(ca.length > 0 ? { ca } : {}) } });
      })();
      this.agents.set(url.origin, agent);
    }
    return agent;
  }

  /** Ends every connection: a request still connecting when the run is over is dropped, not awaited. */
  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map(async (a) => (await a).destroy()));
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

function toTransportError(e: unknown, where: string, limit: TimeLimit, phase: Phase): TransportError {
  const error = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = error.code ?? error.cause?.code ?? '';
  const message = error.cause?.message ?? error.message ?? String(e);
  const duringBody = phase === 'body';
  if ('budgetMs' in limit) {
    const what = duringBody ? 'the answer was not complete' : 'no answer';
    return new TransportError('TIMEOUT', `${where}: ${what} within ${seconds(limit.budgetMs)} s, the time budget of the run ran out (raise --timeout, or the plugin parameter timeout)`);
  }
  if (/TIMEOUT/.test(code) || error.name === 'TimeoutError' || error.name === 'AbortError' || code === 'UND_ERR_ABORTED') {
    const s = seconds(limit.perRequestMs);
    const what =
      code === 'UND_ERR_CONNECT_TIMEOUT'
        ? `no connection within ${s} s (TCP connect and TLS handshake)`
        : duringBody
          ? `the answer stalled for ${s} s in the middle of its body`
          : `no answer within ${s} s`;
    return new TransportError('TIMEOUT', `${where}: ${what}, the per-request limit (--request-timeout)`);
  }
  if (TLS_CODES.test(code)) {
    return new TransportError('UNREACHABLE', `${where}: TLS: ${message} (trust the registry's CA with .gate/certs.d/<host:port>/ca.crt or --ca-file)`);
  }
  if (duringBody || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_SOCKET') {
    return new TransportError('UNREACHABLE', `${where}: the connection broke ${duringBody ? 'in the middle of the response (truncated)' : ''}: ${message}`.replace(/ +:/, ':'));
  }
  const plain: Record<string, string> = {
    ENOTFOUND: 'no such host (DNS)',
    EAI_AGAIN: 'the host name could not be resolved (DNS)',
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
  };
  return new TransportError('UNREACHABLE', `${where}: ${plain[code] ?? `${code ? `${code}: ` : ''}${message}`}`, 'check the registry name and the network; in an air-gapped run, pin digests and use --offline');
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
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}
