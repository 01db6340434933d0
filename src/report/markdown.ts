// A Markdown summary for people reviewing a pull request: `$GITHUB_STEP_SUMMARY`, a PR
// or MR comment. A table of every image, then each denial with what to do and, when the
// uses of an image came to different verdicts, which were denied. Image names
// and messages come from the repository, so they are escaped, never trusted as Markdown
// or HTML.

import type { GateError } from '../errors.js';
import { formatWarning } from '../errors.js';
import { inertLine } from './escape.js';
import { deniedFirst, usesDiffer, type ImageResult, type Report, type ReportSource } from './model.js';
import { REASONS } from './reasons.js';
import { plural, secretsOf, shortDigests } from './text.js';

/** Enough for any real app, well under GitHub's 1 MiB step-summary limit. */
const MAX_ROWS = 300;
const MAX_DETAILS = 50;

export function renderMarkdown(report: Report): string {
  const { images, denied } = report.summary;
  const exempt = report.results.filter((r) => r.reason === 'EXEMPT').length;
  const title = images === 0 ? 'gate: no image in the manifests' : denied === 0 ? `gate: ${images === 1 ? 'the image is' : `all ${images} images`} allowed` : `gate: ${denied} of ${images} images denied`;
  const lines = [
    `## ${denied === 0 ? '✅' : '❌'} ${title}`,
    '',
    `gate ${report.gateVersion} read ${plural(report.scanned.files, 'file')} and ${plural(report.scanned.objects, 'object')}${exempt > 0 ? `; ${exempt} exempted image${exempt === 1 ? '' : 's'} not verified` : ''}.`,
    '',
  ];
  if (report.results.length > 0) {
    lines.push('| | Image | Namespace | Reason | Used at |', '|---|---|---|---|---|');
    for (const result of report.results.slice(0, MAX_ROWS)) lines.push(row(result));
    if (report.results.length > MAX_ROWS) lines.push('', `… and ${report.results.length - MAX_ROWS} more images (the JSON report lists them all).`);
    lines.push('');
  }
  const deniedResults = report.results.filter((r) => r.verdict === 'deny');
  if (deniedResults.length > 0) {
    lines.push('### What to fix', '');
    for (const result of deniedResults.slice(0, MAX_DETAILS)) lines.push(...details(result), '');
    if (deniedResults.length > MAX_DETAILS) lines.push(`… and ${deniedResults.length - MAX_DETAILS} more denials (the JSON report lists them all).`, '');
  }
  if (report.warnings.length > 0) {
    lines.push('<details><summary>Warnings</summary>', '');
    for (const warning of report.warnings) lines.push(`- ${text(formatWarning(warning))}`);
    lines.push('', '</details>', '');
  }
  return `${lines.join('\n')}`;
}

export function renderMarkdownError(error: GateError): string {
  return `## ⛔ gate could not check the manifests\n\n\`${error.code}\`: ${text(inertLine(error.oneLine()))}\n\nNo image was verified; fix the input or configuration and run again.\n`;
}

function row(result: ImageResult): string {
  const icon = result.verdict === 'deny' ? '❌' : result.reason === 'EXEMPT' ? '⚠️' : '✅';
  const reason = result.reason === 'EXEMPT' && result.exemption ? `\`EXEMPT\` until ${result.exemption.expires}` : `\`${result.reason}\``;
  // A denied image is shown where it was denied.
  const [first] = deniedFirst(result);
  const more = result.sources.length > 1 ? ` (+${result.sources.length - 1})` : '';
  const where = first ? `${text(`${first.file}:${first.line}`)}${more}` : '';
  return `| ${icon} | ${code(shortDigests(result.image || '(no image)'))} | ${text(result.namespace)} | ${reason} | ${where} |`;
}

function details(result: ImageResult): string[] {
  const lines = [`#### ${code(shortDigests(result.image || '(no image)'))} in namespace ${text(result.namespace)}: \`${result.reason}\``, '', text(shortDigests(result.message))];
  if (result.hint) lines.push('', `**Fix:** ${text(shortDigests(result.hint))}`);
  else lines.push('', `**Fix:** ${text(REASONS[result.reason].help)}`);
  if (result.policy) lines.push('', `**Policy:** ${text(`${result.policy.kind}/${result.policy.name}, repository "${result.policy.repository}"`)}`);
  if (result.exemption?.expired) lines.push('', `**Expired exemption:** ${text(`${result.exemption.reason} (owner ${result.exemption.owner}), held until ${result.exemption.expires}`)}`);
  if (usesDiffer(result)) {
    const denied = result.sources.filter((s) => s.verdict === 'deny');
    const allowed = result.sources.filter((s) => s.verdict === 'allow');
    lines.push('', `**Denied at:** ${places(denied, true)}`);
    if (allowed.length > 0) lines.push('', `**Allowed at:** ${places(allowed, true)}`);
  } else {
    lines.push('', `**Used at:** ${places(result.sources, false)}`);
  }
  return lines;
}

/** Up to ten uses; with `why`, each with its reason and pull secrets. */
function places(sources: ReportSource[], why: boolean): string {
  const shown = sources.slice(0, 10).map((s) => text(`${s.file}:${s.line} ${s.path}`) + (why ? ` (\`${s.reason}\`, ${text(secretsOf(s))})` : ''));
  return `${shown.join(', ')}${sources.length > 10 ? ` and ${sources.length - 10} more` : ''}`;
}

/** Inline code, unless the text itself has a backtick (then plain, escaped text). */
function code(value: string): string {
  const flat = value.replace(/\s+/g, ' ');
  return flat.includes('`') ? text(flat) : `\`${flat.replace(/\|/g, '\\|')}\``;
}

/**
 * Plain text on one line: HTML, links, emphasis and table pipes neutralised; no autolink
 * (`scheme://`, `www.`, e-mail addresses) and no @mention: a PR comment must not link to,
 * or ping, whatever a manifest names. A zero-width space follows each `@` but that of a
 * digest (`name@sha256:…`, not after a blank).
 */
function text(value: string): string {
  return value
    .replace(/\s+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1')
    .replace(/:(?=\/\/)/g, '\\:')
    .replace(/\b(www)\./gi, '$1\\.')
    .replace(/(?<=^|\s)@|@(?!sha256:)/g, '@&#8203;');
}
