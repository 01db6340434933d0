// Where a signedBy requirement's keySecret comes from. Portieris reads the Secret
// `keySecret` (data.key, an armoured public key block) from the workload's namespace,
// or from keySecretNamespace. gate looks, in order, at:
//   1. a Secret named <keySecret> kept in .gate/ for exactly that namespace
//   2. .gate/keys/<keySecret>.asc
//   3. a Secret named <keySecret> kept in .gate/ without a namespace (serves every namespace)
//   4. a Secret named <keySecret> in the checked manifests, in that namespace
// The first three are the gate configuration a team reviews; the fourth is what the
// in-cluster webhook will see, so a difference between them is reported.

import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { GateError, type Warning } from '../errors.js';
import { readBounded } from '../input/bounded-read.js';
import { displayName } from '../input/files.js';
import { valueAt, type ManifestObject } from '../manifests/document.js';
import { parseArmoredPublicKeys, type TrustedKeys } from '../verify/openpgp.js';
import type { SecretReader } from '../cluster/secrets.js';
import type { Origin } from './types.js';
import { editDistance } from './validate.js';

export interface ResolvedKey {
  trusted: TrustedKeys;
  /** Where the key came from, for reports. */
  source: string;
  /** sha256 of the key block as read: revocations and expiry included (what a cache may key on). */
  material: string;
}

/** Who asks for the key, so a missing one can be reported against the policy. */
export interface KeyRequest {
  keySecret: string;
  namespace: string;
  policy: string;
  origin: Origin;
}

const KEY_FILE_LIMIT = 1024 * 1024;
/** A keySecret that can be a file name .gate/keys/<keySecret>.asc (a Kubernetes object name). */
export const KEY_SECRET_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

interface Candidate {
  armored: string;
  source: string;
  origin: Origin;
}

export class KeyStore {
  private readonly cache = new Map<string, Promise<ResolvedKey>>();
  readonly warnings: Warning[] = [];

  constructor(
    private readonly keysDir: string | undefined,
    private readonly gateSecrets: ManifestObject[],
    private readonly inputSecrets: ManifestObject[],
    private readonly defaultNamespace: string,
    private readonly cwd: string,
    private readonly cluster?: SecretReader,
  ) {}

  resolve(request: KeyRequest): Promise<ResolvedKey> {
    const cacheKey = `${request.namespace}/${request.keySecret}`;
    let pending = this.cache.get(cacheKey);
    if (!pending) {
      pending = this.load(request);
      this.cache.set(cacheKey, pending);
    }
    return pending;
  }

  private async load(request: KeyRequest): Promise<ResolvedKey> {
    const fromInput = this.secretCandidate(this.inputSecrets, request, 'deployed');
    const candidate =
      this.secretCandidate(this.gateSecrets, request, 'this-namespace') ??
      (await this.fileCandidate(request)) ??
      this.secretCandidate(this.gateSecrets, request, 'any-namespace') ??
      fromInput ??
      (await this.clusterCandidate(request));
    if (!candidate) {
      const file = this.keysDir ? `${displayName(path.join(this.keysDir, `${request.keySecret}.asc`), this.cwd)}, ` : '';
      throw new GateError(
        'KEY_MISSING',
        `${request.policy} needs keySecret "${request.keySecret}", but there is ${file ? `no ${file}and ` : ''}no Secret "${request.keySecret}" in ${this.keysDir ? '.gate/ or ' : ''}the checked manifests${this.cluster ? ' or the cluster' : ''} (namespace "${request.namespace}")${await this.nearMisses(request.keySecret)}`,
        request.origin,
      );
    }
    const parsed = await parseArmoredPublicKeys(candidate.armored);
    if (!parsed.ok) {
      throw new GateError('KEY_INVALID', `keySecret "${request.keySecret}" from ${candidate.source} (used by ${request.policy}): ${parsed.message}`, candidate.origin);
    }
    for (const key of parsed.dropped) {
      this.warnings.push({ ...candidate.origin, message: `key ${key} of keySecret "${request.keySecret}" is not trusted: Portieris' OpenPGP library cannot read it` });
    }
    if (fromInput && candidate !== fromInput) await this.compareWithCluster(fromInput, parsed.trusted, candidate, request);
    return { trusted: parsed.trusted, source: candidate.source, material: createHash('sha256').update(candidate.armored).digest('hex') };
  }

