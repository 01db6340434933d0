// Every size and count limit of README "Limits", driven through the real CLI with input
// generated here just past the limit: exit 2, one line naming the limit, and — for the
// worst cases — the peak memory of the gate process as GNU time measured it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { MAX_NODES_PER_RUN, MAX_OBJECTS } from '../../src/commands/check.js';
import { MAX_POLICIES, MAX_POLICY_REPOSITORIES } from '../../src/policy/policy-set.js';
import { MAX_LINE_CHARS } from '../../src/manifests/stream.js';
import { MAX_EXPANDED_NODES, MAX_NODES_PER_DOCUMENT, MAX_SCALAR_CHARS } from '../../src/manifests/yaml-decoder.js';
import { MAX_GATE_DIR_BYTES } from '../../src/policy/gate-dir.js';
import { MAX_MANIFEST_BYTES, MAX_MANIFEST_FILES, MAX_TOTAL_INPUT_BYTES, MAX_WALK_DEPTH, MAX_WALK_ENTRIES } from '../../src/input/files.js';
import { gateMeasured, PROJECT_ROOT, type MeasuredRun } from '../helpers/gate.js';
import { clusterPolicy, deployment, makeRepo, type TempRepo } from '../helpers/repo.js';

const MIB = (bytes: number) => bytes / 1024 / 1024;

/** The bound of the issue: no input may take gate past this. */
const RSS_BOUND_MB = 512;
const IMAGE = `registry.example.com/team/web@sha256:${'1'.repeat(64)}`;
const ACCEPT_ALL = clusterPolicy('all', '  - name: "*"\n    policy: {}\n');

async function withRepo(fn: (repo: TempRepo) => Promise<void>, files: Record<string, string> = {}): Promise<void> {
  const repo = await makeRepo({ '.gate/policies/all.yaml': ACCEPT_ALL, 'apps/web.yaml': deployment('web', [IMAGE]), ...files });
  try {
    await fn(repo);
  } finally {
    // rm -rf walks a 10 000-deep tree that Node's fs.rm cannot name (ENAMETOOLONG).
    await new Promise((resolve) => spawn('rm', ['-rf', repo.dir]).on('close', resolve));
  }
}

/** Exit 2 with one `gate: path: message` line naming the limit; memory within the bound. */
function expectLimit(t: TestContext, run: MeasuredRun, where: RegExp, what: RegExp): void {
  t.diagnostic(`peak RSS ${run.peakRssMb.toFixed(0)} MB, ${run.seconds.toFixed(1)} s`);
  assert.equal(run.code, 2, run.stderr);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /^gate: /);
  assert.match(lines[0], where);
  assert.match(lines[0], what);
  assert.match(lines[0], /\(the limit/);
  assert.ok(run.peakRssMb <= RSS_BOUND_MB, `peak RSS ${run.peakRssMb.toFixed(0)} MB is over ${RSS_BOUND_MB} MB`);
}

/** `count` ConfigMaps, each its own document. */
function tinyDocuments(count: number, prefix: string): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(`---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${prefix}${i}}\n`);
  return parts.join('');
}

/** A realistic manifest stream of about `bytes`: one ConfigMap with many keys per document. */
function* largeManifest(bytes: number): Generator<string> {
  let written = 0;
  for (let doc = 0; written < bytes; doc++) {
    const lines = [`---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: big${doc}}\ndata:\n`];
    for (let k = 0; k < 1000; k++) lines.push(`  key${k}: ${'v'.repeat(60)}\n`);
    const chunk = lines.join('');
    written += chunk.length;
    yield chunk;
  }
}

describe('limits: standard input', () => {
  it(`stops reading a 100 MB stream on stdin at ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB and names the limit`, async (t) => {
    await withRepo(async (repo) => {
      const run = await gateMeasured(['check', '-', '--offline'], { cwd: repo.dir, input: Readable.from(largeManifest(100 * 1024 * 1024)), limitSeconds: 30 });
      expectLimit(t, run, /^gate: <stdin>: /, new RegExp(`standard input holds more than ${MIB(MAX_MANIFEST_BYTES)} MiB`));
    });
  });
});

