// `gate init --trust-server URL --gun GUN`: scaffolds .gate/ for Docker Content Trust (a
// Portieris `trust` policy) with a root of trust that does not start from zero: it reads the
// GUN's trust data now, verifies it as gate check does, and pins the canonical IDs of the root
// certificates it is signed with (.gate/config.yaml trustPinning). Trust on first use, once,
// by a person who can compare the IDs with the repository owner's (notary key list) — rather
// than on every CI run. The pin entry is printed too, for a config.yaml that exists already.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GateError } from '../errors.js';
import { readBounded } from '../input/bounded-read.js';
import { pathExists } from '../input/files.js';
import { parseManifestStream } from '../manifests/document.js';
import { GATE_DIR } from '../policy/gate-dir.js';
import { canMatchAnImage } from '../policy/lint.js';
import { CONFIG_FILE, parseSettings } from '../policy/settings.js';
import { validatePolicy } from '../policy/validate.js';
import { parseReference } from '../reference/reference.js';
import { SYSTEM_CERTS_DIRS, trustRootsFor } from '../registry/endpoint.js';
import { HttpClient, TransportError } from '../registry/http.js';
import { openNotary } from '../signatures/notary-server.js';
import { loadRepository } from '../verify/notary/repository.js';
import { writeGateFiles } from './init.js';

export interface TrustInitOptions {
  dir: string;
  trustServer: string;
  gun: string;
  /** Portieris patterns; default: the GUN's tags and digests. */
  repositories: string[];
  signerSecrets: string[];
  /** PEM files of CAs for the trust server's TLS (besides .gate/certs.d and the system's). */
  caFiles: string[];
  insecure: string[];
  force: boolean;
  now: Date;
  env: NodeJS.ProcessEnv;
}

export interface TrustInitOutcome {
  written: string[];
  /** The trustPinning entry, as YAML. */
  pin: string;
  rootCertIds: string[];
  next: string[];
}

const SCHEMAS = fileURLToPath(new URL('../../../schemas/', import.meta.url));
const POLICY_FILE = 'policies/content-trust.yaml';

export async function runTrustInit(options: TrustInitOptions): Promise<TrustInitOutcome> {
  const parsed = parseReference(options.gun);
  if (!parsed.ok || parsed.ref.tag !== undefined || parsed.ref.digest !== undefined) throw new GateError('USAGE', `--gun "${options.gun}" is not a repository name (registry/path, no tag or digest), e.g. registry.example.com/team/app`);
  const gun = `${parsed.ref.domain}/${parsed.ref.path}`;
  let url: URL;
  try {
    url = new URL(options.trustServer);
  } catch {
    throw new GateError('USAGE', `--trust-server "${options.trustServer}" is not a URL, e.g. https://notary.example.com`);
  }
  const repositories = options.repositories.length > 0 ? options.repositories : [`${gun}:*`, `${gun}@*`];
  const unmatchable = repositories.find((pattern) => !canMatchAnImage(pattern));
  if (unmatchable !== undefined) throw new GateError('USAGE', `--repository "${unmatchable}" matches no valid image reference`);

  const rootCertIds = await currentRoot(options, url.href.replace(/\/+$/, ''), gun);
  const pin = `trustPinning:\n- gun: ${gun}\n  certIds:              # the root certificates of ${gun} on ${options.now.toISOString().slice(0, 10)}\n${rootCertIds.map((id) => `  - ${id}\n`).join('')}`;
  const files: Record<string, string> = { [POLICY_FILE]: policyText(options, repositories, gun) };
  const gate = path.join(options.dir, GATE_DIR);
  const configExists = await pathExists(path.join(gate, CONFIG_FILE));
  if (!configExists || options.force) files[CONFIG_FILE] = configText(pin);
  for (const schema of ['image-policy.schema.json', 'config.schema.json']) files[`schemas/${schema}`] = await readFile(path.join(SCHEMAS, schema), 'utf8');

  // Read back as gate check reads them.
  for (const object of parseManifestStream(files[POLICY_FILE], POLICY_FILE).objects) validatePolicy(object, 'default');
  if (files[CONFIG_FILE]) parseSettings(files[CONFIG_FILE], path.join(gate, CONFIG_FILE), gate);

  const written = await writeGateFiles(gate, files, options.force, true);
  const next = [
    `compare the pinned root certificate IDs with the repository owner's (notary -s ${options.trustServer} key list, role root): a pin taken from a server you do not trust pins that server's root`,
    ...(configExists && !options.force ? [`${GATE_DIR}/${CONFIG_FILE} exists: add the trustPinning entry below to it`] : []),
    ...(options.signerSecrets.length > 0 ? [`create each signer Secret in the workloads' namespaces: kubectl create secret generic <name> --from-literal=name=<signer> --from-file=publicKey=<signer>.crt (the form the delegation lists: notary delegation list ${gun})`] : []),
  ];
  return { written, pin, rootCertIds, next };
}

