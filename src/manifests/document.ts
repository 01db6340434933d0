// Parses a YAML or JSON stream into Kubernetes objects that remember where they came
// from, so every finding can point at a file and line — and reads it exactly as
// Kubernetes does (kubectl, and Argo CD's gitops-engine, decode with apimachinery's
// YAMLOrJSONDecoder over go-yaml v2): stream.ts frames the stream as they do,
// yaml-decoder.ts reads each YAML document with go-yaml's meaning, and anything the
// two could read differently is an error (exit 2) that says what to change, never a
// silent difference. test/manifests/kubectl-differential.test.ts holds gate to kubectl.

import { GateError, type Warning } from '../errors.js';
import { exactLineOf, lineOf, type PathSegment } from './positions.js';
import { frameStream } from './stream.js';
import { decodeYamlChunk, type ChunkContext, type KeyLines, type NodeBudget } from './yaml-decoder.js';

export type { PathSegment } from './positions.js';
export { MAX_DEPTH, NodeBudget } from './yaml-decoder.js';

export interface ManifestObject {
  readonly value: Record<string, unknown>;
  readonly file: string;
  /** Line (1-based) where the object starts. */
  readonly line: number;
  /** For an object that is a whole document: no more `image` fields than this are in it (see DecodedDocument). */
  readonly imageScalars?: number;
  /** Line of the value at `path` inside this object; the nearest enclosing node's line when not found. */
  lineOf(path: readonly PathSegment[]): number;
}

export interface ParsedStream {
  objects: ManifestObject[];
  warnings: Warning[];
}

export interface ParseOptions {
  /** Line added to every line found: for YAML embedded in a string of another file. */
  lineOffset?: number;
  /** Keys whose lines are recorded (default: the fields reports point at); `all` for small configuration files. */
  keyLines?: KeyLines;
  /** The run's allowance of nodes, spent document by document. */
  budget?: NodeBudget;
}

/** The keys whose lines manifest reports name: image fields, embedded manifests. */
const REPORTED_KEYS: ReadonlySet<string> = new Set(['image', 'reference', 'manifest', 'podSpecPatch', 'key']);


export interface YamlDocument {
  value: unknown;
  imageScalars?: number;
  /** Line of the node at `path` (the nearest enclosing node when absent). */
  locate(path: readonly PathSegment[]): number;
}

export function parseManifestStream(text: string, file: string, options: ParseOptions = {}): ParsedStream {
  const { documents, warnings } = readYamlDocuments(text, file, { keyLines: REPORTED_KEYS, ...options });
  const objects: ManifestObject[] = [];
  for (const doc of documents) collectObjects(doc.value, { file, locate: doc.locate, out: objects, warnings }, doc.imageScalars);
  return { objects, warnings };
}

/** Every non-empty document of a YAML (or JSON) stream, with a way to find lines. */
export function readYamlDocuments(text: string, file: string, options: ParseOptions = {}): { documents: YamlDocument[]; warnings: Warning[] } {
  const warnings: Warning[] = [];
  const keyLines = options.keyLines ?? 'all';
  const framed = frameStream(text, file, options.lineOffset ?? 0);
  const documents: YamlDocument[] = [];
  const add = (value: unknown, line: number, imageScalars?: number, reread?: () => unknown) => {
    if (value !== null && value !== undefined) documents.push({ value, imageScalars, locate: locator(value, line, reread) });
  };
  if (framed.format === 'yaml') {
    for (const chunk of framed.chunks) {
      const doc = decodeYamlChunk(chunk.text, { file, firstLine: chunk.firstLine, keyLines, warnings, budget: options.budget });
      // Lines of keys not recorded on the first pass (an error in a policy among the manifests) come from a second, complete one.
      const reread = keyLines === 'all' ? undefined : () => decodeYamlChunk(chunk.text, { file, firstLine: chunk.firstLine, keyLines: 'all', warnings: [] })?.value;
      if (doc) add(doc.value, doc.line, doc.imageScalars, reread);
    }
  } else {
    for (const value of framed.values) add(decodeJsonValue(value.text, { file, firstLine: value.firstLine, keyLines, warnings, budget: options.budget }), value.firstLine);
  }
  return { documents, warnings };
}

/** Line of a path: as recorded, else from the complete re-read, else the nearest enclosing node's. */
function locator(value: unknown, line: number, reread?: () => unknown): (path: readonly PathSegment[]) => number {
  let complete: unknown;
  return (path) => {
    const exact = exactLineOf(value, path);
    if (exact !== undefined || !reread) return exact ?? lineOf(value, path, line);
    complete ??= reread();
    return exactLineOf(complete, path) ?? lineOf(value, path, line);
  };
}

