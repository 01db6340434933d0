// Secrets read from the cluster (`--cluster`): the pull secrets and key Secrets a
// repository does not hold, through @kubernetes/client-node with the kubeconfig
// ($KUBECONFIG, ~/.kube/config) or the in-cluster service account. Read-only, and
// only Secrets gate was told to use by name.

import { once } from '../memo.js';

export interface SecretData {
  /** Decoded `data` merged with `stringData`. */
  data: Record<string, Buffer>;
  type?: string;
  source: string;
}

export interface SecretReader {
  /** Undefined when the Secret does not exist; throws ClusterError when the cluster cannot say. */
  get(namespace: string, name: string): Promise<SecretData | undefined>;
}

export class ClusterError extends Error {}

export class ClusterSecrets implements SecretReader {
  private readonly cache = new Map<string, Promise<SecretData | undefined>>();
  private api?: Promise<{ readNamespacedSecret(p: { name: string; namespace: string }): Promise<{ data?: Record<string, string>; stringData?: Record<string, string>; type?: string }> }>;

  constructor(
    private readonly kubeconfig: string | undefined,
    /** How long one read may take (the request timeout, within the run's budget). */
    private readonly timeoutMs: () => number,
  ) {}

  get(namespace: string, name: string): Promise<SecretData | undefined> {
    return once(this.cache, `${namespace}/${name}`, () => this.read(namespace, name));
  }

  private async read(namespace: string, name: string): Promise<SecretData | undefined> {
    const api = await this.client();
    try {
      const ms = Math.max(this.timeoutMs(), 1);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ClusterError(`cannot read Secret ${namespace}/${name} from the cluster: no answer within ${ms / 1000} s`)), ms);
      });
      const secret = await Promise.race([api.readNamespacedSecret({ name, namespace }), timeout]).finally(() => clearTimeout(timer));
      const data: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, 'base64');
      for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = Buffer.from(v, 'utf8');
      return { data, type: secret.type, source: `Secret ${namespace}/${name} in the cluster` };
    } catch (e) {
      if (e instanceof ClusterError) throw e;
      const code = (e as { code?: number }).code;
      if (code === 404) return undefined;
      const why = code === 403 ? 'forbidden: give gate\'s service account "get" on secrets in that namespace' : `${(e as Error).message}`.split('\n')[0];
      throw new ClusterError(`cannot read Secret ${namespace}/${name} from the cluster: ${why}`);
    }
  }

  private client() {
    this.api ??= (async () => {
      const k8s = await import('@kubernetes/client-node');
      const config = new k8s.KubeConfig();
      try {
        if (this.kubeconfig) config.loadFromFile(this.kubeconfig);
        else config.loadFromDefault();
      } catch (e) {
        throw new ClusterError(`cannot load the kubeconfig: ${(e as Error).message}`);
      }
      return config.makeApiClient(k8s.CoreV1Api);
    })();
    return this.api;
  }
}
