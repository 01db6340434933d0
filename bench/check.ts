// `npm run bench`: how fast gate is, each figure beside its baseline, measured in one run
// against a TLS registry as real ones are (bench/tls-world.ts). Figures and ratios, never
// pass/fail: a benchmark is not a test. Every gate figure is the whole command (a Node
// process started, as CI and Argo CD's sidecar start it), median of RUNS.
//   1. cold `gate check` of N signed tags vs a sequential `skopeo copy --policy` loop;
//   2. the same run vs the network floor (bench/floor.ts: HEAD + signature-1 + signature-2
//      per image, same concurrency, no crypto), and the requests per image the registry's
//      access log and the lookaside counted;
//   3. warm ÷ cold with the evidence cache (--cache-dir), for tags and for digest-pinned images,
//      whole and less the fixed cost of a run (gate check of one pinned image, warm);
//   4. `gate generate` of a 1,000-image application, cold, vs the floor for the same images;
//   5. N signed images from a file lookaside vs skopeo standalone-verify, and the 397-file corpus;
//   6. cosign: the requests per image in each storage mode, and a cold check of 50 bundle-signed images (bench/cosign.ts);
//   7. parse + extract of 10 000 Deployments vs js-yaml loadAll, with peak RSS (bench/parse.ts).
// BENCH_IMAGES (default 200) and BENCH_APP_IMAGES (default 1000) scale it down for a quick look.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { argoEnv } from '../test/helpers/argocd.js';
import { gate, PROJECT_ROOT } from '../test/helpers/gate.js';
import { GpgHome } from '../test/helpers/gpg.js';
import { deployment, makeRepo, ociManifest, parityConfig, sha256Digest, STORE_URL } from '../test/helpers/repo.js';
import { run } from '../test/helpers/tools.js';
import { tlsWorld, type BenchImage, type TlsWorld } from './tls-world.js';
import { cosignScenarios } from './cosign.js';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 200);
const APP_IMAGES = Number(process.env.BENCH_APP_IMAGES ?? 1000);
const CONCURRENCY = 16;
const RUNS = 3;

type Row = [figure: string, gate: string, baseline: string, ratio: string, goal: string];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function medianOf(runs: number, fn: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timed(fn));
  return median(times);
}

const ms = (value: number) => `${value.toFixed(0)} ms`;
const ratio = (a: number, b: number) => (a / b).toFixed(2);

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY === 'parse') {
    console.log((await parseScenario()).join('  |  '));
    return;
  }
  if (process.env.BENCH_ONLY === 'cosign') {
    for (const row of await cosignScenarios(Math.min(IMAGES, 50))) console.log(row.filter(Boolean).join('  |  '));
    return;
  }
  process.stderr.write(`a TLS registry with ${IMAGES + APP_IMAGES} images pushed and signed with gpg…\n`);
  const world = await tlsWorld();
  const rows: Row[] = [['figure', 'gate', 'baseline', 'ratio', 'goal']];
  try {
    const images = await world.addImages(IMAGES, 'bench/app');
    const appImages = await world.addImages(APP_IMAGES, 'bench/big');
    rows.push(...(await registryScenarios(world, images)));
    rows.push(await generateScenario(world, appImages));
  } finally {
    await world.stop();
  }
  rows.push(...(await offlineScenarios()));
  rows.push(...(await cosignScenarios(Math.min(IMAGES, 50))));
  rows.push(await parseScenario());
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join(' | ').trimEnd());
  console.log(`\ngate figures: whole command, median of ${RUNS}; node ${process.version}; ${cpus().length} cores; concurrency ${CONCURRENCY}`);
}

