// Which credentials to try for an image, in Portieris' order: anonymous, then each pull
// secret of the workload (the pod spec's, else its ServiceAccount's, as
// manifests/service-accounts.ts settles them); gate adds the CI's own
// credentials last (--auth-file, docker/podman config, credential helpers). A Secret is
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
  ) {}

  /** Credentials for pulling from `registry` (host[:port]) as a workload with these pull secrets. */
  async candidates(namespace: string, pullSecrets: string[], registry: string): Promise<CredentialCandidate[]> {
    const found: CredentialCandidate[] = [ANONYMOUS];
    for (const name of pullSecrets) {
      const config = await this.dockerConfig(namespace, name);
      const entry = config && lookupAuth(config, registry);
      if (entry) found.push({ source: `pull secret ${namespace}/${name}`, ...entry });
    }
    const ci = await this.ci.credentialFor(registry);
    if (ci) found.push(ci);
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

  private dockerConfig(namespace: string, name: string): Promise<DockerConfig | undefined> {
    const key = `${namespace}/${name}`;
    return once(this.configs, key, async () => {
      const secret = await this.secret(namespace, name);
      if (!secret) {
        this.warnOnce(key, `pull secret ${key} is neither in the checked manifests nor in .gate/${this.cluster ? ' nor in the cluster' : ' (--cluster reads it from the cluster)'}`);
        return undefined;
      }
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
