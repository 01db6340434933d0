// A JSON reader that refuses what JSON.parse forgives: duplicate keys (JSON.parse keeps
// the last one silently), trailing data, and nesting beyond a small bound. Objects come
// back as Maps so no key can reach a prototype.

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = Map<string, JsonValue>;

export class StrictJsonError extends Error {}

const MAX_DEPTH = 32;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

export function parseStrictJson(text: string): JsonValue {
  const parser = new Parser(text);
  parser.whitespace();
  const value = parser.value(0);
  parser.whitespace();
  if (parser.pos !== text.length) throw new StrictJsonError(`unexpected data after the JSON value at offset ${parser.pos}`);
  return value;
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  whitespace(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos])) this.pos++;
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) throw new StrictJsonError('JSON nested too deeply');
    const c = this.text[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    throw new StrictJsonError(`invalid JSON at offset ${this.pos}`);
  }

  private object(depth: number): JsonObject {
    const result: JsonObject = new Map();
    this.pos++;
    this.whitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return result;
    }
    for (;;) {
      this.whitespace();
      if (this.text[this.pos] !== '"') throw new StrictJsonError(`expected a key at offset ${this.pos}`);
      const key = this.string();
      if (result.has(key)) throw new StrictJsonError(`Duplicate key "${key}"`);
      this.whitespace();
      this.expect(':');
      this.whitespace();
      result.set(key, this.value(depth + 1));
      this.whitespace();
      if (this.text[this.pos] === ',') {
        this.pos++;
        continue;
      }
      this.expect('}');
      return result;
    }
  }

  private array(depth: number): JsonValue[] {
    const result: JsonValue[] = [];
    this.pos++;
    this.whitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return result;
    }
    for (;;) {
      this.whitespace();
      result.push(this.value(depth + 1));
      this.whitespace();
      if (this.text[this.pos] === ',') {
        this.pos++;
        continue;
      }
      this.expect(']');
      return result;
    }
  }

  private string(): string {
    const match = this.sticky(STRING);
    if (!match) throw new StrictJsonError(`invalid string at offset ${this.pos}`);
    this.pos += match[0].length;
    return JSON.parse(match[0]) as string;
  }

  private number(): number {
    const match = this.sticky(NUMBER);
    if (!match) throw new StrictJsonError(`invalid number at offset ${this.pos}`);
    this.pos += match[0].length;
    return Number(match[0]);
  }

  private sticky(pattern: RegExp): RegExpExecArray | null {
    pattern.lastIndex = this.pos;
    return pattern.exec(this.text);
  }

  private expect(c: string): void {
    if (this.text[this.pos] !== c) throw new StrictJsonError(`expected "${c}" at offset ${this.pos}`);
    this.pos++;
  }
}
