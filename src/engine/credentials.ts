// Which credentials to try for an image, in Portieris' order: anonymous, then each pull
// secret of the workload (the pod spec's, else its ServiceAccount's, as
// manifests/service-accounts.ts settles them). The CI's own credentials (--auth-file,
// docker/podman config, credential helpers) are what the webhook never has: under
// webhook: portieris they only stand in for a pull secret the workload names whose
// content gate cannot see (the usual case in PR CI), and the report says the verdict
// assumes that Secret grants the same access; a workload that names none gets anonymous
// access only, as in the cluster. Under webhook: none they are tried last. A Secret is
// looked for in the order of SECRET_PRECEDENCE: the checked manifests (where it would be
// deployed), then .gate/, then, with --cluster, the cluster. It lives in engine/ because it joins manifests, the
// cluster and the registry's credential formats; registry/ knows none of the first two.

import type { SecretData, SecretReader, ServiceAccountReader } from '../cluster/secrets.js';
import type { Warning } from '../errors.js';
import { valueAt, type ManifestObject } from '../manifests/document.js';
import { findSecret, secretValues } from '../manifests/secrets.js';
import type { ServiceAccountLookup } from '../manifests/service-accounts.js';
import type { CiCredentials } from '../registry/auth-files.js';
import { ANONYMOUS, lookupAuth, parseDockerConfig, type Credential, type CredentialCandidate, type DockerConfig } from '../registry/credentials.js';
import { once } from '../memo.js';

/** Where a pull secret or storeSecret is looked for, in order: the first that has it wins. */
export const SECRET_PRECEDENCE = ['manifests', 'gate', 'cluster'] as const;

/** When the CI's own credentials are tried: standing in for unseen pull secrets only (webhook parity), or always. */
export type CiCredentialUse = 'stand-in' | 'always';

