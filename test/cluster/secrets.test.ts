// --cluster: pull secrets, key Secrets and ServiceAccounts the repository does not hold
// are read from the cluster. A Kubernetes API server cannot run here, so a fake one (a
// loopback HTTP server answering GET …/secrets/<name> and …/serviceaccounts/<name>)
// stands in; the registry is real.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gateJson } from '../helpers/gate.js';
import { selfSigned } from '../helpers/pki.js';
import { deployment } from '../helpers/repo.js';
import { tokenServer, type TestServer } from '../helpers/servers.js';
import { makeWorld, type World } from '../helpers/world.js';

describe('--cluster with a fake Kubernetes API server', () => {
  let world: World;
  let tokens: TestServer;
  let api: Server;
  let dir: string;
  let kubeconfig: string;
  const asked: string[] = [];
  let secrets: Record<string, unknown>;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gate-cluster-'));
    const signer = await selfSigned(dir, 'signer', '/CN=gate cluster issuer');
    tokens = await tokenServer(signer, 'cluster', 'cluster-issuer', { puller: 'from-the-cluster' });
    world = await makeWorld({ token: { realm: `${tokens.url}/token`, service: 'cluster', issuer: 'cluster-issuer', signer }, creds: 'puller:from-the-cluster' });
    await world.push('team/app', '1');
    const publicKey = await world.gpg.exportPublic(world.keys.team);
    secrets = {
      '/api/v1/namespaces/shop/secrets/regcred': {
        kind: 'Secret', apiVersion: 'v1', metadata: { name: 'regcred', namespace: 'shop' }, type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [world.host]: { username: 'puller', password: 'from-the-cluster' } } })).toString('base64') },
      },
      '/api/v1/namespaces/shop/serviceaccounts/builder': {
        kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: 'builder', namespace: 'shop' }, imagePullSecrets: [{ name: 'regcred' }],
      },
      '/api/v1/namespaces/shop/secrets/cluster-key': {
        kind: 'Secret', apiVersion: 'v1', metadata: { name: 'cluster-key', namespace: 'shop' }, data: { key: Buffer.from(publicKey).toString('base64') },
      },
    };
    api = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      if ((req.url ?? '').includes('/serviceaccounts/locked')) {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403 }));
        return;
      }
      const secret = secrets[(req.url ?? '').split('?')[0]];
      res.writeHead(secret ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(secret ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const port = (api.address() as { port: number }).port;
    kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: fake, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: gate, user: {token: fake-token}}]\ncontexts: [{name: fake, context: {cluster: fake, user: gate}}]\ncurrent-context: fake\n`);
  });
  after(async () => {
    await world?.stop();
    await tokens?.close();
    await new Promise((resolve) => api?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  /** The pod's own pull secret, or none and a ServiceAccount. */
  function app(spec = '      imagePullSecrets: [{name: regcred}]\n'): string {
    return deployment('app', [`${world.host}/team/app:1`]).replace('    spec:\n      containers:', `    spec:\n${spec}      containers:`);
  }

  async function check(args: string[], manifest = app()) {
    const repo = await world.repo({ 'apps/app.yaml': manifest }, { requirements: '        - type: signedBy\n          keySecret: cluster-key\n' });
    try {
      return await gateJson(['check', 'apps', '--insecure-registry', world.host, '--insecure-registry', tokens.host, ...args], { cwd: repo.dir });
    } finally {
      await repo.dispose();
    }
  }

  it('reads the pull secret and the key Secret from the cluster', async () => {
    const { code, report, stderr } = await check(['--cluster', '--kubeconfig', kubeconfig]);
    assert.ok(report.results, stderr);
    assert.equal(report.results[0].reason, 'SIGNED', report.results[0].message + stderr + JSON.stringify(report.warnings) + asked.join(','));
    assert.match(report.results[0].message, /Secret shop\/cluster-key in the cluster/);
    assert.equal(code, 0);
    assert.ok(asked.includes('GET /api/v1/namespaces/shop/secrets/regcred'));
  });

  it('a pod that names no pull secret: its ServiceAccount is read from the cluster, and the pull secret it names', async () => {
    asked.length = 0;
    const { code, report, stderr } = await check(['--cluster', '--kubeconfig', kubeconfig], app('      serviceAccountName: builder\n'));
    assert.equal(report.results[0]?.reason, 'SIGNED', (report.results[0]?.message ?? '') + stderr + JSON.stringify(report.warnings));
    assert.deepEqual(report.results[0].sources[0].pullSecrets, ['regcred']);
    assert.equal(code, 0);
    assert.deepEqual(asked.filter((a) => a.includes('/serviceaccounts/') || a.includes('/secrets/regcred')), ['GET /api/v1/namespaces/shop/serviceaccounts/builder', 'GET /api/v1/namespaces/shop/secrets/regcred']);
  });

  it('a pod that names its own pull secret: its ServiceAccount is not read', async () => {
    asked.length = 0;
    const { code } = await check(['--cluster', '--kubeconfig', kubeconfig], app('      serviceAccountName: builder\n      imagePullSecrets: [{name: regcred}]\n'));
    assert.equal(code, 0);
    assert.deepEqual(asked.filter((a) => a.includes('/serviceaccounts/')), []);
  });

  it('a ServiceAccount in the manifests is not read from the cluster', async () => {
    asked.length = 0;
    const account = 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: builder, namespace: shop}\n';
    const { report } = await check(['--cluster', '--kubeconfig', kubeconfig], `${app('      serviceAccountName: builder\n')}---\n${account}`);
    assert.deepEqual(report.results[0].sources[0].pullSecrets, [], 'the account in the manifests names none');
    assert.equal(report.results[0].verdict, 'deny');
    assert.deepEqual(asked.filter((a) => a.includes('/serviceaccounts/')), []);
  });

  it('a ServiceAccount the cluster will not show (403): a warning that says so, and no pull secret from it', async () => {
    const { report } = await check(['--cluster', '--kubeconfig', kubeconfig], app('      serviceAccountName: locked\n'));
    assert.equal(report.results[0].verdict, 'deny');
    assert.deepEqual(report.results[0].sources[0].pullSecrets, []);
    assert.ok(report.warnings.some((w) => /cannot read ServiceAccount shop\/locked from the cluster: forbidden: give gate's service account "get" on serviceaccounts/.test(w.message)), JSON.stringify(report.warnings));
  });

  it('a cluster that does not answer: exit 3 within the request timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const config = path.join(dir, 'silent-kubeconfig');
    await writeFile(config, `apiVersion: v1\nkind: Config\nclusters: [{name: s, cluster: {server: "http://127.0.0.1:${(silent.address() as { port: number }).port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: s, context: {cluster: s, user: u}}]\ncurrent-context: s\n`);
    try {
      const { gate } = await import('../helpers/gate.js');
      const repo = await world.repo({ 'apps/app.yaml': deployment('app', [`${world.host}/team/app:1`]) }, { requirements: '        - type: signedBy\n          keySecret: cluster-key\n' });
      try {
        const outcome = await gate(['check', 'apps', '--cluster', '--kubeconfig', config, '--request-timeout', '1', '--insecure-registry', world.host], { cwd: repo.dir });
        assert.equal(outcome.code, 3);
        assert.match(outcome.stderr, /no answer within 1 s/);
      } finally {
        await repo.dispose();
      }
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('a key in .gate/keys/ whose Secret the cluster lacks is KEY_NOT_DEPLOYED: the cluster decides, a declaration does not; with the Secret there, SIGNED', async () => {
    const team = '        - type: signedBy\n          keySecret: team\n';
    const run = async () => {
      const repo = await world.repo({ 'apps/app.yaml': app() }, { requirements: team });
      try {
        return await gateJson(['check', 'apps', '--insecure-registry', world.host, '--insecure-registry', tokens.host, '--cluster', '--kubeconfig', kubeconfig], { cwd: repo.dir });
      } finally {
        await repo.dispose();
      }
    };
    asked.length = 0;
    const before = await run();
    assert.equal(before.report.results[0]?.reason, 'KEY_NOT_DEPLOYED', (before.report.results[0]?.message ?? '') + before.stderr);
    assert.match(before.report.results[0].message, /gate found the key in \.gate\/keys\/team\.asc, but the cluster has no Secret "team" in namespace "shop", so Portieris would deny the pod/);
    assert.match(before.report.results[0].hint ?? '', /kubectl create secret generic team --from-file=key=\.gate\/keys\/team\.asc -n shop/);
    assert.ok(asked.includes('GET /api/v1/namespaces/shop/secrets/team'), asked.join(', '));

    // The fix: the Secret created in the cluster.
    secrets['/api/v1/namespaces/shop/secrets/team'] = {
      kind: 'Secret', apiVersion: 'v1', metadata: { name: 'team', namespace: 'shop' }, data: { key: Buffer.from(await world.gpg.exportPublic(world.keys.team)).toString('base64') },
    };
    try {
      const after = await run();
      assert.equal(after.report.results[0].reason, 'SIGNED', after.report.results[0].message);
      assert.equal(after.code, 0);
    } finally {
      delete secrets['/api/v1/namespaces/shop/secrets/team'];
    }
  });

  it('without --cluster, the key is missing (exit 2) and says where gate looked', async () => {
    const { gate } = await import('../helpers/gate.js');
    const image = `${world.host}/team/app:1`;
    const repo = await world.repo({ 'apps/app.yaml': deployment('app', [image]) }, { requirements: '        - type: signedBy\n          keySecret: cluster-key\n' });
    try {
      const outcome = await gate(['check', 'apps', '--insecure-registry', world.host], { cwd: repo.dir });
      assert.equal(outcome.code, 2);
      assert.match(outcome.stderr, /keySecret "cluster-key"/);
    } finally {
      await repo.dispose();
    }
  });
});
