// The report for a person at a terminal or reading a CI log: each denial in full (what
// is wrong, which policy decided, what to do, where the image is used, and which of its
// uses were denied when they differ), each allowed image on one line, then warnings and
// a last line that names what was denied.

import { formatWarning } from '../errors.js';
import { objectLabel } from '../manifests/extract.js';
import { deniedFirst, usesDiffer, type Report, type ReportSource } from './model.js';
import { safeLines, visible } from './escape.js';

export interface TextStyle {
  color: boolean;
}

/** Uses listed per denied image; the JSON report lists them all. */
const MAX_SOURCES = 10;
const MAX_NAMED_DENIALS = 10;

export function renderText(untrusted: Report, style: TextStyle): string {
  // Every string in the report may come from the repository: no control character of it
  // reaches the terminal or the CI log (no forged lines, no escape sequences).
  const report = visible(untrusted);
  const paint = painter(style.color);
  const lines: string[] = [];
  const { files, objects } = report.scanned;
  lines.push(paint.dim(`gate ${report.gateVersion}: ${plural(files, 'file')}, ${plural(objects, 'object')}, ${plural(report.summary.images, 'image')}`));
  lines.push('');

  const denied = report.results.filter((r) => r.verdict === 'deny');
  const allowed = report.results.filter((r) => r.verdict === 'allow');
  for (const result of denied) {
    lines.push(`${paint.red('DENY ')} ${paint.bold(result.image || '(no image)')}  ${paint.dim(`namespace ${result.namespace}`)}`);
    lines.push(`      ${paint.red(result.reason)}  ${shortDigests(result.message)}`);
    if (result.policy) {
      const ns = result.policy.namespace ? ` in namespace ${result.policy.namespace}` : '';
      lines.push(`      ${paint.dim('policy')}  ${result.policy.kind}/${result.policy.name}${ns}, repository "${result.policy.repository}"`);
    }
    if (result.hint) lines.push(`      ${paint.dim('fix')}     ${shortDigests(result.hint)}`);
    if (usesDiffer(result)) {
      for (const source of deniedFirst(result).slice(0, MAX_SOURCES)) {
        const label = source.verdict === 'deny' ? paint.red('denied at ') : paint.green('allowed at');
        lines.push(`      ${label} ${describeSource(source)}  (${source.reason}, ${secretsOf(source)})`);
      }
    } else {
      result.sources.slice(0, MAX_SOURCES).forEach((source, i) => {
        lines.push(`      ${paint.dim(i === 0 ? 'used at' : '       ')} ${describeSource(source)}`);
      });
    }
    if (result.sources.length > MAX_SOURCES) {
      lines.push(`              ${paint.dim(`… and ${result.sources.length - MAX_SOURCES} more uses (gate check -o json lists them all)`)}`);
    }
    lines.push('');
  }
  for (const result of allowed) {
    const [first] = result.sources;
    const more = result.sources.length > 1 ? ` (+${result.sources.length - 1} more)` : '';
    const reason = result.reason === 'EXEMPT' && result.exemption
      ? paint.yellow(`EXEMPT until ${result.exemption.expires} (owner ${result.exemption.owner}: ${result.exemption.reason})`)
      : paint.green(result.reason);
    lines.push(`${paint.green('ALLOW')} ${shortDigests(result.image)}  ${paint.dim(`namespace ${result.namespace}`)}  ${reason}  ${first ? `${first.file}:${first.line}` : ''}${more}`);
  }
  if (allowed.length > 0) lines.push('');

  if (report.warnings.length > 0) {
    lines.push(paint.yellow('warnings:'));
    for (const warning of report.warnings) lines.push(`  ${shortDigests(formatWarning(warning))}`);
    lines.push('');
  }

  const { images } = report.summary;
  if (denied.length === 0) {
    lines.push(paint.green(images === 0 ? 'No image in the manifests: nothing to verify.' : images === 1 ? 'The image is allowed.' : `All ${images} images allowed.`));
  } else {
    const named = denied.slice(0, MAX_NAMED_DENIALS).map((r) => `${shortDigests(r.image || '(no image)')} (${r.reason})`);
    const rest = denied.length > MAX_NAMED_DENIALS ? `, and ${denied.length - MAX_NAMED_DENIALS} more` : '';
    lines.push(paint.red(`${denied.length} of ${plural(images, 'image')} denied: ${named.join(', ')}${rest}.`));
  }
  return `${safeLines(lines.join('\n'))}\n`;
}

/** `pull secrets a, b` or `no pull secret`: what set a use apart from the others. */
export function secretsOf(source: ReportSource): string {
  return source.pullSecrets.length > 0 ? `pull secrets ${source.pullSecrets.join(', ')}` : 'no pull secret';
}

function describeSource(source: ReportSource): string {
  const via = source.via ? ` in ${source.via}` : '';
  const generic = source.generic ? ' (found by the generic walk for image fields)' : '';
  return `${source.file}:${source.line}  ${objectLabel(source.kind, source.name)}${via}  ${source.path}${generic}`;
}

/** sha256:4c307e3d362277e43add54082dde… → sha256:4c307e3d3622… (the JSON report keeps them whole). */
export function shortDigests(text: string): string {
  return text.replace(/(sha256[:=])([0-9a-f]{12})[0-9a-f]{52}/g, '$1$2…');
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function painter(enabled: boolean) {
  const wrap = (code: string) => (s: string) => (enabled ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { red: wrap('31'), green: wrap('32'), yellow: wrap('33'), bold: wrap('1'), dim: wrap('2') };
}

/**
 * `auto` colours on a terminal, or when FORCE_COLOR asks for it (CI logs are not
 * terminals), and never when NO_COLOR is set (https://no-color.org).
 */
export function shouldColor(mode: 'auto' | 'always' | 'never', isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  return isTTY;
}
