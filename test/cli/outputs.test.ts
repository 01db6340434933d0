// One `gate check` run writes every report format; each is judged by an independent
// tool (the SARIF 2.1.0 schema, a JUnit XML parser) and checked against the manifests
// themselves: every location must be a line of the file that holds the image.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertValidSarif, parseJunit } from '../helpers/formats.js';
import { gate, PROJECT_ROOT, type JsonReport } from '../helpers/gate.js';
import { makeRepo } from '../helpers/repo.js';

const FORMATS = ['text', 'json', 'sarif', 'junit', 'github', 'markdown'] as const;

describe('gate check --output: every format from one run', () => {
  let dir: string;
  let stdout: string;
  let code: number;
  const file = (format: string) => path.join(dir, 'reports', `gate.${format}`);

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gate-outputs-'));
    const run = await gate(['check', 'examples/shop-denied', ...FORMATS.flatMap((f) => ['-o', `${f}=${file(f)}`])]);
    ({ stdout, code } = run);
    assert.equal(run.stderr, '');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const report = async () => JSON.parse(await readFile(file('json'), 'utf8')) as JsonReport;

  it('exits as the verdict says, with the text report on stdout when every format goes to a file', async () => {
    assert.equal(code, 1);
    assert.equal(stdout, await readFile(file('text'), 'utf8'));
    assert.match(stdout, /3 of 4 images denied/);
  });

  it('sarif: valid SARIF 2.1.0, one rule per reason with help, one result per denied use at the line of its image field', async () => {
    const sarif = assertValidSarif(await readFile(file('sarif'), 'utf8'));
    const [run] = sarif.runs;
    assert.equal(run.tool.driver.name, 'gate');
    const ruleIds = run.tool.driver.rules.map((r) => r.id);
    assert.equal(new Set(ruleIds).size, ruleIds.length);
    assert.ok(run.tool.driver.rules.every((r) => r.help.text.trim() !== ""), "every rule has help text");
    const denied = (await report()).results.filter((r) => r.verdict === 'deny');
    assert.equal(run.results.length, denied.flatMap((r) => r.sources).length);
    for (const result of run.results) {
      assert.equal(run.tool.driver.rules[result.ruleIndex].id, result.ruleId);
      assert.equal(result.level, 'error');
      const location = result.locations[0].physicalLocation!;
      assert.equal(location.artifactLocation.uriBaseId, '%SRCROOT%');
      // The line named is the one that holds the image, in the file named (relative to %SRCROOT%).
      const root = new URL(run.originalUriBaseIds['%SRCROOT%'].uri);
      const lines = (await readFile(new URL(location.artifactLocation.uri, root), 'utf8')).split('\n');
      const image = denied.find((d) => d.reason === result.ruleId)!.image;
      assert.match(lines[location.region.startLine - 1], new RegExp(`image: "?${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.ok(result.message.text.includes(image));
    }
    assert.equal(run.invocations[0].exitCode, 1);
    assert.equal(run.invocations[0].toolExecutionNotifications?.length, (await report()).warnings.length);
  });

  it('junit: parsed by a JUnit parser, one test case per image use, a failure with the reason for each denied use', async () => {
    const junit = await parseJunit(await readFile(file('junit'), 'utf8'));
    const json = await report();
    const cases = (junit.testsuite ?? []).flatMap((s) => s.testcase ?? []);
    assert.equal(cases.length, json.results.flatMap((r) => r.sources).length);
    const failures = cases.filter((c) => c.failure);
    assert.deepEqual(failures.map((c) => c.failure![0].type).sort(), json.results.filter((r) => r.verdict === 'deny').map((r) => r.reason).sort());
    for (const c of failures) assert.ok(c.failure![0].inner!.includes('fix: '), 'the failure body says what to do');
    assert.equal(junit.failures, failures.length);
    assert.equal(junit.tests, cases.length);
  });

  it('github: one ::error per denied use at its file and line, a ::warning per warning', async () => {
    const lines = (await readFile(file('github'), 'utf8')).trimEnd().split('\n');
    const json = await report();
    const expected = json.results.filter((r) => r.verdict === 'deny').flatMap((r) => r.sources.map((s) => `::error file=${s.file},line=${s.line},title=gate%3A ${r.reason}::${r.image} in `));
    assert.deepEqual(lines.filter((l) => l.startsWith('::error')).map((l) => l.slice(0, l.indexOf(' in ') + 4)), expected);
    assert.equal(lines.filter((l) => l.startsWith('::warning')).length, json.warnings.length);
    assert.ok(lines.every((l) => /^::(error|warning|notice) /.test(l)), 'nothing but workflow commands');
  });

  it('markdown: a row per image and a section per denial', async () => {
    const markdown = await readFile(file('markdown'), 'utf8');
    const json = await report();
    assert.match(markdown, /^## ❌ gate: 3 of 4 images denied/);
    assert.equal(markdown.split('\n').filter((l) => /^\| (❌|✅|⚠️) \|/.test(l)).length, json.results.length);
    assert.equal(markdown.split('\n').filter((l) => l.startsWith('#### ')).length, json.summary.denied);
  });
});

describe('gate check --output: when the run stops on bad input', () => {
  it('still writes every report, in its failed-run shape, and exits 2', async () => {
    const repo = await makeRepo({ 'apps/app.yaml': 'kind: Pod\napiVersion: v1\nmetadata: {name: a}\nspec: {containers: [{name: a, image: nginx}]}\n', '.gate/policies/bad.yaml': 'apiVersion: portieris.cloud.ibm.com/v1\nkind: ClusterImagePolicy\nmetadata: {name: bad}\nspec:\n  repositories:\n  - name: "*"\n    policy: {simple: {requirements: [{type: signedBy}]}}\n' });
    try {
      const out = path.join(repo.dir, 'out');
      const run = await gate(['check', 'apps', ...FORMATS.flatMap((f) => ['-o', `${f}=${path.join(out, f)}`])], { cwd: repo.dir });
      assert.equal(run.code, 2);
      assert.match(run.stderr, /bad\.yaml:\d+: /);
      const sarif = assertValidSarif(await readFile(path.join(out, 'sarif'), 'utf8'));
      assert.equal(sarif.runs[0].invocations[0].executionSuccessful, false);
      assert.equal(sarif.runs[0].invocations[0].exitCode, 2);
      assert.match(sarif.runs[0].invocations[0].toolExecutionNotifications![0].message.text, /^POLICY_INVALID: /);
      const junit = await parseJunit(await readFile(path.join(out, 'junit'), 'utf8'));
      assert.equal(junit.errors, 1);
      assert.match(await readFile(path.join(out, 'github'), 'utf8'), /^::error file=\.gate\/policies\/bad\.yaml,line=\d+,title=gate%3A POLICY_INVALID::/);
      assert.equal(JSON.parse(await readFile(path.join(out, 'json'), 'utf8')).error.code, 'POLICY_INVALID');
      assert.match(await readFile(path.join(out, 'markdown'), 'utf8'), /gate could not check the manifests/);
      assert.equal(await readFile(path.join(out, 'text'), 'utf8'), run.stderr, 'a text report file says what stderr says, not what an earlier run said');
    } finally {
      await repo.dispose();
    }
  });
});

describe('gate check --output: usage', () => {
  it('refuses an unknown format, two formats on stdout, and two formats in one file', async () => {
    for (const [args, message] of [
      [['-o', 'xml'], /unknown format "xml"/],
      [['-o', 'json', '-o', 'sarif'], /only one format can go to standard output/],
      [['-o', 'json=r', '-o', 'sarif=r'], /two formats would be written to r/],
      [['-o', 'json='], /file name is missing/],
    ] as const) {
      const run = await gate(['check', 'examples/shop', ...args]);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    }
  });

  it('github annotations share stdout with one other format, printed first', async () => {
    const run = await gate(['check', 'examples/shop-denied', '-o', 'json', '-o', 'github']);
    assert.equal(run.code, 1);
    const annotations = run.stdout.slice(0, run.stdout.indexOf('{'));
    assert.ok(annotations.split('\n').filter(Boolean).every((l) => l.startsWith('::')));
    assert.equal(JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))).summary.denied, 3);
  });

  it('checking that report files can be written touches none of them: a file read as input is read whole first', async () => {
    const repo = await makeRepo({ 'apps/pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: a, image: "nginx:1"}]}\n', '.gate/policies/p.yaml': 'apiVersion: portieris.cloud.ibm.com/v1\nkind: ClusterImagePolicy\nmetadata: {name: p}\nspec:\n  repositories:\n  - name: "nginx"\n    policy: {simple: {requirements: [{type: insecureAcceptAnything}]}}\n' });
    try {
      const run = await gate(['check', 'apps', '--offline', '-o', 'json=apps/pod.yaml'], { cwd: repo.dir });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(JSON.parse(await readFile(path.join(repo.dir, 'apps/pod.yaml'), 'utf8')).summary.images, 1, 'the Pod was read before its file became the report');
    } finally {
      await repo.dispose();
    }
  });

  it('a report file that cannot be written is exit 2 before anything is checked: said once on stderr, the JSON on stdout is the error', async () => {
    const run = await gate(['check', 'examples/shop', '-o', 'json', '-o', `sarif=${path.join(PROJECT_ROOT, 'package.json', 'x.sarif')}`]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /cannot write the sarif report to .*package\.json\/x\.sarif: a part of its path is a file, not a folder/);
    assert.equal(JSON.parse(run.stdout).error.code, 'OUTPUT_UNWRITABLE');
  });
});
