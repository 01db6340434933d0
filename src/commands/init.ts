// `gate init`: scaffolds .gate/ — a ClusterImagePolicy requiring signatures by one key
// for the given repositories, that key, a registries.d file saying where signatures are,
// config.yaml, and the JSON Schemas editors use to check the files as they are typed.
// What it writes is read back with the loaders `gate check` uses before anything lands.

import { spawn } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GateError } from '../errors.js';
import { readBounded } from '../input/bounded-read.js';
import { pathExists } from '../input/files.js';
import { parseManifestStream } from '../manifests/document.js';
import { GATE_DIR } from '../policy/gate-dir.js';
import { KEY_SECRET_NAME } from '../policy/keys.js';
import { canMatchAnImage } from '../policy/lint.js';
import { addRegistriesFile, emptyRegistriesConfig } from '../policy/registries-d.js';
import { CONFIG_FILE, parseSettings } from '../policy/settings.js';
import { validatePolicy } from '../policy/validate.js';
import { parseReference, repositoryName } from '../reference/reference.js';
import { parseArmoredPublicKeys } from '../verify/simple-signing/openpgp.js';

export interface InitOptions {
  /** The folder that gets .gate/ (the repository root). */
  dir: string;
  /** An armoured public key file, or a fingerprint gpg exports. */
  keyFile?: string;
  gpgKey?: string;
  keyName: string;
  repositories: string[];
  /** Where signatures are: file:…, file:///…, http(s)://… */
  lookaside?: string;
  force: boolean;
  env: NodeJS.ProcessEnv;
}

export interface InitOutcome {
  written: string[];
  fingerprints: string[];
  /** What the cluster needs besides .gate/, so that Portieris admits what gate allows. */
  next: string[];
}

/** The shipped schemas: <package>/schemas, three folders above dist/src/commands/. */
const SCHEMAS = fileURLToPath(new URL('../../../schemas/', import.meta.url));
const SCHEMA_FILES = ['image-policy.schema.json', 'config.schema.json'];
const POLICY_FILE = 'policies/signed-images.yaml';
const REGISTRIES_FILE = 'registries.d/gate-init.yaml';

export async function runInit(options: InitOptions): Promise<InitOutcome> {
  if (options.repositories.length === 0) {
    throw new GateError('USAGE', 'say which images must be signed: --repository "registry.example.com/team/*" (repeatable)');
  }
  const unmatchable = options.repositories.find((pattern) => !canMatchAnImage(pattern));
  if (unmatchable !== undefined) {
    throw new GateError('USAGE', `--repository "${unmatchable}" matches no valid image reference (no scheme, a lower-case repository path, no spaces); e.g. "registry.example.com/team/*"`);
  }
  if (options.lookaside !== undefined && !/^(https?:\/\/|file:)/.test(options.lookaside)) {
    throw new GateError('USAGE', `--lookaside "${options.lookaside}" must be an https:// or http:// URL, or file:///absolute/path or file:relative/path (relative to .gate/registries.d)`);
  }
  if ((await stat(options.dir).catch(() => undefined))?.isDirectory() === false) {
    throw new GateError('USAGE', `${options.dir} is a file: give the repository's root folder`);
  }
  if (!KEY_SECRET_NAME.test(options.keyName)) {
    throw new GateError('USAGE', `--key-name "${options.keyName}" must be a Kubernetes object name (lower-case letters, digits, "-" and "."): it names .gate/keys/<name>.asc and the keySecret`);
  }
  if ((options.keyFile === undefined) === (options.gpgKey === undefined)) {
    throw new GateError('USAGE', 'give the public key signatures are checked against: --key FILE (armoured) or --gpg-key FINGERPRINT');
  }
  const armored = options.keyFile !== undefined ? await readKeyFile(options.keyFile) : await exportFromGpg(options.gpgKey!, options.env);
  const parsed = await parseArmoredPublicKeys(armored);
  if (!parsed.ok) throw new GateError('KEY_INVALID', `${options.keyFile ?? `gpg key ${options.gpgKey}`}: ${parsed.message}`);

  const gate = path.join(options.dir, GATE_DIR);
  const files: Record<string, string> = {
    [POLICY_FILE]: policyText(options),
    [`keys/${options.keyName}.asc`]: armored.endsWith('\n') ? armored : `${armored}\n`,
    [REGISTRIES_FILE]: registriesText(options),
    [CONFIG_FILE]: CONFIG_TEXT,
  };
  for (const schema of SCHEMA_FILES) files[`schemas/${schema}`] = await readFile(path.join(SCHEMAS, schema), 'utf8');

  // Read back as gate check reads them: a bad pattern or lookaside fails here, not later.
  // What they could refuse comes from --repository and --lookaside: said about those flags.
  try {
    for (const object of parseManifestStream(files[POLICY_FILE], POLICY_FILE).objects) validatePolicy(object, 'default');
    addRegistriesFile(emptyRegistriesConfig(), files[REGISTRIES_FILE], REGISTRIES_FILE, path.join(gate, REGISTRIES_FILE));
  } catch (e) {
    if (!(e instanceof GateError)) throw e;
    throw new GateError('USAGE', `--repository ${options.repositories.map((r) => `"${r}"`).join(' ')}${options.lookaside ? ` --lookaside "${options.lookaside}"` : ''} would make an invalid .gate/: ${e.message}`);
  }
  parseSettings(files[CONFIG_FILE], CONFIG_FILE);

  const written = await writeGateFiles(gate, files, options.force);
  return { written, fingerprints: parsed.trusted.fingerprints, next: nextSteps(options) };
}

