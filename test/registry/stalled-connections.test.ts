// Servers on loopback that accept a connection and then stall: in the TLS handshake, before
// the headers (over real TLS), or in the middle of the body. --request-timeout must bound
// each phase and --timeout the whole request, whatever undici's own defaults (its connect
// timeout alone is 10 s); every stall is a TIMEOUT denial, exit 3, saying which limit ran out.

import assert from 'node:assert/strict';
import { storePolicy } from '../helpers/repo.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gateJson } from '../helpers/gate.js';
import { copyExample } from '../helpers/in-process.js';
import { selfSigned, serverCertificate, type Pem } from '../helpers/pki.js';

const SLOW = `registry.example.com/shop/slow@sha256:${'a'.repeat(64)}`;

interface Stall {
  url: string;
  /** Connections accepted so far. */
  accepted: number;
  close(): Promise<void>;
}

/** Accepts TCP connections, reads what the client sends (a TLS ClientHello) and never answers. */
async function silentTcp(): Promise<Stall> {
  const sockets = new Set<Socket>();
  const stall: Stall = { url: '', accepted: 0, close: async () => undefined };
  const server: TcpServer = createTcpServer((socket) => {
    stall.accepted++;
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stall.url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  stall.close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return stall;
}

/** An HTTP(S) server whose handler starts an answer and never finishes it. */
async function stallingHttp(answer: (res: ServerResponse) => void, tls?: Pem): Promise<Stall> {
  const responses = new Set<ServerResponse>();
  const stall: Stall = { url: '', accepted: 0, close: async () => undefined };
  const handler = (_req: unknown, res: ServerResponse) => {
    stall.accepted++;
    responses.add(res);
    answer(res);
  };
  const server = tls ? createTlsServer({ key: tls.key, cert: tls.cert }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stall.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as { port: number }).port}`;
  stall.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return stall;
}

describe('stalled connections are bounded by --request-timeout and --timeout', () => {
  let pkiDir: string;
  let ca: Pem;
  let serverPem: Pem;

  before(async () => {
    pkiDir = await mkdtemp(path.join(tmpdir(), 'gate-stall-pki-'));
    ca = await selfSigned(pkiDir, 'ca', '/CN=gate stall test CA');
    serverPem = await serverCertificate(pkiDir, ca);
  });
  after(() => rm(pkiDir, { recursive: true, force: true }));

  /** gate check on the shop example plus one image whose lookaside is `lookaside`; the slow image's result and the time taken. */
  async function checkWithLookaside(lookaside: string, args: string[]) {
    const example = await copyExample('shop');
    try {
      await writeFile(path.join(example.dir, '.gate/policies/slow.yaml'), storePolicy('slow', 'registry.example.com/shop/slow@*', lookaside));
      await writeFile(path.join(example.dir, 'apps/slow.yaml'), `apiVersion: v1\nkind: Pod\nmetadata: {name: slow, namespace: shop}\nspec:\n  containers: [{name: s, image: "${SLOW}"}]\n`);
      await writeFile(path.join(example.dir, 'ca.crt'), ca.cert);
      const started = Date.now();
      const outcome = await gateJson(['check', 'apps', '--ca-file', 'ca.crt', ...args], { cwd: example.dir });
      const seconds = (Date.now() - started) / 1000;
      const slow = outcome.report.results.find((r) => r.image === SLOW);
      assert.ok(slow, `the slow image is in the report: ${outcome.stderr}`);
      return { code: outcome.code, slow, seconds, allowed: outcome.report.summary.allowed, images: outcome.report.summary.images };
    } finally {
      await example.dispose();
    }
  }

  function assertTimeout(outcome: Awaited<ReturnType<typeof checkWithLookaside>>, message: RegExp, bound: number): void {
    assert.equal(outcome.slow.verdict, 'deny');
    assert.equal(outcome.slow.reason, 'TIMEOUT', outcome.slow.message);
    assert.match(outcome.slow.message, message);
    assert.equal(outcome.code, 3);
    // The other images of the example are decided as usual.
    assert.equal(outcome.allowed, outcome.images - 1);
    assert.ok(outcome.seconds < bound, `ended within ${bound} s (took ${outcome.seconds} s)`);
  }

  it('a server that accepts TCP and never answers the TLS handshake: TIMEOUT after --request-timeout 1, not undici\'s 10 s', async () => {
    const stall = await silentTcp();
    try {
      const outcome = await checkWithLookaside(stall.url, ['--request-timeout', '1']);
      assert.ok(stall.accepted > 0, 'gate connected to the stalling server');
      assertTimeout(outcome, /no connection within 1 s \(TCP connect and TLS handshake\), the per-request limit \(--request-timeout\)/, 8);
    } finally {
      await stall.close();
    }
  });

  it('the same stalled handshake with a long --request-timeout: the run\'s --timeout cuts it', async () => {
    const stall = await silentTcp();
    try {
      const outcome = await checkWithLookaside(stall.url, ['--request-timeout', '60', '--timeout', '1.5']);
      assertTimeout(outcome, /no answer within 1\.5 s, the time budget of the run ran out/, 10);
    } finally {
      await stall.close();
    }
  });

  it('a TLS server that completes the handshake and never sends headers: TIMEOUT after --request-timeout 1', async () => {
    const stall = await stallingHttp(() => undefined, serverPem);
    try {
      const outcome = await checkWithLookaside(stall.url, ['--request-timeout', '1']);
      assert.ok(stall.accepted > 0, 'the request reached the server over TLS');
      assertTimeout(outcome, /no answer within 1 s, the per-request limit/, 8);
    } finally {
      await stall.close();
    }
  });

  it('headers, part of the body, then nothing: TIMEOUT after --request-timeout 1, not a truncated signature', async () => {
    const stall = await stallingHttp((res) => {
      res.writeHead(200, { 'content-length': '4096' });
      res.write(Buffer.alloc(100, 0xa3));
    });
    try {
      const outcome = await checkWithLookaside(stall.url, ['--request-timeout', '1']);
      assertTimeout(outcome, /the answer stalled for 1 s in the middle of its body, the per-request limit/, 8);
    } finally {
      await stall.close();
    }
  });

  it('a body that trickles in forever, each byte within --request-timeout: the run\'s --timeout ends it', async () => {
    const trickles: NodeJS.Timeout[] = [];
    const stall = await stallingHttp((res) => {
      res.writeHead(200, { 'content-length': String(1024 * 1024) });
      trickles.push(setInterval(() => res.write(Buffer.from([0xa3])), 200));
      res.on('close', () => trickles.forEach(clearInterval));
    });
    try {
      const outcome = await checkWithLookaside(stall.url, ['--request-timeout', '5', '--timeout', '2']);
      assertTimeout(outcome, /the answer was not complete within (1\.\d|2) s, the time budget of the run ran out/, 10);
    } finally {
      trickles.forEach(clearInterval);
      await stall.close();
    }
  });
});
