// The `.gate/` folder a repository commits (DESIGN.md §1): found by searching upward
// from the checked path to the repository root, then read whole. Flags may point at
// each part separately.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { GateError, type Warning } from '../errors.js';
import { readOrFail } from '../input/bounded-read.js';
import { ByteBudget, displayName, listFiles, mebibytes, pathExists } from '../input/files.js';
import { parseManifestStream, type ManifestObject } from '../manifests/document.js';
import { addRegistriesFile, emptyRegistriesConfig, type RegistriesConfig } from './registries-d.js';
import { CONFIG_FILE, DEFAULT_SETTINGS, parseSettings, type GateSettings } from './settings.js';
import { isPolicyKind } from './validate.js';
import { isSigstorePolicyObject } from './policy-controller/cip.js';

export const GATE_DIR = '.gate';
const CONFIG_FILE_LIMIT = 4 * 1024 * 1024;
/**
 * Everything gate reads from `.gate/` (config.yaml, policies, key Secrets, registries.d)
 * together: a real one holds a few kilobytes; parsed policies cost memory many times their size.
 */
export const MAX_GATE_DIR_BYTES = 4 * 1024 * 1024;

export interface GateLocations {
  /** The `.gate/` folder, when one was found or given. */
  gateDir?: string;
  policiesDir?: string;
  keysDir?: string;
  registriesDir?: string;
}

export interface GateConfig {
  locations: GateLocations;
  /** ImagePolicy / ClusterImagePolicy objects, not yet validated. */
  policyObjects: ManifestObject[];
  /** policy.sigstore.dev objects: policy-controller's ClusterImagePolicies and TrustRoots. */
  sigstoreObjects: ManifestObject[];
  /** Secret objects kept next to the policies or keys. */
  secretObjects: ManifestObject[];
  registries: RegistriesConfig;
  /** .gate/config.yaml, or the defaults. */
  settings: GateSettings;
  warnings: Warning[];
}

/**
 * The nearest `.gate/` at or above `start`, not looking past the repository root: the
 * folder holding `.git`, or `root` when given (Argo CD sends repositories without .git).
 */
export async function findGateDir(start: string, root?: string): Promise<string | undefined> {
  let dir = (await isDirectory(start)) ? start : path.dirname(start);
  for (;;) {
    const candidate = path.join(dir, GATE_DIR);
    if (await isDirectory(candidate)) return candidate;
    if (dir === root || (await pathExists(path.join(dir, '.git')))) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Explicit folders win over the ones inside `.gate/`. */
export function gateLocations(gateDir: string | undefined, overrides: Omit<GateLocations, 'gateDir'>): GateLocations {
  return {
    gateDir,
    policiesDir: overrides.policiesDir ?? (gateDir && path.join(gateDir, 'policies')),
    keysDir: overrides.keysDir ?? (gateDir && path.join(gateDir, 'keys')),
    registriesDir: overrides.registriesDir ?? (gateDir && path.join(gateDir, 'registries.d')),
  };
}

/** The flag that names each folder, for messages about a folder given explicitly. */
const FLAGS: Record<keyof GateLocations, string> = { gateDir: '--gate-dir', policiesDir: '--policies', keysDir: '--keys', registriesDir: '--registries-d' };

export async function loadGateConfig(locations: GateLocations, explicit: Set<keyof GateLocations>, cwd: string): Promise<GateConfig> {
  const config: GateConfig = { locations, policyObjects: [], sigstoreObjects: [], secretObjects: [], registries: emptyRegistriesConfig(), settings: DEFAULT_SETTINGS, warnings: [] };
  const budget = new ByteBudget(MAX_GATE_DIR_BYTES, 'the files gate reads from .gate/ (config.yaml, policies, keys, registries.d)', 'keep only policies, keys and settings there');
  const folder = async (key: keyof GateLocations): Promise<string | undefined> => {
    const dir = locations[key];
    if (!dir) return undefined;
    if (await isDirectory(dir)) return dir;
    if (explicit.has(key)) {
      throw new GateError('INPUT_UNREADABLE', `${FLAGS[key]}: not a folder gate can read`, { file: displayName(dir, cwd) });
    }
    return undefined;
  };
  const gateDir = await folder('gateDir');
  if (gateDir) {
    const file = path.join(gateDir, CONFIG_FILE);
    if (await pathExists(file)) config.settings = parseSettings(await readText(file, cwd, budget), displayName(file, cwd), path.dirname(file));
    else if (await pathExists(path.join(gateDir, 'config.yml'))) {
      config.warnings.push({ file: displayName(path.join(gateDir, 'config.yml'), cwd), message: `ignored: gate reads its settings from ${CONFIG_FILE}` });
    }
  }

  const policiesDir = await folder('policiesDir');
  if (policiesDir) {
    for (const object of await readObjects(policiesDir, cwd, config.warnings, budget)) {
      const kind = object.value.kind;
      if (isSigstorePolicyObject(object.value)) config.sigstoreObjects.push(object);
      else if (isPolicyKind(kind)) config.policyObjects.push(object);
      else if (kind === 'Secret') config.secretObjects.push(object);
      else throw unexpected(object, 'ImagePolicy, ClusterImagePolicy or Secret', policiesDir, cwd);
    }
  }

  const keysDir = await folder('keysDir');
  if (keysDir) {
    for (const object of await readObjects(keysDir, cwd, config.warnings, budget)) {
      if (object.value.kind !== 'Secret') throw unexpected(object, 'Secret (or armoured *.asc key files)', keysDir, cwd);
      config.secretObjects.push(object);
    }
  }

  const registriesDir = await folder('registriesDir');
  if (registriesDir) {
    for (const file of await listFiles(registriesDir, () => true, ['*/**'], cwd)) {
      const name = displayName(file, cwd);
      if (!file.endsWith('.yaml')) {
        config.warnings.push({ file: name, message: 'ignored: containers-registries.d files end in .yaml' });
        continue;
      }
      addRegistriesFile(config.registries, await readText(file, cwd, budget), name, file);
    }
  }
  return config;
}

const MANIFEST_NAME = /\.(?:yaml|yml|json)$/;

async function readObjects(dir: string, cwd: string, warnings: Warning[], budget: ByteBudget): Promise<ManifestObject[]> {
  const objects: ManifestObject[] = [];
  for (const file of await listFiles(dir, (name) => MANIFEST_NAME.test(name), [], cwd)) {
    const parsed = parseManifestStream(await readText(file, cwd, budget), displayName(file, cwd), { keyLines: 'all' });
    for (const object of parsed.objects) objects.push(object);
    for (const warning of parsed.warnings) warnings.push(warning);
  }
  return objects;
}

/** Reads a configuration file whole (bounded, and counted against `budget` when given), as UTF-8. */
export async function readText(file: string, cwd: string, budget?: ByteBudget): Promise<string> {
  const name = displayName(file, cwd);
  const bytes = await readOrFail(file, CONFIG_FILE_LIMIT, {
    file: name,
    unreadable: (problem) => `cannot read it: ${problem}`,
    tooLarge: { code: 'LIMIT_EXCEEDED', message: `larger than ${mebibytes(CONFIG_FILE_LIMIT)} (the limit for one configuration file)` },
  });
  budget?.spend(bytes.length, name);
  return new TextDecoder().decode(bytes);
}

function unexpected(object: ManifestObject, expected: string, dir: string, cwd: string): GateError {
  return new GateError(
    'INPUT_INVALID',
    `${displayName(dir, cwd)} holds only ${expected}; found kind ${JSON.stringify(object.value.kind ?? null)}`,
    { file: object.file, line: object.line },
  );
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

