// Errors that stop a run before a verdict can be given (DESIGN.md §3, exit code 2).
// A denial is never an exception: it is a Verdict value (verify/verdict.ts).

export type GateErrorCode =
  | 'USAGE' // bad flags or arguments
  | 'INPUT_UNREADABLE' // a path that cannot be read
  | 'INPUT_INVALID' // unparsable YAML/JSON, oversized file, alias bomb
  | 'INPUT_EMPTY' // no Kubernetes object at all (an empty render must never pass)
  | 'POLICY_INVALID' // an ImagePolicy / ClusterImagePolicy that fails validation
  | 'POLICY_CONFLICT' // the same policy defined twice with different content
  | 'KEY_MISSING' // a keySecret that resolves to nothing
  | 'KEY_INVALID' // a key that is not an armoured OpenPGP public key block
  | 'REGISTRIES_D_INVALID' // a containers-registries.d file that fails validation
  | 'CONFIG_INVALID' // .gate/config.yaml that fails validation
  | 'GATE_DIR_CONFLICT' // paths that belong to different .gate/ folders
  | 'GATE_DIR_MISSING' // no .gate/ folder and no policy anywhere
  | 'RENDER_FAILED' // helm or kustomize failed, or the app cannot be rendered
  | 'OUTPUT_UNWRITABLE' // a report file (--output FORMAT=FILE) that cannot be written
  | 'LIMIT_EXCEEDED' // input past one of gate's size or count limits (README "Limits")
  | 'RECORDING_STALE' // gate test: the policy now needs evidence the recording does not hold (re-record)
  | 'RECORDING_INVALID' // gate test: .gate/testdata/ is missing, malformed, or a blob does not match its hash
  | 'SOURCE_UNAVAILABLE'; // the cluster or a credential helper did not answer: no verdict (exit 3)

export interface SourcePosition {
  file: string;
  line?: number;
}

export class GateError extends Error {
  readonly code: GateErrorCode;
  readonly position?: SourcePosition;

  constructor(code: GateErrorCode, message: string, position?: SourcePosition, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GateError';
    this.code = code;
    this.position = position;
  }

  /**
   * `file:line: message`, the message's line breaks folded. Raw: what the repository
   * wrote in it (a file name) is escaped by whoever prints it (report/escape.ts).
   */
  oneLine(): string {
    const where = this.position
      ? `${this.position.file}${this.position.line !== undefined ? `:${this.position.line}` : ''}: `
      : '';
    return `${where}${this.message.replace(/\s*\n\s*/g, ' ')}`;
  }
}

/** Exit codes of a run stopped by an error (DESIGN.md §3): bad input, or no verdict could be reached. */
export const EXIT_BAD_INPUT = 2;
export const EXIT_INCOMPLETE = 3;

/** A cluster or credential helper that does not answer is not bad input: no verdict could be reached. */
export function exitCodeForError(e: GateError): typeof EXIT_BAD_INPUT | typeof EXIT_INCOMPLETE {
  return e.code === 'SOURCE_UNAVAILABLE' ? EXIT_INCOMPLETE : EXIT_BAD_INPUT;
}

/**
 * What gate says of an error it did not expect (exit EXIT_INCOMPLETE). `debug`: the
 * process can show the stack when GATE_DEBUG is set, so the line says how.
 */
export function internalErrorText(e: unknown, debug = false): string {
  return `internal error: ${errorMessage(e)} (no verdict was reached; ${debug ? 'set GATE_DEBUG=1 for details and ' : ''}please report it)`;
}

/** Something a user should know that does not stop the run; part of every report. */
export interface Warning {
  file?: string;
  line?: number;
  message: string;
}

export function formatWarning(warning: Warning): string {
  if (!warning.file) return warning.message;
  return `${warning.file}${warning.line !== undefined ? `:${warning.line}` : ''}: ${warning.message}`;
}

/** Message of an unknown thrown value, for wrapping third-party errors. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
