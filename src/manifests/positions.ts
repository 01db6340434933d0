// Where a decoded value came from. The decoders attach, to every mapping and sequence
// they build, the line where it starts and the line of each of its keys, under symbols
// that JSON, Object.keys and for…in never see; `lineOf` walks a path with them.

export type PathSegment = string | number;

/** Line (1-based) where a mapping or sequence starts. */
export const START_LINE: unique symbol = Symbol('gate.startLine');
/** For a mapping: its keys' lines, as a flat list key, line, key, line… (the last one wins when a key repeats). */
export const KEY_LINES: unique symbol = Symbol('gate.keyLines');

export type KeyLineList = Array<string | number>;

interface Positioned {
  [START_LINE]?: number;
  [KEY_LINES]?: KeyLineList;
}

/** The recorded line of `key` in a mapping. (A flat list: a mapping records few keys, and this is cheap to build.) */
export function keyLine(node: object, key: string): number | undefined {
  const list = (node as Positioned)[KEY_LINES];
  if (list === undefined) return undefined;
  for (let i = list.length - 2; i >= 0; i -= 2) if (list[i] === key) return list[i + 1] as number;
  return undefined;
}

/** Line of the value at `path` under `root`: the nearest enclosing node's line when there is no better one. */
export function lineOf(root: unknown, path: readonly PathSegment[], fallback: number): number {
  let line = startLine(root) ?? fallback;
  let current: unknown = root;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) break;
    const node = current as Positioned & Record<string, unknown>;
    let next: unknown;
    if (Array.isArray(current)) {
      if (typeof segment !== 'number') break;
      next = current[segment];
    } else {
      const key = String(segment);
      if (!Object.hasOwn(node, key)) break;
      next = node[key];
      const recorded = keyLine(node, key);
      if (recorded !== undefined) line = recorded;
    }
    const own = startLine(next);
    // A nested mapping or sequence starts where its key is, or on the next line: its key's line is the better answer.
    if (own !== undefined && (Array.isArray(current) || keyLine(node, String(segment)) === undefined)) line = own;
    current = next;
  }
  return line;
}

/**
 * The line of the value at `path` when the positions recorded say it exactly (the key's
 * own line, or the start of an item); undefined when only an enclosing node's is known.
 */
export function exactLineOf(root: unknown, path: readonly PathSegment[]): number | undefined {
  if (path.length === 0) return startLine(root);
  let current: unknown = root;
  let line: number | undefined;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    const node = current as Positioned & Record<string, unknown>;
    if (Array.isArray(current)) {
      if (typeof segment !== 'number' || segment >= current.length) return undefined;
      current = current[segment];
      line = startLine(current);
    } else {
      const key = String(segment);
      if (!Object.hasOwn(node, key)) return undefined;
      line = keyLine(node, key);
      current = node[key];
    }
  }
  return line;
}

function startLine(v: unknown): number | undefined {
  return typeof v === 'object' && v !== null ? (v as Positioned)[START_LINE] : undefined;
}
