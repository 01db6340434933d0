// Parses a YAML or JSON stream into Kubernetes objects that remember where they came
// from, so every finding can point at a file and line.
//
// The `yaml` package gives positions for every node. It reads YAML 1.2 with merge keys:
// YAML 1.1's sexagesimal numbers would turn `image: 1:20` into 80, which go-yaml (and so
// Kubernetes) does not do. Kubernetes itself reads YAML with
// go-yaml, which accepts a few things the YAML spec forbids (for instance a multi-line
// quoted scalar whose closing line is not indented); a document the strict parser
// rejects is read again with js-yaml, the lenient reader, and its lines are then
// found by searching the text (reported as such).

import jsYaml from 'js-yaml';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Document, type Node } from 'yaml';
import { GateError, type Warning } from '../errors.js';

export type PathSegment = string | number;

export interface ManifestObject {
  readonly value: Record<string, unknown>;
  readonly file: string;
  /** Line (1-based) where the object starts. */
  readonly line: number;
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
}

/** YAML aliases expanded per document; more is treated as an alias bomb. */
export const MAX_ALIASES = 1000;
/** Nesting deeper than this is refused (it only appears in hostile input). */
export const MAX_DEPTH = 200;

const LIST_KIND = /List$/;

export interface YamlDocument {
  value: unknown;
  /** Line of the node at `path` (the nearest enclosing node when absent). */
  locate(path: readonly PathSegment[]): number;
}

export function parseManifestStream(text: string, file: string, options: ParseOptions = {}): ParsedStream {
  const { documents, warnings } = readYamlDocuments(text, file, options);
  const objects: ManifestObject[] = [];
  for (const doc of documents) collectObjects(doc.value, [], file, doc.locate, objects, warnings);
  return { objects, warnings };
}

/** Every non-empty document of a YAML (or JSON) stream, with a way to find lines. */
export function readYamlDocuments(text: string, file: string, options: ParseOptions = {}): { documents: YamlDocument[]; warnings: Warning[] } {
  const offset = options.lineOffset ?? 0;
  const warnings: Warning[] = [];
  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { version: '1.2', merge: true, uniqueKeys: false, lineCounter, prettyErrors: false, logLevel: 'error' }) as Document.Parsed[];
  } catch (e) {
    throw invalid(file, offset + 1, e);
  }
  if (!Array.isArray(docs)) return { documents: [], warnings };

  const lineAt = (pos: number): number => offset + lineCounter.linePos(pos).line;
  const hardErrors = docs.flatMap((d) => d.errors);
  if (hardErrors.length > 0) {
    return readLeniently(text, file, offset, hardErrors[0].message, lineAt(hardErrors[0].pos[0]));
  }

  const documents: YamlDocument[] = [];
  for (const doc of docs) {
    for (const dup of duplicateKeys(doc)) {
      warnings.push({ file, line: lineAt(dup.offset), message: `duplicate key "${dup.key}"; Kubernetes keeps the last value, and so does gate` });
    }
    if (doc.contents === null) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (e) {
      throw invalid(file, lineAt(doc.contents.range[0]), e);
    }
    if (value === null || value === undefined) continue;
    checkDepth(value, file, lineAt(doc.contents.range[0]));
    const root = doc.contents;
    documents.push({ value, locate: (path) => lineAt(nodeAt(doc, root, path).range?.[0] ?? 0) });
  }
  return { documents, warnings };
}

/** Top-level objects, with `*List` kinds flattened into their items. */
function collectObjects(
  value: unknown,
  prefix: readonly PathSegment[],
  file: string,
  locate: (path: readonly PathSegment[]) => number,
  out: ManifestObject[],
  warnings: Warning[],
): void {
  if (value === null || value === undefined) return;
  const line = locate(prefix);
  if (!isPlainObject(value)) {
    throw new GateError('INPUT_INVALID', `expected a Kubernetes object (a mapping), found ${describe(value)}`, { file, line });
  }
  const kind = value.kind;
  if (typeof kind === 'string' && LIST_KIND.test(kind) && Array.isArray(value.items)) {
    value.items.forEach((item, i) => collectObjects(item, [...prefix, 'items', i], file, locate, out, warnings));
    return;
  }
  const apiVersion = value.apiVersion;
  if (typeof kind !== 'string' || kind === '' || typeof apiVersion !== 'string' || apiVersion === '') {
    // kubectl and Argo CD refuse such a document, so nothing in it can run.
    const missing = typeof kind !== 'string' || kind === '' ? 'kind' : 'apiVersion';
    warnings.push({ file, line, message: `not a Kubernetes object (no ${missing}): skipped, as kubectl and Argo CD would refuse it` });
    return;
  }
  out.push({ value, file, line, lineOf: (path) => locate([...prefix, ...path]) });
}

