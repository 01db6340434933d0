// `gate check`: manifests read (files, stdin, or a renderer's output), parsed and
// bounded, every image use extracted with its pull secrets, each decided by the engine,
// and the results gathered into the report.

import path from 'node:path';
import { GateError, type Warning } from '../errors.js';
import { MAX_TOTAL_INPUT_BYTES, mebibytes, readInputs, type InputText } from '../input/files.js';
import { rendererOf, renderFirst } from '../input/render.js';
import { NodeBudget, parseManifestStream, type ManifestObject } from '../manifests/document.js';
import { extractImages, type ImageUse } from '../manifests/extract.js';
import { withServiceAccountSecrets } from '../manifests/service-accounts.js';
import { byVerdictThenSource, decideGroup, groupUses, mapLimit } from '../engine/results.js';
import { exitCodeOf, summarise, type Report } from '../report/model.js';
import { GATE_VERSION } from '../version.js';
import { DEFAULTS, describeInputs, prepare, type CheckIO, type CheckOptions } from '../engine/engine.js';

export type { CheckIO, CheckOptions };

/** Kubernetes objects in one run: each one stays in memory until the report. */
export const MAX_OBJECTS = 50_000;
/** Keys and values in the manifests of one run (60 MB of real manifests; 10 000 Deployments hold 380 000). */
export const MAX_NODES_PER_RUN = 2_000_000;

export async function runCheck(options: CheckOptions, io: CheckIO): Promise<Report> {
  const inputs = await readInputs(options.paths, io, options.exclude);
  return checkInputs(inputs, describeInputs(options.paths), options, io);
}

/**
 * Checks manifests already read (files, stdin, or a renderer's output); `what` names
 * them in messages. `options.paths` still says where to look for .gate/.
 */
export async function checkInputs(inputs: InputText[], what: string, options: CheckOptions, io: CheckIO): Promise<Report> {
  const warnings: Warning[] = [];
  const objects: ManifestObject[] = [];
  refuseOversizedInputs(inputs, what);
  const budget = new NodeBudget(MAX_NODES_PER_RUN);
  for (const input of inputs) {
    // A kustomization or Chart.yaml is no object Kubernetes applies; its folder is only right once rendered.
    const renderer = rendererOf(input.name);
    if (renderer) {
      warnings.push({ file: input.name, line: 1, message: renderFirst(renderer, path.dirname(input.name)) });
      continue;
    }
    const parsed = parseManifestStream(input.text, input.name, { budget });
    // Loops, not push(...spread): a spread of 200 000 objects overflows the call stack.
    for (const object of parsed.objects) objects.push(object);
    for (const warning of parsed.warnings) warnings.push(warning);
    if (objects.length > MAX_OBJECTS) {
      throw new GateError('LIMIT_EXCEEDED', `more than ${MAX_OBJECTS} Kubernetes objects in ${what} (the limit for one run); check the folders in separate runs, or leave files out with --exclude`, { file: input.name });
    }
  }
  if (objects.length === 0 && !options.allowEmpty) {
    // An empty render (a failed `kustomize build | gate check -` without pipefail) must not pass.
    throw new GateError('INPUT_EMPTY', `no Kubernetes objects in ${what}: nothing to check, which is never what a gate should approve`);
  }

  const engine = await prepare(options, io, objects, warnings);
  const { decider, settings, now, serviceAccounts } = engine;
  try {
    const uses: ImageUse[] = [];
    for (const object of objects) {
      const extraction = extractImages(object, options.namespace);
      for (const use of extraction.uses) uses.push(use);
      for (const warning of extraction.warnings) warnings.push(warning);
    }

    const groups = groupUses(await withServiceAccountSecrets(uses, objects, options.namespace, serviceAccounts));
    decider.expect(groups.map((group) => group[0].image));
    io.progress?.start(groups.length);
    const results = await mapLimit(groups, options.concurrency ?? DEFAULTS.concurrency, async (group) => {
      const result = await decideGroup(group, decider, settings.exemptions, now, warnings);
      io.progress?.decided();
      return result;
    });
    for (const warning of decider.warnings) warnings.push(warning);
    return {
      gateVersion: GATE_VERSION,
      summary: summarise(results),
      results: results.sort(byVerdictThenSource),
      warnings,
      scanned: { files: inputs.length, objects: objects.length },
    };
  } finally {
    io.progress?.stop();
    await engine.close();
  }
}

/**
 * The exit code of a run, with --fail-on-warn: a warning that fails the run counts as a
 * denial on the evidence (exit 1), since running again cannot remove it; and like such a
 * denial it wins over 3 (a verdict that could not be reached).
 */
export function exitCodeWithWarnings(report: Report, failOnWarn: boolean): 0 | 1 | 3 {
  return failOnWarn && report.warnings.length > 0 ? 1 : exitCodeOf(report);
}

/** The last line of a run that --fail-on-warn failed. */
export function failedOnWarnings(report: Report): string {
  return `gate: failing on ${report.warnings.length} warning(s) (--fail-on-warn)`;
}

/**
 * Rendered output never passed through readInputs' budget: the same total applies to it
 * (file inputs were already stopped there, before being read whole).
 */
function refuseOversizedInputs(inputs: InputText[], what: string): void {
  let total = 0;
  for (const input of inputs) {
    total += Buffer.byteLength(input.text, 'utf8');
    if (total > MAX_TOTAL_INPUT_BYTES) {
      throw new GateError('LIMIT_EXCEEDED', `${what} hold more than ${mebibytes(MAX_TOTAL_INPUT_BYTES)} of manifests together (the limit for one run); check smaller parts in separate runs`, { file: input.name });
    }
  }
}

