// gate pin's text surgery and diffs, judged by `git apply`: the patch must apply to the
// original and give exactly the text gate computed, whatever the line endings.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { applyReplacements, planPins, unifiedDiff } from '../../src/commands/pin.js';
import type { Report } from '../../src/report/model.js';
import type { ReasonCode } from '../../src/verify/verdict.js';
import { mustRun, requireTool, run } from '../helpers/tools.js';

const DIGEST = `sha256:${'c'.repeat(64)}`;

async function gitApplies(before: string, after: string): Promise<void> {
  requireTool('git');
  const dir = await mkdtemp(path.join(tmpdir(), 'gate-diff-'));
  try {
    await mustRun('git', ['init', '-q'], { cwd: dir });
    await writeFile(path.join(dir, 'm.yaml'), before);
    const patch = unifiedDiff('m.yaml', before, after);
    const applied = await run('git', ['apply', '--whitespace=nowarn', '-'], { cwd: dir, input: patch });
    assert.equal(applied.code, 0, `${applied.stderr}\n${patch}`);
    assert.equal(await readFile(path.join(dir, 'm.yaml'), 'utf8'), after);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('applyReplacements', () => {
  const r = (line: number, from = 'nginx', key = 'image') => ({ line, from, to: `nginx@${DIGEST}`, key });

  it('replaces the value of the image key, not a container named like the image', () => {
    const { text, missed } = applyReplacements('- {name: nginx, image: nginx}\n', [r(1)]);
    assert.equal(text, `- {name: nginx, image: nginx@${DIGEST}}\n`);
    assert.deepEqual(missed, []);
  });

  it('never replaces inside a longer reference', () => {
    const { text, missed } = applyReplacements('image: mirror/nginx\n', [r(1)]);
    assert.equal(text, 'image: mirror/nginx\n');
    assert.equal(missed.length, 1);
  });

  it('a lone match on its line is replaced whatever the key looks like (a list item, a block layout)', () => {
    assert.equal(applyReplacements('images:\n- nginx\n', [r(2, 'nginx', 'images')]).text, `images:\n- nginx@${DIGEST}\n`);
  });

  it('two uses on one line are both pinned; a line that says neither is missed', () => {
    const { text, missed } = applyReplacements('a: {image: nginx}\nb: {image: nginx}\n', [r(1), r(1), r(3)]);
    assert.equal(text, `a: {image: nginx@${DIGEST}}\nb: {image: nginx}\n`);
    assert.deepEqual(missed.map((m) => m.line), [3]);
  });
});

describe('unifiedDiff, applied by git apply', () => {
  const lines = (n: number, changed: number[], eol = '\n', final = true) => {
    const make = (pinned: boolean) => Array.from({ length: n }, (_, i) => `line ${i + 1}: image: nginx${pinned && changed.includes(i + 1) ? `@${DIGEST}` : ''}`).join(eol) + (final ? eol : '');
    return [make(false), make(true)] as const;
  };

  it('one change in the middle of a file', () => gitApplies(...lines(20, [10])));
  it('changes close together share a hunk, far apart get their own', async () => {
    const [before, after] = lines(40, [5, 8, 30]);
    assert.equal(unifiedDiff('m.yaml', before, after).match(/^@@ /gm)?.length, 2);
    await gitApplies(before, after);
  });
  it('the first and the last line', () => gitApplies(...lines(8, [1, 8])));
  it('no newline at the end of the file', () => gitApplies(...lines(6, [6], '\n', false)));
  it('CRLF line endings are kept', () => gitApplies(...lines(6, [3], '\r\n')));
  it('no change, no diff', () => assert.equal(unifiedDiff('m.yaml', 'a\n', 'a\n'), ''));
});

describe('gate pin exit codes', () => {
  const report = (results: Array<{ image: string; reason: ReasonCode; verdict: 'allow' | 'deny' }>): Report => ({
    gateVersion: 'test',
    summary: { images: results.length, allowed: 0, denied: 0 },
    results: results.map((r) => ({ ...r, digest: null, namespace: 'default', message: 'm', policy: null, sources: [] })),
    warnings: [],
    scanned: { files: 1, objects: 1 },
  });

  it('what the evidence refuses (1) wins over what a retry might fix (3), as in gate check', async () => {
    const unreachable = { image: 'r.example.com/a:1', reason: 'UNREACHABLE' as const, verdict: 'deny' as const };
    const unsigned = { image: 'r.example.com/b:1', reason: 'NO_SIGNATURE' as const, verdict: 'deny' as const };
    const accepted = { image: 'r.example.com/c:1', reason: 'ACCEPT_ANYTHING' as const, verdict: 'allow' as const };
    const pinned = { image: `r.example.com/d@${DIGEST}`, reason: 'SIGNED' as const, verdict: 'allow' as const };
    const exit = async (...results: Array<typeof unreachable | typeof unsigned | typeof accepted | typeof pinned>) => (await planPins(report(results), tmpdir())).exitCode;
    assert.equal(await exit(pinned), 0, 'a digest reference needs no pin');
    assert.equal(await exit(unreachable), 3);
    assert.equal(await exit(unreachable, unsigned), 1);
    assert.equal(await exit(accepted), 1, 'a tag no signature vouches for is not pinned by gate');
  });
});
