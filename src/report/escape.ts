// Text from the repository (file names, image strings, policy fields, exemption reasons)
// is shown, never obeyed. Before it reaches a terminal or a CI log its control characters are
// written as escapes, so that it can neither forge lines (newline, carriage return), nor
// send escape sequences, nor reorder what is shown (bidirectional controls); and no line
// may start with what the GitHub Actions runner takes for a workflow command.

const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `a\nb` → `a\\nb`; every other control or bidirectional character → `\uXXXX`. */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A copy of `value` with every string in it passed through escapeControls. */
export function visible<T>(value: T): T {
  if (typeof value === 'string') return escapeControls(value) as T;
  if (Array.isArray(value)) return value.map(visible) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visible(v)])) as T;
  return value;
}

/** The runner reads a line that starts (after blanks) with `::` or `##[` as a command: such a line gets a `\` first. */
export function notACommand(line: string): string {
  return line.replace(/^(\s*)(::|##\[)/, '$1\\$2');
}

/** One line of repository text for a log: its controls escaped, and not a workflow command. */
export function inertLine(line: string): string {
  return notACommand(escapeControls(line));
}

/** notACommand for every line of a text view. */
export function safeLines(text: string): string {
  return text.split('\n').map(notACommand).join('\n');
}
