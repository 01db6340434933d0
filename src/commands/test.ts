// `gate record` and `gate test`: policy tests on recorded evidence. `gate record` decides every
// case of .gate/tests/ against the live registries and trust servers and keeps exactly what the
// decisions read in .gate/testdata/ (testing/recording.ts). `gate test` decides the same cases
// again with no network at all, answering every question from that recording, at the time it was
// made (or --now): so a test fails only when the policies, the keys or gate change — never
// because a tag moved or a registry is down.

import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { locateGate, prepare, type CheckIO, type CheckOptions } from '../engine/engine.js';
import type { EvidenceTap } from '../engine/tap.js';
import { GateError, type Warning } from '../errors.js';
import { displayName, MAX_MANIFEST_BYTES } from '../input/files.js';
import { readBounded } from '../input/bounded-read.js';
import { parseManifestStream } from '../manifests/document.js';
import { extractImages, type ImageUse } from '../manifests/extract.js';
import { applyExemption, findExemption } from '../policy/exemptions.js';
import { xml } from '../report/junit.js';
import { safeLines, visible } from '../report/escape.js';
import { readCases, TESTS_DIR, type TestCase } from '../testing/cases.js';
import { Recorder, Replayer } from '../testing/recording.js';
import type { ReasonCode } from '../verify/verdict.js';

export interface CaseOutcome {
  case: TestCase;
  verdict: 'allow' | 'deny';
  reason: ReasonCode;
  message: string;
  passed: boolean;
}

export interface TestRun {
  /** The clock the decisions used. */
  now: string;
  outcomes: CaseOutcome[];
  warnings: Warning[];
}

export interface RecordRun extends TestRun {
  recording: { dir: string; blobs: number };
}

type Options = Omit<CheckOptions, 'paths'>;

/** Replays every case on the recording: no network. */
export async function runTest(options: Options & { now?: Date }, io: CheckIO): Promise<TestRun> {
  const { gateDir, cases } = await casesOf(options, io);
  const replayer = await Replayer.open(gateDir, (file) => displayName(file, io.cwd));
  const now = options.now ?? replayer.recorded;
  return decideCases({ ...options, tap: replayer, replay: true }, { ...io, now: () => now }, cases);
}

/** Decides every case on the live network and keeps what the decisions read. */
export async function runRecord(options: Options, io: CheckIO): Promise<RecordRun> {
  const { gateDir, cases } = await casesOf(options, io);
  const recorder = new Recorder(io.now(), gateDir);
  const run = await decideCases({ ...options, tap: recorder }, io, cases);
  const saved = await recorder.save();
  return { ...run, recording: { dir: displayName(saved.dir, io.cwd), blobs: saved.blobs } };
}

async function casesOf(options: Options, io: CheckIO): Promise<{ gateDir: string; cases: TestCase[] }> {
  const locations = await locateGate({ ...options, paths: ['.'] }, io.cwd);
  if (!locations.gateDir) throw new GateError('GATE_DIR_MISSING', 'no .gate/ folder in the current folder or above it: gate test runs the cases in .gate/tests/');
  const dir = path.join(locations.gateDir, TESTS_DIR);
  const cases = await readCases(dir, (file) => displayName(file, io.cwd));
  if (cases.length === 0) throw new GateError('INPUT_EMPTY', `no test case in ${displayName(dir, io.cwd)}: write one (README, "gate test")`);
  return { gateDir: locations.gateDir, cases };
}

async function decideCases(options: Options & { tap: EvidenceTap; replay?: boolean }, io: CheckIO, cases: TestCase[]): Promise<TestRun> {
  const warnings: Warning[] = [];
  const engine = await prepare({ ...options, paths: ['.'] }, io, [], warnings);
  try {
    const outcomes: CaseOutcome[] = [];
    for (const c of cases) {
      const use: ImageUse = c.workload
        ? await workloadUse(c, path.dirname(engine.locations.gateDir!), options.namespace, io)
        : {
            image: c.image,
            namespace: c.namespace,
            source: { file: c.file, line: c.index, kind: 'Pod', name: c.name, namespace: c.namespace, path: 'image', generic: false },
            pullSecrets: c.pullSecrets,
            serviceAccount: 'default',
          };
      // As gate check decides: an exemption applies after the decision.
      const decision = await engine.decider.decide(use);
      const applied = applyExemption(findExemption(use.image, use.namespace, engine.settings.exemptions, engine.now), use.image, decision.verdict);
      const verdict = applied.verdict.allowed ? 'allow' : 'deny';
      const passed = verdict === c.expect.verdict && (c.expect.reason === undefined || c.expect.reason === applied.verdict.reason);
      outcomes.push({ case: c, verdict, reason: applied.verdict.reason, message: applied.verdict.message, passed });
    }
    warnings.push(...engine.decider.warnings);
    return { now: engine.now.toISOString(), outcomes, warnings };
  } finally {
    await engine.close();
  }
}

