// The report for a person at a terminal or reading a CI log: denials first, each with
// what is wrong, which policy decided, what to do, and every file:line that uses it.

import type { ImageResult, Report, ReportSource } from './model.js';

export interface TextStyle {
  color: boolean;
}

export function renderText(report: Report, style: TextStyle): string {
  const paint = painter(style.color);
  const lines: string[] = [];
  const { files, objects } = report.scanned;
  lines.push(paint.dim(`gate ${report.gateVersion}: ${plural(files, 'file')}, ${plural(objects, 'object')}, ${plural(report.summary.images, 'image')}`));
  lines.push('');

  const ordered = [...report.results].sort((a, b) => rank(a) - rank(b) || firstSource(a).localeCompare(firstSource(b), 'en', { numeric: true }));
  for (const result of ordered) {
    const denied = result.verdict === 'deny';
    const head = denied ? paint.red('DENY ') : paint.green('ALLOW');
    lines.push(`${head} ${paint.bold(result.image || '(no image)')}  ${paint.dim(`namespace ${result.namespace}`)}`);
    lines.push(`      ${denied ? paint.red(result.reason) : paint.green(result.reason)}  ${result.message}`);
    if (result.digest && !result.image.includes(result.digest)) lines.push(`      ${paint.dim('digest')}  ${result.digest}`);
    if (result.policy) {
      const ns = result.policy.namespace ? ` in namespace ${result.policy.namespace}` : '';
      lines.push(`      ${paint.dim('policy')}  ${result.policy.kind}/${result.policy.name}${ns}, repository "${result.policy.repository}"`);
    }
    if (result.hint) lines.push(`      ${paint.dim('fix')}     ${result.hint}`);
    result.sources.forEach((source, i) => {
      lines.push(`      ${paint.dim(i === 0 ? 'used at' : '       ')} ${describeSource(source)}`);
    });
    lines.push('');
  }

  if (report.warnings.length > 0) {
    lines.push(paint.yellow('warnings:'));
    for (const warning of report.warnings) lines.push(`  ${warning}`);
    lines.push('');
  }

  const { images, denied } = report.summary;
  if (images === 0) lines.push('No images found.');
  else if (denied === 0) lines.push(paint.green(`All ${plural(images, 'image')} allowed.`));
  else lines.push(paint.red(`${denied} of ${plural(images, 'image')} denied.`));
  return `${lines.join('\n')}\n`;
}

function describeSource(source: ReportSource): string {
  const via = source.via ? ` in ${source.via}` : '';
  const generic = source.generic ? ' (found by the generic walk for image fields)' : '';
  return `${source.file}:${source.line}  ${source.kind}/${source.name}${via}  ${source.path}${generic}`;
}

function rank(result: ImageResult): number {
  return result.verdict === 'deny' ? 0 : 1;
}

function firstSource(result: ImageResult): string {
  const s = result.sources[0];
  return s ? `${s.file}:${String(s.line).padStart(8, '0')}` : '';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function painter(enabled: boolean) {
  const wrap = (code: string) => (s: string) => (enabled ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { red: wrap('31'), green: wrap('32'), yellow: wrap('33'), bold: wrap('1'), dim: wrap('2') };
}

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function shouldColor(mode: 'auto' | 'always' | 'never', isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY;
}
