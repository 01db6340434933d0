// The registry signature extension API (OpenShift-style). No open-source registry here
// speaks it, so a test HTTP front before the real docker-registry serves
// /extensions/v2/… (skopeo writes its signatures there, gate reads them), and announces
// the API on /v2/.

import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { front } from '../helpers/servers.js';
import { checkImages, makeWorld, type World } from '../helpers/world.js';

describe('signature extension API (test front emulating OpenShift before the real registry)', () => {
  let world: World;
  let failing = false;

  before(async () => {
    world = await makeWorld({
      frontHost: (registry) =>
        front(registry.url, async (req, res, forward) => {
          const url = new URL(req.url ?? '/', 'http://x');
          if (url.pathname === '/v2/') {
            res.writeHead(200, { 'x-registry-supports-signatures': '1', 'content-type': 'application/json' });
            res.end('{}');
            return;
          }
          const match = /^\/extensions\/v2\/(.+)\/signatures\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
          if (!match) return forward();
          if (req.method === 'PUT') {
            // skopeo copy --sign-by writes here once /v2/ announces the API: keep what it sends.
            const chunks: Buffer[] = [];
            for await (const chunk of req) chunks.push(chunk as Buffer);
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { content: string };
            const folder = path.join(world.staging, `${match[1]}@${match[2].replace(':', '=')}`);
            await mkdir(folder, { recursive: true });
            const count = (await readdir(folder)).length;
            await writeFile(path.join(folder, `signature-${count + 1}`), Buffer.from(body.content, 'base64'));
            res.writeHead(201);
            res.end();
            return;
          }
          if (failing) {
            res.writeHead(500);
            res.end();
            return;
          }
          const folder = path.join(world.staging, `${match[1]}@${match[2].replace(':', '=')}`);
          const names = (await readdir(folder).catch(() => [] as string[])).sort();
          const signatures = [
            { schemaVersion: 2, type: 'other', name: 'ignored', content: 'AAAA' },
            ...(await Promise.all(
              names.map(async (name) => ({ schemaVersion: 2, type: 'atomic', name: `${match[2]}@${name}`, content: (await readFile(path.join(folder, name))).toString('base64') })),
            )),
          ];
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ signatures }));
        }),
    });
    await world.push('team/app', '1');
    await world.push('team/bare', '1', { signBy: null });
  });
  after(() => world?.stop());

  const check = (image: string) => checkImages(world, [`${world.host}/${image}`], ['--insecure-registry', world.host], {}, { lookaside: false });

  it('reads signatures from the API when /v2/ announces it and no lookaside is configured', async () => {
    const { code, report } = await check('team/app:1');
    assert.equal(report.results[0].reason, 'SIGNED', report.results[0].message);
    assert.match(report.results[0].message, /signature API entry 2/);
    assert.equal(code, 0);
  });

  it('denies an image the API has no signature for', async () => {
    const { report } = await check('team/bare:1');
    assert.equal(report.results[0].reason, 'NO_SIGNATURE');
    assert.match(report.results[0].message, /the signature API of/);
  });

  it('fails closed when the API answers an error', async () => {
    failing = true;
    try {
      const { code, report } = await check('team/app:1');
      assert.equal(report.results[0].reason, 'UNREACHABLE');
      assert.equal(code, 3);
    } finally {
      failing = false;
    }
  });
});
