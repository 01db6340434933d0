// Where a requirement's key comes from. Portieris reads the Secret `keySecret` (data.key)
// from the workload's namespace, or from keySecretNamespace. gate looks, in this order
// (KEY_PRECEDENCE), at:
//   1. a Secret named <keySecret> kept in .gate/ for exactly that namespace
//   2. .gate/keys/<keySecret>.<extension> (the kind says which: .asc for OpenPGP)
//   3. a Secret named <keySecret> kept in .gate/ without a namespace (serves every namespace)
//   4. a Secret named <keySecret> in the checked manifests, landing in that namespace
//   5. with --cluster, the Secret in the cluster, which is what Portieris reads
// The first three are the gate configuration a team reviews; the fourth is what the
// in-cluster webhook will see, so it is returned beside the one used for comparison.
// Keys come back as raw bytes: each requirement kind reads them in its own format.
//
// Each key also comes back with its placement: whether the webhook will find it where
// it reads it (the engine's key-secret rule denies when not). Deployed means: a Secret in
// the checked manifests landing in that namespace; a Secret kept in .gate/ for exactly
// that namespace (the object the team applies); with --cluster, the cluster's Secret (it
// alone decides then); or a keySecrets entry in .gate/config.yaml. A key only in
// .gate/keys/ (or in a .gate/ Secret without a namespace) is not.

import { createHash } from 'node:crypto';
import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { GateError } from '../errors.js';
import { readBounded } from '../input/bounded-read.js';
import { displayName } from '../input/files.js';
import type { ManifestObject } from '../manifests/document.js';
import { findSecret, secretValue, secretValues } from '../manifests/secrets.js';
import { editDistance, type Origin } from '../manifests/strict.js';
import { valueAt } from '../manifests/document.js';
import { once } from '../memo.js';
import type { SecretReader } from '../cluster/secrets.js';
import type { KeyMaterial, KeyNeed } from '../verify/kind.types.js';
import type { DeployedKeySecret } from './settings.js';

/** Who asks for the key, so a missing one can be reported against the policy. */
export interface KeyRequest extends KeyNeed {
  policy: string;
  origin: Origin;
}

export interface FoundKey {
  material: KeyMaterial;
  /** The Secret in the manifests (or the cluster) the webhook would read, when another source was used. */
  deployed?: KeyMaterial;
  placement: KeyPlacement;
}

/** Whether Portieris will find the key where it reads it, and what says so. */
export type KeyPlacement =
  | { deployed: true; evidence: string }
  | {
      deployed: false;
      /** Where gate found it, for messages. */
      kept: string;
      /** The key file, when it came from .gate/keys/: what `kubectl create secret --from-file` takes. */
      file?: string;
      /** With --cluster: the cluster was asked and has no such Secret. */
      clusterAsked: boolean;
    };

const KEY_FILE_LIMIT = 1024 * 1024;
/** A keySecret that can be a file name .gate/keys/<keySecret>.<extension> (a Kubernetes object name). */
export const KEY_SECRET_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The order of the sources, as data: the first that has the key wins. */
export const KEY_PRECEDENCE = ['gate-secret-for-namespace', 'key-file', 'gate-secret-any-namespace', 'manifest-secret', 'cluster'] as const;
type KeySourceName = (typeof KEY_PRECEDENCE)[number];

export class KeyStore {
  private readonly found = new Map<string, Promise<FoundKey>>();

  constructor(
    private readonly keysDir: string | undefined,
    private readonly gateSecrets: ManifestObject[],
    private readonly inputSecrets: ManifestObject[],
    private readonly defaultNamespace: string,
    private readonly cwd: string,
    private readonly cluster?: SecretReader,
    private readonly declared: readonly DeployedKeySecret[] = [],
    /** .gate/ itself: trust files of gate-only kinds are paths under it (absent: the keys folder's parent). */
    private readonly gateDir: string | undefined = keysDir ? path.dirname(keysDir) : undefined,
  ) {}

  resolve(request: KeyRequest): Promise<FoundKey> {
    return once(this.found, `${request.namespace}/${request.secret}/${request.extension}/${request.namespaceFromPolicy === true}`, () => this.load(request));
  }

