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
import { inertLine } from './escape.js';

/** Every format: its view of a report, and its shape for a run that stopped with `error` (exit `exitCode`). */
const VIEWS = {
  text: { render: (report, context) => renderText(report, { color: context.color }), failure: (error) => `gate: ${inertLine(error.oneLine())}\n` },
  json: { render: (report) => renderJson(report), failure: (error) => renderJsonError(error) },
  sarif: { render: (report, context) => renderSarif(report, context.cwd), failure: (error, context, exitCode) => renderSarifError(error, context.cwd, exitCode) },
  junit: { render: (report) => renderJunit(report), failure: (error) => renderJunitError(error) },
  github: { render: (report) => renderGithub(report), failure: (error) => renderGithubError(error) },
  markdown: { render: (report) => renderMarkdown(report), failure: (error) => renderMarkdownError(error) },
} satisfies Record<string, View>;

interface View {
  render(report: Report, context: RenderContext): string;
  failure(error: GateError, context: RenderContext, exitCode: number): string;
}

export type Format = keyof typeof VIEWS;
export const FORMATS = Object.keys(VIEWS) as Format[];

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
  if (!Object.hasOwn(VIEWS, format)) {
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
  return VIEWS[format].render(report, context);
}

/** The run stopped with `error` (exit `exitCode`): each format's shape for a failed run. */
export function renderFailure(format: Format, error: GateError, context: RenderContext, exitCode: number): string {
  return VIEWS[format].failure(error, context, exitCode);
}
