// JUnit XML for CI test reports (GitLab `artifacts:reports:junit`, Jenkins, Azure DevOps):
// one test suite per manifest file, one test case per image use, with that use's own
// verdict (another use of the image may have passed). A denial on the evidence is a
// <failure>, a verdict that could not be reached an <error>, an exempted image is
// <skipped> with the exemption, so each shows where CI systems put them.

import type { GateError } from '../errors.js';
import { objectLabel } from '../manifests/extract.js';
import { isIncomplete } from '../verify/verdict.js';
import { inertLine } from './escape.js';
import type { ImageResult, Report, ReportSource } from './model.js';

interface Case {
  result: ImageResult;
  source: ReportSource;
}

export function renderJunit(report: Report): string {
  const byFile = new Map<string, Case[]>();
  for (const result of report.results) {
    for (const source of result.sources) byFile.set(source.file, [...(byFile.get(source.file) ?? []), { result, source }]);
  }
  const suites = [...byFile.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([file, cases]) => suite(file, cases.sort((a, b) => a.source.line - b.source.line)));
  const totals = count([...byFile.values()].flat());
  return document(`<testsuites name="gate" ${attributes(totals)}>\n${suites.join('')}</testsuites>\n`);
}

/** The run stopped on bad input: one suite with one errored case, so CI shows why. */
export function renderJunitError(error: GateError): string {
  const where = error.position ? `${error.position.file}${error.position.line ? `:${error.position.line}` : ''}` : 'gate';
  const body = `    <testcase name="${xml(`gate could not check the manifests (${error.code})`)}" classname="${xml(where)}">\n      <error type="${xml(error.code)}" message="${xml(inertLine(error.oneLine()))}">${xml(inertLine(error.oneLine()))}</error>\n    </testcase>\n`;
  return document(`<testsuites name="gate" tests="1" failures="0" errors="1" skipped="0">\n  <testsuite name="gate" tests="1" failures="0" errors="1" skipped="0">\n${body}  </testsuite>\n</testsuites>\n`);
}

function suite(file: string, cases: Case[]): string {
  return `  <testsuite name="${xml(file)}" ${attributes(count(cases))}>\n${cases.map(testcase).join('')}  </testsuite>\n`;
}

function testcase({ result, source }: Case): string {
  const name = `${objectLabel(source.kind, source.name)} ${source.path}: ${result.image || '(no image)'}`;
  const open = `    <testcase name="${xml(name)}" classname="${xml(source.file)}" file="${xml(source.file)}" line="${source.line}">`;
  const summary = `${source.reason}: ${source.message}`;
  const details = [
    summary,
    source.hint ? `fix: ${source.hint}` : '',
    result.policy ? `policy: ${result.policy.kind}/${result.policy.name}, repository "${result.policy.repository}"` : '',
    `namespace: ${result.namespace}`,
    source.digest ? `digest: ${source.digest}` : '',
    `used at: ${source.file}:${source.line}`,
  ].filter(Boolean).join('\n');
  if (source.reason === 'EXEMPT' && result.exemption) {
    const e = result.exemption;
    const message = `EXEMPT until ${e.expires} (owner ${e.owner}): ${e.reason}`;
    return `${open}\n      <skipped message="${xml(message)}"/>\n    </testcase>\n`;
  }
  if (source.verdict === 'allow') return `${open}</testcase>\n`;
  const element = isIncomplete(source.reason) ? 'error' : 'failure';
  return `${open}\n      <${element} type="${source.reason}" message="${xml(summary)}">${xml(details)}</${element}>\n    </testcase>\n`;
}

function count(cases: Case[]): { tests: number; failures: number; errors: number; skipped: number } {
  const denied = cases.filter((c) => c.source.verdict === 'deny');
  return {
    tests: cases.length,
    failures: denied.filter((c) => !isIncomplete(c.source.reason)).length,
    errors: denied.filter((c) => isIncomplete(c.source.reason)).length,
    skipped: cases.filter((c) => c.source.reason === 'EXEMPT').length,
  };
}

function attributes(totals: ReturnType<typeof count>): string {
  return `tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" skipped="${totals.skipped}"`;
}

function document(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

/** Escapes for attributes and text, and drops what XML 1.0 cannot carry at all (manifest text is untrusted). */
export function xml(text: string): string {
  return text
    .replace(/[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}
