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
import { GateError, type Warning } from '../errors.js';
import { KEY_LINES, START_LINE } from './positions.js';
import { resolvePlain, type PlainScalar } from './scalars.js';

/** Nesting deeper than this is refused (it only appears in hostile input). */
export const MAX_DEPTH = 200;
/** Characters in one scalar. A Kubernetes object is at most ~1.5 MB, so no real value comes near. */
export const MAX_SCALAR_CHARS = 4 * 1024 * 1024;
/** Nodes (keys, values, items) in one document; the largest CRDs in the corpus have about 40 000. */
export const MAX_NODES_PER_DOCUMENT = 1_000_000;
/** Nodes a document may reach once its aliases are expanded (the "billion laughs" bound). */
export const MAX_EXPANDED_NODES = 1_000_000;

/** Keys whose lines the reports name; `all` records every key (small files: policies, settings). */
export type KeyLines = 'all' | ReadonlySet<string>;

export interface ChunkContext {
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

/** A line whose first item is an explicit key indicator, "? ". */
const EXPLICIT_KEY = /^[ \t-]*\?(?:[ \t]|$)/m;
/** `!<` where a node can start: a verbatim tag. */
const VERBATIM_TAG = /(?:^|[\s[\]{},:-])!</;

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
  const verbatim = VERBATIM_TAG.exec(chunk);
  if (verbatim) {
    // js-yaml reads `!<?>` as "no tag" and resolves the value; go-yaml keeps it a string.
    throw new GateError('INPUT_INVALID', 'a verbatim YAML tag ("!<…>") is refused: write the value without it', { file: ctx.file, line: ctx.firstLine + lineIndex(chunk, verbatim.index) });
  }
  let json = false;
  // An explicit key ("? key") can hide a mapping used as a key from the fast pass.
  let exact = EXPLICIT_KEY.test(chunk);
  for (;;) {
    const recorder = exact ? new ExactRecorder(ctx) : new FastRecorder(ctx);
    let documents: unknown[];
    try {
      documents = jsYaml.loadAll(chunk, undefined, {
        schema: SCHEMA,
        json,
        maxDepth: MAX_DEPTH + 1,
        listener: (event, state) => recorder.on(event, state as unknown as ParseState),
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
    if (present.length === 0) return undefined;
    return { value: present[0], line: recorder.documentLine ?? ctx.firstLine };
  }
}

abstract class Recorder {
  /** For each node being read, innermost last: its line × 2, + 1 when it is a sequence item. */
  protected readonly openLines: number[] = [];
  protected nodes = 0;
  documentLine: number | undefined;
  /** The keys whose lines are wanted; undefined: all of them. */
  private readonly wanted: ReadonlySet<string> | undefined;
  private readonly longestWanted: number;

  constructor(protected readonly ctx: ChunkContext) {
    this.wanted = ctx.keyLines === 'all' ? undefined : ctx.keyLines;
    this.longestWanted = this.wanted ? longestKey(this.wanted) : 0;
  }

  on(event: 'open' | 'close', state: ParseState): void {
    if (event === 'open') {
      this.openLines.push(((this.ctx.firstLine + state.line) << 1) | (startsItem(state) ? 1 : 0));
      return;
    }
    const open = this.openLines.pop()!;
    const line = open >> 1;
    if (this.openLines.length === 0) this.documentLine = line;
    if (++this.nodes > MAX_NODES_PER_DOCUMENT) {
      throw this.error(`a document with more than ${MAX_NODES_PER_DOCUMENT} keys and values; no Kubernetes object is that large`, line);
    }
    if (state.tag !== null && state.tag !== '?' && state.tag !== GO_PLAIN_TAG && !(state.tag === STR_TAG && state.kind === 'scalar')) {
      throw this.error(`the YAML tag ${state.tag === '!' ? '"!"' : `!<${state.tag}>`} is refused: a tag can make Kubernetes and gate read a value differently; write the value without it`, line);
    }
    const value = state.result;
    if (typeof value === 'string' && value.length > MAX_SCALAR_CHARS) {
      throw this.error(`a value of ${value.length} characters, over the limit of ${MAX_SCALAR_CHARS}; no Kubernetes object can hold it`, line);
    }
    this.closed(state, line, (open & 1) === 1 || this.openLines.length === 0 || this.wanted === undefined);
  }

  /** `anchor`: the node's start line is worth keeping (an item, a document, or every node is). */
  protected abstract closed(state: ParseState, line: number, anchor: boolean): void;

  protected error(message: string, line: number): GateError {
    return new GateError('INPUT_INVALID', message, { file: this.ctx.file, line });
  }

  protected wantsLine(key: string): boolean {
    return this.wanted === undefined || (key.length <= this.longestWanted && this.wanted.has(key));
  }
}

/** Lines only: a start line on every mapping and sequence, and the lines of the keys asked for. */
class FastRecorder extends Recorder {
  /** Flat triples (depth of the mapping, key, line) waiting for their mapping to close. */
  private readonly pendingKeys: Array<number | string> = [];

  protected closed(state: ParseState, line: number, anchor: boolean): void {
    const value = state.result;
    const depth = this.openLines.length + 1;
    if (state.kind === 'mapping' || state.kind === 'sequence') {
      if (isKey(state)) throw NEEDS_EXACT; // a mapping or sequence used as a key: the exact pass refuses it
      const node = value as object;
      if (anchor) hide(node, START_LINE, line);
      let keyLines: Record<string, number> | undefined;
      const pending = this.pendingKeys;
      while (pending.length > 0 && pending[pending.length - 3] === depth) {
        const keyLine = pending.pop() as number;
        const key = pending.pop() as string;
        pending.pop();
        if (state.kind === 'mapping') {
          keyLines ??= Object.create(null) as Record<string, number>;
          keyLines[key] ??= keyLine; // popped last-first: the first seen here is the last in the text
        }
      }
      if (keyLines) hide(node, KEY_LINES, keyLines);
      return;
    }
    if (state.kind === null && typeof value === 'object' && value !== null) throw NEEDS_EXACT; // an alias of a mapping or sequence
    if (typeof value !== 'string') {
      checkScalar(state, value, line, this.ctx);
      return;
    }
    if (value === '<<' && state.tag === '?' && isKey(state)) throw NEEDS_EXACT;
    if (this.wantsLine(value) && isKey(state)) this.pendingKeys.push(this.openLines.length, value, line);
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
class ExactRecorder extends Recorder {
  private readonly records: NodeRecord[] = [];
  private readonly starts: number[] = [];
  private readonly sizes = new WeakMap<object, number>();

  override on(event: 'open' | 'close', state: ParseState): void {
    if (event === 'open') this.starts.push(this.records.length);
    super.on(event, state);
  }

  protected closed(state: ParseState, line: number): void {
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
      record.itemKinds = children.map((c) => c.kind);
    } else if (state.kind === null && typeof value === 'object' && value !== null) {
      record.size = this.sizes.get(value) ?? 1;
    }
    if (record.size > MAX_EXPANDED_NODES) {
      throw this.error(`aliases expand this document to more than ${MAX_EXPANDED_NODES} nodes ("billion laughs"); Kubernetes refuses excessive aliasing too`, line);
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
    let merges = false;
    for (let i = 0; i < children.length; i += 2) {
      const key = children[i];
      if (key.kind !== 'scalar') throw doubt('a key that is a mapping, a sequence or an alias; Kubernetes refuses a mapping or sequence as a key', 'make the key a plain string');
      if (isMergeKey(key)) merges = true;
      lastValue.set(String(key.value), children[i + 1].value);
    }
    const keys = Object.keys(target);
    if (keys.length !== lastValue.size || keys.some((k) => !lastValue.has(k) || !sameValue(lastValue.get(k), target[k]))) {
      throw doubt('its keys and values do not pair up', 'write it without merge keys, aliases or explicit "?" keys');
    }
    const merged = new Map<string, unknown>();
    const keyLines = Object.create(null) as Record<string, number>;
    for (let i = 0; i < children.length; i += 2) {
      const key = children[i];
      const value = children[i + 1];
      if (!isMergeKey(key)) {
        merged.set(String(key.value), value.value);
        keyLines[String(key.value)] = key.line;
        continue;
      }
      const sources = mergeSources(value);
      if (sources === undefined) {
        throw this.error('a merge key ("<<") takes a mapping, an alias of one, or a sequence of them; Kubernetes refuses anything else', key.line);
      }
      for (let j = sources.length - 1; j >= 0; j--) {
        const source = sources[j];
        const sourceLines = (source as Record<symbol, Record<string, number> | undefined>)[KEY_LINES];
        for (const k of Object.keys(source)) {
          merged.set(k, source[k]);
          keyLines[k] = sourceLines?.[k] ?? key.line;
        }
      }
    }
    if (merges) {
      for (const k of keys) delete target[k];
      for (const [k, v] of merged) Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    hide(target, KEY_LINES, keyLines);
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
  if (!Number.isFinite(n) || Math.abs(n) >= 1e6) return false;
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

/** Positions ride on the values, invisible to Object.keys, JSON and deep comparisons. */
const HIDDEN: PropertyDescriptor = { value: undefined, writable: true, configurable: true, enumerable: false };
function hide(target: object, key: symbol, value: unknown): void {
  HIDDEN.value = value; // one descriptor reused: this runs for many nodes
  Object.defineProperty(target, key, HIDDEN);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

/** A node about to be read is a sequence item when a '-', '[' or ',' comes before it on its line. */
function startsItem(state: ParseState): boolean {
  const input = state.input;
  let i = state.position - 1;
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

function lineIndex(text: string, index: number): number {
  let line = 0;
  for (let j = text.indexOf('\n'); j !== -1 && j < index; j = text.indexOf('\n', j + 1)) line++;
  return line;
}

function lineOfError(e: jsYaml.YAMLException, ctx: ChunkContext): number {
  return ctx.firstLine + (e.mark?.line ?? 0);
}

function asGateError(e: unknown, ctx: ChunkContext): GateError {
  if (e instanceof GateError) return e;
  if (e instanceof jsYaml.YAMLException) {
    const hint = ctx.firstLine >= 0 && /\{\{/.test(e.mark?.snippet ?? '') ? ' (a Helm or Go template? check the rendered manifests: helm template … | gate check -)' : '';
    return new GateError('INPUT_INVALID', `not valid YAML: ${e.reason}${hint}`, { file: ctx.file, line: lineOfError(e, ctx) }, { cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new GateError('INPUT_INVALID', `not valid YAML: ${message.split('\n')[0]}`, { file: ctx.file, line: ctx.firstLine }, { cause: e });
}
