// Read from the cluster (`--cluster`): the pull secrets and key Secrets a repository
// does not hold, and the ServiceAccounts whose imagePullSecrets a pod falls back on,
// through @kubernetes/client-node with the kubeconfig ($KUBECONFIG, ~/.kube/config) or
// the in-cluster service account. Read-only, only objects gate was told to use by name,
// each read bounded by the request timeout.

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

export interface ServiceAccountData {
  /** Names of its `imagePullSecrets`, in order. */
  imagePullSecrets: string[];
  source: string;
}

export interface ServiceAccountReader {
  /** Undefined when the ServiceAccount does not exist; throws ClusterError when the cluster cannot say. */
  serviceAccount(namespace: string, name: string): Promise<ServiceAccountData | undefined>;
}

export class ClusterError extends Error {}

interface CoreApi {
  readNamespacedSecret(p: { name: string; namespace: string }): Promise<{ data?: Record<string, string>; stringData?: Record<string, string>; type?: string }>;
  readNamespacedServiceAccount(p: { name: string; namespace: string }): Promise<{ imagePullSecrets?: Array<{ name?: string }> }>;
}

export class ClusterSecrets implements SecretReader, ServiceAccountReader {
  private readonly cache = new Map<string, Promise<SecretData | undefined>>();
  private readonly accounts = new Map<string, Promise<ServiceAccountData | undefined>>();
  private api?: Promise<CoreApi>;

  constructor(
    private readonly kubeconfig: string | undefined,
    /** How long one read may take (the request timeout, within the run's budget). */
    private readonly timeoutMs: () => number,
  ) {}

  get(namespace: string, name: string): Promise<SecretData | undefined> {
    return once(this.cache, `${namespace}/${name}`, async () => {
      const secret = await this.read('Secret', 'secrets', namespace, name, (api) => api.readNamespacedSecret({ name, namespace }));
      if (!secret) return undefined;
      const data: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, 'base64');
      for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = Buffer.from(v, 'utf8');
      return { data, type: secret.type, source: `Secret ${namespace}/${name} in the cluster` };
    });
  }

  serviceAccount(namespace: string, name: string): Promise<ServiceAccountData | undefined> {
    return once(this.accounts, `${namespace}/${name}`, async () => {
      const account = await this.read('ServiceAccount', 'serviceaccounts', namespace, name, (api) => api.readNamespacedServiceAccount({ name, namespace }));
      if (!account) return undefined;
      const names = (account.imagePullSecrets ?? []).map((ref) => ref?.name).filter((n): n is string => typeof n === 'string' && n !== '');
      return { imagePullSecrets: names, source: `ServiceAccount ${namespace}/${name} in the cluster` };
    });
  }

  /** One read within the request timeout: undefined for 404, ClusterError for any other failure. */
  private async read<T>(kind: string, resource: string, namespace: string, name: string, call: (api: CoreApi) => Promise<T>): Promise<T | undefined> {
    const api = await this.client();
    try {
      const ms = Math.max(this.timeoutMs(), 1);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ClusterError(`cannot read ${kind} ${namespace}/${name} from the cluster: no answer within ${ms / 1000} s`)), ms);
      });
      return await Promise.race([call(api), timeout]).finally(() => clearTimeout(timer));
    } catch (e) {
      if (e instanceof ClusterError) throw e;
      const code = (e as { code?: number }).code;
      if (code === 404) return undefined;
      const why = code === 403 ? `forbidden: give gate's service account "get" on ${resource} in that namespace` : `${(e as Error).message}`.split('\n')[0];
      throw new ClusterError(`cannot read ${kind} ${namespace}/${name} from the cluster: ${why}`);
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
