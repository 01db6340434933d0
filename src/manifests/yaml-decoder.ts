// One YAML document read as Kubernetes reads it: go-yaml v2 under sigs.k8s.io/yaml.
// js-yaml does the parsing (it is fast and strict); what it would read differently is
// made go-yaml's here, or refused:
// - plain scalars resolve with go-yaml's YAML 1.1 rules (scalars.ts), never to dates;
// - merge keys (`<<`) follow go-yaml v2: entries apply in order, so a merge overrides
//   the keys before it and later keys override the merge; in a sequence of mappings the
//   first wins. js-yaml's own merge rule differs, so it is switched off and redone here;
// - explicit tags are refused, except `!!str` on a scalar (the same to both);
// - duplicate keys: the last one wins in both, with a warning.
// A listener on js-yaml's parse events records lines. A document with merge keys or
// aliases of whole mappings/sequences is read a second time with every node recorded,
// so that merges can be redone and alias expansion counted; any doubt there is an error.

import jsYaml from 'js-yaml';
import { GateError, type GateErrorCode, type Warning } from '../errors.js';
import { KEY_LINES, START_LINE, keyLine, type KeyLineList } from './positions.js';
import { resolvePlain, type PlainScalar } from './scalars.js';
import { lineNumberAt } from './stream.js';

/** Nesting deeper than this is refused (it only appears in hostile input). */
export const MAX_DEPTH = 200;
/** Characters in one scalar. A Kubernetes object is at most ~1.5 MB, so no real value comes near. */
export const MAX_SCALAR_CHARS = 4 * 1024 * 1024;
/** Nodes (keys, values, items) in one document; the largest CRD in the corpus has about 46 000. */
export const MAX_NODES_PER_DOCUMENT = 250_000;
/** Nodes a document may reach once its aliases are expanded (the "billion laughs" bound). */
export const MAX_EXPANDED_NODES = 1_000_000;

/** Keys whose lines the reports name; `all` records every key (small files: policies, settings). */
export type KeyLines = 'all' | ReadonlySet<string>;

/**
 * Nodes left for a whole run, shared by every file it reads: memory grows with nodes
 * (a mapping key costs ~130 bytes), and this bounds it whatever the shape of the input.
 */
export class NodeBudget {
  constructor(public remaining: number, private readonly limit = remaining) {}

  spend(nodes: number, file: string, line: number): void {
    this.remaining -= nodes;
    if (this.remaining < 0) {
      throw new GateError('LIMIT_EXCEEDED', `the manifests of this run hold more than ${this.limit} keys and values (the limit for one run); check the folders in separate runs, or leave files out with --exclude`, { file, line });
    }
  }
}

export interface ChunkContext {
  budget?: NodeBudget;
  file: string;
  /** Line (1-based) of the chunk's first line in the file. */
  firstLine: number;
  keyLines: KeyLines;
  warnings: Warning[];
}

export interface DecodedDocument {
  value: unknown;
  /** Line of the document's first content. */
  line: number;
  /**
   * How many nodes of the document read as the string "image" (keys, values, aliases).
   * Every `image` key of the value has one, so no more `image` fields than this exist.
   * Unknown (undefined) after the exact pass, where merges and aliases can copy keys.
   */
  imageScalars?: number;
}

let resolved: PlainScalar | undefined;
const GO_PLAIN_TAG = 'tag:gate,2026:go-yaml-plain';
const STR_TAG = 'tag:yaml.org,2002:str';
const GO_PLAIN = new jsYaml.Type(GO_PLAIN_TAG, {
  kind: 'scalar',
  resolve: (text: string) => (resolved = resolvePlain(text)) !== undefined,
  construct: () => resolved,
});
// `!!str` as a scalar type of its own: the one explicit tag both readers agree on.
const STR = new jsYaml.Type(STR_TAG, { kind: 'scalar', construct: (text: string | null) => text ?? '' });
const SCHEMA = new jsYaml.Schema({ implicit: [GO_PLAIN], explicit: [STR] });