  private async load(request: KeyRequest): Promise<FoundKey> {
    if (request.files) return this.filesMaterial(request, request.files);
    const deployed = this.secretMaterial(findSecret(this.inputSecrets, request.secret, request.namespace, 'lands-in', this.defaultNamespace), request);
    for (const source of KEY_PRECEDENCE) {
      const material = await this.from(source, request, deployed);
      if (!material) continue;
      if (deployed) return { material, ...(material !== deployed ? { deployed } : {}), placement: { deployed: true, evidence: deployed.source } };
      if (source === 'cluster' || source === 'gate-secret-for-namespace') return { material, placement: { deployed: true, evidence: source === 'cluster' ? inTheCluster(request) : material.source } };
      return { material, ...(await this.placementOf(request, material)) };
    }
    const file = this.keysDir ? `${displayName(path.join(this.keysDir, `${request.secret}.${request.extension}`), this.cwd)}, ` : '';
    throw new GateError(
      'KEY_MISSING',
      `${request.policy} needs keySecret "${request.secret}", but there is ${file ? `no ${file}and ` : ''}no Secret "${request.secret}" in ${this.keysDir ? '.gate/ or ' : ''}the checked manifests${this.cluster ? ' or the cluster' : ''} (${namespaceOf(request)})${this.elsewhere(request)}${await this.nearMisses(request)}`,
      request.origin,
    );
  }

  private async from(source: KeySourceName, request: KeyRequest, deployed: KeyMaterial | undefined): Promise<KeyMaterial | undefined> {
    switch (source) {
      case 'gate-secret-for-namespace':
        return this.secretMaterial(findSecret(this.gateSecrets, request.secret, request.namespace, 'exact', this.defaultNamespace), request);
      case 'key-file':
        return this.fileMaterial(request);
      case 'gate-secret-any-namespace':
        return this.secretMaterial(findSecret(this.gateSecrets, request.secret, request.namespace, 'unscoped', this.defaultNamespace), request);
      case 'manifest-secret':
        return deployed;
      case 'cluster':
        return this.clusterMaterial(request);
    }
  }

  /**
   * A key gate found only in its own configuration: with --cluster the cluster's Secret
   * decides (and is compared with it), else a keySecrets declaration in config.yaml.
   */
  private async placementOf(request: KeyRequest, material: KeyMaterial): Promise<Omit<FoundKey, 'material'>> {
    if (this.cluster) {
      const inCluster = await this.clusterMaterial(request);
      if (inCluster) return { deployed: inCluster, placement: { deployed: true, evidence: inTheCluster(request) } };
      return { placement: { deployed: false, kept: material.source, ...fileOf(material), clusterAsked: true } };
    }
    const declaration = this.declared.find((d) => d.name === request.secret && (d.namespaces === null || d.namespaces.includes(request.namespace)));
    if (declaration) return { placement: { deployed: true, evidence: `declared deployed at ${declaration.origin.file}:${declaration.origin.line}` } };
    return { placement: { deployed: false, kept: material.source, ...fileOf(material), clusterAsked: false } };
  }

  /** With --cluster, the Secret Portieris itself would read. */
  private async clusterMaterial(request: KeyRequest): Promise<KeyMaterial | undefined> {
    let secret;
    try {
      secret = await this.cluster?.get(request.namespace, request.secret);
    } catch (e) {
      throw new GateError('SOURCE_UNAVAILABLE', `${request.policy} needs keySecret "${request.secret}": ${(e as Error).message}`, request.origin);
    }
    if (!secret) return undefined;
    const key = secret.data.key;
    if (!key) {
      throw new GateError('KEY_INVALID', `secret "${request.secret}" in "${request.namespace}" does not contain a "key" attribute, needed by ${request.policy}`, request.origin);
    }
    return material(key, secret.source, request.origin);
  }

  /**
   * A Secret of that very name in other namespaces: Portieris reads only the one namespace,
   * so the fix is to deploy it there, or to name its namespace with keySecretNamespace.
   */
  private elsewhere(request: KeyRequest): string {
    const found = [...this.gateSecrets, ...this.inputSecrets].filter((s) => valueAt(s.value, ['metadata', 'name']) === request.secret && landsIn(s, this.defaultNamespace) !== request.namespace);
    if (found.length === 0) return '';
    const namespaces = found.map((s) => landsIn(s, this.defaultNamespace));
    const where = found.map((s, i) => `"${namespaces[i]}" (${s.file}:${s.line})`).join(', ');
    const fix = request.namespaceFromPolicy ? `move it there, or change keySecretNamespace to "${namespaces[0]}"` : `deploy it there too, or set keySecretNamespace: ${namespaces[0]} in the policy`;
    return `; Secret "${request.secret}" is only in namespace ${where}, but Portieris reads it from ${namespaceOf(request)}: ${fix}`;
  }

