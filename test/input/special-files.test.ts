// A FIFO, a unix socket or a device at every kind of path gate reads or writes is refused
// at once, never opened in a way that blocks: each case runs the real CLI under a 10 s
// limit (a hang kills it and fails the test) and checks the message. The FIFOs and
// sockets are real (mkfifo, a listening net.Server).

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { rm, symlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gateMeasured } from '../helpers/gate.js';
import { GpgHome, skopeoSign } from '../helpers/gpg.js';
import { clusterPolicy, deployment, makeRepo, ociManifest, parityConfig, sha256Digest, STORE_LINE, type TempRepo } from '../helpers/repo.js';
import { staticServer } from '../helpers/servers.js';
import { mustRun, requireTool } from '../helpers/tools.js';

const MANIFEST = ociManifest('special-files');
const DIGEST = sha256Digest(MANIFEST);
const IMAGE = `registry.example.com/team/web@${DIGEST}`;
const SIGNED_BY_TEAM = '  - name: "registry.example.com/*"\n    policy:\n      simple:\n' + STORE_LINE + '        requirements:\n        - type: signedBy\n          keySecret: team\n';

let home: GpgHome;
let publicKey: string;
let signature: Buffer;

before(async () => {
  requireTool('mkfifo');
  home = await GpgHome.create();
  const fingerprint = await home.generateKey('Special <special@example.com>');
  publicKey = await home.exportPublic(fingerprint);
  signature = await skopeoSign(home, MANIFEST, 'registry.example.com/team/web:1', fingerprint);
});
after(() => home?.dispose());

type Special = 'FIFO' | 'socket';

/** A repository whose one image verifies (a real signature in a file lookaside). */
async function signedRepo(): Promise<TempRepo> {
  const repo = await makeRepo({
    '.gate/policies/policy.yaml': clusterPolicy('default', SIGNED_BY_TEAM),
    '.gate/keys/team.asc': publicKey,
    '.gate/config.yaml': parityConfig(['team']),
    '.gate/registries.d/none.yaml': 'docker: {}\n',
    'apps/web.yaml': deployment('web', [IMAGE]),
  });
  await repo.storeSignatures('.gate/sigstore', 'team/web', DIGEST, [signature]);
  return repo;
}

const servers: net.Server[] = [];

/** Puts a FIFO or a listening unix socket at `relative` (replacing what was there). */
async function plant(repo: TempRepo, relative: string, kind: Special): Promise<string> {
  const file = path.join(repo.dir, relative);
  await rm(file, { force: true });
  if (kind === 'FIFO') await mustRun('mkfifo', [file]);
  else {
    const server = net.createServer();
    servers.push(server);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(file, resolve));
  }
  return file;
}

async function expectRefused(repo: TempRepo, args: string[], pattern: RegExp): Promise<void> {
  const run = await gateMeasured(args, { cwd: repo.dir, limitSeconds: 10 });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /^gate: /);
  assert.match(run.stderr, pattern);
  assert.doesNotMatch(run.stderr, /internal error/);
}

async function withRepo(fn: (repo: TempRepo) => Promise<void>): Promise<void> {
  const repo = await signedRepo();
  try {
    await fn(repo);
  } finally {
    for (const server of servers.splice(0)) server.close();
    await repo.dispose();
  }
}

