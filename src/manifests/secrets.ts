// Reading a Kubernetes Secret from manifests, one way for every caller (key Secrets,
// pull secrets, lookaside credentials): find it by name and the namespace it lands in,
// and decode its values with one base64 rule (the API server's: standard alphabet,
// padded; whitespace is not part of the value but line breaks in YAML are tolerated).
// Secrets read from the cluster (cluster/secrets.ts) come decoded by the API server.

import { isPlainObject, valueAt, type ManifestObject } from './document.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type SecretValue =
  | { ok: true; bytes: Buffer; /** The line of the value, for messages. */ line: number }
  | { ok: false; problem: 'absent' | 'not-base64'; line: number };

/** `stringData.<field>` (plain text) wins over `data.<field>` (base64), as the API server merges them. */
export function secretValue(secret: ManifestObject, field: string): SecretValue {
  const plain = valueAt(secret.value, ['stringData', field]);
  if (typeof plain === 'string') return { ok: true, bytes: Buffer.from(plain, 'utf8'), line: secret.lineOf(['stringData', field]) };
  const encoded = valueAt(secret.value, ['data', field]);
  if (typeof encoded !== 'string') return { ok: false, problem: 'absent', line: secret.line };
  const line = secret.lineOf(['data', field]);
  const compact = encoded.replace(/\s+/g, '');
  if (!BASE64.test(compact)) return { ok: false, problem: 'not-base64', line };
  return { ok: true, bytes: Buffer.from(compact, 'base64'), line };
}

/** Every value of a Secret, decoded by the one rule; values that are not valid base64 are named, not guessed at. */
export function secretValues(secret: ManifestObject): { values: Record<string, Buffer>; invalid: string[] } {
  const values: Record<string, Buffer> = {};
  const invalid: string[] = [];
  const fields = new Set<string>();
  for (const part of ['data', 'stringData']) {
    const entries = valueAt(secret.value, [part]);
    if (isPlainObject(entries)) for (const key of Object.keys(entries)) fields.add(key);
  }
  for (const field of fields) {
    const value = secretValue(secret, field);
    if (value.ok) values[field] = value.bytes;
    else if (value.problem === 'not-base64') invalid.push(`data.${field}`);
  }
  return { values, invalid };
}

/**
 * The first Secret named `name` for `namespace`: `exact` one that names the namespace,
 * `unscoped` one that names none, `exact-or-unscoped` either, `lands-in` one that would
 * land in it when applied (no namespace: `defaultNamespace`).
 */
export function findSecret(
  secrets: readonly ManifestObject[],
  name: string,
  namespace: string,
  scope: 'exact' | 'unscoped' | 'exact-or-unscoped' | 'lands-in',
  defaultNamespace: string,
): ManifestObject | undefined {
  return secrets.find((s) => {
    if (valueAt(s.value, ['metadata', 'name']) !== name) return false;
    const raw = valueAt(s.value, ['metadata', 'namespace']);
    const ns = typeof raw === 'string' && raw !== '' ? raw : undefined;
    if (scope === 'exact') return ns === namespace;
    if (scope === 'unscoped') return ns === undefined;
    if (scope === 'exact-or-unscoped') return ns === undefined || ns === namespace;
    return (ns ?? defaultNamespace) === namespace;
  });
}