/**
 * One JSON value of a JSON stream, as encoding/json reads it (JSON.parse is the judge),
 * with its lines (read again as YAML, of which JSON is a part, and compared).
 */
function decodeJsonValue(text: string, ctx: ChunkContext): unknown {
  const { file, firstLine: line } = ctx;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new GateError('INPUT_INVALID', `not valid JSON: ${e instanceof Error ? e.message : String(e)} (Kubernetes reads a file that starts with "{" as JSON)`, { file, line });
  }
  if (value === null) return null;
  const positioned = decodeYamlChunk(text, ctx);
  if (!positioned || !sameJson(value, positioned.value, 0)) {
    throw new GateError('INPUT_INVALID', 'a JSON value gate cannot read with certainty (unusual numbers or escapes?)', { file, line });
  }
  return positioned.value;
}

function sameJson(a: unknown, b: unknown, depth: number): boolean {
  if (a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b))) return true;
  if (depth > 1000 || typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && sameJson(ra[k], rb[k], depth + 1));
}

/** Where the objects of one document go, and how its lines are found. */
interface Collector {
  file: string;
  locate: (path: readonly PathSegment[]) => number;
  out: ManifestObject[];
  warnings: Warning[];
}

/**
 * Top-level objects, lists flattened as apimachinery's unstructured decoder does: ANY
 * object with an `items` field is a list, whatever its kind — Kubernetes applies its
 * items and drops the object itself; an item with neither kind nor apiVersion takes the
 * list's kind (less "List") and apiVersion.
 */
function collectObjects(value: unknown, c: Collector, imageScalars?: number): void {
  if (value === null || value === undefined) return;
  const line = c.locate([]);
  if (!isPlainObject(value)) {
    throw new GateError('INPUT_INVALID', `expected a Kubernetes object (a mapping), found ${describe(value)}`, { file: c.file, line });
  }
  if (Object.hasOwn(value, 'items')) collectItems(value, c, line);
  else addObject(value, [], c, line, imageScalars);
}

function collectItems(list: Record<string, unknown>, c: Collector, line: number): void {
  const items = list.items;
  const kind = goString(list.kind);
  const apiVersion = goString(list.apiVersion);
  if (items === null) return; // a list of nothing, to Kubernetes too
  if (!Array.isArray(items)) {
    throw new GateError('INPUT_INVALID', `"items" that is not a list: Kubernetes reads every object with an items field as a list, and refuses this one`, { file: c.file, line });
  }
  if (!kind.endsWith('List')) {
    c.warnings.push({ file: c.file, line, message: `${kind || 'an object'} with an "items" field: Kubernetes reads it as a list, applies its items and drops the object itself; so does gate` });
  }
  const itemKind = kind.endsWith('List') ? kind.slice(0, -'List'.length) : kind;
  items.forEach((item, i) => {
    const path = ['items', i];
    const itemLine = c.locate(path);
    if (!isPlainObject(item) || Object.hasOwn(item, 'items')) {
      throw new GateError('INPUT_INVALID', `item ${i} of a list is ${isPlainObject(item) ? 'itself a list' : describe(item)}: Kubernetes refuses the file`, { file: c.file, line: itemLine });
    }
    const inherits = goString(item.kind) === '' && goString(item.apiVersion) === '';
    addObject(inherits ? { ...item, kind: itemKind, apiVersion } : item, path, c, itemLine);
  });
}

/** Go's GetKind()/GetAPIVersion(): "" for a field that is missing, empty or not a string. */
function goString(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function addObject(value: Record<string, unknown>, prefix: readonly PathSegment[], c: Collector, line: number, imageScalars?: number): void {
  const missing = goString(value.kind) === '' ? 'kind' : goString(value.apiVersion) === '' ? 'apiVersion' : undefined;
  if (missing) {
    // kubectl and Argo CD refuse such a document, so nothing in it can run.
    c.warnings.push({ file: c.file, line, message: `not a Kubernetes object (no ${missing}): skipped, as kubectl and Argo CD would refuse it` });
    return;
  }
  const { locate } = c;
  const whole = imageScalars !== undefined ? { imageScalars } : {};
  c.out.push({ value, file: c.file, line, ...whole, lineOf: (path) => (prefix.length === 0 ? locate(path) : locate([...prefix, ...path])) });
}

export function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isPlainObject(current)) current = current[String(segment)];
    else return undefined;
  }
  return current;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a sequence';
  return `a ${typeof v} (${JSON.stringify(v)?.slice(0, 40)})`;
}

