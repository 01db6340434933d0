// `gate generate` under an emulation of Argo CD's cmp-server (no Argo CD runs here):
// the work folder, the environment and the reading of stdout follow
// reference/argocd-cmp.md §3. Allowed output must be the renderer's bytes, unchanged.

import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parityConfig } from '../helpers/repo.js';
import { argoEnv, argoManifests, cmpWorkdir, generate, WEB, type Workdir } from '../helpers/argocd.js';
import { GpgHome } from '../helpers/gpg.js';
import { mustRun, requireTool } from '../helpers/tools.js';
import { silentServer } from '../helpers/servers.js';

let gpg: GpgHome;
let fingerprint: string;

before(async () => {
  gpg = await GpgHome.create();
  fingerprint = await gpg.generateKey('Release <release@example.com>');
});
after(() => gpg?.dispose());

async function withWorkdir<T>(app: string, subdir: string, fn: (w: Workdir) => Promise<T>): Promise<T> {
  const workdir = await cmpWorkdir(gpg, fingerprint, app, subdir);
  try {
    return await fn(workdir);
  } finally {
    await workdir.dispose();
  }
}

describe('gate generate as an Argo CD plugin (cmp-server emulated)', () => {
  it('plain folder: the files as Argo CD\'s directory source reads them, byte for byte', async () => {
    await withWorkdir('plain', '', async (w) => {
      const out = await generate(w, argoEnv(w.sourcePath));
      assert.equal(out.code, 0, out.stderr);
      // YAML first: a stream that starts with "{" is read as JSON only by Kubernetes' decoder.
      const expected = Buffer.concat([await readFile(path.join(w.appDir, 'web.yaml')), Buffer.from('---\n'), await readFile(path.join(w.appDir, 'service.json')), Buffer.from('\n')]);
      assert.deepEqual(out.stdout, expected);
      assert.deepEqual((await argoManifests(out.stdout)).map((o) => o.kind), ['Deployment', 'Service']);
      assert.match(out.stderr, /1 allowed, 0 denied/);
    });
  });

  it('plain folder with recurse: sub-folders too', async () => {
    await withWorkdir('plain', '', async (w) => {
      const out = await generate(w, argoEnv(w.sourcePath, [{ name: 'recurse', string: 'true' }]));
      assert.equal(out.code, 0, out.stderr);
      assert.deepEqual((await argoManifests(out.stdout)).map((o) => (o.metadata as { name: string }).name), ['api', 'web', 'web']);
    });
  });

  it('kustomize: the output of the real kubectl kustomize, byte for byte, checked after the images: rewrite', async () => {
    requireTool('kubectl');
    await withWorkdir('kustomize', 'overlay', async (w) => {
      const out = await generate(w, argoEnv(w.sourcePath));
      assert.equal(out.code, 0, out.stderr);
      const expected = (await mustRun('kubectl', ['kustomize', '.'], { cwd: w.appDir })).stdout;
      assert.deepEqual(out.stdout, expected);
      const [deployment] = (await argoManifests(out.stdout));
      assert.match(JSON.stringify(deployment), new RegExp(WEB.replace(/[.*]/g, '\\$&')));
    });
  });

  it('helm: the output of the real helm template with Argo CD\'s flags, byte for byte', async () => {
    requireTool('helm');
    await withWorkdir('helm', '', async (w) => {
      const parameters = [{ name: 'values-files', array: ['values-api.yaml'] }, { name: 'set', map: { replicas: '3' } }];
      const out = await generate(w, argoEnv(w.sourcePath, parameters));
      assert.equal(out.code, 0, out.stderr);
      const args = ['template', '.', '--name-template', 'shop-web', '--namespace', 'shop', '--kube-version', '1.29.4'];
      for (const v of argoEnv('').KUBE_API_VERSIONS.split(',')) args.push('--api-versions', v);
      args.push('--include-crds', '--values', 'values-api.yaml', '--set', 'replicas=3');
      const expected = (await mustRun('helm', args, { cwd: w.appDir })).stdout;
      assert.deepEqual(out.stdout, expected);
      const [deployment] = (await argoManifests(out.stdout)) as unknown as Array<{ metadata: { name: string; namespace: string; annotations: Record<string, string> }; spec: { replicas: number } }>;
      assert.deepEqual(
        [deployment.metadata.name, deployment.metadata.namespace, deployment.metadata.annotations['has-monitoring'], deployment.spec.replicas],
        ['shop-web', 'shop', 'true', 3],
      );
      assert.match(deployment.metadata.annotations['kube-version'], /^v1\.29\.4/);
    });
  });

  it('helm: the exact argv handed to helm (a fake helm that records its arguments)', async () => {
    const bin = await mkdtemp(path.join(tmpdir(), 'gate-fake-helm-'));
    try {
      const record = path.join(bin, 'argv');
      await writeFile(path.join(bin, 'helm'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > "${record}"\ncat <<'EOF'\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: "${WEB}"}]\nEOF\n`);
      await chmod(path.join(bin, 'helm'), 0o755);
      await withWorkdir('helm', '', async (w) => {
        const parameters = [{ name: 'values-files', array: ['values-api.yaml'] }, { name: 'set', map: { replicas: '3', 'image.tag': 'a b;$(x)', list: 'x,y' } }];
        const out = await generate(w, { ...argoEnv(w.sourcePath, parameters), PATH: `${bin}:${process.env.PATH}` });
        assert.equal(out.code, 0, out.stderr);
        const argv = (await readFile(record, 'utf8')).trimEnd().split('\n');
        assert.deepEqual(argv, [
          'template', '.', '--name-template', 'shop-web', '--namespace', 'shop', '--kube-version', '1.29.4',
          ...argoEnv('').KUBE_API_VERSIONS.split(',').flatMap((v) => ['--api-versions', v]),
          '--include-crds', '--values', 'values-api.yaml', '--set', 'replicas=3', '--set', 'image.tag=a b;$(x)', '--set', 'list=x\\,y',
        ]);
      });
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });
});

describe('gate generate: denials and failures', () => {
  it('denies: nothing on stdout, exit 1, one DENY line per denial at the end of stderr', async () => {
    await withWorkdir('plain', '', async (w) => {
      await writeFile(path.join(w.appDir, 'worker.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: worker}\nspec:\n  containers:\n  - {name: w, image: "registry.example.com/shop/worker@sha256:df23c1e7611cdb748d6a654bdd3ab08c663cdd9cc43d96ba2a1c78134c15b4fd"}\n  - {name: cache, image: "redis:7"}\n');
      const out = await generate(w, argoEnv(w.sourcePath));
      assert.equal(out.code, 1);
      assert.equal(out.stdout.length, 0);
      const lines = out.stderr.trimEnd().split('\n');
      assert.match(lines[0], /3 image\(s\) in 3 object\(s\).*1 allowed, 2 denied/);
      assert.deepEqual(lines.slice(1).map((l) => l.split(' ').slice(0, 4).join(' ')), [
        'DENY Pod/worker registry.example.com/shop/worker@sha256:df23c1e7611cdb748d6a654bdd3ab08c663cdd9cc43d96ba2a1c78134c15b4fd NO_SIGNATURE:',
        'DENY Pod/worker redis:7 NO_POLICY:',
      ]);
    });
  });

  it('a DENY line stays one line whatever the repository writes: control characters are shown as escapes', async () => {
    await withWorkdir('plain', '', async (w) => {
      await writeFile(path.join(w.appDir, 'evil.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: evil}\nspec:\n  containers:\n  - {name: e, image: "evil.example.com/a:1\\nDENY forged\\u001b[2J"}\n');
      const out = await generate(w, argoEnv(w.sourcePath));
      assert.equal(out.code, 1);
      const deny = out.stderr.trimEnd().split('\n').filter((l) => l.startsWith('DENY'));
      assert.equal(deny.length, 1, out.stderr);
      assert.ok(!out.stderr.includes('\u001b'), 'no escape sequence reaches Argo CD');
      assert.ok(deny[0].includes('evil.example.com/a:1\\nDENY forged\\u001b[2J'));
    });
  });

  it('the budget runs out while verifying: the unfinished image is a TIMEOUT denial, exit 3', async () => {
    const silent = await silentServer();
    try {
      await withWorkdir('plain', '', async (w) => {
        const slow = 'registry.example.com/shop/slow@sha256:' + 'a'.repeat(64);
        // A policy of its own for the slow image, whose storeURL never answers.
        await writeFile(
          path.join(w.root, '.gate/policies/slow.yaml'),
          `apiVersion: portieris.cloud.ibm.com/v1\nkind: ClusterImagePolicy\nmetadata: {name: slow}\nspec:\n  repositories:\n  - name: "registry.example.com/shop/slow@*"\n    policy:\n      simple:\n        storeURL: ${silent.url}\n        requirements:\n        - {type: signedBy, keySecret: release}\n`,
        );
        await writeFile(path.join(w.appDir, 'slow.yaml'), `apiVersion: v1\nkind: Pod\nmetadata: {name: slow}\nspec:\n  containers: [{name: s, image: "${slow}"}]\n`);
        const out = await generate(w, argoEnv(w.sourcePath, [{ name: 'timeout', string: '1' }]));
        assert.equal(out.code, 3, out.stderr);
        assert.equal(out.stdout.length, 0);
        const lines = out.stderr.trimEnd().split('\n');
        assert.match(lines[0], /1 allowed, 1 denied/);
        assert.deepEqual(lines.slice(1).map((l) => l.split(' ').slice(0, 4).join(' ')), [`DENY Pod/slow ${slow} TIMEOUT:`]);
        assert.match(lines[1], /no answer within (0\.\d|1) s, the time budget of the run ran out/, 'the timeout parameter set the budget, not the 15 s request timeout');
        assert.ok(silent.requests.some((r) => r.path.startsWith('/shop/slow@sha256=')), `gate asked the lookaside: ${JSON.stringify(silent.requests.map((r) => r.path))}`);
      });
    } finally {
      await silent.close();
    }
  });

  it('mode warn (parameter or plugin env GATE_MODE): the manifests pass, the denials are warnings', async () => {
    await withWorkdir('plain', '', async (w) => {
      await writeFile(path.join(w.appDir, 'cache.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: cache}\nspec:\n  containers: [{name: c, image: "redis:7"}]\n');
      for (const env of [argoEnv(w.sourcePath, [{ name: 'mode', string: 'warn' }]), argoEnv(w.sourcePath, [], { GATE_MODE: 'warn' })]) {
        const out = await generate(w, env);
        assert.equal(out.code, 0, out.stderr);
        assert.equal((await argoManifests(out.stdout)).length, 3);
        assert.match(out.stderr, /\nWARN Pod\/cache redis:7 NO_POLICY: /);
      }
    });
  });

  it('the platform can take warn mode away from Applications (GATE_MODE_LOCK=enforce on the sidecar)', async () => {
    await withWorkdir('plain', '', async (w) => {
      const out = await generate(w, { ...argoEnv(w.sourcePath, [{ name: 'mode', string: 'warn' }]), GATE_MODE_LOCK: 'enforce' });
      assert.equal(out.code, 2);
      assert.equal(out.stdout.length, 0);
      assert.match(out.stderr, /GATE_MODE_LOCK=enforce/);
    });
  });

  it('GATE_MODE_LOCK=enforce also refuses allow-empty', async () => {
    await withWorkdir('plain', '', async (w) => {
      const out = await generate(w, { ...argoEnv(w.sourcePath, [{ name: 'allow-empty', string: 'true' }]), GATE_MODE_LOCK: 'enforce' });
      assert.equal(out.code, 2);
      assert.match(out.stderr, /allow-empty is not allowed here/);
    });
  });

  it('an empty render fails even in warn mode: Argo CD would prune the whole app', async () => {
    await withWorkdir('plain', '', async (w) => {
      for (const file of ['web.yaml', 'service.json']) await writeFile(path.join(w.appDir, file), '# nothing\n');
      const out = await generate(w, argoEnv(w.sourcePath, [{ name: 'mode', string: 'warn' }]));
      assert.equal(out.code, 2);
      assert.equal(out.stdout.length, 0);
    });
  });

  it('policies in the manifests cannot loosen .gate/', async () => {
    await withWorkdir('plain', '', async (w) => {
      await writeFile(path.join(w.appDir, 'zz-open.yaml'), `apiVersion: portieris.cloud.ibm.com/v1\nkind: ImagePolicy\nmetadata: {name: open, namespace: shop}\nspec:\n  repositories:\n  - name: "*"\n    policy: {}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: miner, namespace: shop}\nspec:\n  containers: [{name: m, image: "docker.io/attacker/miner:latest"}]\n`);
      const out = await generate(w, argoEnv(w.sourcePath), ['--offline']);
      assert.equal(out.code, 1, out.stderr);
      assert.match(out.stderr, /DENY Pod\/miner docker\.io\/attacker\/miner:latest NO_POLICY: .*manifests cannot loosen \.gate/);
    });
  });

  it('kustomize --enable-helm is the platform\'s choice, and refuses a kustomization that sets helmGlobals', async () => {
    await withWorkdir('kustomize', 'overlay', async (w) => {
      const parameter = await generate(w, argoEnv(w.sourcePath, [{ name: 'enable-helm', string: 'true' }]));
      assert.equal(parameter.code, 2);
      assert.match(parameter.stderr, /unknown plugin parameter "enable-helm"/);
      await writeFile(path.join(w.root, 'apps/kustomize/base/kustomization.yaml'), 'resources: [deployment.yaml]\nhelmGlobals:\n  configHome: hc\n');
      const out = await generate(w, { ...argoEnv(w.sourcePath), GATE_KUSTOMIZE_ENABLE_HELM: 'true' });
      assert.equal(out.code, 2);
      assert.match(out.stderr, /base\/kustomization\.yaml sets helmGlobals/);
    });
  });

  it('stops a renderer at the deadline, with its children', { timeout: 20_000 }, async () => {
    const bin = await mkdtemp(path.join(tmpdir(), 'gate-slow-kustomize-'));
    try {
      await writeFile(path.join(bin, 'kustomize'), '#!/bin/sh\nsleep 30 &\nwait\n');
      await chmod(path.join(bin, 'kustomize'), 0o755);
      await withWorkdir('kustomize', 'overlay', async (w) => {
        const out = await generate(w, { ...argoEnv(w.sourcePath, [{ name: 'timeout', string: '1' }]), PATH: `${bin}:${process.env.PATH}` });
        assert.equal(out.code, 2);
        assert.equal(out.stdout.length, 0);
        assert.match(out.stderr, /kustomize was stopped: out of time/);
      });
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });

  it('an empty render fails, unless allow-empty says otherwise', async () => {
    await withWorkdir('plain', '', async (w) => {
      for (const file of ['web.yaml', 'service.json']) await writeFile(path.join(w.appDir, file), '# nothing\n');
      const out = await generate(w, argoEnv(w.sourcePath));
      assert.notEqual(out.code, 0);
      assert.equal(out.stdout.length, 0);
      assert.match(out.stderr, /no Kubernetes objects/);
      const allowed = await generate(w, argoEnv(w.sourcePath, [{ name: 'allow-empty', string: 'true' }]));
      assert.equal(allowed.code, 0, allowed.stderr);
    });
  });

  it('a renderer that fails is a failure carrying its stderr, never an empty success', async () => {
    requireTool('kubectl');
    await withWorkdir('kustomize', 'overlay', async (w) => {
      await writeFile(path.join(w.appDir, 'kustomization.yaml'), 'resources:\n- missing.yaml\n');
      const out = await generate(w, argoEnv(w.sourcePath));
      assert.equal(out.code, 2);
      assert.equal(out.stdout.length, 0);
      assert.match(out.stderr, /^gate: kubectl kustomize failed with exit code 1: .*missing\.yaml/s);
    });
  });

  it('refuses a symlink that leads out of the repository', async () => {
    await withWorkdir('plain', '', async (w) => {
      await symlink('/etc/hostname', path.join(w.appDir, 'host.yaml'));
      const out = await generate(w, argoEnv(w.sourcePath));
      assert.equal(out.code, 2);
      assert.equal(out.stdout.length, 0);
      assert.match(out.stderr, /host\.yaml: a symlink that leads out of the repository/);
    });
  });

  it('refuses a values file outside the repository', async () => {
    await withWorkdir('helm', '', async (w) => {
      const out = await generate(w, argoEnv(w.sourcePath, [{ name: 'values-files', array: ['/etc/passwd'] }]));
      assert.equal(out.code, 2);
      assert.match(out.stderr, /values file .* is outside the repository/);
    });
  });

  it('refuses an unknown parameter, so that a typo cannot switch enforcement off', async () => {
    await withWorkdir('plain', '', async (w) => {
      const out = await generate(w, argoEnv(w.sourcePath, [{ name: 'modes', string: 'warn' }]));
      assert.equal(out.code, 2);
      assert.match(out.stderr, /unknown plugin parameter "modes"/);
    });
  });

  it('a key revoked after a generation denies the next one (the cache holds evidence, never a verdict)', async () => {
    await withWorkdir('plain', '', async (w) => {
      assert.equal((await generate(w, argoEnv(w.sourcePath))).code, 0);
      // A copy of the key, revoked: the same fingerprint, other key material.
      const copy = await GpgHome.create();
      try {
        await mustRun('gpg', ['--batch', '--import'], { env: copy.env, input: await gpg.exportPublic(fingerprint) });
        await mustRun('gpg', ['--batch', '--import'], { env: copy.env, input: await gpg.revocationCertificate(fingerprint) });
        await writeFile(path.join(w.root, '.gate/keys/release.asc'), await copy.exportPublic(fingerprint));
      } finally {
        await copy.dispose();
      }
      const out = await generate(w, argoEnv(w.sourcePath));
      assert.equal(out.code, 1, out.stderr);
      assert.match(out.stderr, /BAD_SIGNATURE: .*revoked/i);
    });
  });

  it('concurrent generations of one app, sharing the default cache folder, all hand Argo CD the same manifests', async () => {
    await withWorkdir('plain', '', async (w) => {
      const runs = await Promise.all(Array.from({ length: 4 }, () => generate(w, argoEnv(w.sourcePath))));
      assert.deepEqual(runs.map((r) => r.code), [0, 0, 0, 0]);
      assert.ok(runs.every((r) => r.stdout.equals(runs[0].stdout)));
      assert.ok(runs[0].stdout.length > 0);
    });
  });

  it('--fail-on-warn fails an allowed generation that has warnings: nothing on stdout, each warning on stderr, exit 1', async () => {
    await withWorkdir('plain', '', async (w) => {
      // A cache folder of its own for each run.
      const fresh = (name: string) => ({ GATE_CACHE_DIR: path.join(path.dirname(w.root), `cache-${name}`) });
      // The key is not declared deployed, and the key-secret rule is lowered to warn: one warning.
      await writeFile(path.join(w.root, '.gate/config.yaml'), parityConfig([], 'rules: {key-secret: warn}\n'));
      const passing = await generate(w, { ...argoEnv(w.sourcePath), ...fresh('passing') });
      assert.equal(passing.code, 0, passing.stderr);
      assert.match(passing.stderr, /\(1 warning\(s\)/);
      const out = await generate(w, { ...argoEnv(w.sourcePath), ...fresh('strict') }, ['--fail-on-warn']);
      assert.equal(out.code, 1, out.stderr);
      assert.equal(out.stdout.length, 0);
      const lines = out.stderr.trimEnd().split('\n');
      assert.match(lines[1], /^WARNING \S*\.gate\/policies\/policy\.yaml:\d+: .*needs keySecret "release": gate found the key only in \S*release\.asc.*kubectl create secret generic release --from-file=key=/);
      assert.equal(lines[lines.length - 1], 'gate: failing on 1 warning(s) (--fail-on-warn)');
      const warnMode = await generate(w, { ...argoEnv(w.sourcePath, [{ name: 'mode', string: 'warn' }]), ...fresh('warn') }, ['--fail-on-warn']);
      assert.equal(warnMode.code, 0, 'mode warn lets everything through');
      assert.match(warnMode.stderr, /\(1 warning\(s\)/);
    });
  });
});
