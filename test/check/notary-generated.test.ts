// The trust data the real notary-server will not serve — expired, tampered, a root for another
// repository, a delegation out of date, older data than an earlier run saw — generated and
// signed by the tests (helpers/notary-repo.ts) and served by a static TLS server, while the
// image itself is in the real docker-registry of the bed. `gate check` must deny each with
// its own reason code; the real notary client (a fresh trust folder, or one kept between two
// look-ups for the rollback) judges each case first.

import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gateJson, type JsonReport } from '../helpers/gate.js';
import { ecdsaKey, generateRepo, rootCertKey, staticNotary, type GenKey } from '../helpers/notary-repo.js';
import { startNotaryBed, type NotaryBed } from '../helpers/notary.js';
import { serverCertificate } from '../helpers/pki.js';
import { deployment, makeRepo } from '../helpers/repo.js';
import { run } from '../helpers/tools.js';

const DAY = 86_400_000;

describe('generated trust data through gate check: each failure has its own reason; the notary client judges', () => {
  let bed: NotaryBed;
  let server: Awaited<ReturnType<typeof staticNotary>>;
  let gun: string;
  let digest: string;
  let root: GenKey;
  const cases = new Map<string, { gun: string; files: Map<string, Buffer> }>();

  /** The real client's answer for `tag`, with its own trust folder (kept between calls with the same `folder`). */
  const client = async (name: string, tag: string, folder = `fresh-${Math.random().toString(36).slice(2)}`) => {
    const result = await run('notary', ['-s', server.url(name), '-d', path.join(bed.dir, folder), '--tlscacert', bed.ca.certFile, 'lookup', gun, tag]);
    return { code: result.code, text: `${result.stdout.toString('utf8')}${result.stderr}` };
  };

  async function check(name: string, options: { cacheDir?: string } = {}): Promise<JsonReport['results'][number]> {
    const repo = await makeRepo({
      '.gate/policies/trust.yaml': `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: content-trust}
spec:
  repositories:
  - name: "${bed.registry.host}/gen/*"
    policy:
      mutateImage: false
      trust:
        enabled: true
        trustServer: ${server.url(name)}
`,
      [`.gate/certs.d/${bed.registry.host}/ca.crt`]: bed.ca.cert,
      [`.gate/certs.d/${new URL(server.url(name)).host}/ca.crt`]: bed.ca.cert,
      'apps/app.yaml': deployment('app', [`${gun}:v1`]),
    });
    try {
      const { report } = await gateJson(['check', 'apps', ...(options.cacheDir ? ['--cache-dir', options.cacheDir] : [])], { cwd: repo.dir });
      return report.results[0];
    } finally {
      await repo.dispose();
    }
  }

  before(async () => {
    bed = await startNotaryBed();
    gun = `${bed.registry.host}/gen/app`;
    digest = (await bed.push('gen/app', 'v1')).digest;
    const hex = digest.slice(7);
    const past = new Date(Date.now() - DAY);
    root = await rootCertKey(gun);
    cases.set('good', { gun, files: await generateRepo({ gun, root, targets: { v1: hex } }) });
    cases.set('timestamp-expired', { gun, files: await generateRepo({ gun, targets: { v1: hex }, expires: { timestamp: past } }) });
    cases.set('targets-tampered', { gun, files: await generateRepo({ gun, targets: { v1: hex }, tamperTargets: true }) });
    cases.set('root-cn', { gun, files: await generateRepo({ gun, targets: { v1: hex }, root: await rootCertKey(gun, { cn: `${bed.registry.host}/gen/other` }) }) });
    cases.set('threshold', { gun, files: await generateRepo({ gun, targets: { v1: hex }, targetsThreshold: 2 }) });
    cases.set('delegation-expired', { gun, files: await generateRepo({ gun, targets: {}, releases: { targets: { v1: hex }, signer: ecdsaKey(), expires: past } }) });
    const tlsDir = await mkdtemp(path.join(bed.dir, 'static-'));
    server = await staticNotary(await serverCertificate(tlsDir, bed.ca), cases);
  });
  after(async () => {
    await server?.close();
    await bed?.stop();
  });

  it('a good generated repository is allowed (the client agrees on the digest)', async () => {
    assert.match((await client('good', 'v1')).text, new RegExp(`v1 ${digest}`));
    const result = await check('good');
    assert.equal(result.reason, 'SIGNED', result.message);
  });

  const table: Array<[string, string, RegExp, RegExp]> = [
    ['timestamp-expired', 'TRUST_EXPIRED', /timestamp expired/, /timestamp expired at/],
    ['targets-tampered', 'TRUST_DATA_INVALID', /valid signatures did not meet threshold for targets/, /valid signatures did not meet threshold for targets/],
    ['root-cn', 'TRUST_DATA_INVALID', /could not validate the path to a trusted root/, /could not validate the path to a trusted root/],
    ['threshold', 'TRUST_DATA_INVALID', /valid signatures did not meet threshold for targets/, /valid signatures did not meet threshold for targets/],
    ['delegation-expired', 'TRUST_DELEGATION_INVALID', /No valid trust data for v1/, /targets\/releases left out: targets\/releases expired/],
  ];
  for (const [name, reason, judged, said] of table) {
    it(`${name}: ${reason} (the client: ${judged.source})`, async () => {
      const judge = await client(name, 'v1');
      assert.notEqual(judge.code, 0, judge.text);
      assert.match(judge.text, judged);
      const result = await check(name);
      assert.equal(result.reason, reason, result.message);
      assert.match(result.message, said);
    });
  }

  it('older trust data than an earlier run saw, with the same root: TRUST_ROLLBACK from the evidence cache (the client with its cache agrees; without one, both accept it)', async () => {
    const hex = digest.slice(7);
    const newer = await generateRepo({ gun, root, targets: { v1: hex }, versions: { timestamp: 5, snapshot: 5, targets: 5 } });
    const older = await generateRepo({ gun, root, targets: { v1: hex }, versions: { timestamp: 2, snapshot: 2, targets: 2 } });
    const cacheDir = path.join(bed.dir, 'gate-cache');
    cases.set('floor', { gun, files: newer });
    assert.match((await client('floor', 'v1', 'kept')).text, new RegExp(`v1 ${digest}`));
    assert.equal((await check('floor', { cacheDir })).reason, 'SIGNED');
    cases.set('floor', { gun, files: older });
    const judge = await client('floor', 'v1', 'kept');
    assert.match(judge.text, /version 2 is lower than current version 5/);
    const result = await check('floor', { cacheDir });
    assert.equal(result.reason, 'TRUST_ROLLBACK', result.message);
    assert.match(result.message, /version 2 is lower than current version 5/);
    // No memory, no protection: a fresh client and a run without the cache accept the older set.
    assert.match((await client('floor', 'v1')).text, new RegExp(`v1 ${digest}`));
    assert.equal((await check('floor')).reason, 'SIGNED');
  });
});
