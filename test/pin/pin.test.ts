// requireDigest and `gate pin` against the real docker-registry: tags pushed and signed
// by skopeo, whose --digestfile is the independent source of the digests gate proposes.
// The diff is applied by `git apply`, and the pinned manifests are checked again.

import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCheck } from '../../src/commands/check.js';
import { gate, gateJson } from '../helpers/gate.js';
import { recordingProgress } from '../helpers/in-process.js';
import { mustRun, requireTool, run } from '../helpers/tools.js';
import { makeWorld, type World } from '../helpers/world.js';

describe('requireDigest and gate pin (real registry, skopeo-signed tags)', () => {
  let world: World;
  const digests: Record<string, string> = {};
  const insecure = () => ['--insecure-registry', world.host];

  before(async () => {
    world = await makeWorld();
    digests.web = await world.push('team/web', '1.4');
    digests.api = await world.push('team/api', '2.0');
    digests.unsigned = await world.push('team/unsigned', '1', { signBy: null });
  });
  after(() => world?.stop());

  /** Hand-written manifests: comments, both quote styles, a flow mapping whose name equals nothing else, JSON. */
  const manifests = () => ({
    'apps/web.yaml': `# the shop's web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # keep this comment
  namespace: shop
spec:
  template:
    spec:
      initContainers:
      - name: init
        image: '${world.host}/team/web:1.4'
      containers:
      - name: web
        image: "${world.host}/team/web:1.4"   # the web server
      - {name: api, image: ${world.host}/team/api:2.0, imagePullPolicy: Always}
`,
    'apps/job.json': `{
  "apiVersion": "batch/v1",
  "kind": "Job",
  "metadata": {"name": "migrate", "namespace": "shop"},
  "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
    {"name": "migrate", "image": "${world.host}/team/api:2.0"}
  ]}}}
}`,
  });
  /** What pinning must produce, written independently of gate: the digests skopeo pushed. */
  const pinnedByHand = (text: string) =>
    text.replaceAll(`${world.host}/team/web:1.4`, `${world.host}/team/web@${digests.web}`).replaceAll(`${world.host}/team/api:2.0`, `${world.host}/team/api@${digests.api}`);

  it('--require-digest denies each tag as NOT_PINNED and shows the verified digest to pin', async () => {
    const repo = await world.repo(manifests());
    try {
      const { code, report } = await gateJson(['check', 'apps', '--require-digest', ...insecure()], { cwd: repo.dir });
      assert.equal(code, 1);
      const web = report.results.find((r) => r.image.endsWith('web:1.4'))!;
      assert.equal(web.reason, 'NOT_PINNED');
      assert.equal(web.digest, digests.web);
      assert.match(web.message, /is a tag, and --require-digest requires a digest; it points to sha256:[0-9a-f]{64}, whose signature verified/);
      assert.equal(web.hint, `pin it: image: ${world.host}/team/web@${digests.web} (gate pin writes this into the manifests for review)`);
      // Without the flag the same tags pass, and the report still offers the pin.
      const plain = await gateJson(['check', 'apps', ...insecure()], { cwd: repo.dir });
      assert.equal(plain.code, 0);
      assert.equal((plain.report.results[0] as { pin?: string }).pin?.includes('@sha256:'), true);
    } finally {
      await repo.dispose();
    }
  });

  it('requireDigest also comes from .gate/config.yaml, or from a policy annotation for that policy only', async () => {
    const viaConfig = await world.repo({ ...manifests(), '.gate/config.yaml': 'requireDigest: true\n' });
    try {
      const { report } = await gateJson(['check', 'apps', ...insecure()], { cwd: viaConfig.dir });
      assert.ok(report.results.every((r) => r.reason === 'NOT_PINNED'));
      assert.match(report.results[0].message, /requireDigest in config\.yaml requires a digest/);
    } finally {
      await viaConfig.dispose();
    }
    const viaAnnotation = await world.repo(manifests());
    const policyFile = path.join(viaAnnotation.dir, '.gate/policies/policy.yaml');
    await writeFile(policyFile, (await readFile(policyFile, 'utf8')).replace('metadata: {name: registry}', 'metadata:\n  name: registry\n  annotations: {gate/require-digest: "true"}'));
    try {
      const { report } = await gateJson(['check', 'apps', ...insecure()], { cwd: viaAnnotation.dir });
      assert.ok(report.results.every((r) => r.reason === 'NOT_PINNED'));
      assert.match(report.results[0].message, /the annotation gate\/require-digest of ClusterImagePolicy\/registry requires a digest/);
    } finally {
      await viaAnnotation.dispose();
    }
  });

  it('gate pin prints a diff that git apply takes, keeping comments and layout; the pinned manifests pass --require-digest', async () => {
    const files = manifests();
    const repo = await world.repo(files);
    try {
      requireTool('git');
      await rm(path.join(repo.dir, '.git'), { recursive: true });
      await mustRun('git', ['init', '-q'], { cwd: repo.dir });
      const pin = await gate(['pin', 'apps', ...insecure()], { cwd: repo.dir });
      assert.equal(pin.code, 0, pin.stderr);
      assert.match(pin.stderr, /would pin 4 reference\(s\) in 2 file\(s\)/);
      const applied = await run('git', ['apply', '-'], { cwd: repo.dir, input: pin.stdout });
      assert.equal(applied.code, 0, `${applied.stderr}\n${pin.stdout}`);
      for (const [file, text] of Object.entries(files)) assert.equal(await readFile(path.join(repo.dir, file), 'utf8'), pinnedByHand(text), file);
      const again = await gateJson(['check', 'apps', '--require-digest', ...insecure()], { cwd: repo.dir });
      assert.equal(again.code, 0, JSON.stringify(again.report.results.map((r) => [r.image, r.reason, r.message])));
      assert.ok(again.report.results.every((r) => r.reason === 'SIGNED'));
      // Nothing left to pin.
      const twice = await gate(['pin', 'apps', ...insecure()], { cwd: repo.dir });
      assert.deepEqual([twice.code, twice.stdout], [0, '']);
      assert.match(twice.stderr, /nothing to pin/);
    } finally {
      await repo.dispose();
    }
  });

  it('gate pin --write changes the files as git apply would', async () => {
    const files = manifests();
    const repo = await world.repo(files);
    try {
      const pin = await gate(['pin', 'apps', '--write', ...insecure()], { cwd: repo.dir });
      assert.equal(pin.code, 0, pin.stderr);
      assert.equal(pin.stdout, '');
      for (const [file, text] of Object.entries(files)) assert.equal(await readFile(path.join(repo.dir, file), 'utf8'), pinnedByHand(text), file);
    } finally {
      await repo.dispose();
    }
  });

  it('only digests that verified are pinned: an unsigned tag stays, is listed, and the exit code says so', async () => {
    const repo = await world.repo({ 'apps/app.yaml': `apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - name: a\n    image: ${world.host}/team/web:1.4\n  - name: b\n    image: ${world.host}/team/unsigned:1\n` });
    try {
      const pin = await gate(['pin', 'apps', ...insecure()], { cwd: repo.dir });
      assert.equal(pin.code, 1);
      assert.ok(pin.stdout.includes(`+    image: ${world.host}/team/web@${digests.web}`));
      assert.ok(!pin.stdout.includes(digests.unsigned), 'the unsigned digest is never proposed');
      assert.match(pin.stderr, new RegExp(`not pinned:\\n  ${world.host.replace(/\./g, '\\.')}/team/unsigned:1 \\(namespace shop\\): NO_SIGNATURE: `));
    } finally {
      await repo.dispose();
    }
  });

  it('a tag whose digest form the policy would deny (matchExact) is not pinned, and requireDigest says why', async () => {
    const repo = await world.repo(manifests(), { requirements: '        - type: signedBy\n          keySecret: team\n          signedIdentity: {type: matchExact}\n' });
    try {
      const plain = await gateJson(['check', 'apps', ...insecure()], { cwd: repo.dir });
      assert.equal(plain.code, 0, 'the tags themselves verify under matchExact');
      const required = await gateJson(['check', 'apps', '--require-digest', ...insecure()], { cwd: repo.dir });
      const web = required.report.results.find((r) => r.image.endsWith('web:1.4'))!;
      assert.equal(web.reason, 'NOT_PINNED');
      assert.match(web.message, /would be denied \(IDENTITY_MISMATCH: /);
      const pin = await gate(['pin', 'apps', ...insecure()], { cwd: repo.dir });
      assert.equal(pin.code, 1);
      assert.equal(pin.stdout, '');
    } finally {
      await repo.dispose();
    }
  });

  it('progress: each distinct tag resolved at the registry and each image decided is reported, then the end', async () => {
    const repo = await world.repo(manifests());
    try {
      const { events, listener } = recordingProgress();
      const io = { cwd: repo.dir, now: () => new Date(), env: {}, readStdin: async () => new Uint8Array(), progress: listener };
      const report = await runCheck({ paths: ['apps'], namespace: 'default', insecureRegistries: [world.host] }, io);
      // Counted from the manifests, not from gate: the distinct tag references written there.
      const tags = new Set(Object.values(manifests()).flatMap((text) => [...text.matchAll(/team\/\w+:[\d.]+/g)].map((m) => m[0])));
      assert.equal(tags.size, 2);
      assert.equal(events[0], `start ${report.results.length}`);
      assert.equal(events.at(-1), 'stop');
      assert.equal(events.filter((e) => e === 'tag').length, tags.size);
      assert.equal(events.filter((e) => e === 'decided').length, report.results.length);
    } finally {
      await repo.dispose();
    }
  });
});
