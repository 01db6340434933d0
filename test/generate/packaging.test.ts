// The plugin's packaging: plugin.yaml carries what Argo CD's cmp-server requires
// (reference/argocd-cmp.md §1), the repo-server component renders with the real
// `kubectl kustomize` into the sidecar of §2, and the example Application selects the
// plugin by its versioned name. (The image itself cannot be built here: no container engine.)

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { PARAMETERS } from '../../src/input/argocd.js';
import { PROJECT_ROOT } from '../helpers/gate.js';
import { mustRun, requireTool } from '../helpers/tools.js';

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
