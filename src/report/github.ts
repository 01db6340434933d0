// GitHub Actions workflow commands: `::error file=…,line=…,title=…::message` for each
// use of an image that was denied (not the uses of it that passed), `::notice` for an
// exempted one, `::warning` for warnings.
// GitHub turns these log lines into annotations on the pull request's diff.
// https://docs.github.com/actions/reference/workflow-commands-for-github-actions

import type { GateError } from '../errors.js';
import { objectLabel } from '../manifests/extract.js';
import type { ImageResult, Report, ReportSource } from './model.js';

export function renderGithub(report: Report): string {
  const lines: string[] = [];
  for (const result of report.results) {
    for (const source of result.sources) if (source.verdict === 'deny' || source.reason === 'EXEMPT') lines.push(annotation(result, source));
  }
  for (const warning of report.warnings) lines.push(command('warning', { ...position(warning.file, warning.line), title: 'gate warning' }, warning.message));
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export function renderGithubError(error: GateError): string {
  const { file, line } = error.position ?? {};
  return `${command('error', { ...position(file, line), title: `gate: ${error.code}` }, error.message)}\n`;
}

function annotation(result: ImageResult, source: ReportSource): string {
  const image = result.image || '(no image)';
  const where = position(source.file, source.line);
  if (source.reason === 'EXEMPT' && result.exemption) {
    const e = result.exemption;
    return command('notice', { ...where, title: `gate: ${image} is exempt until ${e.expires}` }, `${e.reason} (owner ${e.owner}); not verified`);
  }
  const fix = source.hint ? `\nFix: ${source.hint}` : '';
  const message = `${image} in ${objectLabel(source.kind, source.name)} (namespace ${result.namespace}): ${source.message}${fix}`;
  return command('error', { ...where, title: `gate: ${source.reason}` }, message);
}

function position(file: string | undefined, line: number | undefined): Record<string, string> {
  if (!file || file.startsWith('<')) return {};
  return line ? { file, line: String(line) } : { file };
}

function command(name: 'error' | 'warning' | 'notice', properties: Record<string, string>, message: string): string {
  const props = Object.entries(properties).map(([k, v]) => `${k}=${escapeProperty(v)}`).join(',');
  return `::${name}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

/** Message text: % and line breaks are encoded, or the runner would end the command there. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Property values: also `:` and `,`, which separate properties. */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
