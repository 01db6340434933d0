// The plugin's packaging: plugin.yaml carries what Argo CD's cmp-server requires
// (reference/argocd-cmp.md §1), the repo-server component renders with the real
// `kubectl kustomize` into the sidecar of §2, and the example Application selects the
// plugin by its versioned name. (The image itself cannot be built here: no container engine.)
// The npm package: its own name (the registry's `gate` is an unrelated package), the `gate`
// command, and a tarball that installs and runs without the clone.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { PARAMETERS } from '../../src/input/argocd.js';
import { PROJECT_ROOT } from '../helpers/gate.js';
import { mustRun, requireTool, run } from '../helpers/tools.js';

const read = (relative: string) => readFile(path.join(PROJECT_ROOT, relative), 'utf8');

interface Plugin {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    version: string;
    discover?: { find?: { glob?: string } };
    init?: { command: string[]; args: string[] };
    generate: { command: string[]; args?: string[] };
    parameters: { static: Array<{ name: string }> };
  };
}

/** The npm name gate's package goes by: free on the registry (`npm view gitops-gate` answers 404). */
const PACKAGE_NAME = 'gitops-gate';

describe('the npm package', () => {
  it(`is named ${PACKAGE_NAME} in package.json and package-lock.json, with the command gate`, async () => {
    const manifest = JSON.parse(await read('package.json')) as { name: string; bin: Record<string, string> };
    const lock = JSON.parse(await read('package-lock.json')) as { name: string; packages: Record<string, { name?: string; bin?: Record<string, string> }> };
    assert.equal(manifest.name, PACKAGE_NAME);
    assert.deepEqual(manifest.bin, { gate: 'dist/src/cli/gate.js' });
    assert.equal(lock.name, PACKAGE_NAME);
    assert.equal(lock.packages[''].name, PACKAGE_NAME);
    assert.deepEqual(lock.packages[''].bin, manifest.bin);
  });

  it('npm pack makes a tarball that a global install turns into a working gate command', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gate-pack-'));
    try {
      // dist/ is built already (npm test builds first); --ignore-scripts skips prepare's second build.
      const packed = await mustRun('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: PROJECT_ROOT, env: { ...process.env, npm_config_loglevel: 'silent' } });
      const tarball = packed.stdout.toString('utf8').trim();
      assert.equal(tarball, `${PACKAGE_NAME}-${(JSON.parse(await read('package.json')) as { version: string }).version}.tgz`);
      await mustRun('tar', ['-xzf', path.join(dir, tarball), '-C', dir]);
      const manifest = JSON.parse(await readFile(path.join(dir, 'package/package.json'), 'utf8')) as { name: string; bin: Record<string, string> };
      assert.equal(manifest.name, PACKAGE_NAME);
      assert.deepEqual(manifest.bin, { gate: 'dist/src/cli/gate.js' });
      assert.match(await readFile(path.join(dir, 'package/dist/src/cli/gate.js'), 'utf8'), /^#!\/usr\/bin\/env node\n/);
      assert.ok((await readdir(path.join(dir, 'package/schemas'))).length > 0, 'gate init copies the JSON Schemas from the package');
      assert.deepEqual((await readdir(path.join(dir, 'package/dist'))).sort(), ['src'], 'no tests in the package');

      // Installed as the README says, from npm's cache (npm ci filled it): no registry, no clone.
      const prefix = path.join(dir, 'prefix');
      const installed = await run('npm', ['install', '--global', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, path.join(dir, tarball)], { cwd: dir, env: { ...process.env, npm_config_loglevel: 'error' } });
      assert.equal(installed.code, 0, installed.stderr);
      const bin = path.join(prefix, 'bin/gate');
      const version = await mustRun(bin, ['--version'], { cwd: dir });
      assert.equal(version.stdout.toString('utf8').trim(), (JSON.parse(await read('package.json')) as { version: string }).version);
      const check = await run(bin, ['check', 'examples/shop', '--offline'], { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1' } });
      assert.equal(check.code, 0, check.stderr);
      assert.match(check.stdout.toString('utf8'), /All 3 images allowed\./);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the Dockerfile\'s build stage, run in a folder as docker would (no container engine here), makes the npm package with its production dependencies only', async () => {
    const dockerfile = (await read('Dockerfile')).replace(/\\\n/g, ' ');
    const stage = dockerfile.slice(dockerfile.indexOf(' AS build'), dockerfile.indexOf('\nFROM ', dockerfile.indexOf(' AS build')));
    const workdir = /^WORKDIR (\S+)$/m.exec(stage)![1];
    const copies = [...stage.matchAll(/^COPY (.+) (\S+)$/gm)].flatMap((m) => m[1].split(/\s+/));
    const command = /^RUN (.+)$/m.exec(stage)![1];
    const dir = await mkdtemp(path.join(tmpdir(), 'gate-docker-build-'));
    try {
      for (const source of copies) await mustRun('cp', ['-R', path.join(PROJECT_ROOT, source), path.join(dir, source)]);
      // npm from its cache (npm ci filled it), as the packaging test above installs: the tests reach no registry.
      const built = await run('bash', ['-euo', 'pipefail', '-c', command], { cwd: dir, env: { ...process.env, npm_config_offline: 'true', npm_config_loglevel: 'error', npm_config_audit: 'false', npm_config_fund: 'false' } });
      assert.equal(built.code, 0, built.stderr);
      const packageDir = path.join(dir, 'pkg/package');
      assert.match(dockerfile, new RegExp(`COPY --from=build ${path.posix.join(workdir, 'pkg/package')} \\./`), 'the final stage copies what the build stage made');
      const modules = await readdir(path.join(packageDir, 'node_modules'));
      assert.ok(modules.includes('openpgp') && !modules.includes('typescript'), 'production dependencies only');
      assert.ok((await readdir(path.join(packageDir, 'schemas'))).length > 0);
      assert.deepEqual((await readdir(packageDir)).filter((f) => f === 'package-lock.json' || f === 'test'), []);
      const version = await mustRun(process.execPath, [path.join(packageDir, 'dist/src/cli/gate.js'), '--version'], { cwd: dir });
      assert.equal(version.stdout.toString('utf8').trim(), (JSON.parse(await read('package.json')) as { version: string }).version);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** The markdown table that starts with `header`, as its lines. */
function tableAfter(markdown: string, header: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(header);
  assert.ok(start >= 0, `a table headed ${header}`);
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'));
  return lines.slice(start, end);
}

/** The ```sh block that starts with `firstLine`. */
function shellBlock(markdown: string, firstLine: string): string {
  const start = markdown.indexOf(`\`\`\`sh\n${firstLine}\n`);
  assert.ok(start >= 0, `a sh block that starts with ${firstLine}`);
  const body = markdown.slice(start + '```sh\n'.length);
  return body.slice(0, body.indexOf('```'));
}

const ENV_TABLE = '| variable | set by | what gate does with it | when unset |';
const SNIPPET_START = '# From the clone\'s root, after npm ci (with gate installed, write gate for node "$gate_js").';

describe('the Argo CD documentation', () => {
  it('lists every environment variable gate reads, in the same table in README.md and plugin/README.md', async () => {
    const readme = tableAfter(await read('README.md'), ENV_TABLE);
    assert.deepEqual(tableAfter(await read('plugin/README.md'), ENV_TABLE), readme, 'plugin/README.md shows the README\'s table');
    const documented = new Set(readme.flatMap((row) => [...row.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]*(?:<PARAMETER>|\*)?)`/g)].map((m) => m[1])));
    const read_ = new Set<string>(['TMPDIR', 'KUBECONFIG']); // os.tmpdir() and @kubernetes/client-node's loadFromDefault
    const sources = (await readdir(path.join(PROJECT_ROOT, 'src'), { recursive: true })).filter((f) => f.endsWith('.ts'));
    for (const file of sources) {
      const text = await read(path.join('src', file));
      for (const m of text.matchAll(/\benv\??\.([A-Z][A-Z0-9_]*)\b/g)) read_.add(m[1]);
      if (/\benv\[SUPERVISED_ENV\]/.test(text)) read_.add('GATE_SUPERVISED');
      if (text.includes('ARGOCD_ENV_GATE_')) read_.add('ARGOCD_ENV_GATE_<PARAMETER>');
    }
    assert.ok(read_.has('ARGOCD_APP_PARAMETERS') && read_.has('KUBE_API_VERSIONS') && read_.has('GATE_MODE_LOCK'), [...read_].join(' '));
    const missing = [...read_].filter((name) => !documented.has(name));
    assert.deepEqual(missing, [], 'every variable gate reads has a row');
    for (const name of ['ARGOCD_APP_NAME', 'ARGOCD_APP_NAMESPACE', 'ARGOCD_APP_PROJECT_NAME', 'ARGOCD_APP_REVISION', 'ARGOCD_APP_REVISION_SHORT', 'ARGOCD_APP_REVISION_SHORT_8', 'ARGOCD_APP_SOURCE_REPO_URL', 'ARGOCD_APP_SOURCE_PATH', 'ARGOCD_APP_SOURCE_TARGET_REVISION', 'KUBE_VERSION', 'KUBE_API_VERSIONS', 'ARGOCD_APP_PARAMETERS', 'PARAM_*']) {
      assert.ok(documented.has(name), `the build environment's ${name} has a row (reference/argocd-cmp.md §3), read or not`);
    }
  });

  it('runs gate generate as the repo-server does, with the snippet both READMEs show', async () => {
    const snippet = shellBlock(await read('README.md'), SNIPPET_START);
    assert.equal(shellBlock(await read('plugin/README.md'), SNIPPET_START), snippet, 'plugin/README.md shows the README\'s snippet');
    const head = await run('git', ['rev-parse', '--verify', 'HEAD'], { cwd: PROJECT_ROOT });
    // Never skipped: the tests run in a clone (.ci/run), and the snippet copies it with git archive HEAD.
    assert.equal(head.code, 0, 'this test needs a git checkout (the snippet copies the repository with git archive HEAD): run the tests in a clone');
    const result = await run('bash', ['-eo', 'pipefail', '-c', snippet], { cwd: PROJECT_ROOT, env: { NO_COLOR: '1' } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout.toString('utf8'), /^exit 0: 4 objects for Argo CD in (\S+)\/manifests\.yaml\n$/);
    assert.match(result.stderr, /^gate: 3 image\(s\) in 4 object\(s\) rendered by the 3 manifest file\(s\) of the folder: 3 allowed, 0 denied/);
    await rm(/in (\S+)\/manifests\.yaml/.exec(result.stdout.toString('utf8'))![1], { recursive: true, force: true });
  });
});

describe('packaging for Argo CD', () => {
  it('plugin.yaml: a versioned ConfigManagementPlugin with generate, the parameters gate reads, and no discover', async () => {
    const plugin = parse(await read('plugin/plugin.yaml')) as Plugin;
    assert.equal(plugin.apiVersion, 'argoproj.io/v1alpha1');
    assert.equal(plugin.kind, 'ConfigManagementPlugin');
    assert.ok(plugin.metadata.name);
    assert.ok(plugin.spec.version);
    assert.deepEqual(plugin.spec.generate.command, ['gate', 'generate']);
    assert.equal(plugin.spec.discover, undefined);
    assert.doesNotMatch(plugin.spec.init?.args.join(' ') ?? '', /\$/, 'the init shell command takes nothing from the environment');
    assert.deepEqual(plugin.spec.parameters.static.map((p) => p.name).sort(), [...PARAMETERS].sort());
  });

  it('the discover variant discovers every app (JSON-only ones too), under the same name', async () => {
    const plugin = parse(await read('plugin/plugin-discover.yaml')) as Plugin & { spec: { discover?: { find?: { command?: string[] } } } };
    const command = plugin.spec.discover?.find?.command ?? [];
    assert.ok(command.length > 0);
    const found = await mustRun(command[0], command.slice(1));
    assert.notEqual(found.stdout.toString().trim(), '', 'cmp-server needs exit 0 and some output to match');
    assert.equal(plugin.metadata.name, (parse(await read('plugin/plugin.yaml')) as Plugin).metadata.name);
  });

  it('the example Application names the plugin as <name>-<version>', async () => {
    const plugin = parse(await read('plugin/plugin.yaml')) as Plugin;
    const app = parse(await read('manifests/examples/application.yaml')) as { kind: string; spec: { source: { plugin: { name: string } } } };
    assert.equal(app.kind, 'Application');
    assert.equal(app.spec.source.plugin.name, `${plugin.metadata.name}-${plugin.spec.version}`);
  });

  it('the repo-server component adds the sidecar Argo CD expects (rendered by the real kubectl kustomize)', async () => {
    requireTool('kubectl');
    const dir = await mkdtemp(path.join(tmpdir(), 'gate-argocd-install-'));
    try {
      // The stock argocd-repo-server, reduced to what the component patches.
      await writeFile(path.join(dir, 'repo-server.yaml'), `apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: argocd-repo-server}
  template:
    metadata:
      labels: {app.kubernetes.io/name: argocd-repo-server}
    spec:
      containers:
      - name: argocd-repo-server
        image: quay.io/argoproj/argocd:v3.5.1
      volumes:
      - {name: var-files, emptyDir: {}}
      - {name: plugins, emptyDir: {}}
`);
      await writeFile(
        path.join(dir, 'kustomization.yaml'),
        `resources: [repo-server.yaml]\ncomponents: [${path.relative(dir, path.join(PROJECT_ROOT, 'manifests/repo-server'))}]\nimages:\n- {name: gate, newName: registry.example.com/platform/gate, newTag: 0.1.0}\n`,
      );
      const out = (await mustRun('kubectl', ['kustomize', dir])).stdout.toString('utf8');
      const deployment = parse(out) as {
        spec: { template: { spec: { containers: Array<{ name: string; image: string; command: string[]; securityContext: { runAsUser: number }; volumeMounts: Array<{ name: string; mountPath: string }> }>; volumes: Array<{ name: string }> } } };
      };
      const pod = deployment.spec.template.spec;
      const sidecar = pod.containers.find((c) => c.name === 'gate');
      assert.ok(sidecar, out);
      assert.equal(sidecar.image, 'registry.example.com/platform/gate:0.1.0');
      assert.deepEqual(sidecar.command, ['/var/run/argocd/argocd-cmp-server']);
      assert.equal(sidecar.securityContext.runAsUser, 999);
      assert.deepEqual((sidecar as unknown as { env: Array<{ name: string; value: string }> }).env, [{ name: 'GATE_MODE_LOCK', value: 'enforce' }]);
      const mounts = Object.fromEntries(sidecar.volumeMounts.map((m) => [m.mountPath, m.name]));
      assert.deepEqual(mounts, { '/var/run/argocd': 'var-files', '/home/argocd/cmp-server/plugins': 'plugins', '/tmp': 'gate-tmp' });
      assert.deepEqual(pod.volumes.map((v) => v.name).sort(), ['gate-tmp', 'plugins', 'var-files']);
      assert.ok(pod.containers.some((c) => c.name === 'argocd-repo-server'), 'the repo-server container is kept');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the Redis component gives the sidecar Argo CD\'s Redis and its password from Secret argocd-redis, beside the repo-server component', async () => {
    requireTool('kubectl');
    const dir = await mkdtemp(path.join(tmpdir(), 'gate-kustomize-redis-'));
    try {
      await writeFile(path.join(dir, 'repo-server.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: argocd-repo-server}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: argocd-repo-server, image: quay.io/argoproj/argocd:v3.5.1}\n');
      const component = (name: string) => path.relative(dir, path.join(PROJECT_ROOT, 'manifests', name));
      await writeFile(path.join(dir, 'kustomization.yaml'), `resources: [repo-server.yaml]\ncomponents: [${component('repo-server')}, ${component('redis-cache')}]\n`);
      const out = (await mustRun('kubectl', ['kustomize', dir])).stdout.toString('utf8');
      const deployment = parse(out) as { spec: { template: { spec: { containers: Array<{ name: string; env?: unknown[] }> } } } };
      const sidecar = deployment.spec.template.spec.containers.find((c) => c.name === 'gate');
      const byName = (a: unknown, b: unknown) => ((a as { name: string }).name < (b as { name: string }).name ? -1 : 1);
      assert.deepEqual([...((sidecar?.env ?? []) as unknown[])].sort(byName), [
        { name: 'GATE_CACHE_REDIS', value: 'redis://argocd-redis:6379' },
        { name: 'GATE_CACHE_REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'argocd-redis', key: 'auth', optional: true } } },
        { name: 'GATE_MODE_LOCK', value: 'enforce' },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the optional RBAC renders: read-only access to Secrets and ServiceAccounts for the repo-server\'s service account', async () => {
    requireTool('kubectl');
    const out = (await mustRun('kubectl', ['kustomize', path.join(PROJECT_ROOT, 'manifests/rbac')])).stdout.toString('utf8');
    const objects = parseAllDocuments(out).map((d) => d.toJS() as { kind: string; rules?: Array<{ resources: string[]; verbs: string[] }>; subjects?: Array<{ name: string }> });
    const role = objects.find((o) => o.kind === 'ClusterRole');
    assert.deepEqual(role?.rules, [{ apiGroups: [''], resources: ['secrets', 'serviceaccounts'], verbs: ['get'] }]);
    assert.equal(objects.find((o) => o.kind === 'ClusterRoleBinding')?.subjects?.[0].name, 'argocd-repo-server');
  });

  it('the Dockerfile bakes plugin.yaml where cmp-server reads it, runs as 999, and carries helm and kustomize', async () => {
    const dockerfile = await read('Dockerfile');
    assert.match(dockerfile, /COPY plugin\/plugin\.yaml \/home\/argocd\/cmp-server\/config\/plugin\.yaml/);
    assert.match(dockerfile, /^USER 999$/m);
    assert.match(dockerfile, /\/usr\/local\/bin\/helm \/usr\/local\/bin\/kustomize/);
  });
});