/** The key Secret Portieris reads, and where it reads signatures: gate denies until they are so. */
function nextSteps(options: InitOptions): string[] {
  const key = path.join(GATE_DIR, 'keys', `${options.keyName}.asc`);
  const steps = [
    `Portieris reads the key from Secret "${options.keyName}" in each workload's namespace: kubectl create secret generic ${options.keyName} --from-file=key=${key} -n <namespace>; then add it to the manifests, or declare it in ${GATE_DIR}/${CONFIG_FILE} (keySecrets), or run gate check --cluster (until then gate denies KEY_NOT_DEPLOYED)`,
  ];
  if (options.lookaside?.startsWith('file:')) {
    steps.push(
      `Portieris cannot read ${options.lookaside}: it reads a policy's storeURL, else the registry's signature API. Publish the folder on a web server, set simple.storeURL in ${GATE_DIR}/${POLICY_FILE} and declare the folder as its local mirror (signatureStores.mirrors in ${CONFIG_FILE}); until then gate denies SIGNATURES_NOT_PUBLISHED (or opt in with signatureStores.gateOnly when no Portieris enforces these images)`,
    );
  }
  return steps;
}

function policyText(options: InitOptions): string {
  const storeURL = options.lookaside && /^https?:\/\//.test(options.lookaside) ? `        storeURL: ${JSON.stringify(options.lookaside)}   # where Portieris in the cluster reads the signatures\n` : '';
  const repositories = options.repositories.map((pattern) => `  - name: ${JSON.stringify(pattern)}
    policy:
      mutateImage: false   # gate checks before the sync: no tag-to-digest rewriting, no OutOfSync loop
      simple:
${storeURL}        requirements:
        - type: signedBy
          keySecret: ${options.keyName}   # .gate/keys/${options.keyName}.asc
`).join('');
  return `# yaml-language-server: $schema=../schemas/image-policy.schema.json
# Written by gate init. The same file serves gate (PR CI, the Argo CD plugin) and
# Portieris in the cluster: images of these repositories must be signed by the key.
# An image no pattern matches is denied; add patterns (or policies) for every image.
apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata:
  name: signed-images
spec:
  repositories:
${repositories}`;
}

function registriesText(options: InitOptions): string {
  const header = '# Where the signatures of each repository are (containers-registries.d(5)); skopeo and\n# podman read the same format. Written by gate init.\n';
  if (!options.lookaside) {
    return `${header}# Without a lookaside, gate asks the registry for its signature API. For example:\n# docker:\n#   registry.example.com/team:\n#     lookaside: https://sigstore.example.com\ndocker: {}\n`;
  }
  const scopes = [...new Set(options.repositories.map(scopeOf))];
  const value = JSON.stringify(options.lookaside);
  const docker = scopes.filter((s): s is string => s !== undefined).map((scope) => `  ${JSON.stringify(scope)}:\n    lookaside: ${value}\n`).join('');
  // A pattern with no fixed host ("*") is covered by default-docker.
  const fallback = scopes.includes(undefined) ? `default-docker:\n  lookaside: ${value}\n` : '';
  return `${header}${docker ? `docker:\n${docker}` : ''}${fallback}`;
}

/**
 * The registries.d scope a repository pattern covers, named as gate (and containers/image)
 * look scopes up, i.e. normalised: "nginx:1.25" is docker.io/library/nginx, "myorg/*" is
 * docker.io/myorg. A pattern without `*` is one repository; "repo:*" and "repo@*" too;
 * otherwise the whole path components before the first `*`. undefined: no fixed prefix
 * (default-docker covers it).
 */