describe('limits: files and folders', () => {
  it('refuses one manifest file over the per-file limit without reading it', async (t) => {
    await withRepo(async (repo) => {
      // A sparse file: its size says it all, and gate must not read it to find out.
      const big = path.join(repo.dir, 'apps', 'big.yaml');
      await writeFile(big, '');
      await truncate(big, MAX_MANIFEST_BYTES + 1);
      const run = await gateMeasured(['check', 'apps', '--offline'], { cwd: repo.dir });
      expectLimit(t, run, /apps\/big\.yaml: /, new RegExp(`larger than ${MIB(MAX_MANIFEST_BYTES)} MiB \\(the limit for one manifest file\\)`));
    });
  });

  it('refuses manifests over the total limit of one run, before reading them all', async (t) => {
    await withRepo(async (repo) => {
      const part = Array.from(largeManifest(MAX_TOTAL_INPUT_BYTES / 3)).join('');
      for (const name of ['a', 'b', 'c', 'd']) await repo.write(`apps/${name}.yaml`, part);
      const run = await gateMeasured(['check', 'apps', '--offline'], { cwd: repo.dir, limitSeconds: 30 });
      expectLimit(t, run, /apps\/[cd]\.yaml: /, new RegExp(`the manifests given hold more than ${MIB(MAX_TOTAL_INPUT_BYTES)} MiB together \\(the limit\\); .*--exclude`));
    });
  });

  it('refuses more manifest files than the limit', async (t) => {
    await withRepo(async (repo) => {
      await mkdir(path.join(repo.dir, 'many'));
      for (let i = 0; i <= MAX_MANIFEST_FILES; i++) await writeFile(path.join(repo.dir, 'many', `f${i}.yaml`), '');
      const run = await gateMeasured(['check', 'many', '--offline'], { cwd: repo.dir, limitSeconds: 30 });
      expectLimit(t, run, /^gate: many: /, /more than 10000 manifest files in one run \(the limit\); check a smaller folder, or leave files out with --exclude/);
    });
  });

  it('stops walking a huge folder at the entry limit, within the memory bound', async (t) => {
    await withRepo(async (repo) => {
      // Files gate would not even read (not *.yaml): the walk itself is what is bounded.
      for (let d = 0; d <= MAX_WALK_ENTRIES / 1000; d++) {
        const dir = path.join(repo.dir, 'apps', `d${d}`);
        await mkdir(dir);
        await Promise.all(Array.from({ length: 1000 }, (_, i) => writeFile(path.join(dir, `n${i}.txt`), '')));
      }
      const run = await gateMeasured(['check', 'apps', '--offline'], { cwd: repo.dir, limitSeconds: 60 });
      expectLimit(t, run, /^gate: apps: /, /more than 100000 files and folders \(the limit for one walk\)/);
    });
  });

  it('refuses a 10 000-deep folder tree with a clean error (it crashed with ENAMETOOLONG)', async (t) => {
    await withRepo(async (repo) => {
      // Made by a child that descends with chdir: no path that long can be named at once.
      const script = "const fs=require('fs');for(let i=0;i<10000;i++){fs.mkdirSync('d');process.chdir('d')}fs.writeFileSync('x.yaml','a: 1\\n')";
      await new Promise((resolve, reject) => spawn(process.execPath, ['-e', script], { cwd: path.join(repo.dir, 'apps') }).on('close', (c) => (c === 0 ? resolve(c) : reject(new Error(`exit ${c}`)))));
      const run = await gateMeasured(['check', 'apps', '--offline'], { cwd: repo.dir, limitSeconds: 30 });
      expectLimit(t, run, /apps\/d\/d\//, new RegExp(`folders nested more than ${MAX_WALK_DEPTH} deep \\(the limit\\); .*--exclude`));
    });
  });
});

describe('limits: documents and objects', () => {
  it('refuses more objects than the limit, spread over files, within the memory bound', async (t) => {
    await withRepo(async (repo) => {
      const perFile = 10_000;
      for (let f = 0; f * perFile <= MAX_OBJECTS; f++) await repo.write(`apps/many${f}.yaml`, tinyDocuments(perFile, `f${f}-`));
      const run = await gateMeasured(['check', 'apps', '--offline'], { cwd: repo.dir, limitSeconds: 60 });
      expectLimit(t, run, /apps\/many\d+\.yaml: /, /more than 50000 Kubernetes objects in apps \(the limit for one run\)/);
    });
  });

  it('130 000 documents in one file end in the per-file document limit, not a stack overflow', async (t) => {
    await withRepo(async (repo) => {
      await repo.write('apps/tiny.yaml', tinyDocuments(130_000, 'c'));
      const run = await gateMeasured(['check', 'apps', '--offline'], { cwd: repo.dir, limitSeconds: 60 });
      t.diagnostic(`peak RSS ${run.peakRssMb.toFixed(0)} MB for 130 000 documents in one file`);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /^gate: apps\/tiny\.yaml:\d+: more than 50000 YAML documents in one file \(the limit\)/);
      assert.doesNotMatch(run.stderr, /internal error|call stack/);
      assert.ok(run.peakRssMb <= 512, `peak RSS ${run.peakRssMb} MB`);
    });
  });
});

