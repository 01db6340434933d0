// `npm run bench`: how fast `gate check` is, printed beside a baseline. Figures, not
// pass/fail (a benchmark is not a test).
//   1. N distinct signed images used by 5N containers, verified from a file lookaside (the declared local mirror of the policy's storeURL),
//      against the reference tool verifying the same N signatures one by one
//      (skopeo standalone-verify).
//   2. Reading the 397-file real-world corpus (parsing and image extraction).
//   3. N signed images as tags in a real local docker-registry (tag resolution, HTTP
//      lookaside), against skopeo reading the same N manifests one by one.
//   4. Parsing and extracting 10 000 Deployments against js-yaml's loadAll (bench/parse.ts).

import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { gate, PROJECT_ROOT } from '../test/helpers/gate.js';
import { GpgHome } from '../test/helpers/gpg.js';
import { makeRepo, ociManifest, parityConfig, sha256Digest, STORE_URL } from '../test/helpers/repo.js';
import { run } from '../test/helpers/tools.js';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 200);
const USES_PER_IMAGE = 5;
const RUNS = 3;

async function median(runs: number, fn: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY === 'parse') {
    // `BENCH_ONLY=parse npm run bench`: the parsing figure alone.
    console.log((await parseScenario()).join('  |  '));
    return;
  }
  const home = await GpgHome.create();
  const fingerprint = await home.generateKey('Bench <bench@example.com>');
  const repo = await makeRepo({
    '.gate/keys/bench.asc': await home.exportPublic(fingerprint),
    // Signatures in the policy's storeURL, read from its declared local mirror .gate/sigstore; the key declared deployed.
    '.gate/config.yaml': parityConfig(['bench']),
    '.gate/policies/p.yaml': `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: bench}
spec:
  repositories:
  - name: "registry.example.com/*"
    policy: {simple: {storeURL: "${STORE_URL}", requirements: [{type: signedBy, keySecret: bench}]}}
`,
  });
  try {
    process.stderr.write(`signing ${IMAGES} images with gpg…\n`);
    const manifests: Array<{ file: string; reference: string; signature: string }> = [];
    const images: string[] = [];
    for (let i = 0; i < IMAGES; i++) {
      const manifest = ociManifest(`bench-${i}`);
      const digest = sha256Digest(manifest);
      const reference = `registry.example.com/bench/app${i}:1`;
      const payload = JSON.stringify({
        critical: { type: 'atomic container signature', image: { 'docker-manifest-digest': digest }, identity: { 'docker-reference': reference } },
        optional: { creator: 'gate bench' },
      });
      const signature = await home.signBytes(fingerprint, payload);
      await repo.storeSignatures('.gate/sigstore', `bench/app${i}`, digest, [signature]);
      manifests.push({
        file: await repo.write(`manifests/app${i}.json`, manifest),
        reference,
        signature: path.join(repo.dir, `.gate/sigstore/bench/app${i}@sha256=${digest.slice(7)}/signature-1`),
      });
      images.push(`registry.example.com/bench/app${i}@${digest}`);
    }
    const docs: string[] = [];
    for (let d = 0; d < USES_PER_IMAGE; d++) {
      const containers = images.map((image, i) => `      - {name: c${i}, image: "${image}"}`).join('\n');
      docs.push(`apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d${d}, namespace: bench}\nspec:\n  template:\n    spec:\n      containers:\n${containers}\n`);
    }
    await repo.write('apps/all.yaml', docs.join('---\n'));
    await repo.write('no-policies/README', 'an empty policy folder: every image is denied NO_POLICY');

    const gateMs = await median(RUNS, async () => {
      const result = await gate(['check', 'apps', '-o', 'json'], { cwd: repo.dir });
      if (result.code !== 0) throw new Error(`gate check failed (${result.code}): ${result.stderr}${result.stdout.slice(0, 500)}`);
    });
    const skopeoMs = await median(1, async () => {
      for (const m of manifests) {
        const verified = await run('skopeo', ['standalone-verify', m.file, m.reference, fingerprint, m.signature], { env: home.env });
        if (verified.code !== 0) throw new Error(`skopeo refused ${m.reference}: ${verified.stderr}`);
      }
    });
    const corpusMs = await median(RUNS, async () => {
      const result = await gate(['check', path.join(PROJECT_ROOT, 'test/fixtures/corpus'), '-o', 'json', '--policies', path.join(repo.dir, 'no-policies')]);
      if (result.code !== 1) throw new Error(`corpus check exited ${result.code}: ${result.stderr}`);
    });

    const registry = await registryScenario();
    const parsing = await parseScenario();

    const rows: Array<[string, string, string]> = [
      ['workload', 'gate check', 'baseline'],
      [
        `${IMAGES} signed images, ${IMAGES * USES_PER_IMAGE} containers`,
        `${gateMs.toFixed(0)} ms (${(gateMs / IMAGES).toFixed(2)} ms/image, one process)`,
        `skopeo standalone-verify × ${IMAGES}: ${skopeoMs.toFixed(0)} ms (${(skopeoMs / IMAGES).toFixed(1)} ms/image)`,
      ],
      ['corpus: 397 files, 6.5 MB, no policy', `${corpusMs.toFixed(0)} ms`, '-'],
      parsing,
      registry,
    ];
    const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length)));
    for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  |  '));
    console.log(`\nmedian of ${RUNS} runs for gate; node ${process.version}; gate includes process start-up`);
  } finally {
    await repo.dispose();
    await home.dispose();
  }
}