/** A "..." document end marker, and anything but blank and comment lines after it. */
function hasContentAfterDocumentEnd(chunk: string): boolean {
  if (!chunk.startsWith('...') && !chunk.includes('\n...')) return false;
  const marker = /^\.\.\.(?:[ \t]|$)/m.exec(chunk);
  if (!marker) return false;
  const rest = chunk.slice(marker.index + 3).split('\n');
  rest[0] = rest[0].replace(/^[ \t]*(?:#.*)?/, '');
  return rest.some((line) => {
    const t = line.trim();
    return t !== '' && !t.startsWith('#');
  });
}

/** An escaped line break followed by an empty line (see decodeYamlChunk). */
const ESCAPED_BREAK_THEN_BLANK = /\\\r?\n[ \t]*\r?\n/;
/** Unpaired UTF-16 surrogates: what a `\ud800` escape leaves in a string. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A line whose first item is an explicit key indicator, "? ". */
const EXPLICIT_KEY = /^[ \t-]*\?(?:[ \t]|$)/m;
/** `!<` where a node can start: a verbatim tag. */
const VERBATIM_TAG = /(?:^|[\s[\]{},:-])!</;

/** Lines per chunk the packed open stack can hold (2^25; a chunk is at most 2^25 characters). */
const LINE_SPAN = 33_554_432;

/** Thrown from the fast listener: this document needs the recording pass. */
const NEEDS_EXACT = Symbol('needs exact pass');

type Kind = 'scalar' | 'mapping' | 'sequence' | null;
interface ParseState {
  input: string;
  position: number;
  line: number;
  kind: Kind;
  tag: string | null;
  result: unknown;
}

/**
 * The first and only document of `chunk` (text between two `---` lines), or undefined
 * when it is empty. More than one document (after a `...` marker) is refused: go-yaml
 * would read only the first.
 */
export function decodeYamlChunk(chunk: string, ctx: ChunkContext): DecodedDocument | undefined {
  if (chunk.length >= LINE_SPAN) {
    throw new GateError('LIMIT_EXCEEDED', `a YAML document of more than ${LINE_SPAN} characters (the limit)`, { file: ctx.file, line: ctx.firstLine });
  }
  const verbatim = chunk.includes('!<') ? VERBATIM_TAG.exec(chunk) : null;
  if (verbatim) {
    // js-yaml reads `!<?>` as "no tag" and resolves the value; go-yaml keeps it a string.
    throw new GateError('INPUT_INVALID', 'a verbatim YAML tag ("!<…>") is refused: write the value without it', { file: ctx.file, line: ctx.firstLine - 1 + lineNumberAt(chunk, verbatim.index) });
  }
  const escapedBreak = chunk.includes('\\') ? ESCAPED_BREAK_THEN_BLANK.exec(chunk) : null;
  if (escapedBreak) {
    throw new GateError(
      'INPUT_INVALID',
      'a backslash at the end of a line, then a blank line: in a double-quoted string go-yaml keeps a line break there and js-yaml does not, so a key or an image could read differently; join the lines or use a block scalar',
      { file: ctx.file, line: ctx.firstLine - 1 + lineNumberAt(chunk, escapedBreak.index) },
    );
  }
  if (hasContentAfterDocumentEnd(chunk)) {
    throw new GateError(
      'INPUT_INVALID',
      'more than one YAML document between two "---" lines (text after a "..." marker): Kubernetes would read only the first; separate documents with a "---" line',
      { file: ctx.file, line: ctx.firstLine },
    );
  }
  let json = false;
  // An explicit key ("? key") can hide a mapping used as a key from the fast pass.
  let exact = chunk.includes('?') && EXPLICIT_KEY.test(chunk);
  for (;;) {
    const recorder: Recorder = exact ? new ExactRecorder(ctx) : new FastRecorder(ctx);
    let documents: unknown[];
    try {
      documents = jsYaml.loadAll(chunk, undefined, {
        schema: SCHEMA,
        json,
        maxDepth: MAX_DEPTH + 1,
        listener: recorder.listener as unknown as jsYaml.LoadOptions['listener'],
      } as jsYaml.LoadOptions);
    } catch (e) {
      if (e === NEEDS_EXACT) {
        exact = true;
        continue;
      }
      if (e instanceof jsYaml.YAMLException && !json && e.reason === 'duplicated mapping key') {
        const key = duplicatedKey(chunk, e.mark?.position ?? 0);
        ctx.warnings.push({ file: ctx.file, line: lineOfError(e, ctx), message: `duplicate key${key ? ` "${key}"` : ''}; Kubernetes keeps the last value, and so does gate` });
        json = true;
        exact = true; // the exact pass tells a repeated key from keys of different types that read the same
        continue;
      }
      throw asGateError(e, ctx);
    }
    const present = documents.filter((d) => d !== null && d !== undefined);
    if (documents.length > 1) {
      throw new GateError(
        'INPUT_INVALID',
        'more than one YAML document between two "---" lines (after a "..." marker): Kubernetes would read only the first; separate documents with a "---" line',
        { file: ctx.file, line: ctx.firstLine },
      );
    }
    ctx.budget?.spend(recorder.nodes, ctx.file, ctx.firstLine);
    if (present.length === 0) return undefined;
    if ((chunk.includes('\\u') || chunk.includes('\\U')) && hasLoneSurrogate(present[0], 0)) {
      throw new GateError('INPUT_INVALID', 'an escape (\\uD800…) that leaves half of a UTF-16 surrogate pair: Kubernetes refuses it in YAML and replaces it in JSON; remove it', { file: ctx.file, line: ctx.firstLine });
    }
    return { value: present[0], line: recorder.documentLine ?? ctx.firstLine, imageScalars: recorder.imageScalars };
  }
}

type Problem = [GateErrorCode, string];

/** What both passes check at every node: the node limit, tags, the scalar limit. The problem, or undefined. */
function checkNode(state: ParseState, nodes: number): Problem | undefined {
  if (nodes > MAX_NODES_PER_DOCUMENT) return ['LIMIT_EXCEEDED', `a document with more than ${MAX_NODES_PER_DOCUMENT} keys and values (the limit); no Kubernetes object is that large`];
  const tag = state.tag;
  if (tag !== null && tag !== '?' && tag !== GO_PLAIN_TAG && !(tag === STR_TAG && state.kind === 'scalar')) {
    return ['INPUT_INVALID', `the YAML tag ${tag === '!' ? '"!"' : `!<${tag}>`} is refused: a tag can make Kubernetes and gate read a value differently; write the value without it`];
  }
  const value = state.result;
  if (typeof value === 'string' && value.length > MAX_SCALAR_CHARS) return ['LIMIT_EXCEEDED', `a value of more than ${MAX_SCALAR_CHARS} characters (the limit); no Kubernetes object can hold it`];
  return undefined;
}

function nodeError([code, message]: Problem, ctx: ChunkContext, line: number): GateError {
  return new GateError(code, message, { file: ctx.file, line });
}

interface Recorder {
  listener(event: 'open' | 'close', state: ParseState): void;
  documentLine: number | undefined;
  imageScalars: number | undefined;
  readonly nodes: number;
}

/**
 * The fast pass: lines only — the start line of every document and sequence item, and
 * the lines of the keys asked for. It runs at every node of every manifest, so it keeps
 * one number per open node (its start position and line) and little else.
 */
class FastRecorder implements Recorder {
  documentLine: number | undefined;
  imageScalars = 0;
  private readonly starts: number[] = [];
  /** Flat triples (depth of the mapping, key, line) waiting for their mapping to close. */
  private readonly pendingKeys: Array<number | string> = [];
  nodes = 0;
  private readonly wanted: ReadonlySet<string> | undefined;
  private readonly longestWanted: number;

  constructor(private readonly ctx: ChunkContext) {
    this.wanted = ctx.keyLines === 'all' ? undefined : ctx.keyLines;
    this.longestWanted = this.wanted ? longestKey(this.wanted) : Number.POSITIVE_INFINITY;
  }

  readonly listener = (event: 'open' | 'close', state: ParseState): void => {
    if (event === 'open') {
      // Position and line in one number: one push per node (a chunk is at most 32 MiB, so both fit).
      this.starts.push(state.position * LINE_SPAN + state.line);
      return;
    }
    const packed = this.starts.pop()!;
    const startLine = packed % LINE_SPAN;
    const start = (packed - startLine) / LINE_SPAN;
    const problem = checkNode(state, ++this.nodes);
    if (problem !== undefined) throw nodeError(problem, this.ctx, this.ctx.firstLine + startLine);
    const value = state.result;
    if (value === 'image') this.imageScalars++;
    const kind = state.kind;
    if (kind === 'scalar') {
      if (typeof value !== 'string') {
        // Booleans and small integers are the same as keys and values to both readers.
        if (typeof value !== 'boolean' && !(typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 1e6 && !Object.is(value, -0))) {
          checkScalar(state, value, this.ctx.firstLine + state.line, this.ctx);
        }
      } else if (value.length <= this.longestWanted) {
        if (value === '<<') {
          if (state.tag === '?' && isKey(state)) throw NEEDS_EXACT;
        } else if ((this.wanted === undefined || this.wanted.has(value)) && isKey(state)) {
          // A key is on one line, the line the parser is on.
          this.pendingKeys.push(this.starts.length, value, this.ctx.firstLine + state.line);
        }
      }
    } else if (kind === 'mapping' || kind === 'sequence') {
      this.closeCollection(state, value as object, start, this.ctx.firstLine + startLine);
    } else if (typeof value === 'object' && value !== null) {
      throw NEEDS_EXACT; // an alias of a mapping or sequence
    }
    if (this.starts.length === 0) this.documentLine = this.ctx.firstLine + startLine;
  };

  private closeCollection(state: ParseState, node: object, start: number, line: number): void {
    // A flow mapping or sequence used as a key: the exact pass refuses it. (A block one can
    // only be a key after "?", and such documents go to the exact pass from the start.)
    const open = state.input.charCodeAt(start);
    if ((open === 0x5b || open === 0x7b) && isKey(state)) throw NEEDS_EXACT;
    const depth = this.starts.length + 1;
    if (this.wanted === undefined || this.starts.length === 0 || startsItem(state.input, start)) hide(node, START_LINE, line);
    const pending = this.pendingKeys;
    if (pending.length === 0 || pending[pending.length - 3] !== depth) return;
    // The mapping's keys are the last triples, in text order.
    let first = pending.length - 3;
    while (first >= 3 && pending[first - 3] === depth) first -= 3;
    const keyLines: KeyLineList = [];
    for (let i = first; i < pending.length; i += 3) keyLines.push(pending[i + 1], pending[i + 2]);
    pending.length = first;
    if (state.kind === 'mapping') hide(node, KEY_LINES, keyLines);
  }

}

interface NodeRecord {
  value: unknown;
  kind: Kind;
  tag: string | null;
  line: number;
  /** Nodes under this one with aliases expanded. */
  size: number;
  /** For a sequence: its items' records' kinds (null: an alias). */
  itemKinds?: Kind[];
}

/** Every node recorded, so that merge keys can be applied as go-yaml does and aliases counted. */
class ExactRecorder implements Recorder {
  documentLine: number | undefined;
  readonly imageScalars = undefined;
  private readonly records: NodeRecord[] = [];
  private readonly starts: number[] = [];
  private readonly lines: number[] = [];
  private readonly sizes = new WeakMap<object, number>();
  nodes = 0;

  constructor(private readonly ctx: ChunkContext) {}

  readonly listener = (event: 'open' | 'close', state: ParseState): void => {
    if (event === 'open') {
      this.starts.push(this.records.length);
      this.lines.push(this.ctx.firstLine + state.line);
      return;
    }
    const line = this.lines.pop()!;
    const problem = checkNode(state, ++this.nodes);
    if (problem !== undefined) throw nodeError(problem, this.ctx, line);
    this.closed(state, line);
    if (this.lines.length === 0) this.documentLine = line;
  };

  private error(message: string, line: number, code: GateErrorCode = 'INPUT_INVALID'): GateError {
    return nodeError([code, message], this.ctx, line);
  }

  private closed(state: ParseState, line: number): void {
    const start = this.starts.pop()!;
    const children = this.records.splice(start);
    const value = state.result;
    let size = 1;
    for (const child of children) size += child.size;
    if (state.kind === 'scalar' && typeof value !== 'string') checkScalar(state, value, line, this.ctx);
    const record: NodeRecord = { value, kind: state.kind, tag: state.tag, line, size };
    if (state.kind === 'mapping') {
      this.applyMapping(value as Record<string, unknown>, children, line);
    } else if (state.kind === 'sequence') {
      // `[a: b]`: js-yaml builds that one-pair mapping without telling the listener, so a merge key in it would go unapplied.
      if (children.length > (value as unknown[]).length) {
        throw this.error('a one-pair mapping inside a flow sequence ([key: value]) next to merge keys or aliases: write it as [{key: value}]', line);
      }
      record.itemKinds = children.map((c) => c.kind);
    } else if (state.kind === null && typeof value === 'object' && value !== null) {
      record.size = this.sizes.get(value) ?? 1;
    }
    if (record.size > MAX_EXPANDED_NODES) {
      throw this.error(`aliases expand this document to more than ${MAX_EXPANDED_NODES} nodes (the limit; a "billion laughs"); Kubernetes refuses excessive aliasing too`, line, 'LIMIT_EXCEEDED');
    }
    if ((state.kind === 'mapping' || state.kind === 'sequence') && typeof value === 'object' && value !== null) {
      hide(value, START_LINE, line);
      this.sizes.set(value, record.size);
    }
    this.records.push(record);
  }

  /** Checks js-yaml's reading of a mapping against its recorded pairs, then applies go-yaml's merge rule. */
  private applyMapping(target: Record<string, unknown>, children: NodeRecord[], line: number): void {
    const doubt = (why: string, fix = 'write it with plain keys and values') => this.error(`gate cannot be sure it reads this mapping as Kubernetes does (${why}); ${fix}`, line);
    if (children.length % 2 !== 0) throw doubt('a key without a value, or an explicit "?" key');
    const lastValue = new Map<string, unknown>();
    const typed = new Set<string>();
    let merges = false;
    for (let i = 0; i < children.length; i += 2) {
      const key = children[i];
      if (key.kind !== 'scalar') throw doubt('a key that is a mapping, a sequence or an alias; Kubernetes refuses a mapping or sequence as a key', 'make the key a plain string');
      if (isMergeKey(key)) merges = true;
      const text = String(key.value);
      // go-yaml keeps `1:` and `"1":` (or `yes:` and `"true":`) apart, and sigs.k8s.io/yaml then keeps one of them at random.
      if (lastValue.has(text) && (typeof key.value !== 'string' || typed.has(text))) {
        throw this.error(`keys that read the same ("${text}") but are of different types or spellings: Kubernetes keeps one of them at random; remove one`, key.line);
      }
      if (typeof key.value !== 'string') typed.add(text);
      lastValue.set(text, children[i + 1].value);
    }
    const keys = Object.keys(target);
    if (keys.length !== lastValue.size || keys.some((k) => !lastValue.has(k) || !sameValue(lastValue.get(k), target[k]))) {
      throw doubt('its keys and values do not pair up', 'write it without merge keys, aliases or explicit "?" keys');
    }
    const merged = new Map<string, unknown>();
    const keyLines = new Map<string, number>();
    for (let i = 0; i < children.length; i += 2) {
      const key = children[i];
      const value = children[i + 1];
      if (!isMergeKey(key)) {
        merged.set(String(key.value), value.value);
        keyLines.set(String(key.value), key.line);
        continue;
      }
      const sources = mergeSources(value);
      if (sources === undefined) {
        throw this.error('a merge key ("<<") takes a mapping, an alias of one, or a sequence of them; Kubernetes refuses anything else', key.line);
      }
      for (let j = sources.length - 1; j >= 0; j--) {
        const source = sources[j];
        for (const k of Object.keys(source)) {
          merged.set(k, source[k]);
          keyLines.set(k, keyLine(source, k) ?? key.line);
        }
      }
    }
    if (merges) {
      for (const k of keys) delete target[k];
      for (const [k, v] of merged) Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    hide(target, KEY_LINES, [...keyLines].flat());
  }
}

/**
 * Scalars go-yaml reads but sigs.k8s.io/yaml cannot turn into JSON, so that Kubernetes
 * refuses the file: a null key, and .inf or .nan as a value.
 */
function checkScalar(state: ParseState, value: unknown, line: number, ctx: ChunkContext): void {
  if (value === null && isKey(state)) {
    throw new GateError('INPUT_INVALID', 'a null key (~, null or nothing before the colon): Kubernetes refuses it', { file: ctx.file, line });
  }
  if (typeof value !== 'number') return;
  if (isKey(state)) {
    if (!numberKeyIsExact(value)) {
      throw new GateError('INPUT_INVALID', `the number key ${String(value)}: sigs.k8s.io/yaml spells such a key differently (as a 32-bit float); quote the key`, { file: ctx.file, line });
    }
  } else if (!Number.isFinite(value)) {
    throw new GateError('INPUT_INVALID', `the value ${String(value)} (.inf or .nan): Kubernetes cannot turn it into JSON and refuses the file; quote it`, { file: ctx.file, line });
  }
}

/**
 * Whether JavaScript spells a number key as sigs.k8s.io/yaml does: integers in decimal,
 * floats with strconv's 'g' format at 32-bit precision. They agree on short numbers
 * that need no exponent; any other number key is refused.
 */
function numberKeyIsExact(n: number): boolean {
  if (!Number.isFinite(n) || Math.abs(n) >= 1e6 || Object.is(n, -0)) return false;
  if (Number.isInteger(n)) return true;
  return Math.abs(n) >= 1e-4 && Number(n.toPrecision(6)) === n;
}

/** go-yaml's isMerge: a plain `<<` (a quoted one is an ordinary key). */
function isMergeKey(record: NodeRecord): boolean {
  return record.value === '<<' && record.tag === '?';
}

/** The mappings a merge key brings in, first first; undefined when go-yaml would refuse the value. */
function mergeSources(value: NodeRecord): Array<Record<string, unknown>> | undefined {
  const isMapping = (kind: Kind, v: unknown) => (kind === 'mapping' || kind === null) && isObject(v);
  if (isMapping(value.kind, value.value)) return [value.value as Record<string, unknown>];
  if (value.kind !== 'sequence' || !Array.isArray(value.value)) return undefined;
  const items = value.value as unknown[];
  const kinds = value.itemKinds ?? [];
  if (kinds.length !== items.length || items.some((item, i) => !isMapping(kinds[i], item))) return undefined;
  return items as Array<Record<string, unknown>>;
}

const longest = new WeakMap<ReadonlySet<string>, number>();
function longestKey(keys: ReadonlySet<string>): number {
  let n = longest.get(keys);
  if (n === undefined) longest.set(keys, (n = Math.max(0, ...[...keys].map((k) => k.length))));
  return n;
}

/**
 * Positions ride on the values under symbols, which Object.keys, for…in and JSON never
 * see. (A plain assignment: defineProperty, which would hide them from deep comparisons
 * too, costs a tenth of the whole parse.)
 */
function hide(target: object, key: symbol, value: unknown): void {
  (target as Record<symbol, unknown>)[key] = value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

/** A node that starts at `position` is a sequence item when a '-', '[' or ',' comes before it on its line. */
function startsItem(input: string, position: number): boolean {
  let i = position - 1;
  let c = input.charCodeAt(i);
  while (c === 0x20 || c === 0x09) c = input.charCodeAt(--i);
  return c === 0x2d || c === 0x5b || c === 0x2c;
}

/** A scalar just read is a key when a ':' follows it on its line. */
function isKey(state: ParseState): boolean {
  const input = state.input;
  let i = state.position;
  let c = input.charCodeAt(i);
  while (c === 0x20 || c === 0x09) c = input.charCodeAt(++i);
  return c === 0x3a;
}

/** The key js-yaml's duplicate-key error points at, as written (quotes removed). */
function duplicatedKey(chunk: string, position: number): string | undefined {
  const found = /^(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\n]|'')*)'|([^\s:][^:\n]*?))\s*:/.exec(chunk.slice(position, position + 300));
  if (!found) return undefined;
  return found[1] ?? found[2]?.replaceAll("''", "'") ?? found[3];
}

function hasLoneSurrogate(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) return value.some((v) => hasLoneSurrogate(v, depth + 1));
  return Object.keys(value).some((k) => LONE_SURROGATE.test(k) || hasLoneSurrogate((value as Record<string, unknown>)[k], depth + 1));
}

function lineOfError(e: jsYaml.YAMLException, ctx: ChunkContext): number {
  return ctx.firstLine + (e.mark?.line ?? 0);
}

function asGateError(e: unknown, ctx: ChunkContext): GateError {
  if (e instanceof GateError) return e;
  if (e instanceof jsYaml.YAMLException && /^unknown tag /.test(e.reason)) {
    const tag = e.reason.replace(/^unknown tag /, '');
    return new GateError('INPUT_INVALID', `the YAML tag ${tag} is refused: a tag can make Kubernetes and gate read a value differently (go-yaml decodes !!binary, for one); write the value without it`, { file: ctx.file, line: lineOfError(e, ctx) });
  }
  if (e instanceof jsYaml.YAMLException) {
    const hint = ctx.firstLine >= 0 && /\{\{/.test(e.mark?.snippet ?? '') ? ' (a Helm or Go template? check the rendered manifests: helm template … | gate check -)' : '';
    return new GateError('INPUT_INVALID', `not valid YAML: ${e.reason}${hint}`, { file: ctx.file, line: lineOfError(e, ctx) }, { cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new GateError('INPUT_INVALID', `not valid YAML: ${message.split('\n')[0]}`, { file: ctx.file, line: ctx.firstLine }, { cause: e });
}
