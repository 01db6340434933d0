// kubectl as the judge of what Kubernetes decodes from a manifest file. Without any
// cluster, `kubectl label --local -f FILE -o json` reads FILE with apimachinery's
// YAMLOrJSONDecoder over sigs.k8s.io/yaml and go-yaml v2 — the libraries of
// `kubectl apply` and of Argo CD's gitops-engine — and prints every object it decoded
// (with the probe label added). gate's reading of the same file is compared with it.

import path from 'node:path';
import { parseManifestStream } from '../../src/manifests/document.js';
import { readInputs } from '../../src/input/files.js';
import { GateError } from '../../src/errors.js';
import { requireTool, run } from './tools.js';

const PROBE_LABEL = 'gate-probe';

export type Reading = { ok: true; objects: unknown[] } | { ok: false; message: string };

export type Outcome = 'same' | 'different' | 'gate-refuses' | 'kubectl-refuses' | 'both-refuse';

export interface Comparison {
  file: string;
  outcome: Outcome;
  kubectl: Reading;
  gate: Reading;
}

export async function kubectlReads(file: string): Promise<Reading> {
  requireTool('kubectl');
  const result = await run('kubectl', ['label', '--local', '-o', 'json', '-f', file, `${PROBE_LABEL}=x`]);
  if (result.code !== 0) return { ok: false, message: result.stderr.trim().split('\n')[0] };
  // `label --local` never asks a server, so it also prints objects without an apiVersion or
  // kind, which kubectl's typed decoding (`set env --local`), `kubectl apply` and every API
  // server refuse: only objects that can exist are compared.
  return { ok: true, objects: concatenatedJson(result.stdout.toString('utf8')).filter(canExist) };
}

/** gate's reading, through the same reader `gate check FILE` uses; the probe label added as kubectl adds it. */
export async function gateReads(file: string): Promise<Reading> {
  try {
    const [input] = await readInputs([file], { cwd: path.dirname(file), readStdin: () => Promise.reject(new Error('no stdin')) });
    const objects = parseManifestStream(input.text, input.name).objects.map((o) => {
      const value = JSON.parse(JSON.stringify(o.value)) as Record<string, Record<string, unknown>>;
      value.metadata = { ...(value.metadata ?? {}), labels: { ...((value.metadata?.labels as object) ?? {}), [PROBE_LABEL]: 'x' } };
      delete value.metadata.managedFields; // kubectl's printer leaves them out
      return value;
    });
    return { ok: true, objects };
  } catch (e) {
    if (e instanceof GateError) return { ok: false, message: e.message };
    throw e; // a crash is a failure of its own, never a refusal
  }
}

export async function compareWithKubectl(file: string): Promise<Comparison> {
  const [kubectl, gate] = await Promise.all([kubectlReads(file), gateReads(file)]);
  let outcome: Outcome;
  if (kubectl.ok && gate.ok) outcome = canonical(kubectl.objects) === canonical(gate.objects) ? 'same' : 'different';
  else if (kubectl.ok) outcome = 'gate-refuses';
  else if (gate.ok) outcome = 'kubectl-refuses';
  else outcome = 'both-refuse';
  return { file, outcome, kubectl, gate };
}

export function describeComparison(c: Comparison): string {
  const show = (r: Reading) => (r.ok ? canonical(r.objects).slice(0, 400) : `refused: ${r.message}`);
  return `${c.file}: ${c.outcome}\n  kubectl: ${show(c.kubectl)}\n  gate:    ${show(c.gate)}`;
}

/** JSON with sorted keys, so that key order never counts. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])) : v,
  );
}

function canExist(object: unknown): boolean {
  const o = object as { apiVersion?: unknown; kind?: unknown };
  return typeof o.apiVersion === 'string' && o.apiVersion !== '' && typeof o.kind === 'string' && o.kind !== '';
}

/** kubectl prints one pretty JSON object per decoded object, one after another. */
function concatenatedJson(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
  }
  return values;
}