/**
 * The use of a case's image in its workload file, as gate check reads it: namespace, pull
 * secrets, service account. The file must be inside the repository (links resolved): the case
 * files are repository content like any other.
 */
async function workloadUse(c: TestCase, root: string, defaultNamespace: string, io: CheckIO): Promise<ImageUse> {
  const file = path.resolve(root, c.workload!);
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    throw new GateError('INPUT_UNREADABLE', `${c.file}: case "${c.name}" names workload ${c.workload}, which does not exist`, { file: c.file });
  }
  if (!real.startsWith(`${await realpath(root)}${path.sep}`)) throw new GateError('INPUT_INVALID', `${c.file}: case "${c.name}" names workload ${c.workload}, which is outside the repository`, { file: c.file });
  const read = await readBounded(real, MAX_MANIFEST_BYTES);
  if (read.kind !== 'ok') throw new GateError('INPUT_UNREADABLE', `${c.file}: cannot read workload ${c.workload} of case "${c.name}"`, { file: c.file });
  const shown = displayName(real, io.cwd);
  const { objects } = parseManifestStream(Buffer.from(read.bytes).toString('utf8'), shown);
  const uses = objects.flatMap((object) => extractImages(object, defaultNamespace).uses);
  const use = uses.find((u) => u.image === c.image);
  if (!use) {
    throw new GateError('INPUT_INVALID', `${c.file}: case "${c.name}": ${shown} does not use ${c.image} (it uses ${[...new Set(uses.map((u) => u.image))].join(', ') || 'no image'})`, { file: c.file });
  }
  return use;
}

export function testExitCode(run: TestRun): 0 | 1 {
  return run.outcomes.every((o) => o.passed) ? 0 : 1;
}

function expected(c: TestCase): string {
  return `${c.expect.verdict}${c.expect.reason ? ` ${c.expect.reason}` : ''}`;
}

export function renderTestText(untrusted: TestRun, heading = 'gate test'): string {
  const run = visible(untrusted);
  const lines = [`${heading}: ${run.outcomes.length} case(s), decided at ${run.now}`];
  for (const o of run.outcomes) {
    lines.push(o.passed ? `  ✔ ${o.case.name} — ${o.verdict} ${o.reason}` : `  ✖ ${o.case.name} (${o.case.file}, case ${o.case.index}) — expected ${expected(o.case)}, got ${o.verdict} ${o.reason}: ${o.message}`);
  }
  const failed = run.outcomes.filter((o) => !o.passed).length;
  lines.push(failed === 0 ? `All ${run.outcomes.length} case(s) passed.` : `${failed} of ${run.outcomes.length} case(s) failed.`);
  return `${safeLines(lines.join('\n'))}\n`;
}

export function renderTestJunit(run: TestRun): string {
  const byFile = new Map<string, CaseOutcome[]>();
  for (const o of run.outcomes) byFile.set(o.case.file, [...(byFile.get(o.case.file) ?? []), o]);
  const failures = run.outcomes.filter((o) => !o.passed).length;
  const suites = [...byFile].map(([file, outcomes]) => {
    const cases = outcomes.map((o) => {
      const open = `    <testcase name="${xml(o.case.name)}" classname="${xml(file)}"`;
      if (o.passed) return `${open}/>`;
      const what = `expected ${expected(o.case)}, got ${o.verdict} ${o.reason}`;
      return `${open}>\n      <failure message="${xml(what)}" type="${xml(o.reason)}">${xml(`${what}: ${o.message}`)}</failure>\n    </testcase>`;
    });
    return `  <testsuite name="${xml(file)}" tests="${outcomes.length}" failures="${outcomes.filter((o) => !o.passed).length}" errors="0" skipped="0">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="gate test" tests="${run.outcomes.length}" failures="${failures}" errors="0" skipped="0">\n${suites.join('\n')}\n</testsuites>\n`;
}
