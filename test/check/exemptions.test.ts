// Exemptions as code (.gate/config.yaml): before and after expiry, with the clock
// injected. The images and signatures are the denied example's, made by gpg and skopeo.

import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findExemption, hasExpired } from '../../src/policy/exemptions.js';
import { parseSettings, type Exemption } from '../../src/policy/settings.js';
import type { ImageResult } from '../../src/report/model.js';
import { throwsGateError } from '../helpers/assert.js';
import { assertValidSarif, parseJunit } from '../helpers/formats.js';
import { gate } from '../helpers/gate.js';
import { checkAt, copyExample } from '../helpers/in-process.js';

const WORKER = 'registry.example.com/shop/worker@sha256:df23c1e7611cdb748d6a654bdd3ab08c663cdd9cc43d96ba2a1c78134c15b4fd';
const WEB = 'registry.example.com/shop/web@sha256:4c307e3d362277e43add54082dde9a9f3be7c3369638eca6d2cee570b96294a2';
const LAST_MOMENT = new Date('2027-01-31T23:59:59.999Z');
const EXPIRED = new Date('2027-02-01T00:00:00.000Z');

const CONFIG = `# exemptions for the denied example
exemptions:
- image: "registry.example.com/shop/worker*"
  namespace: shop
  reason: "worker is signed by the vendor's key only (PLAT-7)"
  owner: platform@example.com
  expires: 2027-01-31
- image: redis:7
  reason: cache, unsigned upstream image
  owner: shop-team@example.com
  expires: "2027-01-31"
- image: "registry.example.com/shop/web*"
  reason: left over
  owner: shop-team@example.com
  expires: 2026-01-01
`;

/** The exemptions first (the line numbers the tests expect are theirs), then the example's own settings. */
async function withExemptions(dir: string, exemptions: string): Promise<void> {
  const file = path.join(dir, '.gate/config.yaml');
  await writeFile(file, exemptions + (await readFile(file, 'utf8')));
}

