// `gate pin`: for every tag reference whose digest verified (and verifies again in its
// digest form), a change to the manifests that writes the digest — as a unified diff to
// review and commit, or applied with --write. Never done at sync time: gate generate
// prints the renderer's bytes unchanged.
//
// Only the image text on the line the report names is replaced, so comments, quoting
// and layout stay as they are. The tag is dropped (`name@sha256:…`): containers/image,
// and so Portieris, refuse a reference with both a tag and a digest.

import { randomBytes } from 'node:crypto';
import { rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCheck, type CheckIO, type CheckOptions } from './check.js';
import { readText } from '../policy/gate-dir.js';
import { parseReference } from '../reference/reference.js';
import type { Report } from '../report/model.js';
import { isIncomplete } from '../verify/verdict.js';

export interface Replacement {
  /** 1-based. */
  line: number;
  from: string;
  to: string;
  /** The field's key (`image`, `reference`): on a line with several matches, the one after it. */
  key: string;
}

export interface FileChange {
  /** As the report names it (relative to the working folder). */
  file: string;
  before: string;
  after: string;
  pinned: number;
}

export interface PinOutcome {
  changes: FileChange[];
  /** Tag references left as they are, and why. */
  notPinned: string[];
  exitCode: 0 | 1 | 3;
}

/** Characters that continue an image reference: a match must not sit inside a longer one. */
const REFERENCE_CHAR = /[A-Za-z0-9._\-/:@]/;

/**
 * Replaces `from` with `to` on the given lines where it stands alone, as the value of
 * its key when the line holds it more than once (`{name: nginx, image: nginx}`).
 * Returns the new text and the replacements that found nothing to replace.
 */
export function applyReplacements(text: string, replacements: Replacement[]): { text: string; missed: Replacement[] } {
  const lines = text.split('\n');
  const missed: Replacement[] = [];
  for (const r of replacements) {
    const line = lines[r.line - 1];
    if (line === undefined) {
      missed.push(r);
      continue;
    }
    const standalone: number[] = [];
    for (let at = line.indexOf(r.from); at >= 0; at = line.indexOf(r.from, at + 1)) {
      if (!REFERENCE_CHAR.test(line[at - 1] ?? '') && !REFERENCE_CHAR.test(line[at + r.from.length] ?? '')) standalone.push(at);
    }
    const afterKey = new RegExp(`(?:^|[\\s{,])["']?${r.key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*:\\s*["']?$`);
    const keyed = standalone.filter((at) => afterKey.test(line.slice(0, at)));
    const targets = keyed.length > 0 ? keyed : standalone.length === 1 ? standalone : [];
    if (targets.length === 0) {
      // Already pinned by an earlier replacement for another use on this line.
      if (!line.includes(r.to)) missed.push(r);
      continue;
    }
    let out = '';
    let from = 0;
    for (const at of targets) {
      out += line.slice(from, at) + r.to;
      from = at + r.from.length;
    }
    lines[r.line - 1] = out + line.slice(from);
  }
  return { text: lines.join('\n'), missed };
}

/**
 * A unified diff (git apply, patch -p1) between two versions of a file that have the
 * same number of lines, with three lines of context.
 */
export function unifiedDiff(file: string, before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  // A final newline leaves an empty last element; "\ No newline" marks its absence.
  const endsWithNewline = before.endsWith('\n');
  const count = endsWithNewline ? a.length - 1 : a.length;
  const changed: number[] = [];
  for (let i = 0; i < count; i++) if (a[i] !== b[i]) changed.push(i);
  if (changed.length === 0) return '';

  const CONTEXT = 3;
  const hunks: Array<[number, number]> = [];
  for (const i of changed) {
    const start = Math.max(0, i - CONTEXT);
    const end = Math.min(count - 1, i + CONTEXT);
    const last = hunks[hunks.length - 1];
    if (last && start <= last[1] + 1) last[1] = end;
    else hunks.push([start, end]);
  }
  const name = file.split(path.sep).join('/');
  const noNewline = (i: number) => (!endsWithNewline && i === count - 1 ? ['\\ No newline at end of file'] : []);
  const out = [`--- a/${name}`, `+++ b/${name}`];
  for (const [start, end] of hunks) {
    const length = end - start + 1;
    out.push(`@@ -${start + 1},${length} +${start + 1},${length} @@`, ...hunkBody(a, b, start, end, noNewline));
  }
  return `${out.join('\n')}\n`;
}

/** Unchanged lines as context; each run of changed lines as all its '-' lines, then all its '+' lines. */
function hunkBody(a: string[], b: string[], start: number, end: number, noNewline: (i: number) => string[]): string[] {
  const body: string[] = [];
  let i = start;
  while (i <= end) {
    if (a[i] === b[i]) {
      body.push(` ${a[i]}`, ...noNewline(i));
      i++;
      continue;
    }
    let j = i;
    while (j <= end && a[j] !== b[j]) j++;
    for (let k = i; k < j; k++) body.push(`-${a[k]}`, ...noNewline(k));
    for (let k = i; k < j; k++) body.push(`+${b[k]}`, ...noNewline(k));
    i = j;
  }
  return body;
}

/** Checks the manifests, then plans the change for every tag reference that can be pinned. */
export async function runPin(options: CheckOptions, io: CheckIO): Promise<PinOutcome> {
  const report = await runCheck(options, io);
  return planPins(report, io.cwd);
}

export async function planPins(report: Report, cwd: string): Promise<PinOutcome> {
  const byFile = new Map<string, Replacement[]>();
  const notPinned: string[] = [];
  let incomplete = false;
  let refused = false;
  for (const result of report.results) {
    const parsed = parseReference(result.image);
    if (!parsed.ok || parsed.ref.digest !== undefined) continue;
    if (!result.pin) {
      notPinned.push(`${result.image} (namespace ${result.namespace}): ${result.reason}: ${result.message}`);
      if (isIncomplete(result.reason)) incomplete = true;
      else refused = true;
      continue;
    }
    for (const source of result.sources) {
      if (source.file.startsWith('<')) {
        notPinned.push(`${result.image} at ${source.file}:${source.line}: read from standard input, so there is no file to change; write ${result.pin}`);
        refused = true;
        continue;
      }
      const key = source.path.replace(/\[\d+\]$/, '').split('.').pop() ?? 'image';
      byFile.set(source.file, [...(byFile.get(source.file) ?? []), { line: source.line, from: result.image, to: result.pin, key }]);
    }
  }
  const changes: FileChange[] = [];
  for (const [file, replacements] of [...byFile.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const before = await readText(path.resolve(cwd, file), cwd);
    const { text: after, missed } = applyReplacements(before, replacements);
    for (const m of missed) notPinned.push(`${m.from} at ${file}:${m.line}: the image is not written on that line as it is in the report (a template or an escaped string?); write ${m.to} by hand`);
    if (missed.length > 0) refused = true;
    const pinned = replacements.length - missed.length;
    if (after !== before) changes.push({ file, before, after, pinned });
  }
  // As in gate check: what cannot be pinned on the evidence wins over what a retry might fix.
  return { changes, notPinned, exitCode: refused ? 1 : incomplete ? 3 : 0 };
}

/** Writes each changed file in place: a temporary file renamed over it, with its mode kept. */
export async function writeChanges(changes: FileChange[], cwd: string): Promise<void> {
  for (const change of changes) {
    const file = path.resolve(cwd, change.file);
    const { mode } = await stat(file);
    const temporary = `${file}.gate-pin-${randomBytes(6).toString('hex')}`;
    await writeFile(temporary, change.after, { mode });
    await rename(temporary, file);
  }
}