export function scopeOf(pattern: string): string | undefined {
  const star = pattern.indexOf('*');
  if (star < 0) return repositoryOf(pattern);
  const before = pattern.slice(0, star);
  const repository = before.slice(0, -1);
  // Every tag or digest of one repository, unless the ":" is a port ("host:*/…").
  if (/[:@]$/.test(before) && (repository.includes('/') || !pattern.includes('/'))) return repositoryOf(repository);
  const whole = before.slice(0, Math.max(before.lastIndexOf('/'), 0));
  if (whole === '') return undefined;
  // Two more components keep the normaliser from inserting "library/" for Docker Hub.
  const probe = '/gate-scope-probe/x';
  const parsed = parseReference(`${whole}${probe}`);
  return parsed.ok ? repositoryName(parsed.ref).slice(0, -probe.length) : undefined;
}

function repositoryOf(text: string): string | undefined {
  const parsed = parseReference(text);
  return parsed.ok ? repositoryName(parsed.ref) : undefined;
}

const CONFIG_TEXT = `# yaml-language-server: $schema=schemas/config.schema.json
# gate's own settings (every one also has a flag). Written by gate init.

# true: deny images referenced by tag (NOT_PINNED); gate pin writes the verified digests.
requireDigest: false

# The in-cluster webhook whose verdict gate predicts: portieris, or none (no webhook).
webhook: portieris

# Key Secrets the cluster holds, deployed outside the checked manifests (Portieris reads
# Secret <keySecret> from the workload's namespace). E.g.:
# - name: release
#   namespaces: [shop]             # absent: every namespace
keySecrets: []

# Local copies of a policy's storeURL (read in its place, offline), and registries.d scopes
# whose lookaside counts although Portieris cannot read it. E.g.:
# mirrors:
# - storeURL: https://signatures.example.com/sigstore
#   path: sigstore                 # relative to .gate/
# gateOnly:
# - scope: registry.example.com/legacy
#   reason: "no Portieris enforces these; the nodes check policy.json"
signatureStores: {mirrors: [], gateOnly: []}

# Images allowed without verification until a date; every report lists them. E.g.:
# - image: "registry.example.com/vendor/*"
#   namespace: vendor              # optional: every namespace when absent
#   reason: "unsigned vendor image (TICKET-123)"
#   owner: platform@example.com
#   expires: 2027-01-31            # the last day it holds (UTC)
exemptions: []
`;

async function readKeyFile(file: string): Promise<string> {
  const read = await readBounded(file, 1024 * 1024);
  if (read.kind === 'ok') return new TextDecoder().decode(read.bytes);
  throw new GateError('INPUT_UNREADABLE', `--key: ${read.kind === 'absent' ? 'no such file' : read.kind === 'too-large' ? 'larger than 1 MiB' : read.message}`, { file });
}

/** `gpg --armor --export FINGERPRINT`, run as argv: the fingerprint never reaches a shell. */
function exportFromGpg(fingerprint: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (!/^(0x)?[0-9A-Fa-f]{16,40}$/.test(fingerprint)) {
    return Promise.reject(new GateError('USAGE', `--gpg-key "${fingerprint}" is not a key ID or fingerprint (16 or 40 hexadecimal digits); gpg --list-keys --with-colons shows them`));
  }
  return new Promise((resolve, reject) => {
    const child = spawn('gpg', ['--batch', '--armor', '--export', fingerprint], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(new GateError('USAGE', `--gpg-key: cannot run gpg (${e.message}); export the key yourself and pass --key FILE`)));
    child.on('close', (code) => {
      const text = Buffer.concat(out).toString('utf8');
      if (code !== 0 || text.trim() === '') {
        reject(new GateError('KEY_MISSING', `gpg has no public key ${fingerprint}${err.length > 0 ? `: ${Buffer.concat(err).toString('utf8').trim()}` : ''} (gpg --list-keys shows what it has; GNUPGHOME selects the keyring)`));
      } else resolve(text);
    });
  });
}

/**
 * Writes files under .gate/ (paths relative to it), refusing to overwrite any unless `force`
 * (the JSON Schemas excepted when `schemasShared`: every format's init writes the same ones).
 * Returns the paths written, relative to the repository.
 */
export async function writeGateFiles(gate: string, files: Record<string, string>, force: boolean, schemasShared = false): Promise<string[]> {
  if (!force) {
    const existing = [];
    for (const relative of Object.keys(files)) {
      if (schemasShared && relative.startsWith('schemas/')) continue;
      if (await pathExists(path.join(gate, relative))) existing.push(path.join(GATE_DIR, relative));
    }
    if (existing.length > 0) throw new GateError('USAGE', `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; gate init does not overwrite files unless --force`);
  }
  const written: string[] = [];
  for (const [relative, text] of Object.entries(files)) {
    const file = path.join(gate, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    written.push(path.join(GATE_DIR, relative));
  }
  return written;
}
