// `gate init --cosign-key cosign.pub` and `gate init --keyless-issuer … --keyless-subject …`:
// scaffolds .gate/ for cosign signatures. Under `--webhook policy-controller` (the
// default) the policy is a ClusterImagePolicy of policy.sigstore.dev, the very file
// policy-controller enforces in the cluster; under `--webhook none` it is gate's
// sigstoreSigned requirement. Trust is committed, never fetched: a keyless policy needs
// the trusted_root.json the user supplies (`--trusted-root`, e.g. the public-good one,
// exported with cosign trusted-root create or taken from sigstore's TUF repository).

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GateError } from '../errors.js';
import { readBounded } from '../input/bounded-read.js';
import { parseManifestStream } from '../manifests/document.js';
import { GATE_DIR } from '../policy/gate-dir.js';
import { canMatchAnImage } from '../policy/lint.js';
import { DEFAULT_TRUSTED_ROOT, readSigstorePolicies } from '../policy/policy-controller/cip.js';
import { CONFIG_FILE, parseSettings } from '../policy/settings.js';
import { validatePolicy } from '../policy/validate.js';
import { buildTrust } from '../verify/sigstore/trust.js';
import { writeGateFiles } from './init.js';

export interface CosignInitOptions {
  dir: string;
  /** A PEM public key (cosign.pub): a key-based policy. */
  cosignKey?: string;
  /** Keyless: the OIDC issuer and the certificate's subject (an e-mail or a URI, such as a CI workflow's). */
  keylessIssuer?: string;
  keylessSubject?: string;
  trustedRoot?: string;
  repositories: string[];
  webhook: 'policy-controller' | 'none';
  force: boolean;
}

export interface CosignInitOutcome {
  written: string[];
  /** What the key or identity is, for the summary line. */
  trusted: string;
  next: string[];
}

const SCHEMAS = fileURLToPath(new URL('../../../schemas/', import.meta.url));
const POLICY_FILE = 'policies/cosign-signed.yaml';
const KEY_FILE = 'keys/cosign.pub';

export async function runCosignInit(options: CosignInitOptions): Promise<CosignInitOutcome> {
  const keyless = options.keylessIssuer !== undefined || options.keylessSubject !== undefined;
  if (keyless === (options.cosignKey !== undefined)) throw new GateError('USAGE', 'say how images are signed: --cosign-key cosign.pub (a key pair), or --keyless-issuer URL --keyless-subject IDENTITY (Fulcio certificates)');
  if (keyless && (!options.keylessIssuer || !options.keylessSubject)) throw new GateError('USAGE', 'a keyless policy needs both --keyless-issuer (e.g. https://token.actions.githubusercontent.com) and --keyless-subject (an e-mail, or a workflow URI such as https://github.com/<org>/<repo>/.github/workflows/<file>@refs/heads/main)');
  if (keyless && !options.trustedRoot) throw new GateError('USAGE', 'a keyless policy needs the Fulcio CAs and Rekor keys to trust: --trusted-root trusted_root.json (gate never fetches trust at run time; cosign trusted-root create, or the public-good root from sigstore\'s TUF repository)');
  if (options.repositories.length === 0) throw new GateError('USAGE', 'say which images must be signed: --repository "registry.example.com/team/*" (repeatable)');
  const unmatchable = options.repositories.find((pattern) => !canMatchAnImage(pattern));
  if (unmatchable !== undefined) throw new GateError('USAGE', `--repository "${unmatchable}" matches no valid image reference; e.g. "registry.example.com/team/*"`);

  const files: Record<string, string> = {};
  let trusted: string;
  if (options.cosignKey) {
    const pem = await readText(options.cosignKey, '--cosign-key');
    const checked = buildTrust([
      { role: 'settings', source: 'settings', bytes: Buffer.from(JSON.stringify({ keyless: false, insecureIgnoreTlog: true })).toString('base64') },
      { role: 'key', source: options.cosignKey, bytes: Buffer.from(pem).toString('base64') },
    ]);
    if (!checked.ok) throw new GateError('KEY_INVALID', checked.message);
    files[KEY_FILE] = pem.endsWith('\n') ? pem : `${pem}\n`;
    trusted = checked.ids.join(', ');
  } else trusted = `${options.keylessSubject} (issuer ${options.keylessIssuer})`;
  if (options.trustedRoot) {
    const root = await readText(options.trustedRoot, '--trusted-root');
    const checked = buildTrust([
      { role: 'settings', source: 'settings', bytes: Buffer.from(JSON.stringify({ keyless, insecureIgnoreTlog: !keyless })).toString('base64') },
      { role: 'trustedRoot', source: options.trustedRoot, bytes: Buffer.from(root).toString('base64') },
      ...(files[KEY_FILE] ? [{ role: 'key' as const, source: KEY_FILE, bytes: Buffer.from(files[KEY_FILE]).toString('base64') }] : []),
    ]);
    if (!checked.ok) throw new GateError('KEY_INVALID', `--trusted-root ${options.trustedRoot}: ${checked.message}`);
    files[DEFAULT_TRUSTED_ROOT] = root.endsWith('\n') ? root : `${root}\n`;
  }
  const pem = files[KEY_FILE];
  files[POLICY_FILE] = options.webhook === 'policy-controller' ? cipText(options, pem) : sigstoreSignedText(options, keyless);
  files[CONFIG_FILE] = configText(options.webhook);
  for (const schema of ['image-policy.schema.json', 'config.schema.json']) files[`schemas/${schema}`] = await readFile(path.join(SCHEMAS, schema), 'utf8');

  // Read back as gate check reads them.
  const objects = parseManifestStream(files[POLICY_FILE], POLICY_FILE).objects;
  if (options.webhook === 'policy-controller') readSigstorePolicies(objects);
  else for (const object of objects) validatePolicy(object, 'default');
  parseSettings(files[CONFIG_FILE], CONFIG_FILE);

  const gate = path.join(options.dir, GATE_DIR);
  const written = await writeGateFiles(gate, files, options.force);
  return { written, trusted, next: nextSteps(options, keyless) };
}

