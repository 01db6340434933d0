// The GitHub Action (action.yml at the repository root), its steps run as the Actions runner
// would run them (helpers/action.ts emulates the runner; the action's checkout is this one,
// already built, so its install step builds nothing and fetches nothing): on the bundled denied
// example it fails the step, annotates each denied use at its file and line, writes a
// schema-valid SARIF file for upload-sarif and the step summary, and sets its outputs.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT, gateJson } from '../helpers/gate.js';
import { mustRun, run } from '../helpers/tools.js';
import { assertValidSarif } from '../helpers/formats.js';
import { copyExample } from '../helpers/in-process.js';
import { readAction, runAction } from '../helpers/action.js';

describe('the gate GitHub Action', () => {
  it('is a composite action whose inputs reach its scripts as environment variables, never as script text', async () => {
    const action = await readAction();
    assert.equal(action.runs.using, 'composite');
    for (const step of action.runs.steps) assert.doesNotMatch(step.run, /\$\{\{/, `step "${step.name}" splices no expression into its script`);
    for (const name of ['paths', 'args', 'sarif', 'fail-on-deny']) assert.ok(action.inputs[name]?.description, `input ${name}`);
    for (const name of ['exit-code', 'images', 'denied', 'sarif']) assert.match(action.outputs[name]?.value ?? '', /steps\.check\.outputs\./);
  });

  it('on the denied example: fails, annotates each denied use, writes SARIF and the summary, and says the counts', async () => {
    const repo = await copyExample('shop-denied');
    try {
      const { report } = await gateJson(['check', 'apps/'], { cwd: repo.dir });
      const denied = report.results.filter((r) => r.verdict === 'deny');
      assert.ok(denied.length > 0);
      const step = await runAction(repo.dir, { paths: 'apps/', json: 'gate.json' });
      assert.equal(step.code, 1, step.stderr);
      const errors = step.stdout.split('\n').filter((l) => l.startsWith('::error '));
      assert.equal(errors.length, denied.reduce((n, r) => n + r.sources.length, 0), 'one annotation per denied use');
      const sarif = assertValidSarif(await readFile(path.join(repo.dir, 'gate.sarif'), 'utf8'));
      assert.equal(sarif.runs[0].results.length, errors.length);
      for (const r of denied) assert.ok(step.summary.includes(`\`${r.reason}\``), `the step summary names ${r.reason}`);
      assert.deepEqual(step.outputs, { 'exit-code': '1', images: String(report.summary.images), denied: String(denied.length), sarif: 'gate.sarif' });
      assert.equal(JSON.parse(await readFile(path.join(repo.dir, 'gate.json'), 'utf8')).summary.denied, denied.length);
    } finally {
      await repo.dispose();
    }
  });

  it('with fail-on-deny false it reports and passes; extra args reach gate check', async () => {
    const repo = await copyExample('shop-denied');
    try {
      const step = await runAction(repo.dir, { paths: 'apps/', 'fail-on-deny': 'false', sarif: '' });
      assert.equal(step.code, 0, step.stderr);
      assert.equal(step.outputs['exit-code'], '1');
      assert.equal(step.outputs.sarif, '');
      assert.match(step.stdout, /fail-on-deny is false/);
      const bad = await runAction(repo.dir, { paths: 'apps/', args: '--webhook nonsense' });
      assert.equal(bad.code, 2, 'bad input fails the step whatever fail-on-deny says');
      assert.equal(bad.outputs['exit-code'], '2');
    } finally {
      await repo.dispose();
    }
  });

  it('a gate that fails without a report (a crash) fails the step even with fail-on-deny false; values with new lines are refused', async () => {
    const repo = await copyExample('shop-denied');
    try {
      const crash = async (runnerTemp: string) => writeFile(path.join(runnerTemp, 'gate-action/bin/gate'), '#!/usr/bin/env bash\necho "TypeError: boom" >&2\nexit 1\n', { mode: 0o755 });
      const step = await runAction(repo.dir, { paths: 'apps/', 'fail-on-deny': 'false' }, {}, crash);
      assert.equal(step.code, 1);
      assert.match(step.stdout, /failed without a report of its denials/);
      assert.equal(step.outputs.denied, '');
      const injected = await runAction(repo.dir, { paths: 'apps/', sarif: 'gate.sarif\nexit-code=0' });
      assert.equal(injected.code, 2);
      assert.equal(injected.outputs['exit-code'], undefined, 'nothing was written to GITHUB_OUTPUT');
    } finally {
      await repo.dispose();
    }
  });

  it('its install step builds gate in a bare checkout of the action (sources only) with the pinned dependencies, npm offline from its cache', async () => {
    const checkout = await mkdtemp(path.join(tmpdir(), 'gate-action-checkout-'));
    const temp = await mkdtemp(path.join(tmpdir(), 'gate-runner-temp-'));
    try {
      for (const source of ['action.yml', 'package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'src', 'schemas', 'scripts']) {
        await mustRun('cp', ['-R', path.join(PROJECT_ROOT, source), path.join(checkout, source)]);
      }
      const githubPath = path.join(temp, 'github_path');
      await writeFile(githubPath, '');
      const install = await run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', '"$GITHUB_ACTION_PATH/scripts/action/install.sh"'], {
        cwd: temp,
        env: { PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? temp, GITHUB_ACTION_PATH: checkout, RUNNER_TEMP: temp, GITHUB_PATH: githubPath, npm_config_offline: 'true', npm_config_cache: process.env.npm_config_cache ?? path.join(process.env.HOME ?? '', '.npm') },
      });
      assert.equal(install.code, 0, `${install.stdout.toString('utf8')}${install.stderr}`);
      const bin = (await readFile(githubPath, 'utf8')).trim().split('\n').at(-1)!;
      const version = await mustRun(path.join(bin, 'gate'), ['--version'], { cwd: temp });
      assert.equal(version.stdout.toString('utf8').trim(), (JSON.parse(await readFile(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
      assert.ok(existsSync(path.join(checkout, 'dist/src/cli/gate.js')), 'built in the checkout');
    } finally {
      await rm(checkout, { recursive: true, force: true });
      await rm(temp, { recursive: true, force: true });
    }
  });

  it('on the allowed example: passes with no annotation', async () => {
    const repo = await copyExample('shop');
    try {
      const step = await runAction(repo.dir, { paths: 'apps/' });
      assert.equal(step.code, 0, `${step.stdout}${step.stderr}`);
      assert.equal(step.outputs.denied, '0');
      assert.ok(!step.stdout.includes('::error '));
    } finally {
      await repo.dispose();
    }
  });
});