describe('limits: .gate/ and policies', () => {
  it('refuses a .gate/ folder over its total size limit', async (t) => {
    await withRepo(async (repo) => {
      // Comments only: valid YAML that costs nothing to parse, so only the size counts.
      const comments = `# ${'x'.repeat(98)}\n`.repeat(Math.ceil(MAX_GATE_DIR_BYTES / 2 / 100));
      await repo.write('.gate/policies/notes-a.yaml', comments);
      await repo.write('.gate/policies/notes-b.yaml', comments);
      await repo.write('.gate/policies/notes-c.yaml', comments);
      const run = await gateMeasured(['check', 'apps', '--offline'], { cwd: repo.dir });
      expectLimit(t, run, /\.gate\/policies\/notes-[bc]\.yaml: /, /the files gate reads from \.gate\/ .* hold more than 4 MiB together \(the limit\)/);
    });
  });

  it('refuses more policies than the limit', async (t) => {
    await withRepo(async (repo) => {
      const policies = Array.from({ length: MAX_POLICIES + 1 }, (_, i) => `---\n${clusterPolicy(`p${i}`, `  - name: "r${i}.example.com/*"\n    policy: {}\n`)}`).join('');
      await repo.write('.gate/policies/many.yaml', policies);
      const run = await gateMeasured(['check', 'apps', '--offline'], { cwd: repo.dir, limitSeconds: 30 });
      expectLimit(t, run, /\.gate\/policies\/(many|all)\.yaml:\d+: /, /more than 5000 ImagePolicies and ClusterImagePolicies \(the limit for one run\)/);
    });
  });

  it('refuses more repository patterns than the limit, in gate check and gate policy lint', async (t) => {
    await withRepo(async (repo) => {
      const rules = Array.from({ length: MAX_POLICY_REPOSITORIES + 1 }, (_, i) => `  - name: "registry.example.com/team${i}/*"\n    policy: {}\n`).join('');
      await repo.write('.gate/policies/wide.yaml', clusterPolicy('wide', rules));
      for (const args of [['check', 'apps', '--offline'], ['policy', 'lint']]) {
        const run = await gateMeasured(args, { cwd: repo.dir, limitSeconds: 30 });
        expectLimit(t, run, /\.gate\/policies\/wide\.yaml:\d+: /, /more than 10000 repository patterns over all policies \(the limit for one run\)/);
      }
    });
  });
});

describe('scale within the limits', () => {
  it('40 000 uses of one image make one result listing every use, within the memory bound', async (t) => {
    const containers = Array.from({ length: 40_000 }, (_, i) => `  - name: c${i}\n    image: ${IMAGE}\n`).join('');
    await withRepo(
      async (repo) => {
        const run = await gateMeasured(['check', 'apps', '--offline', '-o', 'json'], { cwd: repo.dir, limitSeconds: 60 });
        t.diagnostic(`peak RSS ${run.peakRssMb.toFixed(0)} MB, ${run.seconds.toFixed(1)} s`);
        assert.equal(run.code, 0, run.stderr);
        const report = JSON.parse(run.stdout) as { results: Array<{ image: string; sources: unknown[] }> };
        assert.equal(report.results.length, 1);
        assert.equal(report.results[0].sources.length, 40_000);
        assert.ok(run.peakRssMb <= RSS_BOUND_MB, `peak RSS ${run.peakRssMb.toFixed(0)} MB`);
      },
      { 'apps/web.yaml': `apiVersion: v1\nkind: Pod\nmetadata: {name: many}\nspec:\n  containers:\n${containers}` },
    );
  });

  it('realistic manifests up to the total limit stay within the memory bound', async (t) => {
    await withRepo(async (repo) => {
      // The largest real file of the corpus, Argo CD's install.yaml (2 MB), as often as the total allows.
      const install = path.join('test', 'fixtures', 'corpus', 'argoproj__argo-cd', 'manifests', 'install.yaml');
      const text = await readFile(path.join(PROJECT_ROOT, install));
      const copies = Math.floor(MAX_TOTAL_INPUT_BYTES / text.length) - 1;
      for (let i = 0; i < copies; i++) await repo.write(`apps/argocd-${i}.yaml`, text);
      const run = await gateMeasured(['check', 'apps', '--offline'], { cwd: repo.dir, limitSeconds: 60 });
      t.diagnostic(`${copies} copies: peak RSS ${run.peakRssMb.toFixed(0)} MB, ${run.seconds.toFixed(1)} s`);
      assert.notEqual(run.code, 2, run.stderr);
      assert.notEqual(run.code, 3, run.stderr);
      assert.ok(run.peakRssMb <= RSS_BOUND_MB, `peak RSS ${run.peakRssMb.toFixed(0)} MB`);
    });
  });
});

