// The Tekton Task and Pipeline gate ships (tekton/): valid against Tekton's own v1 CRD schemas
// (helpers/tekton.ts: the schemas kept as test data, made structural — an unknown field is
// refused); the Task's step run as Tekton would run it (variables substituted, its script by its
// shebang with the array params as args, the workspace as a folder) on the bundled examples:
// results, reports and exit status checked against gate's own JSON report. The README shows the
// Task as it is. No cluster runs here: the Pipeline's build and sign steps are validated, not run.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { PROJECT_ROOT, gateJson } from '../helpers/gate.js';
import { assertValidSarif, parseJunit } from '../helpers/formats.js';
import { copyExample } from '../helpers/in-process.js';
import { runTektonStep, tektonValidator, type TektonTask } from '../helpers/tekton.js';

const TASK_FILE = path.join(PROJECT_ROOT, 'tekton/gate-check.yaml');
const PIPELINE_FILE = path.join(PROJECT_ROOT, 'tekton/release-pipeline.yaml');

let bin: string;
before(async () => {
  // The gate image has gate and node on PATH.
  bin = await mkdtemp(path.join(tmpdir(), 'gate-bin-'));
  await symlink(path.join(PROJECT_ROOT, 'dist/src/cli/gate.js'), path.join(bin, 'gate'));
});
after(async () => rm(bin, { recursive: true, force: true }));
const PATH = () => [bin, path.dirname(process.execPath), process.env.PATH ?? ''].join(':');