  /**
   * A Portieris signerSecret: the Secret <secret> of the workload's namespace, with data
   * `name` (the signer) and `publicKey` (PEM). Looked for as a keySecret is, bar the key
   * file: a Secret in .gate/ for that namespace, one in .gate/ without a namespace, the one
   * in the checked manifests landing there, and with --cluster the cluster's.
   */
  async signerSecret(request: { secret: string; namespace: string; policy: string; origin: Origin }): Promise<{ name: string; publicKey: string; source: string; deployed: boolean; clusterAsked: boolean }> {
    const what = `${request.policy} names signerSecret "${request.secret}"`;
    const inManifests = findSecret(this.inputSecrets, request.secret, request.namespace, 'lands-in', this.defaultNamespace);
    const forNamespace = findSecret(this.gateSecrets, request.secret, request.namespace, 'exact', this.defaultNamespace);
    const kept = forNamespace ?? findSecret(this.gateSecrets, request.secret, request.namespace, 'unscoped', this.defaultNamespace) ?? inManifests;
    // Whether Portieris will find it: in the manifests, kept in .gate/ for that namespace, in the cluster, or declared.
    const declared = this.declared.some((d) => d.name === request.secret && (d.namespaces === null || d.namespaces.includes(request.namespace)));
    const readCluster = async () => {
      try {
        return await this.cluster?.get(request.namespace, request.secret);
      } catch (e) {
        throw new GateError('SOURCE_UNAVAILABLE', `${what}: ${(e as Error).message}`, request.origin);
      }
    };
    if (kept) {
      const { values, invalid } = secretValues(kept);
      const where = `Secret ${request.secret} at ${kept.file}:${kept.line}`;
      if (invalid.length > 0) throw new GateError('KEY_INVALID', `${what}: ${invalid.join(', ')} of ${where} is not base64`, { file: kept.file, line: kept.line });
      const fields = signerFields(values, `${what}: ${where}`, { file: kept.file, line: kept.line });
      const deployed = inManifests !== undefined || forNamespace !== undefined || declared || (this.cluster !== undefined && (await readCluster()) !== undefined);
      return { ...fields, source: where, deployed, clusterAsked: this.cluster !== undefined };
    }
    const found = await readCluster();
    if (found) return { ...signerFields(found.data, `${what}: Secret ${request.secret} in the cluster`, request.origin), source: found.source, deployed: true, clusterAsked: true };
    throw new GateError(
      'KEY_MISSING',
      `${what}, but there is no Secret "${request.secret}" in ${this.keysDir ? '.gate/ or ' : ''}the checked manifests${this.cluster ? ' or the cluster' : ''} (namespace "${request.namespace}"): Portieris reads it from the workload's namespace${this.elsewhere({ ...request, extension: 'pub', howToExport: '' })}`,
      request.origin,
    );
  }

  /** Files and Secrets with a similar name, to turn "not found" into "did you mean". */
  private async nearMisses(request: KeyRequest): Promise<string> {
    const wanted = `${request.secret}.${request.extension}`;
    const files = this.keysDir ? await readdir(this.keysDir).catch(() => [] as string[]) : [];
    const sameName = files.filter((f) => f.startsWith(`${request.secret}.`) && f !== wanted);
    if (sameName.length > 0) return `; found ${sameName.join(', ')}: ${request.howToExport}`;
    const names = [
      ...files.filter((f) => f.endsWith(`.${request.extension}`)).map((f) => f.slice(0, -(request.extension.length + 1))),
      ...[...this.gateSecrets, ...this.inputSecrets].map((s) => valueAt(s.value, ['metadata', 'name'])).filter((n): n is string => typeof n === 'string'),
    ];
    const close = names.find((n) => n !== request.secret && editDistance(n, request.secret) <= 2);
    return close ? `; did you mean "${close}"?` : '';
  }