describe('limits: inside one YAML stream', () => {
  const header = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n';

  it('refuses a line longer than the limit (a 29 MB flow-style line took 2.7 GB)', async (t) => {
    await withRepo(async (repo) => {
      const items = Array.from({ length: Math.ceil(MAX_LINE_CHARS / 8) + 10 }, (_, i) => `k${i}: v`).join(', ');
      await repo.write('apps/flow.yaml', `${header.replace('data:\n', '')}data: {${items}}\n`);
      const run = await gateMeasured(['check', 'apps', '--offline'], { cwd: repo.dir });
      expectLimit(t, run, /apps\/flow\.yaml:4: /, new RegExp(`a line of more than ${MAX_LINE_CHARS} characters \\(the limit\\)`));
    });
  });

  it('refuses a scalar longer than the limit (a 30 MB scalar took 1 GB)', async (t) => {
    await withRepo(async (repo) => {
      const line = `${'x'.repeat(1000)}\n`;
      const body = `    ${line}`.repeat(Math.ceil(MAX_SCALAR_CHARS / 1000) + 10);
      await repo.write('apps/scalar.yaml', `${header}  blob: |\n${body}`);
      const run = await gateMeasured(['check', 'apps', '--offline'], { cwd: repo.dir });
      expectLimit(t, run, /apps\/scalar\.yaml:\d+: /, new RegExp(`a value of more than ${MAX_SCALAR_CHARS} characters \\(the limit\\)`));
    });
  });

  it('refuses a document with more keys than the limit (1 M keys took 1.5 GB)', async (t) => {
    await withRepo(async (repo) => {
      const keys = Array.from({ length: MAX_NODES_PER_DOCUMENT / 2 + 10 }, (_, i) => `  k${i}: v\n`).join('');
      await repo.write('apps/keys.yaml', header + keys);
      const run = await gateMeasured(['check', 'apps', '--offline'], { cwd: repo.dir });
      expectLimit(t, run, /apps\/keys\.yaml:\d+: /, new RegExp(`a document with more than ${MAX_NODES_PER_DOCUMENT} keys and values \\(the limit\\)`));
    });
  });

  it('refuses more keys and values in one run than the limit, spread over documents and files', async (t) => {
    await withRepo(async (repo) => {
      // Documents just under the per-document limit, in files under the per-file limit.
      const perDocument = Math.floor(MAX_NODES_PER_DOCUMENT / 2) - 1000;
      const keys = Array.from({ length: perDocument }, (_, i) => `  k${i}: v\n`).join('');
      const documents = Math.ceil(MAX_NODES_PER_RUN / (2 * perDocument)) + 1;
      for (let d = 0; d < documents; d++) await repo.write(`apps/part${d}.yaml`, header.replace('name: big', `name: big${d}`) + keys);
      const run = await gateMeasured(['check', 'apps', '--offline'], { cwd: repo.dir, limitSeconds: 60 });
      expectLimit(t, run, /apps\/part\d+\.yaml:\d+: /, new RegExp(`more than ${MAX_NODES_PER_RUN} keys and values \\(the limit for one run\\)`));
    });
  });

  it('refuses aliases that expand past the limit (a "billion laughs")', async (t) => {
    await withRepo(async (repo) => {
      const levels = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < 9; i++) levels.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
      await repo.write('apps/laughs.yaml', `${header}${levels.map((l) => `  ${l}\n`).join('')}`);
      const run = await gateMeasured(['check', 'apps', '--offline'], { cwd: repo.dir });
      expectLimit(t, run, /apps\/laughs\.yaml:\d+: /, new RegExp(`aliases expand this document to more than ${MAX_EXPANDED_NODES} nodes \\(the limit`));
    });
  });
});