describe('the Tekton Task and Pipeline', () => {
  it('validate against Tekton\'s v1 Task and Pipeline schemas, inline task specs too; the validator refuses an unknown field', async () => {
    const task = yaml.load(await readFile(TASK_FILE, 'utf8'));
    const validateTask = tektonValidator('task');
    assert.ok(validateTask(task), JSON.stringify(validateTask.errors, null, 1));
    const pipeline = yaml.load(await readFile(PIPELINE_FILE, 'utf8')) as { spec: { tasks: Array<{ name: string; taskSpec?: object; taskRef?: { name: string } }> } };
    const validatePipeline = tektonValidator('pipeline');
    assert.ok(validatePipeline(pipeline), JSON.stringify(validatePipeline.errors, null, 1));
    for (const t of pipeline.spec.tasks.filter((t) => t.taskSpec)) {
      assert.ok(validateTask({ apiVersion: 'tekton.dev/v1', kind: 'Task', metadata: { name: t.name }, spec: t.taskSpec }), `${t.name}: ${JSON.stringify(validateTask.errors, null, 1)}`);
    }
    assert.ok(pipeline.spec.tasks.some((t) => t.taskRef?.name === (task as { metadata: { name: string } }).metadata.name), 'the pipeline gates with the Task');
    const broken = structuredClone(task) as { spec: { steps: Array<Record<string, unknown>> } };
    broken.spec.steps[0].scirpt = 'typo';
    assert.equal(validateTask(broken), false, 'a misspelt field is refused');
  });

  it('the Task on the denied example: fails, with the counts and the exit class as results and the reports in the workspace', async () => {
    const task = yaml.load(await readFile(TASK_FILE, 'utf8')) as TektonTask;
    const repo = await copyExample('shop-denied');
    try {
      const step = await runTektonStep(task, task.spec.steps[0], { params: { paths: ['apps'] }, workspaces: { source: repo.dir }, env: { PATH: PATH() } });
      const { report } = await gateJson(['check', 'apps'], { cwd: repo.dir });
      const denied = report.results.filter((r) => r.verdict === 'deny');
      assert.ok(denied.length > 0);
      assert.equal(step.code, 1, step.stderr);
      assert.deepEqual(step.results, { images: String(report.results.length), denied: String(denied.length), 'exit-class': 'denied' });
      assert.match(step.stdout, new RegExp(`${denied.length} of ${report.results.length} images denied`), 'the text report in the step log');
      const reports = path.join(repo.dir, 'gate-reports');
      assert.equal(JSON.parse(await readFile(path.join(reports, 'gate.json'), 'utf8')).summary.denied, denied.length);
      assert.equal(assertValidSarif(await readFile(path.join(reports, 'gate.sarif'), 'utf8')).runs[0].results.length, denied.reduce((n, r) => n + r.sources.length, 0));
      const junit = await parseJunit(await readFile(path.join(reports, 'gate-junit.xml'), 'utf8'));
      assert.ok(junit.testsuite!.flatMap((s) => s.testcase ?? []).some((c) => c.failure));
    } finally {
      await repo.dispose();
    }
  });

  it('fail-on-deny false succeeds with the denial in the results; bad input is its own class; report-formats, require-digest and extra args reach gate check', async () => {
    const task = yaml.load(await readFile(TASK_FILE, 'utf8')) as TektonTask;
    const repo = await copyExample('shop-denied');
    try {
      const lenient = await runTektonStep(task, task.spec.steps[0], { params: { paths: ['apps'], 'fail-on-deny': 'false' }, workspaces: { source: repo.dir }, env: { PATH: PATH() } });
      assert.equal(lenient.code, 0, lenient.stderr);
      assert.equal(lenient.results['exit-class'], 'denied');
      const bad = await runTektonStep(task, task.spec.steps[0], { params: { paths: ['apps'], webhook: 'nonsense', 'fail-on-deny': 'false' }, workspaces: { source: repo.dir }, env: { PATH: PATH() } });
      assert.equal(bad.code, 2, 'bad input fails the TaskRun whatever fail-on-deny says');
      assert.equal(bad.results['exit-class'], 'bad-input');
      const formats = await runTektonStep(task, task.spec.steps[0], { params: { paths: ['apps'], 'reports-dir': 'only-md', 'report-formats': 'markdown', 'fail-on-deny': 'false' }, workspaces: { source: repo.dir }, env: { PATH: PATH() } });
      assert.equal(formats.code, 0, formats.stderr);
      assert.deepEqual((await readdir(path.join(repo.dir, 'only-md'))).sort(), ['gate.json', 'gate.md'], 'the formats asked for, and the JSON the results come from');
      const unknown = await runTektonStep(task, task.spec.steps[0], { params: { paths: ['apps'], 'report-formats': 'pdf' }, workspaces: { source: repo.dir }, env: { PATH: PATH() } });
      assert.deepEqual({ code: unknown.code, class: unknown.results['exit-class'] }, { code: 2, class: 'bad-input' });
      assert.match(unknown.stderr, /unknown report format "pdf"/);
      const extra = await runTektonStep(task, task.spec.steps[0], { params: { paths: ['apps'], 'require-digest': 'true', 'extra-args': ['--output', 'markdown=gate-reports/summary.md'] }, workspaces: { source: repo.dir }, env: { PATH: PATH() } });
      assert.equal(extra.results['exit-class'], 'denied', `${extra.stdout}${extra.stderr}`);
      assert.match(await readFile(path.join(repo.dir, 'gate-reports/summary.md'), 'utf8'), /denied/, 'the extra --output reached gate check');
      const direct = await gateJson(['check', 'apps', '--require-digest'], { cwd: repo.dir });
      const viaTask = JSON.parse(await readFile(path.join(repo.dir, 'gate-reports/gate.json'), 'utf8')) as typeof direct.report;
      assert.deepEqual(viaTask.results.map((r) => `${r.image} ${r.reason}`), direct.report.results.map((r) => `${r.image} ${r.reason}`), 'the same verdicts as gate check --require-digest');
    } finally {
      await repo.dispose();
    }
  });

  it('a gate that fails without a report (a crash) is incomplete, fails even with fail-on-deny false, and an earlier run\'s report does not stand in', async () => {
    const task = yaml.load(await readFile(TASK_FILE, 'utf8')) as TektonTask;
    const repo = await copyExample('shop-denied');
    const stub = await mkdtemp(path.join(tmpdir(), 'gate-stub-'));
    try {
      await writeFile(path.join(stub, 'gate'), '#!/usr/bin/env bash\necho "TypeError: boom" >&2\nexit 1\n', { mode: 0o755 });
      await mkdir(path.join(repo.dir, 'gate-reports'));
      await writeFile(path.join(repo.dir, 'gate-reports/gate.json'), JSON.stringify({ summary: { images: 9, allowed: 0, denied: 9 } }));
      const step = await runTektonStep(task, task.spec.steps[0], { params: { paths: ['apps'], 'fail-on-deny': 'false' }, workspaces: { source: repo.dir }, env: { PATH: `${stub}:${PATH()}` } });
      assert.equal(step.code, 1);
      assert.deepEqual(step.results, { images: '0', denied: '0', 'exit-class': 'incomplete' });
    } finally {
      await repo.dispose();
      await rm(stub, { recursive: true, force: true });
    }
  });

  it('the Task on the allowed example, with a docker-config workspace bound: succeeds, DOCKER_CONFIG pointing at it', async () => {
    const task = yaml.load(await readFile(TASK_FILE, 'utf8')) as TektonTask;
    const repo = await copyExample('shop');
    const config = await mkdtemp(path.join(tmpdir(), 'gate-docker-config-'));
    try {
      await mkdir(config, { recursive: true });
      const step = await runTektonStep(task, { ...task.spec.steps[0], script: task.spec.steps[0].script.replace('mkdir -p "$REPORTS_DIR"', 'echo "DOCKER_CONFIG=${DOCKER_CONFIG:-unset}"; mkdir -p "$REPORTS_DIR"') }, { params: { paths: ['apps'] }, workspaces: { source: repo.dir, 'docker-config': config }, env: { PATH: PATH() } });
      assert.equal(step.code, 0, `${step.stdout}${step.stderr}`);
      assert.deepEqual({ denied: step.results.denied, class: step.results['exit-class'] }, { denied: '0', class: 'allowed' });
      assert.match(step.stdout, new RegExp(`DOCKER_CONFIG=${config.replace(/[.]/g, '\\.')}`));
    } finally {
      await repo.dispose();
      await rm(config, { recursive: true, force: true });
    }
  });

  it('the README shows the Task as it is', async () => {
    const readme = await readFile(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    assert.ok(readme.includes(`\`\`\`yaml\n${await readFile(TASK_FILE, 'utf8')}\`\`\``), 'README.md shows tekton/gate-check.yaml verbatim');
  });
});