export class CredentialFinder {
  private readonly configs = new Map<string, Promise<DockerConfig | undefined>>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly inputSecrets: ManifestObject[],
    private readonly gateSecrets: ManifestObject[],
    private readonly defaultNamespace: string,
    private readonly ci: CiCredentials,
    private readonly warnings: Warning[],
    private readonly cluster?: SecretReader,
    /** How the CI's credentials are used: from the webhook gate predicts. */
    private readonly ciUse: CiCredentialUse = 'stand-in',
  ) {}

  /** Reads the auth file the run names (--auth-file, $REGISTRY_AUTH_FILE) now: a wrong one is bad input, used or not. */
  readNamedAuthFile(): Promise<void> {
    return this.ci.readNamedFile();
  }

  /** Credentials for pulling from `registry` (host[:port]) as a workload with these pull secrets. */
  async candidates(namespace: string, pullSecrets: string[], registry: string): Promise<CredentialCandidate[]> {
    const found: CredentialCandidate[] = [ANONYMOUS];
    const unseen: string[] = [];
    for (const name of pullSecrets) {
      const secret = await this.pullSecret(namespace, name);
      if (!secret) {
        unseen.push(`${namespace}/${name}`);
        continue;
      }
      const config = await this.dockerConfig(namespace, name, secret);
      const entry = config && lookupAuth(config, registry);
      if (entry) found.push({ source: `pull secret ${namespace}/${name}`, ...entry });
    }
    if (this.ciUse === 'always' || unseen.length > 0) {
      const ci = await this.ci.credentialFor(registry);
      if (ci && this.ciUse === 'always') found.push(ci);
      else if (ci) {
        const secrets = unseen.map((s) => `Secret ${s}`).join(' or ');
        found.push({ ...ci, source: `${ci.source}, standing in for ${secrets}` });
        this.warnOnce(`stand-in ${unseen.join(',')} ${registry}`, `the pull secret content is not in the repository, so gate reached ${registry} with ${ci.source} instead: a verdict reached with it assumes that ${secrets} grants the same access in the cluster`);
      }
    }
    return found.filter((c, i) => found.findIndex((o) => o.source === c.source) === i);
  }

  /** A policy's storeSecret: data.username and data.password of a Secret in the workload's namespace. */
  async storeCredential(namespace: string, name: string): Promise<Credential | undefined> {
    const secret = await this.secret(namespace, name);
    const username = secret?.data.username?.toString('utf8');
    const password = secret?.data.password?.toString('utf8');
    if (!secret || username === undefined || password === undefined) {
      this.warnOnce(`store ${namespace}/${name}`, `storeSecret ${namespace}/${name} ${secret ? 'has no readable data.username and data.password' : 'was not found'}; the lookaside is read without credentials`);
      return undefined;
    }
    return { source: `storeSecret ${namespace}/${name}`, username, password };
  }

  /** The registry logins of a pull secret already found (`secret`), read once per Secret. */
  private dockerConfig(namespace: string, name: string, secret: SecretData): Promise<DockerConfig | undefined> {
    const key = `${namespace}/${name}`;
    return once(this.configs, key, async () => {
      const modern = secret.data['.dockerconfigjson'];
      const legacy = secret.data['.dockercfg'];
      const raw = modern ?? legacy;
      if (!raw) {
        this.warnOnce(key, `pull secret ${key} (${secret.source}) has neither .dockerconfigjson nor .dockercfg`);
        return undefined;
      }
      let parsed: DockerConfig | string;
      try {
        parsed = parseDockerConfig(JSON.parse(raw.toString('utf8')), modern === undefined);
      } catch {
        parsed = 'not JSON';
      }
      if (typeof parsed === 'string') {
        this.warnOnce(key, `pull secret ${key} (${secret.source}) is malformed: ${parsed}`);
        return undefined;
      }
      return parsed;
    });
  }

  private async secret(namespace: string, name: string): Promise<SecretData | undefined> {
    for (const source of SECRET_PRECEDENCE) {
      const found = await this.from(source, namespace, name);
      if (found) return found;
    }
    return undefined;
  }

  /** Once per pull secret: where gate looked for it. */
  private async pullSecret(namespace: string, name: string): Promise<SecretData | undefined> {
    const secret = await this.secret(namespace, name);
    if (!secret) this.warnOnce(`${namespace}/${name}`, `pull secret ${namespace}/${name} is neither in the checked manifests nor in .gate/${this.cluster ? ' nor in the cluster' : ' (--cluster reads it from the cluster)'}`);
    return secret;
  }

  private async from(source: (typeof SECRET_PRECEDENCE)[number], namespace: string, name: string): Promise<SecretData | undefined> {
    switch (source) {
      case 'manifests':
        return this.fromManifest(findSecret(this.inputSecrets, name, namespace, 'lands-in', this.defaultNamespace));
      case 'gate':
        return this.fromManifest(findSecret(this.gateSecrets, name, namespace, 'exact-or-unscoped', this.defaultNamespace));
      case 'cluster':
        try {
          return await this.cluster?.get(namespace, name);
        } catch (e) {
          this.warnOnce(`cluster ${namespace}/${name}`, (e as Error).message);
          return undefined;
        }
    }
  }

  /** A Secret from the manifests or .gate/, decoded by the one rule (manifests/secrets.ts). */
  private fromManifest(secret: ManifestObject | undefined): SecretData | undefined {
    if (!secret) return undefined;
    const source = `Secret at ${secret.file}:${secret.line}`;
    const { values, invalid } = secretValues(secret);
    if (invalid.length > 0) this.warnOnce(`base64 ${source}`, `${source}: ${invalid.join(', ')} is not valid base64 and is left out`);
    const type = valueAt(secret.value, ['type']);
    return { data: values, type: typeof type === 'string' ? type : undefined, source };
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warnings.push({ message });
  }
}

/**
 * With --cluster, the ServiceAccounts the manifests do not hold, read as Portieris reads
 * them. A cluster that cannot say is a warning and no pull secret from that account: it
 * can only take credentials away, never give one the webhook would not have.
 */
export function serviceAccountsFromCluster(cluster: ServiceAccountReader, warnings: Warning[]): ServiceAccountLookup {
  return async (namespace, name) => {
    try {
      const account = await cluster.serviceAccount(namespace, name);
      // A namespace this sync creates has a `default` account without pull secrets; another name must exist.
      if (!account && name !== 'default') warnings.push({ message: `ServiceAccount ${namespace}/${name} is neither in the checked manifests nor in the cluster: pods that run as it cannot start, and get no pull secret from it` });
      return account?.imagePullSecrets;
    } catch (e) {
      warnings.push({ message: `${(e as Error).message}; the uses that run as it are checked without its pull secrets` });
      return undefined;
    }
  };
}