/** The canonical IDs of the root certificates the GUN's current, fully verified trust data is signed with. */
async function currentRoot(options: TrustInitOptions, url: string, gun: string): Promise<string[]> {
  const caFiles: string[] = [];
  for (const file of options.caFiles) {
    const read = await readBounded(file, 1024 * 1024);
    if (read.kind !== 'ok') throw new GateError('INPUT_UNREADABLE', `--ca-file ${file}: ${read.kind === 'absent' ? 'no such file' : read.kind === 'too-large' ? 'larger than 1 MiB' : read.message}`, { file });
    caFiles.push(Buffer.from(read.bytes).toString('utf8'));
  }
  const certsDirs = [path.join(options.dir, GATE_DIR, 'certs.d'), ...SYSTEM_CERTS_DIRS];
  const http = new HttpClient({ requestTimeoutMs: 15_000, deadlineMs: Date.now() + 60_000, caFor: (hostPort) => trustRootsFor(hostPort, certsDirs, caFiles, options.env) });
  const insecure = new Set(options.insecure);
  try {
    const access = await openNotary({ http, url, gun, credentials: [], cleartextAllowed: (host) => insecure.has(host) });
    const loaded = await loadRepository(access.fetch, { gun, now: options.now });
    if (!loaded.ok && loaded.failure.kind === 'no-trust-data') throw new GateError('USAGE', `${url} ${loaded.failure.message}: there is no root to pin (check --gun and --trust-server, or publish trust data first)`);
    if (!loaded.ok) throw new GateError('KEY_INVALID', `the trust data of ${gun} at ${url} does not verify, so gate pins no root from it: ${loaded.failure.message}`);
    return loaded.repository.rootCertIds;
  } catch (e) {
    if (e instanceof TransportError) {
      throw new GateError('SOURCE_UNAVAILABLE', `cannot read the trust data of ${gun} at ${url}: ${e.message}${e.kind === 'auth' ? ' — gate init reads anonymously; take the root certificate IDs from notary key list (role root) and write the trustPinning entry by hand' : ''}`);
    }
    throw e;
  } finally {
    await http.close();
  }
}

function policyText(options: TrustInitOptions, repositories: string[], gun: string): string {
  const signers = options.signerSecrets.length > 0 ? `        signerSecrets:              # Secrets in the workload's namespace: data.name (the signer), data.publicKey (PEM)\n${options.signerSecrets.map((s) => `        - name: ${JSON.stringify(s)}\n`).join('')}` : '';
  const entries = repositories.map((pattern) => `  - name: ${JSON.stringify(pattern)}\n    policy:\n      mutateImage: false            # gate checks before the sync; a rewrite to the digest would keep Argo CD OutOfSync\n      trust:\n        enabled: true\n        trustServer: ${JSON.stringify(options.trustServer)}\n${signers}`).join('');
  return `# yaml-language-server: $schema=../schemas/image-policy.schema.json
# Written by gate init. Portieris enforces this file in the cluster (Docker Content Trust,
# Notary v1), and gate predicts its verdict from the same file: the tag must be signed in
# targets/releases or targets of ${gun}, for the digest the registry serves for it now.
apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata:
  name: content-trust
spec:
  repositories:
${entries}`;
}

function configText(pin: string): string {
  return `# yaml-language-server: $schema=schemas/config.schema.json
# gate's own settings. Written by gate init.
# The in-cluster webhook whose verdict gate predicts.
webhook: portieris
# The roots of trust of Notary repositories: gate refuses trust data signed by another root.
${pin}requireDigest: false
exemptions: []
`;
}
