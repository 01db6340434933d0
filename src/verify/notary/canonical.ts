// Canonical JSON as Notary v1 signs and hashes it (docker/go canonical/json): object keys
// sorted, no whitespace, strings escaping only `\` and `"` (control characters and
// non-ASCII stay raw UTF-8), integers only. The verifier re-canonicalises the decoded
// `signed` object, as notary does: the bytes on the wire are never what is verified.

export class CanonicalJsonError extends Error {}

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new CanonicalJsonError(`canonical JSON has integers only, found ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    // Go sorts by UTF-8 bytes, JavaScript by UTF-16 units: the same for the ASCII names Notary uses; others are compared as bytes.
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${entries.map(([k, v]) => `${canonicalJson(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new CanonicalJsonError(`canonical JSON cannot hold a ${typeof value}`);
}
