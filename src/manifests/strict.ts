// Field-by-field reading of YAML that must mean exactly what a reviewer reads: every
// unknown field, wrong type and missing value is an error naming the file and line of
// the offending field, with a "did you mean" for near misses. Policies and every
// requirement kind's own schema read through this.

import { GateError, type GateErrorCode } from '../errors.js';
import { isPlainObject, valueAt, type ManifestObject, type PathSegment } from './document.js';

/** Where something was written: what every message about it points to. */
export interface Origin {
  file: string;
  line: number;
}

export class StrictReader {
  /** `code`: the GateError code of every failure (POLICY_INVALID for policies). */
  constructor(
    readonly object: ManifestObject,
    private readonly code: GateErrorCode = 'POLICY_INVALID',
  ) {}

  /** The value at `path`, unchecked (undefined when absent). */
  at(path: readonly PathSegment[]): unknown {
    return valueAt(this.object.value, path);
  }

  origin(path: readonly PathSegment[]): Origin {
    return { file: this.object.file, line: this.object.lineOf(path) };
  }

  fail(path: readonly PathSegment[], message: string): never {
    const kind = String(this.object.value.kind);
    const name = valueAt(this.object.value, ['metadata', 'name']);
    const what = typeof name === 'string' ? `${kind}/${name}` : kind;
    const where = path.length > 0 ? ` ${formatPath(path)}` : '';
    throw new GateError(this.code, `${what}${where}: ${message}`, this.origin(path));
  }

  /** Checks that `path` is a mapping with only `allowed` keys; false when absent and optional. */
  fields(path: readonly PathSegment[], allowed: string[], required: boolean): boolean {
    const value = this.at(path);
    if (value === undefined || value === null) {
      if (required && path.length > 0 && value === undefined) this.fail(path, 'is required');
      return false;
    }
    if (!isPlainObject(value)) this.fail(path, `must be a mapping, found ${typeName(value)}`);
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.fail([...path, key], `unknown field "${key}"${suggest(key, allowed)}; allowed here: ${allowed.join(', ')}`);
      }
    }
    return true;
  }

  string(path: readonly PathSegment[], required: boolean): string | undefined {
    const value = this.at(path);
    if (value === undefined || value === null) {
      if (required) this.fail(path, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') this.fail(path, `must be a string, found ${typeName(value)}`);
    return value;
  }

  boolean(path: readonly PathSegment[]): boolean | undefined {
    const value = this.at(path);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') this.fail(path, `must be true or false, found ${typeName(value)}`);
    return value;
  }

  array(path: readonly PathSegment[], nullable: boolean): unknown[] | undefined {
    const value = this.at(path);
    if (value === undefined || (value === null && nullable)) return undefined;
    if (!Array.isArray(value)) this.fail(path, `must be a list, found ${typeName(value)}`);
    return value;
  }
}

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** ` (did you mean "x"?)` for a field name close to an allowed one, else ''. */
export function suggest(key: string, allowed: string[]): string {
  const lower = key.toLowerCase();
  const match = allowed.find((a) => a.toLowerCase() === lower || editDistance(a.toLowerCase(), lower) <= 2);
  return match ? ` (did you mean "${match}"?)` : '';
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
