// Tekton, as far as gate's Task needs it without a cluster: the v1 Task and Pipeline CRD schemas
// (test/fixtures/schemas, from tektoncd/pipeline) made as strict as the API server's structural
// validation (an object with listed properties takes no others unless it preserves unknown
// fields), and a step run as Tekton runs it: variables substituted ($(params.*), the array form
// $(params.*[*]) as whole args, $(workspaces.*.path|bound), $(results.*.path)), the script
// executed by its shebang with the args, in its workingDir. An unknown variable fails the test.

import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import AjvModule from 'ajv';
import { PROJECT_ROOT } from './gate.js';
import { run } from './tools.js';

type Schema = Record<string, unknown>;
export type Validator = ((data: unknown) => boolean) & { errors?: unknown };

/** Objects with properties accept no others, as the API server prunes and (strict field validation) refuses them. */
function structural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structural);
  if (!node || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, structural(v)])) : structural(value);
  if (out['x-kubernetes-int-or-string'] === true) return { ...out, type: undefined, anyOf: [{ type: 'integer' }, { type: 'string' }] };
  if (out.properties && out['x-kubernetes-preserve-unknown-fields'] !== true && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

const validators = new Map<string, Validator>();
export function tektonValidator(kind: 'task' | 'pipeline'): Validator {
  let validate = validators.get(kind);
  if (!validate) {
    const schema = JSON.parse(readFileSync(path.join(PROJECT_ROOT, `test/fixtures/schemas/tekton-${kind}-v1.json`), 'utf8')) as Schema;
    delete schema.$comment;
    // CommonJS seen from ESM: the class is on `default`.
    const Ajv = AjvModule.default;
    validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(JSON.parse(JSON.stringify(structural(schema)))) as Validator;
    validators.set(kind, validate);
  }
  return validate;
}

export interface TektonParam {
  name: string;
  type?: 'string' | 'array';
  default?: string | string[];
}
export interface TektonStep {
  name: string;
  image: string;
  workingDir?: string;
  env?: Array<{ name: string; value: string }>;
  args?: string[];
  script: string;
}
export interface TektonTask {
  spec: { params?: TektonParam[]; workspaces?: Array<{ name: string; optional?: boolean }>; results?: Array<{ name: string }>; steps: TektonStep[] };
}

export interface StepRun {
  code: number;
  stdout: string;
  stderr: string;
  results: Record<string, string>;
}

/** Runs `step` of `task` with the params given (else defaults) and the workspaces bound to folders (unbound: absent). */
export async function runTektonStep(task: TektonTask, step: TektonStep, given: { params?: Record<string, string | string[]>; workspaces: Record<string, string>; env?: NodeJS.ProcessEnv }): Promise<StepRun> {
  const params = new Map<string, string | string[]>();
  for (const p of task.spec.params ?? []) {
    const value = given.params?.[p.name] ?? p.default;
    if (value === undefined) throw new Error(`param ${p.name} has no value and no default`);
    if (Array.isArray(value) !== (p.type === 'array')) throw new Error(`param ${p.name} is a ${p.type ?? 'string'}`);
    params.set(p.name, value);
  }
  const temp = await mkdtemp(path.join(tmpdir(), 'gate-tekton-'));
  const resultsDir = path.join(temp, 'results');
  await mkdir(resultsDir);
  const declared = new Set((task.spec.workspaces ?? []).map((w) => w.name));
  const substitute = (text: string): string =>
    text.replace(/\$\(([^)]+)\)/g, (whole, variable: string) => {
      const param = /^params\.([-\w]+)$/.exec(variable);
      if (param && typeof params.get(param[1]) === 'string') return params.get(param[1]) as string;
      const workspace = /^workspaces\.([-\w]+)\.(path|bound)$/.exec(variable);
      if (workspace && declared.has(workspace[1])) {
        const bound = given.workspaces[workspace[1]];
        return workspace[2] === 'bound' ? String(bound !== undefined) : (bound ?? '');
      }
      const result = /^results\.([-\w]+)\.path$/.exec(variable);
      if (result && task.spec.results?.some((r) => r.name === result[1])) return path.join(resultsDir, result[1]);
      // Shell command substitution in a script is not a Tekton variable.
      if (/^[a-z]/.test(variable) && !/^(params|workspaces|results|context|steps|tasks)\./.test(variable)) return whole;
      throw new Error(`the emulated Tekton does not know $(${variable})`);
    });
  const args = (step.args ?? []).flatMap((arg) => {
    const array = /^\$\(params\.([-\w]+)\[\*\]\)$/.exec(arg);
    if (array) {
      const value = params.get(array[1]);
      if (!Array.isArray(value)) throw new Error(`$(params.${array[1]}[*]) needs an array param`);
      return value;
    }
    return [substitute(arg)];
  });
  const script = path.join(temp, 'script');
  await writeFile(script, substitute(step.script));
  await chmod(script, 0o755);
  try {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: temp, NO_COLOR: '1', ...given.env };
    for (const { name, value } of step.env ?? []) env[name] = substitute(value);
    const result = await run(script, args, { cwd: substitute(step.workingDir ?? '/'), env });
    const results: Record<string, string> = {};
    for (const r of task.spec.results ?? []) results[r.name] = await readFile(path.join(resultsDir, r.name), 'utf8').catch(() => '<not written>');
    return { code: result.code, stdout: result.stdout.toString('utf8'), stderr: result.stderr, results };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
