// Policy tests as code: .gate/tests/*.yaml, each a list of cases — an image (with the namespace
// and pull secrets a workload would give it) and the verdict and reason the policies must reach.
// Read strictly, as every file under .gate/ is: an unknown field or a reason gate does not have
// stops the run (a typo must not make a test pass). Pure but for reading the files.
//
//   cases:
//   - name: the web image is signed by the release key
//     image: registry.example.com/shop/web@sha256:4c30…
//     namespace: shop            # default: default
//     pullSecrets: [regcred]     # optional
//     expect: {verdict: allow, reason: SIGNED}
//   - name: …                    # or the namespace and pull secrets of the workload that uses the image:
//     image: …
//     workload: apps/web.yaml    # relative to the repository root (the folder holding .gate/)

import { readdir } from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import { GateError } from '../errors.js';
import { readBounded } from '../input/bounded-read.js';
import { REASONS } from '../report/reasons.js';
import type { ReasonCode } from '../verify/verdict.js';

export const TESTS_DIR = 'tests';
const FILE_LIMIT = 1024 * 1024;

export interface TestCase {
  file: string;
  /** Its position in the file's list, from 1 (js-yaml gives no line for a list item). */
  index: number;
  name: string;
  image: string;
  namespace: string;
  pullSecrets: string[];
  /** A manifest file (relative to the repository root) whose workload using `image` gives the namespace and pull secrets. */
  workload?: string;
  expect: { verdict: 'allow' | 'deny'; reason?: ReasonCode };
}

/** Every case of every .yaml/.yml file in `dir`, in file then list order; names unique across them. */
export async function readCases(dir: string, shown: (file: string) => string): Promise<TestCase[]> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => /\.ya?ml$/.test(f)).sort();
  const cases: TestCase[] = [];
  for (const name of files) {
    const file = path.join(dir, name);
    const read = await readBounded(file, FILE_LIMIT);
    if (read.kind !== 'ok') throw new GateError('INPUT_UNREADABLE', `cannot read ${shown(file)}: ${read.kind === 'too-large' ? 'larger than 1 MiB' : read.kind === 'absent' ? 'it vanished' : read.message}`, { file: shown(file) });
    let value: unknown;
    try {
      value = yaml.load(Buffer.from(read.bytes).toString('utf8'), { schema: yaml.CORE_SCHEMA, filename: shown(file) });
    } catch (e) {
      throw new GateError('INPUT_INVALID', `${shown(file)} is not YAML: ${(e as Error).message}`, { file: shown(file) });
    }
    cases.push(...parseCases(value, shown(file)));
  }
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.name)) throw new GateError('INPUT_INVALID', `two test cases are named "${c.name}" (${c.file}): give each its own name`, { file: c.file });
    seen.add(c.name);
  }
  return cases;
}

export function parseCases(value: unknown, file: string): TestCase[] {
  const fail = (where: string, why: string): never => {
    throw new GateError('INPUT_INVALID', `${file}: ${where}: ${why}`, { file });
  };
  if (!isObject(value)) return fail('the file', 'must be a mapping with a cases list');
  only(value, ['cases'], 'the file', fail);
  if (!Array.isArray(value.cases) || value.cases.length === 0) return fail('cases', 'must be a non-empty list');
  return value.cases.map((raw: unknown, i: number): TestCase => {
    const where = `cases[${i}]`;
    if (!isObject(raw)) return fail(where, 'must be a mapping');
    only(raw, ['name', 'image', 'namespace', 'pullSecrets', 'workload', 'expect'], where, fail);
    if (raw.workload !== undefined && (raw.namespace !== undefined || raw.pullSecrets !== undefined)) {
      return fail(where, 'a case with a workload takes the namespace and pull secrets from it: leave namespace and pullSecrets out');
    }
    const text = (key: string, required: boolean): string | undefined => {
      const v = raw[key];
      if (v === undefined && !required) return undefined;
      if (typeof v !== 'string' || v.trim() === '') return fail(`${where}.${key}`, 'must be a non-empty string');
      return v;
    };
    const pullSecrets = raw.pullSecrets ?? [];
    if (!Array.isArray(pullSecrets) || !pullSecrets.every((s) => typeof s === 'string' && s !== '')) return fail(`${where}.pullSecrets`, 'must be a list of Secret names');
    const expect = raw.expect;
    if (!isObject(expect)) return fail(`${where}.expect`, 'must be a mapping with verdict (allow or deny) and optionally reason');
    only(expect, ['verdict', 'reason'], `${where}.expect`, fail);
    if (expect.verdict !== 'allow' && expect.verdict !== 'deny') return fail(`${where}.expect.verdict`, 'must be allow or deny');
    if (expect.reason !== undefined && (typeof expect.reason !== 'string' || !Object.hasOwn(REASONS, expect.reason))) {
      return fail(`${where}.expect.reason`, `"${String(expect.reason)}" is not a reason gate gives (${Object.keys(REASONS).join(', ')})`);
    }
    return {
      file,
      index: i + 1,
      name: text('name', true)!,
      image: text('image', true)!,
      namespace: text('namespace', false) ?? 'default',
      pullSecrets: pullSecrets as string[],
      ...(raw.workload !== undefined ? { workload: text('workload', true)! } : {}),
      expect: { verdict: expect.verdict, ...(expect.reason !== undefined ? { reason: expect.reason as ReasonCode } : {}) },
    };
  });
}

function only(value: Record<string, unknown>, allowed: string[], where: string, fail: (where: string, why: string) => never): void {
  const unknown = Object.keys(value).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) fail(where, `unknown field ${unknown.map((k) => `"${k}"`).join(', ')} (expected ${allowed.join(', ')})`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