  /**
   * Trust that is files under .gate/ and bytes written in the policy (verify/kind.types.ts
   * TrustFile), as one JSON document. A path must stay inside .gate/ once links are
   * resolved: repository content is untrusted, and a policy may not read other files.
   */
  private async filesMaterial(request: KeyRequest, files: NonNullable<KeyRequest['files']>): Promise<FoundKey> {
    const gateDir = this.gateDir;
    if (!gateDir) throw new GateError('KEY_MISSING', `${request.policy} reads trust material from .gate/, but there is no .gate/ folder`, request.origin);
    const read: Array<{ role: string; source: string; bytes: string }> = [];
    for (const file of files) {
      if (file.data !== undefined) {
        read.push({ role: file.role, source: `${file.field ?? 'data'} of ${request.policy}`, bytes: file.data });
        continue;
      }
      if (file.secret) {
        const found = await this.singleEntrySecret(file.secret, request);
        read.push({ role: file.role, source: found.source, bytes: Buffer.from(found.bytes).toString('base64') });
        continue;
      }
      const full = path.resolve(gateDir, file.path ?? '');
      const name = displayName(full, this.cwd);
      let real: string;
      try {
        real = await realpath(full);
      } catch {
        throw new GateError('KEY_MISSING', `${request.policy} needs ${name}, which does not exist`, request.origin);
      }
      const root = await realpath(gateDir);
      if (!real.startsWith(root + path.sep)) throw new GateError('KEY_INVALID', `${request.policy} names ${name}, which leads outside .gate/ (a link?): trust material must be committed under .gate/`, request.origin);
      const bytes = await readBounded(real, KEY_FILE_LIMIT);
      if (bytes.kind !== 'ok') {
        const why = bytes.kind === 'too-large' ? `larger than ${KEY_FILE_LIMIT} bytes` : bytes.kind === 'absent' ? 'it does not exist' : bytes.message;
        throw new GateError('KEY_INVALID', `cannot read ${name} for ${request.policy}: ${why}`, { file: name });
      }
      read.push({ role: file.role, source: name, bytes: Buffer.from(bytes.bytes).toString('base64') });
    }
    const sources = read.filter((r) => r.role !== 'settings').map((r) => r.source);
    const found = material(Buffer.from(JSON.stringify(read)), sources.join(', '), request.origin);
    return { material: found, placement: { deployed: true, evidence: `committed with the policy (${sources.join(', ')}); no Secret is read` } };
  }

  /**
   * policy-controller's key.secretRef: the Secret in its own namespace, whose one data entry
   * is the PEM key. Looked for as .gate/keys/<name>.pub, then a Secret of that name in .gate/
   * (that namespace, or none); never in the checked manifests.
   */
  private async singleEntrySecret(ref: { name: string; namespace: string }, request: KeyRequest): Promise<{ bytes: Uint8Array; source: string }> {
    if (this.keysDir && KEY_SECRET_NAME.test(ref.name)) {
      const file = path.join(this.keysDir, `${ref.name}.pub`);
      const read = await readBounded(file, KEY_FILE_LIMIT, { noFollow: true });
      if (read.kind === 'ok') return { bytes: read.bytes, source: displayName(file, this.cwd) };
      if (read.kind !== 'absent') throw new GateError('KEY_INVALID', `cannot read ${displayName(file, this.cwd)} for ${request.policy}: ${read.kind === 'too-large' ? 'too large' : read.message}`, request.origin);
    }
    // Never from the checked manifests: a workload's repository must not choose the key that verifies its images.
    const secret = findSecret(this.gateSecrets, ref.name, ref.namespace, 'exact-or-unscoped', this.defaultNamespace);
    if (!secret) {
      const inManifests = findSecret(this.inputSecrets, ref.name, ref.namespace, 'lands-in', this.defaultNamespace);
      const why = inManifests ? `; the Secret "${ref.name}" at ${inManifests.file}:${inManifests.line} in the checked manifests is not trusted for it (the manifests must not choose the key that verifies them): commit the key under .gate/` : '';
      throw new GateError('KEY_MISSING', `${request.policy} names key.secretRef "${ref.name}" (a Secret of policy-controller's namespace ${ref.namespace}), but there is no ${this.keysDir ? `${displayName(path.join(this.keysDir, `${ref.name}.pub`), this.cwd)} and no ` : ''}Secret "${ref.name}" in .gate/${why}`, request.origin);
    }
    const { values, invalid } = secretValues(secret);
    const entries = Object.entries(values);
    if (invalid.length > 0 || entries.length !== 1) {
      throw new GateError('KEY_INVALID', `Secret "${ref.name}" at ${secret.file}:${secret.line} must hold exactly one data entry, the public key, as policy-controller requires (it holds ${entries.length}${invalid.length ? `, and ${invalid.join(', ')} is not base64` : ''})`, { file: secret.file, line: secret.line });
    }
    return { bytes: entries[0][1], source: `Secret ${ref.name} (${entries[0][0]}) at ${secret.file}:${secret.line}` };
  }