for (const kind of ['FIFO', 'socket'] as const) {
  const refused = new RegExp(`not a regular file \\(a ${kind}\\)`);
  describe(`a ${kind} is refused, never read`, () => {
    it('as a manifest path argument', async () => {
      await withRepo(async (repo) => {
        await plant(repo, 'apps/web.yaml', kind);
        await expectRefused(repo, ['check', 'apps/web.yaml', '--offline'], new RegExp(`apps/web\\.yaml: cannot read it: ${refused.source}`));
      });
    });

    it('as a manifest inside a walked folder, and through a symlink', async () => {
      await withRepo(async (repo) => {
        await plant(repo, 'apps/other.yaml', kind);
        await expectRefused(repo, ['check', 'apps', '--offline'], new RegExp(`apps/other\\.yaml: ${refused.source}; .*--exclude`));
        await rm(path.join(repo.dir, 'apps/other.yaml'));
        await plant(repo, 'special', kind);
        await symlink('../special', path.join(repo.dir, 'apps/link.yaml'));
        await expectRefused(repo, ['check', 'apps', '--offline'], new RegExp(`apps/link\\.yaml: not a regular file \\(a symlink to a ${kind}\\)`));
      });
    });

    it('as a .gate/policies file', async () => {
      await withRepo(async (repo) => {
        await plant(repo, '.gate/policies/extra.yaml', kind);
        await expectRefused(repo, ['check', 'apps', '--offline'], new RegExp(`\\.gate/policies/extra\\.yaml: ${refused.source}`));
      });
    });

    it('as a .gate/keys key file', async () => {
      await withRepo(async (repo) => {
        await plant(repo, '.gate/keys/team.asc', kind);
        await expectRefused(repo, ['check', 'apps', '--offline'], new RegExp(`\\.gate/keys/team\\.asc: cannot read keySecret "team" .*${refused.source}`));
      });
    });

    it('as .gate/config.yaml', async () => {
      await withRepo(async (repo) => {
        await plant(repo, '.gate/config.yaml', kind);
        await expectRefused(repo, ['check', 'apps', '--offline'], new RegExp(`\\.gate/config\\.yaml: cannot read it: ${refused.source}`));
      });
    });

    it('as a .gate/registries.d file', async () => {
      await withRepo(async (repo) => {
        await plant(repo, '.gate/registries.d/extra.yaml', kind);
        await expectRefused(repo, ['check', 'apps', '--offline'], new RegExp(`\\.gate/registries\\.d/extra\\.yaml: ${refused.source}`));
      });
    });

    it('as --auth-file', async () => {
      await withRepo(async (repo) => {
        const file = await plant(repo, 'auth.json', kind);
        await repo.write('apps/web.yaml', deployment('web', ['registry.example.com/team/web:1']));
        await expectRefused(repo, ['check', 'apps', '--auth-file', file], new RegExp(`auth\\.json: cannot read the auth file: ${refused.source}`));
      });
    });

    it('as a report path (-o json=FILE), before the run', async () => {
      await withRepo(async (repo) => {
        await plant(repo, 'report.json', kind);
        await expectRefused(repo, ['check', 'apps', '--offline', '-o', 'json=report.json'], new RegExp(`cannot write the json report to report\\.json: ${refused.source}; gate writes reports only to regular files`));
      });
    });

    it('as an entry of the evidence cache: a miss, and the signatures are fetched and verified again', async () => {
      await withRepo(async (repo) => {
        // The signatures served over HTTP as the policy's storeURL: evidence the cache keeps (a folder is read afresh).
        const store = await staticServer(path.join(repo.dir, '.gate/sigstore'));
        try {
          await repo.write('.gate/policies/policy.yaml', clusterPolicy('default', SIGNED_BY_TEAM.replace(STORE_LINE, `        storeURL: ${store.url}\n`)));
          await repo.write('.gate/config.yaml', 'keySecrets:\n- name: team\n');
          const cache = path.join(repo.dir, 'cache');
          const first = await gateMeasured(['check', 'apps', '--cache-dir', cache], { cwd: repo.dir });
          assert.equal(first.code, 0, first.stderr);
          const entries = readdirSync(cache, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
          assert.ok(entries.length > 0, 'the first run cached no evidence');
          for (const entry of entries) await plant(repo, path.join('cache', entry), kind);
          const fetched = store.requests.length;
          const second = await gateMeasured(['check', 'apps', '--cache-dir', cache, '--verbose'], { cwd: repo.dir, limitSeconds: 10 });
          assert.equal(second.code, 0, second.stderr);
          assert.match(second.stdout, /ALLOW/);
          assert.ok(store.requests.length > fetched, 'fetched again');
        } finally {
          await store.close();
        }
      });
    });
  });
}

describe('devices and impossible report paths', () => {
  it('a device as a manifest path, as .gate/config.yaml (through a symlink) and as a report path', async () => {
    await withRepo(async (repo) => {
      await expectRefused(repo, ['check', '/dev/zero', '--offline', '--gate-dir', '.gate'], /\/dev\/zero: cannot read it: not a regular file \(a device\)/);
      await rm(path.join(repo.dir, '.gate/config.yaml'));
      await symlink('/dev/zero', path.join(repo.dir, '.gate/config.yaml'));
      await expectRefused(repo, ['check', 'apps', '--offline'], /\.gate\/config\.yaml: cannot read it: not a regular file \(a device\)/);
      await rm(path.join(repo.dir, '.gate/config.yaml'));
      await expectRefused(repo, ['check', 'apps', '--offline', '-o', 'json=/dev/null'], /cannot write the json report to \/dev\/null: not a regular file \(a device\)/);
    });
  });

  it('a report path that cannot be created fails at once (it used to spin: mkdir -p in /proc)', async () => {
    await withRepo(async (repo) => {
      await expectRefused(repo, ['check', 'apps', '--offline', '-o', 'json=/proc/nope/x.json'], /cannot write the json report to \/proc\/nope\/x\.json: it cannot be created there/);
    });
  });

  it('a report path in folders that do not exist yet is still written (the check before the run creates and removes them)', async () => {
    await withRepo(async (repo) => {
      const ok = await gateMeasured(['check', 'apps', '--offline', '-o', 'json=out/deep/report.json'], { cwd: repo.dir });
      assert.equal(ok.code, 0, ok.stderr);
      const written = readdirSync(path.join(repo.dir, 'out/deep'));
      assert.deepEqual(written, ['report.json']);
    });
  });
});
