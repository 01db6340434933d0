// The process-lived part of the transport: runs that share one Connections reuse the TLS
// connection to an origin (counted by a real TLS server on 127.0.0.1), while each run
// keeps its own deadline, and a run with other trust roots gets a connection of its own.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Connections, HttpClient, TransportError } from '../../src/registry/http.js';
import { selfSigned, serverCertificate, type Pem } from '../helpers/pki.js';

describe('connections shared by runs (registry/http.ts Connections)', () => {
  let dir: string;
  let ca: Pem;
  let otherCa: Pem;
  let server: Server;
  let url: string;
  let handshakes = 0;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gate-connections-'));
    ca = await selfSigned(dir, 'ca', '/CN=gate connections CA');
    otherCa = await selfSigned(dir, 'other', '/CN=another CA');
    const certificate = await serverCertificate(dir, ca);
    server = createServer({ cert: certificate.cert, key: certificate.key }, (_req, res) => res.end('ok'));
    server.on('secureConnection', () => handshakes++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as { port: number }).port}/v2/`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const run = (connections: Connections | undefined, roots: Pem, deadlineMs = Date.now() + 30_000) =>
    new HttpClient({ requestTimeoutMs: 5000, deadlineMs, caFor: async () => [roots.cert], ...(connections ? { connections } : {}) });

  it('reuses one TLS connection across two runs, and the end of a run leaves it open', async () => {
    const connections = new Connections();
    const before = handshakes;
    const first = run(connections, ca);
    assert.equal((await first.fetch(url, { maxBytes: 1024 })).status, 200);
    await first.close();
    // undici hands the socket back to its pool on the turn after the body ends; runs are further apart than that.
    await new Promise((resolve) => setImmediate(resolve));
    const second = run(connections, ca);
    assert.equal((await second.fetch(url, { maxBytes: 1024 })).status, 200);
    assert.equal(handshakes - before, 1);
    await connections.close();
  });

  it('makes a new connection for a run with its own pools, and for other trust roots', async () => {
    const connections = new Connections();
    const before = handshakes;
    await run(connections, ca).fetch(url, { maxBytes: 1024 });
    const own = run(undefined, ca);
    await own.fetch(url, { maxBytes: 1024 });
    await own.close();
    assert.equal(handshakes - before, 2);
    // The server's certificate is not signed by the other CA: that run must not borrow the trusted connection.
    await assert.rejects(run(connections, otherCa).fetch(url, { maxBytes: 1024 }), (e) => e instanceof TransportError && e.kind === 'unreachable' && /TLS/.test(e.message));
    await connections.close();
  });

  it('keeps a connection open after a HEAD: 40 HEADs and GETs, 4 at a time, over at most 4 TLS connections', async () => {
    const connections = new Connections();
    const client = run(connections, ca);
    const before = handshakes;
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 4 }, (_, i) => client.fetch(url, { method: i % 2 === 0 ? 'HEAD' : 'GET', maxBytes: 1024 })));
      // Sockets go back to the pool on the turn after a body ends.
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(handshakes - before <= 4, `${handshakes - before} handshakes for 40 requests`);
    assert.equal(connections.handshakes, handshakes - before, 'the pools count the connections the server saw');
    await connections.close();
  });

  it('builds one TLS context per set of trust roots, however many origins and connections use it', async () => {
    const connections = new Connections();
    const other = `${url.replace('127.0.0.1', 'localhost')}`;
    const clients = [run(connections, ca), run(connections, ca), run(connections, otherCa)];
    await Promise.all(clients.slice(0, 2).flatMap((c) => [c.fetch(url, { maxBytes: 1024 }), c.fetch(other, { maxBytes: 1024 })]));
    await assert.rejects(clients[2].fetch(url, { maxBytes: 1024 }));
    assert.equal(connections.trustContexts, 2);
    await connections.close();
  });

  it("keeps each run's deadline its own over the shared connection", async () => {
    const connections = new Connections();
    await run(connections, ca).fetch(url, { maxBytes: 1024 });
    await assert.rejects(run(connections, ca, Date.now() - 1).fetch(url, { maxBytes: 1024 }), (e) => e instanceof TransportError && e.kind === 'timeout');
    assert.equal((await run(connections, ca).fetch(url, { maxBytes: 1024 })).status, 200);
    await connections.close();
  });
});
