// What a plain (unquoted, untagged) YAML scalar means to Kubernetes: go-yaml v2, under
// sigs.k8s.io/yaml, resolves it with YAML 1.1's rules as go-yaml restates them —
// `yes`/`no`/`on`/`off`/`y`/`n` are booleans, `0x1F`, `017`, `0b101` and `1_000` are
// integers, timestamps stay strings. A value is a string unless go-yaml makes it
// something else; when this module is unsure it says "string", so that gate reads an
// image where Kubernetes might not, never the other way round.

export type PlainScalar = null | boolean | number | string;

const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((s) => [s, true] as const),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((s) => [s, false] as const),
]);
/** go-yaml's resolve table: 1 for the first characters that can start anything but a string. */
const FIRST_CHARACTER = new Uint8Array(128);
for (const ch of '0123456789+-.yYnNtTfFoO~') FIRST_CHARACTER[ch.charCodeAt(0)] = 1;
const NULLS: ReadonlySet<string> = new Set(['~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS: ReadonlyMap<string, number> = new Map([
  ...['.nan', '.NaN', '.NAN'].map((s) => [s, Number.NaN] as const),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((s) => [s, Number.POSITIVE_INFINITY] as const),
  ...['-.inf', '-.Inf', '-.INF'].map((s) => [s, Number.NEGATIVE_INFINITY] as const),
]);

/** go-yaml's yamlStyleFloat, applied after underscores are removed. */
const YAML_STYLE_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** Go's decimal float syntax, for scalars that start with '.' (no underscores: see below). */
const DOT_FLOAT = /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/;

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * The value go-yaml gives a plain scalar, or `undefined` when it stays a string.
 * (Only the first character decides whether go-yaml looks further, as its resolve
 * table does: most strings leave at the first comparison.)
 */
export function resolvePlain(text: string): PlainScalar | undefined {
  if (text === '') return null;
  const c = text.charCodeAt(0);
  if (c >= 128 || FIRST_CHARACTER[c] === 0) return undefined;
  const digit = c >= 0x30 && c <= 0x39;
  const sign = c === 0x2b || c === 0x2d;
  const bool = BOOLEANS.get(text);
  if (bool !== undefined) return bool;
  if (NULLS.has(text)) return null;
  const special = SPECIAL_FLOATS.get(text);
  if (special !== undefined) return special;
  if (c === 0x2e) {
    // Go's ParseFloat; with underscores its rules get intricate, and such a value is
    // then read as a string (the safe side, see above).
    return DOT_FLOAT.test(text) ? finiteOrString(Number(text)) : undefined;
  }
  if (!digit && !sign) return undefined;
  const plain = text.replaceAll('_', '');
  const integer = parseGoInteger(plain);
  if (integer !== undefined) return integer;
  if (YAML_STYLE_FLOAT.test(plain)) return finiteOrString(Number(plain));
  return undefined;
}

/** strconv.ParseInt(s, 0, 64), then ParseUint(s, 0, 64): sign, 0x/0o/0b prefixes, a leading 0 for octal. */
function parseGoInteger(s: string): number | undefined {
  let i = 0;
  let negative = false;
  if (s[0] === '+' || s[0] === '-') {
    negative = s[0] === '-';
    i = 1;
  }
  let digits = s.slice(i);
  let base = 10;
  if (digits.length >= 2 && digits[0] === '0') {
    const p = digits[1].toLowerCase();
    if (p === 'x') [base, digits] = [16, digits.slice(2)];
    else if (p === 'o') [base, digits] = [8, digits.slice(2)];
    else if (p === 'b') [base, digits] = [2, digits.slice(2)];
    else [base, digits] = [8, digits.slice(1)];
  }
  const pattern = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : base === 2 ? /^[01]+$/ : /^[0-9]+$/;
  if (!pattern.test(digits)) return undefined;
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : base === 2 ? '0b' : '';
  const magnitude = BigInt(prefix + digits);
  const value = negative ? -magnitude : magnitude;
  if (value >= INT64_MIN && value <= INT64_MAX) return Number(value);
  // ParseUint takes no sign at all.
  if (i === 0 && value <= UINT64_MAX) return Number(value);
  return undefined;
}

/** ParseFloat fails on overflow, and go-yaml then keeps the text as a string. */
function finiteOrString(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined;
}
