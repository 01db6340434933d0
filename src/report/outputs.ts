// `--output FORMAT[=FILE]`, repeatable: which views of the one Report a run writes, and
// where. Every format has an error form too, so that a CI step uploading a SARIF or
// JUnit file finds one even when the run stopped on bad input.

import { GateError } from '../errors.js';
import { renderGithub, renderGithubError } from './github.js';
import { renderJson, renderJsonError } from './json.js';
import { renderJunit, renderJunitError } from './junit.js';
import { renderMarkdown, renderMarkdownError } from './markdown.js';
import type { Report } from './model.js';
import { renderSarif, renderSarifError } from './sarif.js';
import { renderText } from './text.js';

export const FORMATS = ['text', 'json', 'sarif', 'junit', 'github', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];

export interface OutputSpec {
  format: Format;
  /** Absent: standard output. */
  file?: string;
}

export interface RenderContext {
  /** The folder paths in the report are relative to (SARIF's %SRCROOT%). */
  cwd: string;
  color: boolean;
}

export function parseOutputSpec(value: string): OutputSpec {
  const equals = value.indexOf('=');
  const format = (equals < 0 ? value : value.slice(0, equals)).trim();
  const file = equals < 0 ? undefined : value.slice(equals + 1);
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new GateError('USAGE', `--output: unknown format "${format}"; use one of ${FORMATS.join(', ')}, optionally =FILE (e.g. -o sarif=gate.sarif)`);
  }
  if (file !== undefined && file.trim() === '') throw new GateError('USAGE', `--output ${format}=: the file name is missing`);
  return { format: format as Format, ...(file !== undefined ? { file } : {}) };
}

/**
 * One format may go to standard output, plus `github` (whose lines the Actions runner
 * picks out of the log) before it. When every format goes to a file, the text report
 * still goes to standard output, so the CI log shows the verdict.
 */
export function planOutputs(specs: OutputSpec[]): OutputSpec[] {
  if (specs.length === 0) return [{ format: 'text' }];
  const toStdout = specs.filter((s) => s.file === undefined);
  const others = toStdout.filter((s) => s.format !== 'github');
  if (others.length > 1 || toStdout.filter((s) => s.format === 'github').length > 1) {
    throw new GateError('USAGE', `--output: only one format can go to standard output (${toStdout.map((s) => s.format).join(', ')}); write the others to files, e.g. -o ${others[1]?.format ?? 'github'}=FILE`);
  }
  const files = specs.filter((s) => s.file !== undefined).map((s) => s.file!);
  const twice = files.find((f, i) => files.indexOf(f) !== i);
  if (twice) throw new GateError('USAGE', `--output: two formats would be written to ${twice}`);
  const planned = [...specs.filter((s) => s.format === 'github' && s.file === undefined), ...specs.filter((s) => !(s.format === 'github' && s.file === undefined))];
  return others.length === 0 ? [...planned, { format: 'text' }] : planned;
}

export function renderReport(format: Format, report: Report, context: RenderContext): string {
  switch (format) {
    case 'text':
      return renderText(report, { color: context.color });
    case 'json':
      return renderJson(report);
    case 'sarif':
      return renderSarif(report, context.cwd);
    case 'junit':
      return renderJunit(report);
    case 'github':
      return renderGithub(report);
    case 'markdown':
      return renderMarkdown(report);
  }
}

/** The run stopped with `error` (exit `exitCode`): each format's shape for a failed run. */
export function renderFailure(format: Format, error: GateError, context: RenderContext, exitCode: number): string {
  switch (format) {
    case 'text':
      return `gate: ${error.oneLine()}\n`;
    case 'json':
      return renderJsonError(error);
    case 'sarif':
      return renderSarifError(error, context.cwd, exitCode);
    case 'junit':
      return renderJunitError(error);
    case 'github':
      return renderGithubError(error);
    case 'markdown':
      return renderMarkdownError(error);
  }
}