/**
 * Reading 10 000 Deployments: gate's frame + decode + positions + extraction against
 * js-yaml's loadAll of the same bytes, each in a process of its own (the fastest of 15
 * runs; peak RSS of the whole process, the text itself included).
 */
async function parseScenario(): Promise<[string, string, string]> {
  const resources = Number(process.env.BENCH_RESOURCES ?? 10_000);
  const script = path.join(PROJECT_ROOT, 'dist/bench/parse.js');
  const measure = async (reader: string) => {
    const result = await run(process.execPath, [script, reader, String(resources)]);
    if (result.code !== 0) throw new Error(`parse bench (${reader}) failed: ${result.stderr}`);
    return JSON.parse(result.stdout.toString('utf8')) as { bytes: number; ms: number; maxRssMiB: number };
  };
  const baseline = await measure('js-yaml');
  const ours = await measure('gate');
  // The whole `gate check` of the same stream (every image admitted by policy, offline), under GNU time.
  const { deploymentStream } = await import('./parse.js');
  const repo = await makeRepo({
    '.gate/policies/all.yaml': 'apiVersion: portieris.cloud.ibm.com/v1\nkind: ClusterImagePolicy\nmetadata: {name: all}\nspec:\n  repositories:\n  - name: "*"\n    policy: {}\n',
    'apps/all.yaml': deploymentStream(resources),
  });
  let checkRss = 'GNU time missing';
  try {
    const timed = await run('/usr/bin/time', ['-f', '%M', process.execPath, path.join(PROJECT_ROOT, 'dist/src/cli/main.js'), 'check', 'apps', '--offline', '-o', 'json'], { cwd: repo.dir });
    if (timed.code !== 0) throw new Error(`gate check of the parse bench exited ${timed.code}: ${timed.stderr.slice(0, 300)}`);
    const kib = Number(timed.stderr.trim().split('\n').pop());
    const bound = (4 * ours.bytes) / 1024 / 1024 + 100;
    checkRss = `gate check: peak RSS ${(kib / 1024).toFixed(0)} MiB (bound 4 × input + 100 = ${bound.toFixed(0)} MiB)`;
  } finally {
    await repo.dispose();
  }
  return [
    `parse + extract, ${resources} Deployments (${(ours.bytes / 1024 / 1024).toFixed(1)} MB)`,
    `${ours.ms.toFixed(0)} ms (${(ours.ms / baseline.ms).toFixed(2)} × js-yaml), peak RSS ${ours.maxRssMiB} MiB; ${checkRss}`,
    `js-yaml loadAll: ${baseline.ms.toFixed(0)} ms, peak RSS ${baseline.maxRssMiB} MiB`,
  ];
}

/** Tags in a real registry: gate resolves and verifies them all; skopeo inspect --raw reads each manifest once. */
async function registryScenario(): Promise<[string, string, string]> {
  const { makeWorld } = await import('../test/helpers/world.js');
  const { deployment } = await import('../test/helpers/repo.js');
  const count = Math.min(IMAGES, 100);
  process.stderr.write(`pushing and signing ${count} images with skopeo…\n`);
  const world = await makeWorld();
  try {
    const images: string[] = [];
    for (let start = 0; start < count; start += 10) {
      await Promise.all(Array.from({ length: Math.min(10, count - start) }, (_, j) => world.push(`bench/app${start + j}`, '1')));
    }
    for (let i = 0; i < count; i++) images.push(`${world.host}/bench/app${i}:1`);
    const repo = await world.repo({ 'apps/all.yaml': deployment('all', images) });
    try {
      const gateMs = await median(RUNS, async () => {
        const result = await gate(['check', 'apps', '-o', 'json', '--insecure-registry', world.host], { cwd: repo.dir });
        if (result.code !== 0) throw new Error(`gate check failed (${result.code}): ${result.stderr}${result.stdout.slice(0, 500)}`);
      });
      const skopeoMs = await median(1, async () => {
        for (const image of images) {
          const inspected = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${image}`]);
          if (inspected.code !== 0) throw new Error(`skopeo inspect ${image}: ${inspected.stderr}`);
        }
      });
      return [
        `${count} signed tags in a local registry, HTTP lookaside`,
        `${gateMs.toFixed(0)} ms (${(gateMs / count).toFixed(2)} ms/image, verified)`,
        `skopeo inspect --raw × ${count}: ${skopeoMs.toFixed(0)} ms (${(skopeoMs / count).toFixed(1)} ms/image, unverified)`,
      ];
    } finally {
      await repo.dispose();
    }
  } finally {
    await world.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