/** One gate check of `images` in a repository of the world; the requests the registry and the lookaside served during it. */
async function checkRun(world: TlsWorld, dir: string, args: string[] = []): Promise<{ ms: number; registry: number; pings: number; lookaside: number; stderr: string }> {
  const log = world.registry.accessLog().length;
  const lookaside = world.lookaside.requests.length;
  let stderr = '';
  const elapsed = await timed(async () => {
    const result = await gate(['check', 'apps', '-o', 'json', '--concurrency', String(CONCURRENCY), ...args], { cwd: dir });
    if (result.code !== 0) throw new Error(`gate check failed (${result.code}): ${result.stderr}${result.stdout.slice(0, 500)}`);
    stderr = result.stderr;
  });
  const lines = world.registry.accessLog().slice(log);
  return { ms: elapsed, registry: lines.length, pings: lines.filter((l) => /"GET \/v2\/ /.test(l)).length, lookaside: world.lookaside.requests.length - lookaside, stderr };
}

/** The floor for `images` (tags or digests), median of RUNS, in a process of its own. */
async function floor(world: TlsWorld, images: BenchImage[], pinned: boolean): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gate-floor-'));
  try {
    const list = path.join(dir, 'images.json');
    await writeFile(list, JSON.stringify(images.map((i) => ({ registry: world.registry.url, repository: i.repository, reference: pinned ? i.digest : i.tag, digest: i.digest, lookaside: world.lookaside.url }))));
    return await medianOf(RUNS, async () => {
      const result = await run(process.execPath, [path.join(PROJECT_ROOT, 'dist/bench/floor.js'), list, world.ca.certFile, String(CONCURRENCY)]);
      if (result.code !== 0) throw new Error(`the floor script failed: ${result.stderr}`);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function registryScenarios(world: TlsWorld, images: BenchImage[]): Promise<Row[]> {
  const n = images.length;
  const tags = await world.repo({ 'apps/all.yaml': deployment('all', images.map((i) => i.tagged)) });
  const pinned = await world.repo({ 'apps/all.yaml': deployment('all', images.map((i) => i.pinned)) });
  const caches = await mkdtemp(path.join(tmpdir(), 'gate-bench-cache-'));
  try {
    process.stderr.write(`gate check of ${n} signed tags, cold…\n`);
    const cold: Awaited<ReturnType<typeof checkRun>>[] = [];
    for (let i = 0; i < RUNS; i++) cold.push(await checkRun(world, tags.dir));
    const coldMs = median(cold.map((r) => r.ms));
    // The requests and connections of one more cold run, which says them (--verbose).
    const counted = await checkRun(world, tags.dir, ['--verbose']);
    const connections = /TLS connections opened: (\d+)/.exec(counted.stderr)?.[1] ?? '?';

    process.stderr.write(`the network floor, and skopeo copy --policy × ${n} one after another…\n`);
    const floorTags = await floor(world, images, false);
    const floorPinned = await floor(world, images, true);
    const skopeoMs = await skopeoLoop(world, images);

    process.stderr.write('warm runs with the evidence cache…\n');
    const warm = async (repo: string, label: string) => {
      const colds: number[] = [];
      const warms: Array<Awaited<ReturnType<typeof checkRun>>> = [];
      for (let i = 0; i < RUNS; i++) {
        const cache = path.join(caches, `${label}-${i}`);
        colds.push((await checkRun(world, repo, ['--cache-dir', cache])).ms);
        warms.push(await checkRun(world, repo, ['--cache-dir', cache]));
      }
      return { cold: median(colds), warm: median(warms.map((w) => w.ms)), requests: warms[0] };
    };
    const warmTags = await warm(tags.dir, 'tags');
    const warmPinned = await warm(pinned.dir, 'pinned');
    const pinnedCold = await checkRun(world, pinned.dir);
    const fixed = await fixedCost(world, images[0]);

    const perImage = (count: number) => (count / n).toFixed(2);
    return [
      [`cold gate check, ${n} signed tags (TLS registry, HTTP lookaside)`, ms(coldMs), `skopeo copy --policy, one after another: ${ms(skopeoMs)}`, ratio(coldMs, skopeoMs), '≤ 0.10'],
      [`  the same run against the network floor`, ms(coldMs), `floor (HEAD + signature-1 + signature-2): ${ms(floorTags)}`, ratio(coldMs, floorTags), '≤ 1.30'],
      [
        `  requests per image (registry access log; lookaside)`,
        `registry ${perImage(counted.registry - counted.pings)} + ${counted.pings} ping; lookaside ${perImage(counted.lookaside)}; ${connections} TLS connections in all`,
        'the format needs: 1 HEAD; signature-1, signature-2',
        '-',
        '≤ 1 registry request per tag',
      ],
      [`cold gate check, ${n} digest-pinned images`, ms(pinnedCold.ms), `floor (signature-1 + signature-2): ${ms(floorPinned)}`, ratio(pinnedCold.ms, floorPinned), '-'],
      [`  requests per pinned image`, `registry ${perImage(pinnedCold.registry)}; lookaside ${perImage(pinnedCold.lookaside)}`, 'the format needs: 0; 2', '-', '0 registry requests'],
      [
        `warm ÷ cold with --cache-dir, ${n} tags`,
        `warm ${ms(warmTags.warm)} (registry ${perImage(warmTags.requests.registry - warmTags.requests.pings)}/image, lookaside ${perImage(warmTags.requests.lookaside)})`,
        `cold ${ms(warmTags.cold)}`,
        ratio(warmTags.warm, warmTags.cold),
        '≤ 0.50',
      ],
      [
        `warm ÷ cold with --cache-dir, ${n} pinned`,
        `warm ${ms(warmPinned.warm)} (registry ${perImage(warmPinned.requests.registry)}/image, lookaside ${perImage(warmPinned.requests.lookaside)})`,
        `cold ${ms(warmPinned.cold)}`,
        ratio(warmPinned.warm, warmPinned.cold),
        '≤ 0.10',
      ],
      [`  gate's fixed cost: gate check of one pinned image, warm`, ms(fixed), 'node -e 0: ' + ms(await medianOf(RUNS, async () => void (await run(process.execPath, ['-e', '0'])))), '-', '-'],
      [
        `  warm ÷ cold less the fixed cost (tags; pinned)`,
        `${ms(warmTags.warm - fixed)}; ${ms(warmPinned.warm - fixed)}`,
        `${ms(warmTags.cold - fixed)}; ${ms(warmPinned.cold - fixed)}`,
        `${ratio(warmTags.warm - fixed, warmTags.cold - fixed)}; ${ratio(warmPinned.warm - fixed, warmPinned.cold - fixed)}`,
        '-',
      ],
    ];
  } finally {
    await tags.dispose();
    await pinned.dispose();
    await rm(caches, { recursive: true, force: true });
  }
}

/** The start-up and configuration cost every run pays: one pinned image, its evidence cached. */
async function fixedCost(world: TlsWorld, image: BenchImage): Promise<number> {
  const repo = await world.repo({ 'apps/one.yaml': deployment('one', [image.pinned]) });
  try {
    const cache = path.join(repo.dir, 'cache');
    await checkRun(world, repo.dir, ['--cache-dir', cache]);
    return await medianOf(RUNS, async () => void (await checkRun(world, repo.dir, ['--cache-dir', cache])));
  } finally {
    await repo.dispose();
  }
}

/** What a team without gate would run: skopeo copy --policy per image, each verified against the same key and lookaside. */
async function skopeoLoop(world: TlsWorld, images: BenchImage[]): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gate-skopeo-'));
  try {
    const key = path.join(dir, 'key.gpg');
    await writeFile(key, await world.gpg.exportPublic(world.fingerprint));
    await writeFile(path.join(dir, 'policy.json'), JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { [world.registry.host]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: key }] } } }));
    await writeFile(path.join(dir, 'lookaside.yaml'), `docker:\n  ${world.registry.host}:\n    lookaside: ${world.lookaside.url}\n`);
    return await timed(async () => {
      for (const [i, image] of images.entries()) {
        const copied = await run('skopeo', ['--policy', path.join(dir, 'policy.json'), '--registries.d', dir, 'copy', '--src-cert-dir', world.certDir, `docker://${image.tagged}`, `dir:${path.join(dir, `copy-${i}`)}`]);
        if (copied.code !== 0) throw new Error(`skopeo refused ${image.tagged}: ${copied.stderr}`);
      }
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** gate generate of one application of `images` tags (100 Deployments of 10 containers), cold, as the sidecar runs it. */
async function generateScenario(world: TlsWorld, images: BenchImage[]): Promise<Row> {
  const n = images.length;
  const perDeployment = 10;
  const docs: string[] = [];
  for (let d = 0; d * perDeployment < n; d++) docs.push(deployment(`app-${d}`, images.slice(d * perDeployment, (d + 1) * perDeployment).map((i) => i.tagged)));
  const repo = await world.repo({ 'apps/app.yaml': docs.join('---\n') });
  try {
    process.stderr.write(`gate generate of a ${n}-image application…\n`);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const cache = path.join(repo.dir, `cache-${i}`);
      times.push(
        await timed(async () => {
          const result = await gate(['generate'], { cwd: path.join(repo.dir, 'apps'), env: { ...argoEnv('apps'), GATE_CACHE_DIR: cache } });
          if (result.code !== 0) throw new Error(`gate generate failed (${result.code}): ${result.stderr.slice(0, 1000)}`);
        }),
      );
    }
    const gateMs = median(times);
    const floorMs = await floor(world, images, false);
    return [`gate generate, a ${n}-image application, cold (Argo CD's limit: 60 s)`, ms(gateMs), `floor for the same ${n} tags: ${ms(floorMs)}`, ratio(gateMs, floorMs), '≤ 1.50'];
  } finally {
    await repo.dispose();
  }
}

/**
 * Offline figures: N signed images from a file lookaside (the declared local mirror of the
 * policy's storeURL) used by 5N containers, against skopeo standalone-verify of the same N
 * signatures one by one; and the 397-file corpus.
 */
async function offlineScenarios(): Promise<Row[]> {
  const home = await GpgHome.create();
  const fingerprint = await home.generateKey('Bench <bench@example.com>');
  const repo = await makeRepo({
    '.gate/keys/bench.asc': await home.exportPublic(fingerprint),
    '.gate/config.yaml': parityConfig(['bench']),
    '.gate/policies/p.yaml': `apiVersion: portieris.cloud.ibm.com/v1\nkind: ClusterImagePolicy\nmetadata: {name: bench}\nspec:\n  repositories:\n  - name: "registry.example.com/*"\n    policy: {simple: {storeURL: "${STORE_URL}", requirements: [{type: signedBy, keySecret: bench}]}}\n`,
    'no-policies/README': 'an empty policy folder: every image is denied NO_POLICY',
  });
  try {
    process.stderr.write(`signing ${IMAGES} images for the offline figures…\n`);
    const manifests: Array<{ file: string; reference: string; signature: string }> = [];
    const images: string[] = [];
    for (let i = 0; i < IMAGES; i++) {
      const manifest = ociManifest(`bench-${i}`);
      const digest = sha256Digest(manifest);
      const reference = `registry.example.com/bench/app${i}:1`;
      const payload = JSON.stringify({ critical: { type: 'atomic container signature', image: { 'docker-manifest-digest': digest }, identity: { 'docker-reference': reference } }, optional: {} });
      await repo.storeSignatures('.gate/sigstore', `bench/app${i}`, digest, [await home.signBytes(fingerprint, payload)]);
      manifests.push({ file: await repo.write(`manifests/app${i}.json`, manifest), reference, signature: path.join(repo.dir, `.gate/sigstore/bench/app${i}@sha256=${digest.slice(7)}/signature-1`) });
      images.push(`registry.example.com/bench/app${i}@${digest}`);
    }
    await repo.write('apps/all.yaml', Array.from({ length: 5 }, (_, d) => deployment(`d${d}`, images, 'bench')).join('---\n'));
    const gateMs = await medianOf(RUNS, async () => {
      const result = await gate(['check', 'apps', '-o', 'json'], { cwd: repo.dir });
      if (result.code !== 0) throw new Error(`gate check failed (${result.code}): ${result.stderr}`);
    });
    const skopeoMs = await timed(async () => {
      for (const m of manifests) {
        const verified = await run('skopeo', ['standalone-verify', m.file, m.reference, fingerprint, m.signature], { env: home.env });
        if (verified.code !== 0) throw new Error(`skopeo refused ${m.reference}: ${verified.stderr}`);
      }
    });
    const corpusMs = await medianOf(RUNS, async () => {
      const result = await gate(['check', path.join(PROJECT_ROOT, 'test/fixtures/corpus'), '-o', 'json', '--policies', path.join(repo.dir, 'no-policies')]);
      if (result.code !== 1) throw new Error(`corpus check exited ${result.code}: ${result.stderr}`);
    });
    return [
      [`${IMAGES} pinned images, ${5 * IMAGES} containers, file lookaside (offline)`, ms(gateMs), `skopeo standalone-verify × ${IMAGES}: ${ms(skopeoMs)}`, ratio(gateMs, skopeoMs), '-'],
      ['corpus: 397 files, 6.5 MB, no policy', ms(corpusMs), '-', '-', '-'],
    ];
  } finally {
    await repo.dispose();
    await home.dispose();
  }
}

/**
 * Reading 10 000 Deployments: gate's frame + decode + positions + extraction against
 * js-yaml's loadAll of the same bytes, each in a process of its own (the fastest of 15
 * runs; peak RSS of the whole process, the text itself included), and the peak RSS of the
 * whole `gate check` of that stream under GNU time.
 */
async function parseScenario(): Promise<Row> {
  const resources = Number(process.env.BENCH_RESOURCES ?? 10_000);
  const script = path.join(PROJECT_ROOT, 'dist/bench/parse.js');
  const measure = async (reader: string) => {
    const result = await run(process.execPath, [script, reader, String(resources)]);
    if (result.code !== 0) throw new Error(`parse bench (${reader}) failed: ${result.stderr}`);
    return JSON.parse(result.stdout.toString('utf8')) as { bytes: number; ms: number; maxRssMiB: number };
  };
  const baseline = await measure('js-yaml');
  const ours = await measure('gate');
  const { deploymentStream } = await import('./parse.js');
  const repo = await makeRepo({
    '.gate/policies/all.yaml': 'apiVersion: portieris.cloud.ibm.com/v1\nkind: ClusterImagePolicy\nmetadata: {name: all}\nspec:\n  repositories:\n  - name: "*"\n    policy: {}\n',
    'apps/all.yaml': deploymentStream(resources),
  });
  let checkRss = 'GNU time missing';
  const bound = (4 * ours.bytes) / 1024 / 1024 + 100;
  try {
    const timedRun = await run('/usr/bin/time', ['-f', '%M', process.execPath, path.join(PROJECT_ROOT, 'dist/src/cli/main.js'), 'check', 'apps', '--offline', '-o', 'json'], { cwd: repo.dir });
    if (timedRun.code !== 0) throw new Error(`gate check of the parse bench exited ${timedRun.code}: ${timedRun.stderr.slice(0, 300)}`);
    checkRss = `gate check peak RSS ${(Number(timedRun.stderr.trim().split('\n').pop()) / 1024).toFixed(0)} MiB`;
  } finally {
    await repo.dispose();
  }
  return [
    `parse + extract, ${resources} Deployments (${(ours.bytes / 1024 / 1024).toFixed(1)} MB)`,
    `${ms(ours.ms)}, peak RSS ${ours.maxRssMiB} MiB; ${checkRss}`,
    `js-yaml loadAll: ${ms(baseline.ms)}, peak RSS ${baseline.maxRssMiB} MiB`,
    ratio(ours.ms, baseline.ms),
    `≤ 1.30; RSS ≤ 4 × input + 100 = ${bound.toFixed(0)} MiB`,
  ];
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