  private async fileMaterial(request: KeyRequest): Promise<KeyMaterial | undefined> {
    if (!this.keysDir || !KEY_SECRET_NAME.test(request.secret)) return undefined;
    const file = path.join(this.keysDir, `${request.secret}.${request.extension}`);
    const name = displayName(file, this.cwd);
    const read = await readBounded(file, KEY_FILE_LIMIT);
    if (read.kind === 'absent') return undefined;
    if (read.kind !== 'ok') {
      const why = read.kind === 'too-large' ? `larger than ${KEY_FILE_LIMIT} bytes` : read.message;
      throw new GateError('KEY_INVALID', `cannot read keySecret "${request.secret}" for ${request.policy}: ${why}`, { file: name });
    }
    return material(read.bytes, name, { file: name, line: 1 });
  }

  /** The key of a Secret from the manifests or .gate/: `key` in stringData or data. */
  private secretMaterial(secret: ManifestObject | undefined, request: KeyRequest): KeyMaterial | undefined {
    if (!secret) return undefined;
    const origin = { file: secret.file, line: secret.line };
    const value = secretValue(secret, 'key');
    if (!value.ok && value.problem === 'absent') {
      throw new GateError('KEY_INVALID', `secret "${request.secret}" in "${request.namespace}" does not contain a "key" attribute (data.key or stringData.key), needed by ${request.policy}`, origin);
    }
    if (!value.ok) throw new GateError('KEY_INVALID', `secret "${request.secret}": data.key is not valid base64`, { file: secret.file, line: value.line });
    const namespace = request.namespaceFromPolicy ? ` of ${namespaceOf(request)}` : '';
    return material(value.bytes, `Secret ${request.secret}${namespace} at ${secret.file}:${secret.line}`, origin);
  }
}

/** A signerSecret's two fields, as Portieris requires them (pkg/verifier/trust/trust.go getSignerSecret). */
function signerFields(data: Readonly<Record<string, Uint8Array>>, where: string, origin: Origin): { name: string; publicKey: string } {
  const name = data.name ? Buffer.from(data.name).toString('utf8') : '';
  const publicKey = data.publicKey ? Buffer.from(data.publicKey).toString('utf8') : '';
  if (name === '' || publicKey === '') {
    throw new GateError('KEY_INVALID', `${where}: name or publicKey field in secret is empty (Portieris needs data.name, the signer's role targets/<name>, and data.publicKey, its PEM key)`, origin);
  }
  return { name, publicKey };
}

/** Where a key is looked for, saying when the policy chose the namespace rather than the workload. */
export function namespaceOf(need: KeyNeed): string {
  return need.namespaceFromPolicy ? `namespace "${need.namespace}", the policy's keySecretNamespace` : `namespace "${need.namespace}"`;
}

/** What says the webhook will find the key, when the cluster holds its Secret. */
function inTheCluster(request: KeyRequest): string {
  return `Secret ${request.secret} in the cluster (${namespaceOf(request)})`;
}

/** A key file's material names the file itself as its source. */
function fileOf(material: KeyMaterial): { file?: string } {
  return material.source === material.origin.file ? { file: material.source } : {};
}

function landsIn(secret: ManifestObject, defaultNamespace: string): string {
  const ns = valueAt(secret.value, ['metadata', 'namespace']);
  return typeof ns === 'string' && ns !== '' ? ns : defaultNamespace;
}

function material(bytes: Uint8Array, source: string, origin: Origin): KeyMaterial {
  return { bytes, source, origin, sha256: createHash('sha256').update(bytes).digest('hex') };
}