/**
 * Keys that appear twice in one mapping. (The parser's own uniqueKeys check compares
 * every key with every other, which takes minutes on a large flat mapping.)
 */
function duplicateKeys(doc: Document.Parsed): Array<{ key: string; offset: number }> {
  const found: Array<{ key: string; offset: number }> = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (seen.has(key)) found.push({ key, offset: pair.key.range?.[0] ?? 0 });
        seen.add(key);
      }
    },
  });
  return found;
}

/** The YAML node at `path`, or the deepest node on the way there. */
function nodeAt(doc: Document.Parsed, root: Node, path: readonly PathSegment[]): Node {
  let node: Node = root;
  for (const segment of path) {
    const target = isAlias(node) ? node.resolve(doc) : node;
    if (!target) return node;
    let next: Node | undefined;
    if (isMap(target)) {
      // The last pair wins for duplicate keys, as in toJS().
      for (const pair of target.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (String(key) === String(segment) && pair.value) next = pair.value as Node;
      }
    } else if (isSeq(target) && typeof segment === 'number') {
      next = target.items[segment] as Node | undefined;
    }
    if (!next) return node;
    node = next;
  }
  return node;
}

/** The go-yaml-compatible reading of a stream the strict parser refused. */
function readLeniently(text: string, file: string, offset: number, strictError: string, strictLine: number): { documents: YamlDocument[]; warnings: Warning[] } {
  let values: unknown[];
  try {
    values = jsYaml.loadAll(text, undefined, { schema: jsYaml.DEFAULT_SCHEMA, json: true });
  } catch {
    throw new GateError('INPUT_INVALID', `not valid YAML: ${firstLine(strictError)}${templateHint(text)}`, { file, line: strictLine });
  }
  const segments = documentSegments(text);
  const warnings: Warning[] = [
    { file, line: strictLine, message: `not strictly valid YAML (${firstLine(strictError)}); read leniently as Kubernetes does, line numbers found by text search` },
  ];
  const documents: YamlDocument[] = [];
  values.forEach((value, i) => {
    if (value === null || value === undefined) return;
    const segment = segments[Math.min(i, segments.length - 1)];
    checkDepth(value, file, offset + segment.firstLine);
    documents.push({ value, locate: (path) => offset + searchLine(segment, valueAt(value, path)) });
  });
  return { documents, warnings };
}

interface TextSegment {
  firstLine: number;
  lines: string[];
}

function documentSegments(text: string): TextSegment[] {
  const lines = text.split(/\r?\n/);
  const segments: TextSegment[] = [];
  let current: TextSegment = { firstLine: 1, lines: [] };
  lines.forEach((line, i) => {
    if (/^---(\s|$)/.test(line)) {
      if (current.lines.some((l) => l.trim() !== '' && !l.trim().startsWith('#'))) segments.push(current);
      current = { firstLine: i + 2, lines: [] };
      const after = line.slice(3).trim();
      if (after !== '') current = { firstLine: i + 1, lines: [after] };
      return;
    }
    current.lines.push(line);
  });
  segments.push(current);
  return segments;
}

function searchLine(segment: TextSegment, value: unknown): number {
  if (typeof value === 'string' && value !== '') {
    const index = segment.lines.findIndex((l) => l.includes(value));
    if (index >= 0) return segment.firstLine + index;
  }
  const first = segment.lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  return segment.firstLine + Math.max(first, 0);
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

function checkDepth(value: unknown, file: string, line: number): void {
  const stack: Array<[unknown, number]> = [[value, 0]];
  let visited = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > MAX_DEPTH) {
      throw new GateError('INPUT_INVALID', `document nested deeper than ${MAX_DEPTH} levels`, { file, line });
    }
    if (++visited > 5_000_000) {
      throw new GateError('INPUT_INVALID', 'document too large after expanding aliases', { file, line });
    }
    if (Array.isArray(v)) for (const item of v) stack.push([item, depth + 1]);
    else if (isPlainObject(v)) for (const item of Object.values(v)) stack.push([item, depth + 1]);
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a sequence';
  return `a ${typeof v} (${JSON.stringify(v)?.slice(0, 40)})`;
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}

/** Unrendered Helm and Go templates are the usual reason a manifest is not YAML. */
function templateHint(text: string): string {
  return text.includes('{{') ? ' (a Helm or Go template? check the rendered manifests: helm template … | gate check -)' : '';
}

function invalid(file: string, line: number, e: unknown): GateError {
  const message = e instanceof Error ? e.message : String(e);
  return new GateError('INPUT_INVALID', `not valid YAML: ${firstLine(message)}`, { file, line }, { cause: e });
}
