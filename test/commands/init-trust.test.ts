// `gate init --trust-server URL --gun GUN` against the real notary-server: it pins the root
// the GUN's trust data is signed with (the notary client's root key ID is the oracle), writes a
// Portieris trust policy that gate check then applies without the "not pinned" warning, never
// overwrites an existing config.yaml (it prints the entry instead), and refuses a GUN with no
// trust data.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gate, gateJson } from '../helpers/gate.js';
import { startNotaryBed, type NotaryBed } from '../helpers/notary.js';
import { deployment, makeRepo } from '../helpers/repo.js';

describe('gate init --trust-server --gun (Docker Content Trust)', () => {
  let bed: NotaryBed;
  let gun: string;
  let rootId: string;

  before(async () => {
    bed = await startNotaryBed();
    gun = `${bed.registry.host}/init/app`;
    const pushed = await bed.push('init/app', 'v1');
    for (const args of [['init', '-p', gun], ['addhash', '-p', gun, 'v1', String(pushed.size), '--sha256', pushed.digest.slice(7)]]) {
      const result = await bed.notary(args);
      assert.equal(result.code, 0, `notary ${args.join(' ')}: ${result.stderr}`);
    }
    const listed = (await bed.notary(['key', 'list'])).stdout.toString('utf8');
    rootId = /^\s*root\s+.*?([0-9a-f]{64})/m.exec(listed)?.[1] ?? '';
    assert.ok(rootId, `the notary client lists a root key: ${listed}`);
  });
  after(async () => {
    await bed?.stop();
  });

  it('pins the root the notary client holds, writes a policy gate check applies, with no warning about pinning', async () => {
    const repo = await makeRepo({ 'apps/app.yaml': deployment('app', [`${gun}:v1`]) });
    try {
      const init = await gate(['init', repo.dir, '--trust-server', bed.notaryUrl, '--gun', gun, '--ca-file', bed.ca.certFile]);
      assert.equal(init.code, 0, init.stderr);
      assert.match(init.stdout, new RegExp(`pinned root certificate\\(s\\): ${rootId}`));
      const config = await readFile(path.join(repo.dir, '.gate/config.yaml'), 'utf8');
      assert.match(config, new RegExp(`- gun: ${gun.replace(/[.]/g, '\\.')}\\n  certIds:.*\\n  - ${rootId}`));
      await repo.write(`.gate/certs.d/${bed.registry.host}/ca.crt`, bed.ca.cert);
      await repo.write(`.gate/certs.d/${new URL(bed.notaryUrl).host}/ca.crt`, bed.ca.cert);
      const lint = await gate(['policy', 'lint'], { cwd: repo.dir });
      assert.doesNotMatch(lint.stdout, /trustPinning|pinned/, lint.stdout);
      const { report } = await gateJson(['check', 'apps'], { cwd: repo.dir });
      assert.equal(report.results[0].reason, 'SIGNED', report.results[0].message);
      assert.ok(!report.warnings.some((w) => /not pinned/.test(w.message)), JSON.stringify(report.warnings));
    } finally {
      await repo.dispose();
    }
  });

  it('leaves an existing config.yaml alone and prints the entry to add', async () => {
    const repo = await makeRepo({ '.gate/config.yaml': 'requireDigest: false\n' });
    try {
      const init = await gate(['init', repo.dir, '--trust-server', bed.notaryUrl, '--gun', gun, '--ca-file', bed.ca.certFile]);
      assert.equal(init.code, 0, init.stderr);
      assert.equal(await readFile(path.join(repo.dir, '.gate/config.yaml'), 'utf8'), 'requireDigest: false\n');
      assert.match(init.stdout, new RegExp(`trustPinning:\\n- gun: .*\\n  certIds:.*\\n  - ${rootId}`));
      assert.match(init.stdout, /config\.yaml exists: add the trustPinning entry/);
    } finally {
      await repo.dispose();
    }
  });

  it('refuses a repository without trust data: nothing to pin (exit 2)', async () => {
    const repo = await makeRepo({});
    try {
      const init = await gate(['init', repo.dir, '--trust-server', bed.notaryUrl, '--gun', `${bed.registry.host}/init/none`, '--ca-file', bed.ca.certFile]);
      assert.equal(init.code, 2);
      assert.match(init.stderr, /does not have trust data for .*init\/none/);
    } finally {
      await repo.dispose();
    }
  });
});
