// Runs the steps of the repository's GitHub Action (action.yml) as the Actions runner runs a
// composite action: each `run` under bash (`bash --noprofile --norc -eo pipefail`), in its
// working-directory, with its `env` after the runner's expression substitution of
// `${{ inputs.* }}` (the inputs given, else their defaults), and the runner's files and
// variables: GITHUB_ACTION_PATH (this checkout), RUNNER_TEMP, GITHUB_PATH (whose lines are put
// first on PATH for the steps after), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY. Only what action.yml
// uses is emulated; an expression it does not know fails the test.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { PROJECT_ROOT } from './gate.js';
import { run } from './tools.js';

export interface ActionFile {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Array<{ name: string; id?: string; shell: string; run: string; 'working-directory'?: string; env?: Record<string, string> }> };
}

export interface ActionRun {
  code: number;
  /** Every step's standard output, in order (workflow commands such as ::error included). */
  stdout: string;
  stderr: string;
  /** The outputs of the step with id `check`, as GITHUB_OUTPUT holds them. */
  outputs: Record<string, string>;
  summary: string;
}

export async function readAction(): Promise<ActionFile> {
  return yaml.load(await readFile(path.join(PROJECT_ROOT, 'action.yml'), 'utf8')) as ActionFile;
}

/** `afterInstall`: called with RUNNER_TEMP once the first step ran (a test may swap the installed gate for a stub). */
export async function runAction(workspace: string, given: Record<string, string>, env: NodeJS.ProcessEnv = {}, afterInstall?: (runnerTemp: string) => Promise<void>): Promise<ActionRun> {
  const action = await readAction();
  const unknown = Object.keys(given).filter((name) => !(name in action.inputs));
  if (unknown.length > 0) throw new Error(`action.yml has no input ${unknown.join(', ')}`);
  const inputs = Object.fromEntries(Object.entries(action.inputs).map(([name, input]) => [name, given[name] ?? input.default ?? '']));
  const substitute = (text: string) =>
    text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expression: string) => {
      const input = /^inputs\.([-\w]+)$/.exec(expression);
      if (!input || !(input[1] in inputs)) throw new Error(`the emulated runner does not know the expression ${expression}`);
      return inputs[input[1]];
    });
  const temp = await mkdtemp(path.join(tmpdir(), 'gate-runner-'));
  const files = { path: path.join(temp, 'github_path'), output: path.join(temp, 'github_output'), summary: path.join(temp, 'step_summary.md') };
  await Promise.all(Object.values(files).map((f) => writeFile(f, '')));
  const runnerTemp = path.join(temp, 'runner-temp');
  await run('mkdir', ['-p', runnerTemp]);
  let stdout = '';
  let stderr = '';
  let code = 0;
  try {
    for (const step of action.runs.steps) {
      if (step.shell !== 'bash') throw new Error(`step ${step.name}: the emulated runner runs bash steps only`);
      const added = (await readFile(files.path, 'utf8')).split('\n').filter(Boolean).reverse();
      // The runner's own Node is first on PATH, as actions/setup-node or the image would put it.
      const PATH = [...added, path.dirname(process.execPath), process.env.PATH ?? ''].join(':');
      const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, substitute(v)]));
      const cwd = path.resolve(workspace, substitute(step['working-directory'] ?? '.'));
      const result = await run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], {
        cwd,
        env: {
          PATH, HOME: temp, NO_COLOR: '1', CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: workspace, GITHUB_ACTION_PATH: PROJECT_ROOT,
          RUNNER_TEMP: runnerTemp, GITHUB_PATH: files.path, GITHUB_OUTPUT: files.output, GITHUB_STEP_SUMMARY: files.summary, ...env, ...stepEnv,
        },
      });
      stdout += result.stdout.toString('utf8');
      stderr += result.stderr;
      code = result.code;
      if (code !== 0) break;
      if (step === action.runs.steps[0]) await afterInstall?.(runnerTemp);
    }
    const outputs = Object.fromEntries((await readFile(files.output, 'utf8')).split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    return { code, stdout, stderr, outputs, summary: await readFile(files.summary, 'utf8') };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
