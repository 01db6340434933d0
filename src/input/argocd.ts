// What Argo CD's cmp-server hands a plugin's `generate` command (reference/argocd-cmp.md
// §2-§3): the ARGOCD_* build environment, plugin env entries as ARGOCD_ENV_<name>, and
// the Application's plugin parameters as ARGOCD_APP_PARAMETERS (JSON). gate's own
// settings come from the parameters it announces in plugin/plugin.yaml, or from env
// entries named GATE_<PARAMETER> (a parameter wins).

import { GateError } from '../errors.js';

export type ParameterValue = { string: string } | { array: string[] } | { map: Record<string, string> };

export interface ArgoApp {
  /** The Helm release name: ARGOCD_APP_NAME without the `<app namespace>_` prefix. */
  name?: string;
  /** The destination namespace (ARGOCD_APP_NAMESPACE). */
  namespace?: string;
  /** The source path of the app inside the repository (ARGOCD_APP_SOURCE_PATH). */
  sourcePath?: string;
  kubeVersion?: string;
  apiVersions: string[];
  parameters: Map<string, ParameterValue>;
}

/** The parameters gate announces; anything else is a typo that must not pass unnoticed. */
export const PARAMETERS = ['mode', 'render', 'values-files', 'set', 'recurse', 'allow-empty', 'timeout', 'webhook'] as const;
export type ParameterName = (typeof PARAMETERS)[number];

export function readArgoApp(env: NodeJS.ProcessEnv): ArgoApp {
  const appName = nonEmpty(env.ARGOCD_APP_NAME);
  const parameters = new Map<string, ParameterValue>();
  // Plugin env entries first, so that parameters override them.
  for (const [key, value] of Object.entries(env)) {
    const match = /^ARGOCD_ENV_GATE_([A-Z0-9_]+)$/.exec(key);
    if (!match || value === undefined) continue;
    const name = match[1].toLowerCase().replace(/_/g, '-');
    if (!(PARAMETERS as readonly string[]).includes(name)) {
      throw new GateError('USAGE', `plugin env ${key.slice('ARGOCD_ENV_'.length)} names no gate parameter; known: ${PARAMETERS.map((p) => `GATE_${p.toUpperCase().replace(/-/g, '_')}`).join(', ')}`);
    }
    parameters.set(name, name === 'values-files' ? { array: value.split(',').map((v) => v.trim()).filter(Boolean) } : { string: value });
  }
  for (const [name, value] of parseParameters(env.ARGOCD_APP_PARAMETERS)) parameters.set(name, value);
  return {
    // App names are DNS labels, so the first "_" can only end the `<namespace>_` prefix.
    name: appName?.includes('_') ? appName.slice(appName.indexOf('_') + 1) : appName,
    namespace: nonEmpty(env.ARGOCD_APP_NAMESPACE),
    sourcePath: nonEmpty(env.ARGOCD_APP_SOURCE_PATH),
    kubeVersion: nonEmpty(env.KUBE_VERSION),
    apiVersions: (env.KUBE_API_VERSIONS ?? '').split(',').map((v) => v.trim()).filter(Boolean),
    parameters,
  };
}

function parseParameters(raw: string | undefined): Array<[string, ParameterValue]> {
  if (raw === undefined || raw.trim() === '') return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new GateError('USAGE', 'ARGOCD_APP_PARAMETERS is not JSON');
  }
  if (!Array.isArray(list)) throw new GateError('USAGE', 'ARGOCD_APP_PARAMETERS is not a JSON list');
  return list.map((entry: Record<string, unknown>) => {
    const name = entry?.name;
    if (typeof name !== 'string' || !(PARAMETERS as readonly string[]).includes(name)) {
      throw new GateError('USAGE', `unknown plugin parameter ${JSON.stringify(name)}; gate's parameters are ${PARAMETERS.join(', ')}`);
    }
    if (typeof entry.string === 'string') return [name, { string: entry.string }];
    if (Array.isArray(entry.array) && entry.array.every((v) => typeof v === 'string')) return [name, { array: entry.array as string[] }];
    if (typeof entry.map === 'object' && entry.map !== null && Object.values(entry.map).every((v) => typeof v === 'string')) {
      return [name, { map: entry.map as Record<string, string> }];
    }
    throw new GateError('USAGE', `plugin parameter ${name} has no string, array or map value`);
  });
}

export function stringParameter(app: ArgoApp, name: ParameterName): string | undefined {
  const value = app.parameters.get(name);
  if (value === undefined) return undefined;
  if ('string' in value) return value.string;
  throw new GateError('USAGE', `plugin parameter ${name} takes a string`);
}

export function booleanParameter(app: ArgoApp, name: ParameterName): boolean {
  const value = stringParameter(app, name);
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new GateError('USAGE', `plugin parameter ${name} is "true" or "false", not ${JSON.stringify(value)}`);
}

export function arrayParameter(app: ArgoApp, name: ParameterName): string[] {
  const value = app.parameters.get(name);
  if (value === undefined) return [];
  if ('array' in value) return value.array;
  if ('string' in value) return value.string === '' ? [] : [value.string];
  throw new GateError('USAGE', `plugin parameter ${name} takes a list`);
}

export function mapParameter(app: ArgoApp, name: ParameterName): Array<[string, string]> {
  const value = app.parameters.get(name);
  if (value === undefined) return [];
  if ('map' in value) return Object.entries(value.map);
  throw new GateError('USAGE', `plugin parameter ${name} takes a map`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
