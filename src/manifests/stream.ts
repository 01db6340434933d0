// How Kubernetes frames a manifest stream before any YAML is parsed — apimachinery's
// YAMLOrJSONDecoder, which kubectl and Argo CD's gitops-engine both use:
// - a stream whose first non-space character is `{` is a sequence of JSON values;
// - otherwise it is cut into documents at every line that starts with `---` and has
//   nothing after it but spaces or a `#` comment; a line starting with `---` followed
//   by anything else is an error, not text; each piece is one YAML document.
// Characters go-yaml treats as line breaks and js-yaml does not (NEL, LS, PS, a lone
// CR), control characters and byte-order marks inside the stream would let the two
// readers disagree on where a comment, a line or a document ends: they are refused.

import { GateError } from '../errors.js';

/** Characters in one line of YAML; a longer line is a minified or hostile file, not a manifest. */
export const MAX_LINE_CHARS = 1024 * 1024;
/** Documents in one stream (10 000 Deployments is a very large app); the same number as objects in a run. */
export const MAX_DOCUMENTS = 50_000;
/** kubectl looks this far (in bytes) for the `{` that makes a stream JSON. */
const JSON_SNIFF_BYTES = 4096;

export interface Chunk {
  text: string;
  /** Line (1-based, before any offset) of the chunk's first line. */
  firstLine: number;
}

export type FramedStream = { format: 'json'; values: Chunk[] } | { format: 'yaml'; chunks: Chunk[] };

/**
 * Refused anywhere in a stream: C0 controls but tab/LF/CR, DEL and C1 controls
 * (NEL is one), LS, PS and non-characters. go-yaml rejects control characters, and
 * takes NEL, LS and PS for line breaks where js-yaml does not.
 */
const FORBIDDEN = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u2028\u2029\uFFFE\uFFFF]|\r(?!\n)/;

export function frameStream(text: string, file: string, lineOffset = 0): FramedStream {
  const bad = FORBIDDEN.exec(text);
  if (bad) {
    throw new GateError('INPUT_INVALID', `${describeCharacter(bad[0])}: Kubernetes and gate could read the lines around it differently; remove it`, {
      file,
      line: lineOffset + lineNumberAt(text, bad.index),
    });
  }
  if (looksLikeJson(text)) return { format: 'json', values: jsonValues(text, file, lineOffset) };
  return { format: 'yaml', chunks: yamlChunks(text, file, lineOffset) };
}

function yamlChunks(text: string, file: string, lineOffset: number): Chunk[] {
  const chunks: Chunk[] = [];
  let chunkStart = 0;
  let chunkLine = 1;
  let line = 1;
  let nextBom = text.indexOf('\uFEFF');
  const emit = (end: number) => {
    if (end > chunkStart) {
      if (chunks.length >= MAX_DOCUMENTS) {
        throw new GateError('LIMIT_EXCEEDED', `more than ${MAX_DOCUMENTS} YAML documents in one file (the limit); split it`, { file, line: lineOffset + line });
      }
      chunks.push({ text: text.slice(chunkStart, end), firstLine: lineOffset + chunkLine });
    }
  };
  for (let start = 0; start < text.length; line++) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline + 1;
    if (end - start > MAX_LINE_CHARS) {
      throw new GateError('LIMIT_EXCEEDED', `a line of more than ${MAX_LINE_CHARS} characters (the limit); no manifest needs one (a minified file? reformat it)`, { file, line: lineOffset + line });
    }
    const first = text.charCodeAt(start);
    if (first === 0x2d /* - */ && text.startsWith('---', start)) {
      const rest = goTrimSpace(text.slice(start + 3, end));
      if (rest !== '' && !rest.startsWith('#')) {
        throw new GateError('INPUT_INVALID', `invalid document separator "---${truncate(rest)}": Kubernetes refuses a "---" line with anything but a comment after it`, {
          file,
          line: lineOffset + line,
        });
      }
      emit(start);
      chunkStart = end;
      chunkLine = line + 1;
    } else if (first === 0x25 /* % */) {
      throw new GateError('INPUT_INVALID', 'a YAML directive (%YAML, %TAG): refused, as Kubernetes reads YAML 1.1 whatever it says; remove the line', { file, line: lineOffset + line });
    }
    // go-yaml skips a byte-order mark at the start of a document; anywhere else it is refused.
    while (nextBom !== -1 && nextBom < end) {
      if (nextBom !== chunkStart || nextBom !== start) throw new GateError('INPUT_INVALID', 'a byte-order mark (U+FEFF) inside the text: remove it', { file, line: lineOffset + line });
      nextBom = text.indexOf('\uFEFF', nextBom + 1);
    }
    start = end;
  }
  emit(text.length);
  return chunks;
}

