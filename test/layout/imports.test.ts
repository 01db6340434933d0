// The layout's rules, checked on the source: no folder of src/ imports another that
// imports it back (directly or around a loop), and the edges DESIGN.md forbids are not
// there (the pure core reaching the I/O edge, the report reaching the engine). Read from
// the .ts files themselves, so a new import that breaks a rule fails here.

import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../helpers/gate.js';

const SRC = path.join(PROJECT_ROOT, 'src');

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out;
}

/** The top folder of src/ a file belongs to (`(root)` for src/*.ts). */
function folderOf(file: string): string {
  const relative = path.relative(SRC, file).split(path.sep);
  return relative.length > 1 ? relative[0] : '(root)';
}

/** folder -> folders it imports, with one example import each. */
async function folderGraph(): Promise<Map<string, Map<string, string>>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of await sourceFiles(SRC)) {
    const text = await readFile(file, 'utf8');
    const from = folderOf(file);
    if (!graph.has(from)) graph.set(from, new Map());
    for (const match of text.matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)) {
      const target = path.resolve(path.dirname(file), match[1]);
      if (!target.startsWith(SRC)) continue;
      const to = folderOf(target);
      if (to !== from && !graph.get(from)!.has(to)) graph.get(from)!.set(to, `${path.relative(SRC, file)} imports ${match[1]}`);
    }
  }
  return graph;
}

function findLoop(graph: Map<string, Map<string, string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const loop = visit(next);
        if (loop) return loop;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    if (!state.has(node)) {
      const loop = visit(node);
      if (loop) return loop;
    }
  }
  return undefined;
}

describe('the layout of src/', () => {
  it('has no import loop between folders', async () => {
    const graph = await folderGraph();
    const loop = findLoop(graph);
    const why = loop ? loop.slice(1).map((to, i) => graph.get(loop[i])!.get(to)).join('; ') : '';
    assert.equal(loop, undefined, `folders import each other around ${loop?.join(' -> ')}: ${why}`);
  });

  it('keeps the pure core and the report away from the I/O edge and the engine', async () => {
    const graph = await folderGraph();
    const forbidden: Array<[string, string[]]> = [
      ['verify', ['policy', 'signatures', 'registry', 'engine', 'cache', 'cluster', 'input', 'commands', 'cli', 'report']],
      ['signatures', ['verify', 'engine']],
      ['registry', ['manifests', 'cluster', 'verify', 'engine']],
      ['report', ['engine', 'registry', 'signatures', 'commands']],
      ['manifests', ['policy', 'verify', 'engine', 'registry']],
    ];
    const found = forbidden.flatMap(([from, targets]) => targets.filter((t) => graph.get(from)?.has(t)).map((t) => graph.get(from)!.get(t)!));
    assert.deepEqual(found, []);
  });
});
