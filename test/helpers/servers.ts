// Small loopback HTTP servers of the test harness: a static file server (an HTTP
// lookaside), a token service for registry Bearer auth, and a programmable front that
// sits before the real registry to inject faults and count requests.

import { createSign, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { Pem } from './pki.js';

export interface TestServer {
  url: string;
  host: string;
  /** Every request received: method, path and headers. */
  requests: Array<{ method: string; path: string; headers: IncomingMessage['headers'] }>;
  close(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    Promise.resolve(handler(req, res)).catch((e: unknown) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers every request with `status` (and records it). */
export function statusServer(status: number): Promise<TestServer> {
  return listen((_req, res) => {
    res.statusCode = status;
    res.end();
  });
}

/** Accepts every request and never answers it (until closed). */
export function silentServer(): Promise<TestServer> {
  return listen(() => undefined);
}

/** Headers without `name`. */
export function withoutHeader(headers: IncomingMessage['headers'], name: string): IncomingMessage['headers'] {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== name));
}

/** Serves the files under `root` (a lookaside), 404 for anything absent; `before` may hold a request back. */
export function staticServer(root: string, before?: (req: IncomingMessage) => Promise<void>): Promise<TestServer> {
  return listen(async (req, res) => {
    await before?.(req);
    const file = path.join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (!file.startsWith(root)) {
      res.statusCode = 403;
      res.end();
      return;
    }
    try {
      const body = await readFile(file);
      res.setHeader('content-length', body.length);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
}

/**
 * A token service as distribution's `auth.token` expects: RS256 JWTs with the signer
 * certificate in `x5c`, granting what each scope asks for. With `users`, it demands
 * Basic credentials (anonymous requests get a token without access).
 */
export function tokenServer(signer: Pem, service: string, issuer: string, users?: Record<string, string>): Promise<TestServer> {
  const x5c = signer.cert.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let authorized = users === undefined;
    const header = req.headers.authorization;
    // A POST form (grant_type=password, as Portieris asks notary's token service) or Basic auth on a GET.
    let params = url.searchParams;
    let credentials: [string, string] | undefined;
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      credentials = [params.get('username') ?? '', params.get('password') ?? ''];
    } else if (header?.startsWith('Basic ')) {
      const [user, password] = Buffer.from(header.slice(6), 'base64').toString().split(':');
      credentials = [user, password];
    }
    if (users && credentials) {
      const [user, password] = credentials;
      if (users[user] !== password) {
        res.statusCode = 401;
        res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
      authorized = true;
    }
    const access = authorized
      ? params.getAll('scope').map((scope) => {
          // A name may hold a colon (a registry host:port, as in a notary GUN): the type is first, the actions last.
          const parts = scope.split(':');
          return { type: parts[0], name: parts.slice(1, -1).join(':'), actions: (parts.at(-1) ?? '').split(',') };
        })
      : [];
    const now = Math.floor(Date.now() / 1000);
    const body = `${b64({ alg: 'RS256', typ: 'JWT', x5c: [x5c] })}.${b64({ iss: issuer, sub: 'tester', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access })}`;
    const signature = createSign('RSA-SHA256').update(body).sign(signer.key).toString('base64url');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ token: `${body}.${signature}`, expires_in: 300 }));
  });
}

export interface Upstream {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/**
 * Pass the request to the registry; `transform` may rewrite the whole answer before it
 * goes back, or answer itself through `res` and return undefined.
 */
export type Forward = (transform?: (answer: Upstream, res: ServerResponse) => Upstream | undefined) => Promise<void>;
export type FrontHandler = (req: IncomingMessage, res: ServerResponse, forward: Forward) => void | Promise<void>;

/**
 * A programmable HTTP front before `target` (the real registry): `handler` may answer
 * itself (a fault, an extension API) or call `forward()` to pass the request through.
 */
export function front(target: string, handler: FrontHandler = (_req, _res, forward) => forward()): Promise<TestServer> {
  const upstream = new URL(target);
  return listen((req, res) =>
    handler(req, res, (transform) =>
      new Promise<void>((resolve, reject) => {
        const proxied = httpRequest(
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
          (answer) => {
            const headers = rewriteLocation(answer.headers, upstream.host, req.headers.host ?? '');
            if (!transform) {
              res.writeHead(answer.statusCode ?? 502, headers);
              answer.pipe(res);
              answer.on('end', resolve);
              return;
            }
            const chunks: Buffer[] = [];
            answer.on('data', (c: Buffer) => chunks.push(c));
            answer.on('end', () => {
              const changed = transform({ status: answer.statusCode ?? 502, headers, body: Buffer.concat(chunks) }, res);
              if (changed) {
                res.writeHead(changed.status, changed.headers);
                res.end(req.method === 'HEAD' ? undefined : changed.body);
              }
              resolve();
            });
          },
        );
        proxied.on('error', reject);
        req.pipe(proxied);
      }),
    ),
  );
}

function rewriteLocation(headers: IncomingMessage['headers'], from: string, to: string): IncomingMessage['headers'] {
  const { location } = headers;
  return typeof location === 'string' ? { ...headers, location: location.replace(from, to) } : headers;
}