/** YAMLOrJSONDecoder's guess: the first non-space character (unicode.IsSpace), within the first 4 KiB, is `{`. */
function looksLikeJson(text: string): boolean {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isGoSpace(c)) return c === 0x7b;
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    if (bytes >= JSON_SNIFF_BYTES) return false;
  }
  return false;
}

const JSON_SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * The values of a JSON stream (encoding/json's Decoder reads them one after another,
 * separated by whitespace or not at all). Each is cut out here and parsed later.
 */
function jsonValues(text: string, file: string, lineOffset: number): Chunk[] {
  const values: Chunk[] = [];
  let line = 1;
  let i = 0;
  for (;;) {
    while (i < text.length && JSON_SPACE.has(text.charCodeAt(i))) {
      if (text.charCodeAt(i) === 0x0a) line++;
      i++;
    }
    if (i >= text.length) return values;
    if (values.length >= MAX_DOCUMENTS) {
      throw new GateError('LIMIT_EXCEEDED', `more than ${MAX_DOCUMENTS} JSON values in one file (the limit); split it`, { file, line: lineOffset + line });
    }
    const end = jsonValueEnd(text, i);
    if (end === undefined) {
      throw new GateError('INPUT_INVALID', 'not valid JSON: a value that does not end (Kubernetes reads a file that starts with "{" as JSON)', { file, line: lineOffset + line });
    }
    const valueText = text.slice(i, end);
    values.push({ text: valueText, firstLine: lineOffset + line });
    for (let j = valueText.indexOf('\n'); j !== -1; j = valueText.indexOf('\n', j + 1)) line++;
    i = end;
  }
}

/** Index just after the JSON value starting at `start` (strings and nesting followed, nothing validated). */
function jsonValueEnd(text: string, start: number): number | undefined {
  let depth = 0;
  let i = start;
  do {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
      if (i >= text.length) return undefined;
      i++;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      i++;
    } else if (depth === 0) {
      // A bare number or literal at the top level: up to the next delimiter.
      while (i < text.length && !JSON_SPACE.has(text.charCodeAt(i)) && !'{}[]",:'.includes(text[i])) i++;
      if (i === start) i++;
    } else {
      i++;
    }
    if (i > text.length) return undefined;
  } while (depth > 0 && i < text.length);
  return depth === 0 ? i : undefined;
}

/** Go's unicode.IsSpace. */
function isGoSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) || c === 0x20 || c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

/** Go's strings.TrimSpace. */
function goTrimSpace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isGoSpace(s.charCodeAt(a))) a++;
  while (b > a && isGoSpace(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

export function lineNumberAt(text: string, index: number): number {
  let line = 1;
  for (let j = text.indexOf('\n'); j !== -1 && j < index; j = text.indexOf('\n', j + 1)) line++;
  return line;
}

function describeCharacter(ch: string): string {
  const names: Record<string, string> = { '\r': 'a carriage return without a line feed (use LF or CRLF line ends)', '\u0085': 'a NEL (U+0085) character', '\u2028': 'a line separator (U+2028)', '\u2029': 'a paragraph separator (U+2029)' };
  return names[ch] ?? `the control character U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

function truncate(s: string): string {
  return s.length > 20 ? `${s.slice(0, 20)}…` : s;
}
