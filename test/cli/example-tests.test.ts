// The bundled example's policy tests (examples/shop/.gate/tests/, README "gate test"): they pass
// on the committed recording with no network, and the committed recording is current — a
// re-recording of the same evidence differs only in its time, so the example cannot drift from
// what gate record would keep. The README shows the suite as it is.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT, gate } from '../helpers/gate.js';
import { parseJunit } from '../helpers/formats.js';
import { copyExample } from '../helpers/in-process.js';

describe('the bundled example\'s policy tests', () => {
  it('pass offline on the committed recording, in text and JUnit', async () => {
    const repo = await copyExample('shop');
    try {
      const result = await gate(['test'], { cwd: repo.dir });
      assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
      assert.match(result.stdout, /All 6 case\(s\) passed\./);
      const junit = await parseJunit((await gate(['test', '-o', 'junit'], { cwd: repo.dir })).stdout);
      const cases = junit.testsuite!.flatMap((s) => s.testcase ?? []);
      assert.equal(cases.length, 6);
      assert.ok(cases.every((c) => !c.failure));
    } finally {
      await repo.dispose();
    }
  });

  it('the committed recording is what gate record keeps today (but for its time)', async () => {
    const repo = await copyExample('shop');
    try {
      const committed = JSON.parse(await readFile(path.join(repo.dir, '.gate/testdata/recording.json'), 'utf8')) as { recorded: string };
      const recorded = await gate(['record', '--offline'], { cwd: repo.dir });
      assert.equal(recorded.code, 0, recorded.stderr);
      const fresh = JSON.parse(await readFile(path.join(repo.dir, '.gate/testdata/recording.json'), 'utf8')) as { recorded: string };
      assert.deepEqual({ ...fresh, recorded: committed.recorded }, committed);
    } finally {
      await repo.dispose();
    }
  });

  it('is shown in the README as it is', async () => {
    const readme = await readFile(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const suite = await readFile(path.join(PROJECT_ROOT, 'examples/shop/.gate/tests/shop.yaml'), 'utf8');
    assert.ok(readme.includes(`\`\`\`yaml\n# examples/shop/.gate/tests/shop.yaml\n${suite}\`\`\``), 'README.md shows examples/shop/.gate/tests/shop.yaml verbatim');
  });
});