/** A Portieris pattern as a policy-controller glob: Portieris' `*` also spans `/`, a glob's `**` does. */
export function globOf(pattern: string): string {
  return pattern.replace(/\*+/g, '**');
}

function cipText(options: CosignInitOptions, pem: string | undefined): string {
  const images = options.repositories.map((p) => `  - glob: ${JSON.stringify(globOf(p))}\n`).join('');
  const tlog = options.trustedRoot ? `    ctlog:                         # the Rekor entry is required and checked with ${DEFAULT_TRUSTED_ROOT}\n      url: https://rekor.sigstore.dev\n` : '';
  const authority = pem
    ? `  - name: release-key\n    key:\n      data: |\n${pem.trim().replace(/^/gm, '        ')}\n${tlog}`
    : `  - name: ci\n    keyless:\n      url: https://fulcio.sigstore.dev\n      identities:                  # exact values; issuerRegExp/subjectRegExp are unanchored unless written ^…$\n      - issuer: ${JSON.stringify(options.keylessIssuer)}\n        subject: ${JSON.stringify(options.keylessSubject)}\n    ctlog:\n      url: https://rekor.sigstore.dev\n`;
  return `# Written by gate init. sigstore policy-controller enforces this file in the cluster, and gate
# (PR CI, the Argo CD plugin) predicts its verdict from the same file, offline: trust comes from
# ${GATE_DIR}/${DEFAULT_TRUSTED_ROOT}${pem ? ' and the key below' : ''}, never from the network.
# policy-controller verifies only legacy .sig signatures today: sign with
#   cosign sign --new-bundle-format=false --use-signing-config=false ...
apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: cosign-signed
spec:
  images:
${images}  authorities:
${authority}`;
}

function sigstoreSignedText(options: CosignInitOptions, keyless: boolean): string {
  const requirement = keyless
    ? `        - type: sigstoreSigned\n          fulcio:\n            oidcIssuer: ${JSON.stringify(options.keylessIssuer)}\n            ${options.keylessSubject!.includes('@') && !options.keylessSubject!.includes('://') ? 'subjectEmail' : 'subjectURI'}: ${JSON.stringify(options.keylessSubject)}\n          trustedRootPath: ${DEFAULT_TRUSTED_ROOT}\n`
    : `        - type: sigstoreSigned\n          keyPath: ${KEY_FILE}\n${options.trustedRoot ? `          trustedRootPath: ${DEFAULT_TRUSTED_ROOT}\n` : '          insecureIgnoreTlog: true        # no trusted root given: the Rekor entry is not checked\n'}`;
  const repositories = options.repositories.map((pattern) => `  - name: ${JSON.stringify(pattern)}\n    policy:\n      simple:\n        requirements:\n${requirement}`).join('');
  return `# yaml-language-server: $schema=../schemas/image-policy.schema.json
# Written by gate init. gate's sigstoreSigned requirement (containers-policy.json's names):
# Portieris cannot enforce it, so ${CONFIG_FILE} says webhook: none. Legacy .sig signatures and
# cosign 3 bundles both count; trust comes from ${GATE_DIR}/, never from the network.
apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata:
  name: cosign-signed
spec:
  repositories:
${repositories}`;
}

function configText(webhook: CosignInitOptions['webhook']): string {
  return `# yaml-language-server: $schema=schemas/config.schema.json
# gate's own settings. Written by gate init.
# The in-cluster webhook whose verdict gate predicts: policy-controller, or none (gate alone).
webhook: ${webhook}
# Where the cosign signatures of a registry scope are, when not beside the image. E.g.:
# signatureStores:
#   cosign:
#   - scope: registry.example.com/team
#     layout: cosign                 # OCI layout folders (cosign save --dir), for offline runs
requireDigest: false
exemptions: []
`;
}

function nextSteps(options: CosignInitOptions, keyless: boolean): string[] {
  const steps: string[] = [];
  if (options.webhook === 'policy-controller') {
    steps.push(`apply ${GATE_DIR}/${POLICY_FILE} in the cluster (kubectl apply -f), and label each namespace to check: kubectl label namespace <ns> policy.sigstore.dev/include=true (policy-controller ignores other namespaces; gate checks them all)`);
    steps.push('sign with cosign sign --new-bundle-format=false: policy-controller cannot verify cosign 3 bundles yet (sigstore/policy-controller#1968), and gate denies a bundle-only image as the webhook would');
  }
  if (!keyless && !options.trustedRoot) steps.push(`the transparency log is not checked: pass --trusted-root with the trusted_root.json of the Rekor instance you sign with to require and check the Rekor entry`);
  return steps;
}

async function readText(file: string, flag: string): Promise<string> {
  const read = await readBounded(file, 4 * 1024 * 1024);
  if (read.kind === 'ok') return new TextDecoder().decode(read.bytes);
  throw new GateError('INPUT_UNREADABLE', `${flag}: ${read.kind === 'absent' ? 'no such file' : read.kind === 'too-large' ? 'larger than 4 MiB' : read.message}`, { file });
}
