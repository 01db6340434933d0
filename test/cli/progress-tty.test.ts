// The progress line on a real terminal: gate runs inside a pseudo-terminal made by
// `script` (util-linux; Debian's essential bsdutils), with one image whose lookaside never answers, so the run lasts
// until its budget (2 s) is spent. The same run on a pipe must show no progress at all.

import assert from 'node:assert/strict';
import { storePolicy } from '../helpers/repo.js';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../helpers/gate.js';
import { copyExample } from '../helpers/in-process.js';
import { silentServer } from '../helpers/servers.js';
import { requireTool, run } from '../helpers/tools.js';

const CLI = path.join(PROJECT_ROOT, 'dist/src/cli/gate.js');
const ARGS = 'check apps --timeout 2';

describe('progress on a real terminal', () => {
  it('shows images decided after a second, then erases itself before the report; on a pipe, nothing', async () => {
    requireTool('script');
    const silent = await silentServer();
    const example = await copyExample('shop');
    try {
      const slow = `registry.example.com/shop/slow@sha256:${'a'.repeat(64)}`;
      await writeFile(path.join(example.dir, '.gate/policies/slow.yaml'), storePolicy('slow', 'registry.example.com/shop/slow@*', silent.url));
      await writeFile(path.join(example.dir, 'apps/slow.yaml'), `apiVersion: v1\nkind: Pod\nmetadata: {name: slow, namespace: shop}\nspec:\n  containers: [{name: s, image: "${slow}"}]\n`);
      const env = { SHELL: '/bin/sh', NO_COLOR: '1', GATE_NODE: process.execPath, GATE_CLI: CLI, HOME: example.dir };

      // script gives the command a pseudo-terminal for stdin, stdout and stderr, and copies what it shows to its own stdout.
      const tty = await run('script', ['-qec', `"$GATE_NODE" "$GATE_CLI" ${ARGS}`, '/dev/null'], { cwd: example.dir, env });
      const screen = tty.stdout.toString('utf8');
      assert.equal(tty.code, 3, screen);
      const drawn = [...screen.matchAll(/\r\u001b\[2Kgate: (\d+)\/(\d+) images decided, (\d+) tag\(s\) resolved …/g)];
      assert.ok(drawn.length > 0, `a progress line was drawn: ${JSON.stringify(screen.slice(0, 400))}`);
      const total = Number(drawn[0][2]);
      assert.ok(drawn.every((m) => Number(m[1]) < total), 'the slow image is never decided while the line shows');
      const erase = screen.lastIndexOf('\r\u001b[2K');
      assert.ok(erase > drawn.at(-1)!.index!, 'the line is erased after its last drawing');
      assert.ok(screen.indexOf(`DENY  ${slow.slice(0, 40)}`) > erase, 'the report comes after the erase, on a clean line');
      assert.match(screen, /TIMEOUT/);

      // The same run with stderr on a pipe: the report only.
      const piped = await run(process.execPath, [CLI, ...ARGS.split(' ')], { cwd: example.dir, env });
      assert.equal(piped.code, 3);
      assert.doesNotMatch(piped.stderr, /images decided|\u001b/);
    } finally {
      await example.dispose();
      await silent.close();
    }
  });
});
