// The CI set-ups the README gives (examples/ci/): the README shows them verbatim, and their
// gate step, run as the CI runner would run it (bash, gate on PATH, the runner's variables),
// writes what the next steps upload — annotations, a schema-valid SARIF file, a step
// summary, a JUnit report. Installing gate (npm pack of a git tag, then a global install of the
// tarball; test/generate/packaging.test.ts installs a packed tarball) and the hosted
// upload actions need the internet and a CI service; those steps are not run here.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { PROJECT_ROOT, gateJson } from '../helpers/gate.js';
import { assertValidSarif, parseJunit } from '../helpers/formats.js';
import { copyExample } from '../helpers/in-process.js';
import { run } from '../helpers/tools.js';
import { runAction } from '../helpers/action.js';

const CI = path.join(PROJECT_ROOT, 'examples/ci');

interface Workflow {
  jobs: Record<string, { steps: Array<{ name?: string; run?: string; uses?: string; if?: string; with?: Record<string, string> }> }>;
}
interface GitlabJob {
  script: string[];
  artifacts: { when: string; reports: { junit: string }; paths: string[] };
}

let bin: string;

before(async () => {
  // `gate` on PATH, as `npm install --global` would put it.
  bin = await mkdtemp(path.join(tmpdir(), 'gate-bin-'));
  await symlink(path.join(PROJECT_ROOT, 'dist/src/cli/gate.js'), path.join(bin, 'gate'));
});
after(async () => rm(bin, { recursive: true, force: true }));

async function runStep(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await run('bash', ['-eo', 'pipefail', '-c', script], { cwd, env: { PATH: `${bin}:${process.env.PATH ?? ''}`, NO_COLOR: '1', HOME: cwd, ...env } });
  return { code: result.code, stdout: result.stdout.toString('utf8'), stderr: result.stderr };
}

describe('the CI examples of the README', () => {
  it('are in the README verbatim', async () => {
    const readme = await readFile(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    for (const file of ['github-workflow.yaml', 'gitlab-ci.yml']) {
      const text = await readFile(path.join(CI, file), 'utf8');
      assert.ok(readme.includes(`\`\`\`yaml\n${text}\`\`\``), `README.md shows examples/ci/${file} as it is`);
    }
  });

  it('GitHub Actions: the workflow\'s action step (action.yml, run as the runner would) writes annotations, the SARIF file the upload step reads, a step summary', async () => {
    const workflow = yaml.load(await readFile(path.join(CI, 'github-workflow.yaml'), 'utf8')) as Workflow;
    const steps = Object.values(workflow.jobs)[0].steps;
    const check = steps.find((s) => /\/gate@/.test(s.uses ?? ''));
    const upload = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif'));
    assert.ok(check?.with && upload?.with, 'a gate action step and an upload-sarif step');
    assert.equal(upload.if, 'always()', 'the SARIF file is uploaded when gate denies (the step fails)');

    const repo = await copyExample('shop-denied');
    try {
      const step = await runAction(repo.dir, check.with);
      const { report } = await gateJson(['check', 'apps/'], { cwd: repo.dir });
      const denied = report.results.filter((r) => r.verdict === 'deny');
      assert.ok(denied.length > 0);
      assert.equal(step.code, 1, step.stderr);

      const errors = step.stdout.split('\n').filter((l) => l.startsWith('::error '));
      const expected = denied.flatMap((r) => r.sources.map((s) => `::error file=${s.file},line=${s.line},title=gate%3A ${r.reason}::`));
      assert.deepEqual(errors.map((l) => l.slice(0, l.indexOf('::', 2) + 2)).sort(), expected.sort(), 'one annotation per denied use, at its file and line');

      const sarif = assertValidSarif(await readFile(path.join(repo.dir, upload.with.sarif_file), 'utf8'));
      const located = sarif.runs[0].results.map((r) => `${r.locations[0].physicalLocation!.artifactLocation.uri}:${r.locations[0].physicalLocation!.region.startLine}`);
      assert.deepEqual(located.sort(), denied.flatMap((r) => r.sources.map((s) => `${s.file}:${s.line}`)).sort(), 'SARIF paths are relative to the checkout, as code scanning needs');

      for (const r of denied) assert.ok(step.summary.includes(`\`${r.reason}\``), `the step summary names ${r.reason}`);
    } finally {
      await repo.dispose();
    }
  });

  it('GitLab CI: the JUnit report the job declares, with a failure per denied use, and the verdict in the log', async () => {
    const config = yaml.load(await readFile(path.join(CI, 'gitlab-ci.yml'), 'utf8')) as Record<string, GitlabJob>;
    const job = config.gate;
    assert.equal(job.artifacts.when, 'always', 'reports are kept when gate fails the job');
    const checks = job.script.filter((line) => line.startsWith('gate '));
    assert.equal(checks.length, 1);

    const repo = await copyExample('shop-denied');
    try {
      const step = await runStep(checks[0], repo.dir, {});
      const { report } = await gateJson(['check', 'apps/'], { cwd: repo.dir });
      const denied = report.results.filter((r) => r.verdict === 'deny');
      assert.equal(step.code, 1, step.stderr);
      assert.match(step.stdout, new RegExp(`${denied.length} of ${report.results.length} images denied`), 'the text report goes to the job log');

      const junit = await parseJunit(await readFile(path.join(repo.dir, job.artifacts.reports.junit), 'utf8'));
      const failures = junit.testsuite!.flatMap((suite) => suite.testcase ?? []).filter((c) => c.failure);
      assert.equal(failures.length, denied.reduce((n, r) => n + r.sources.length, 0));
      for (const file of job.artifacts.paths) assert.ok(JSON.parse(await readFile(path.join(repo.dir, file), 'utf8')), `${file} is written`);
    } finally {
      await repo.dispose();
    }
  });
});
