// A 429's back-off must not hold the per-registry concurrency slot: with one slot, a
// request to another repository is served while the throttled one waits. A real HTTP
// server on 127.0.0.1 answers; the sleep is injected, so nothing waits on a clock.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { parseReference, type ImageReference } from '../../src/reference/reference.js';
import { RegistryClient } from '../../src/registry/client.js';
import { ANONYMOUS } from '../../src/registry/credentials.js';
import { HttpClient } from '../../src/registry/http.js';

const ACCEPT = ['application/vnd.oci.image.manifest.v1+json'];

describe('retry back-off outside the per-registry slot', () => {
  let server: Server;
  let host: string;
  const seen: string[] = [];
  let throttled = 0;

  before(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/v2/team/slow/manifests/1' && throttled++ === 0) {
        res.writeHead(429, { 'retry-after': '7' });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': ACCEPT[0] });
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const ref = (image: string): ImageReference => {
    const parsed = parseReference(`${host}/${image}`);
    assert.ok(parsed.ok);
    return parsed.ref;
  };

  it('serves another request while a throttled one sleeps, then retries it after Retry-After', { timeout: 10_000 }, async () => {
    const sleeps: number[] = [];
    let wake!: () => void;
    let sleeping!: () => void;
    const asleep = new Promise<void>((resolve) => (sleeping = resolve));
    const sleep = (ms: number) => {
      sleeps.push(ms);
      sleeping();
      return new Promise<void>((resolve) => (wake = resolve));
    };
    const now = () => 1_000_000;
    const http = new HttpClient({ requestTimeoutMs: 5000, deadlineMs: now() + 60_000, now, sleep, caFor: async () => [] });
    const registry = new RegistryClient({ http, endpoint: () => ({ origin: `http://${host}`, insecure: true }), perRegistry: 1, cleartextAllowed: () => true });
    try {
      const slow = registry.manifest(ref('team/slow:1'), '1', [ANONYMOUS], ACCEPT);
      await asleep;
      assert.deepEqual(sleeps, [7000]);
      // With the slot held through the sleep, this would wait for the wake-up below (and time out).
      const other = await registry.manifest(ref('team/other:1'), '1', [ANONYMOUS], ACCEPT);
      assert.equal(other?.mediaType, ACCEPT[0]);
      assert.deepEqual(seen.filter((p) => p.includes('/manifests/')), ['/v2/team/slow/manifests/1', '/v2/team/other/manifests/1']);
      wake();
      assert.equal((await slow)?.mediaType, ACCEPT[0]);
      assert.equal(seen.filter((p) => p === '/v2/team/slow/manifests/1').length, 2);
    } finally {
      await http.close();
    }
  });
});