  /** With --cluster, the Secret Portieris itself would read. */
  private async clusterCandidate(request: KeyRequest): Promise<Candidate | undefined> {
    let secret;
    try {
      secret = await this.cluster?.get(request.namespace, request.keySecret);
    } catch (e) {
      throw new GateError('SOURCE_UNAVAILABLE', `${request.policy} needs keySecret "${request.keySecret}": ${(e as Error).message}`, request.origin);
    }
    if (!secret) return undefined;
    const key = secret.data.key;
    if (!key) {
      throw new GateError('KEY_INVALID', `secret "${request.keySecret}" in "${request.namespace}" does not contain a "key" attribute, needed by ${request.policy}`, request.origin);
    }
    return { armored: key.toString('utf8'), source: secret.source, origin: request.origin };
  }

  /** Files and Secrets with a similar name, to turn "not found" into "did you mean". */
  private async nearMisses(keySecret: string): Promise<string> {
    const files = this.keysDir ? await readdir(this.keysDir).catch(() => [] as string[]) : [];
    const sameName = files.filter((f) => f.startsWith(`${keySecret}.`) && f !== `${keySecret}.asc`);
    if (sameName.length > 0) {
      return `; found ${sameName.join(', ')}: gate reads armoured keys from <keySecret>.asc (gpg --armor --export FINGERPRINT > ${keySecret}.asc)`;
    }
    const names = [
      ...files.filter((f) => f.endsWith('.asc')).map((f) => f.slice(0, -4)),
      ...[...this.gateSecrets, ...this.inputSecrets].map((s) => valueAt(s.value, ['metadata', 'name'])).filter((n): n is string => typeof n === 'string'),
    ];
    const close = names.find((n) => editDistance(n, keySecret) <= 2);
    return close ? `; did you mean "${close}"?` : '';
  }

  private async fileCandidate(request: KeyRequest): Promise<Candidate | undefined> {
    if (!this.keysDir || !KEY_SECRET_NAME.test(request.keySecret)) return undefined;
    const file = path.join(this.keysDir, `${request.keySecret}.asc`);
    const name = displayName(file, this.cwd);
    const read = await readBounded(file, KEY_FILE_LIMIT);
    if (read.kind === 'absent') return undefined;
    if (read.kind !== 'ok') {
      const why = read.kind === 'too-large' ? `larger than ${KEY_FILE_LIMIT} bytes` : read.message;
      throw new GateError('KEY_INVALID', `cannot read keySecret "${request.keySecret}" for ${request.policy}: ${why}`, { file: name });
    }
    return { armored: new TextDecoder().decode(read.bytes), source: name, origin: { file: name, line: 1 } };
  }

  /**
   * A Secret of that name: `this-namespace` one that names the namespace, `any-namespace`
   * one that names none (in .gate/), `deployed` one that would land in the namespace.
   */
  private secretCandidate(secrets: ManifestObject[], request: KeyRequest, scope: 'this-namespace' | 'any-namespace' | 'deployed'): Candidate | undefined {
    const match = secrets.find((s) => {
      if (valueAt(s.value, ['metadata', 'name']) !== request.keySecret) return false;
      const raw = valueAt(s.value, ['metadata', 'namespace']);
      const ns = typeof raw === 'string' && raw !== '' ? raw : undefined;
      if (scope === 'this-namespace') return ns === request.namespace;
      if (scope === 'any-namespace') return ns === undefined;
      return (ns ?? this.defaultNamespace) === request.namespace;
    });
    if (!match) return undefined;
    const origin = { file: match.file, line: match.line };
    const source = `Secret ${request.keySecret} at ${match.file}:${match.line}`;
    const stringData = valueAt(match.value, ['stringData', 'key']);
    if (typeof stringData === 'string') return { armored: stringData, source, origin };
    const data = valueAt(match.value, ['data', 'key']);
    if (typeof data !== 'string') {
      throw new GateError('KEY_INVALID', `secret "${request.keySecret}" in "${request.namespace}" does not contain a "key" attribute (data.key or stringData.key), needed by ${request.policy}`, origin);
    }
    const compact = data.replace(/\s+/g, '');
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) {
      throw new GateError('KEY_INVALID', `secret "${request.keySecret}": data.key is not valid base64`, { file: match.file, line: match.lineOf(['data', 'key']) });
    }
    return { armored: Buffer.from(compact, 'base64').toString('utf8'), source, origin };
  }

  private async compareWithCluster(fromInput: Candidate, used: TrustedKeys, candidate: Candidate, request: KeyRequest): Promise<void> {
    const other = await parseArmoredPublicKeys(fromInput.armored);
    const same = other.ok && [...other.trusted.fingerprints].sort().join() === [...used.fingerprints].sort().join();
    if (!same) {
      this.warnings.push({
        ...fromInput.origin,
        message: `Secret "${request.keySecret}" in the manifests holds other keys than ${candidate.source}, which gate used; the in-cluster webhook would trust the Secret`,
      });
    }
  }
}