describe('exemptions in .gate/config.yaml', () => {
  let example: Awaited<ReturnType<typeof copyExample>>;
  const byImage = (results: ImageResult[]) => Object.fromEntries(results.map((r) => [r.image, r]));

  before(async () => {
    example = await copyExample('shop-denied');
    await withExemptions(example.dir, CONFIG);
  });
  after(() => example?.dispose());

  it('until the end of the expiry day, an exempted image is allowed as EXEMPT, unverified, saying by whom and why', async () => {
    const report = await checkAt(LAST_MOMENT, example.dir, { paths: ['apps'] });
    const results = byImage(report.results);
    assert.equal(results[WORKER].verdict, 'allow');
    assert.equal(results[WORKER].reason, 'EXEMPT');
    assert.match(results[WORKER].message, /^exempted until 2027-01-31 by \.gate\/config\.yaml:3 \(owner platform@example\.com\): worker is signed by the vendor's key only \(PLAT-7\); not verified$/);
    assert.deepEqual(results[WORKER].exemption, { image: 'registry.example.com/shop/worker*', namespace: 'shop', reason: "worker is signed by the vendor's key only (PLAT-7)", owner: 'platform@example.com', expires: '2027-01-31', expired: false, file: '.gate/config.yaml', line: 3 });
    assert.equal(results['redis:7'].reason, 'EXEMPT', 'an exact image, in every namespace');
    // What no exemption covers is decided as before.
    assert.equal(results['registry.example.com/shop/api@sha256:1aa934995966dcc3830c7c6866f93e3a1a8e895b0eff533973855bcff4858dd4'].reason, 'IDENTITY_MISMATCH');
  });

  it('from the next day on, the image is decided on its signatures, and the denial says the exemption expired', async () => {
    const report = await checkAt(EXPIRED, example.dir, { paths: ['apps'] });
    const results = byImage(report.results);
    assert.equal(results[WORKER].verdict, 'deny');
    assert.equal(results[WORKER].reason, 'NO_SIGNATURE');
    assert.match(results[WORKER].message, /; the exemption at \.gate\/config\.yaml:3 \("registry\.example\.com\/shop\/worker\*", owner platform@example\.com\) expired after 2027-01-31$/);
    assert.equal(results[WORKER].exemption?.expired, true);
    assert.equal(results['redis:7'].reason, 'NO_POLICY');
  });

  it('an expired exemption of an image that passes on its own is a warning to remove it', async () => {
    const report = await checkAt(LAST_MOMENT, example.dir, { paths: ['apps'] });
    assert.equal(byImage(report.results)[WEB].reason, 'SIGNED');
    assert.ok(report.warnings.some((w) => w.file === '.gate/config.yaml' && w.line === 12 && /expired after 2026-01-01, and .* passes without it: remove the exemption/.test(w.message)));
  });

  it('an exemption for another namespace does not apply', async () => {
    const report = await checkAt(LAST_MOMENT, example.dir, { paths: ['apps'], namespace: 'other' });
    // The example's objects name namespace shop; checked as if they named none, they land in "other".
    const other = await copyExample('shop-denied');
    try {
      await withExemptions(other.dir, CONFIG);
      const manifest = path.join(other.dir, 'apps/shop.yaml');
      await writeFile(manifest, (await readFile(manifest, 'utf8')).replace(/^\s*namespace: shop\n/gm, ''));
      const moved = byImage((await checkAt(LAST_MOMENT, other.dir, { paths: ['apps'], namespace: 'other' })).results);
      assert.equal(moved[WORKER].reason, 'NO_SIGNATURE');
      assert.equal(moved['redis:7'].reason, 'EXEMPT');
    } finally {
      await other.dispose();
    }
    assert.equal(byImage(report.results)[WORKER].reason, 'EXEMPT', 'objects that name namespace shop keep it');
  });

  it('every report format shows the exemption', async () => {
    const future = await copyExample('shop-denied');
    try {
      await withExemptions(future.dir, CONFIG.replace(/2027-01-31/g, '2999-12-31'));
      const run = await gate(['check', 'apps', '-o', 'text', '-o', 'json=r.json', '-o', 'sarif=r.sarif', '-o', 'junit=r.xml', '-o', 'github=r.github', '-o', 'markdown=r.md'], { cwd: future.dir });
      assert.equal(run.code, 1, run.stderr);
      const read = (name: string) => readFile(path.join(future.dir, name), 'utf8');
      assert.match(run.stdout, /ALLOW registry\.example\.com\/shop\/worker@sha256:df23c1e7611c…  namespace shop  EXEMPT until 2999-12-31 \(owner platform@example\.com: worker is signed/);
      assert.equal(JSON.parse(await read('r.json')).results.find((r: ImageResult) => r.image === WORKER).exemption.owner, 'platform@example.com');
      const sarif = assertValidSarif(await read('r.sarif'));
      assert.equal(sarif.runs[0].results.filter((r) => r.ruleId === 'EXEMPT' && r.level === 'note').length, 2);
      const junit = await parseJunit(await read('r.xml'));
      assert.equal(junit.testsuite![0].skipped, 2);
      assert.match(await read('r.github'), /^::notice file=apps\/shop\.yaml,line=50,title=gate%3A registry\.example\.com\/shop\/worker@sha256%3Adf23c1e7611cdb748d6a654bdd3ab08c663cdd9cc43d96ba2a1c78134c15b4fd is exempt until 2999-12-31::worker is signed/m);
      assert.match(await read('r.md'), /\| ⚠️ \| `registry\.example\.com\/shop\/worker@sha256:df23c1e7611c…` \| shop \| `EXEMPT` until 2999-12-31 \|/);
    } finally {
      await future.dispose();
    }
  });
});

describe('config.yaml validation', () => {
  const fails = (text: string, message: RegExp, line: number) => {
    throwsGateError(() => parseSettings(text, '.gate/config.yaml'), 'CONFIG_INVALID', { message, line });
  };
  const entry = (extra: string) => `exemptions:\n- image: "a.example.com/*"\n  reason: r\n  owner: o\n${extra}`;

  it('an exemption needs image, reason, owner and a real expiry date', () => {
    fails(entry(''), /exemptions\[0\]\.expires: is required: every exemption expires/, 2);
    fails('exemptions:\n- image: "a.example.com/*"\n  reason: r\n  expires: 2027-01-01\n', /exemptions\[0\]\.owner: is required/, 2);
    fails(entry('  expires: 2027-02-30\n'), /2027-02-30 is not a day of the calendar/, 5);
    fails(entry('  expires: next week\n'), /must be a date YYYY-MM-DD/, 5);
    fails(entry('  expires: 2027-01-01\n  expiry: 2027-01-01\n'), /unknown field "expiry" \(did you mean "expires"\?\)/, 6);
  });

  it('top level: requireDigest is a boolean, nothing else is allowed', () => {
    fails('requireDigest: "yes"\n', /requireDigest: must be true or false/, 1);
    fails('requireDigests: true\n', /unknown field "requireDigests" \(did you mean "requireDigest"\?\)/, 1);
    assert.deepEqual(parseSettings('', 'c.yaml'), { requireDigest: false, exemptions: [] });
  });

  it('a duplicate key is an error, not a silent last value', () => {
    fails('requireDigest: true\nrequireDigest: false\n', /duplicate key "requireDigest": settings must be unambiguous/, 2);
    fails(entry('  expires: 2027-01-01\n  owner: someone-else\n'), /duplicate key "owner"/, 6);
  });

  it('a broken config.yaml stops gate check with exit 2 and the line', async () => {
    const example = await copyExample('shop');
    try {
      await writeFile(path.join(example.dir, '.gate/config.yaml'), entry('  expires: 2027-13-01\n'));
      const run = await gate(['check', 'apps'], { cwd: example.dir });
      assert.equal(run.code, 2);
      assert.match(run.stderr, /^gate: \.gate\/config\.yaml:5: exemptions\[0\]\.expires: must be a date YYYY-MM-DD|^gate: \.gate\/config\.yaml:5: exemptions\[0\]\.expires: 2027-13-01 is not a day/);
    } finally {
      await example.dispose();
    }
  });
});

describe('findExemption (pure)', () => {
  const exemption = (image: string, namespace: string | null, expires: string): Exemption => ({ image, namespace, reason: 'r', owner: 'o', expires, origin: { file: 'c', line: 1 } });

  it('matches like a Portieris pattern: literal image string, host anchored', () => {
    const list = [exemption('trusted.example.com/*', null, '2030-01-01')];
    assert.ok(findExemption('trusted.example.com/app:1', 'ns', list, EXPIRED));
    assert.equal(findExemption('evil.example.com/trusted.example.com/app:1', 'ns', list, EXPIRED), undefined);
    assert.equal(findExemption('docker.io/library/nginx:1', 'ns', [exemption('nginx:1', null, '2030-01-01')], EXPIRED), undefined);
  });

  it('one that holds wins over one that expired', () => {
    const old = exemption('a.example.com/*', null, '2020-01-01');
    const current = exemption('a.example.com/app*', null, '2030-01-01');
    assert.equal(findExemption('a.example.com/app:1', 'ns', [old, current], EXPIRED)?.exemption, current);
    assert.deepEqual(findExemption('a.example.com/other:1', 'ns', [old, current], EXPIRED), { exemption: old, expired: true });
  });

  it('expires is the last day it holds, in UTC', () => {
    const e = exemption('x', null, '2027-01-31');
    assert.equal(hasExpired(e, LAST_MOMENT), false);
    assert.equal(hasExpired(e, EXPIRED), true);
  });
});
