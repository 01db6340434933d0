// Repository text is untrusted wherever gate prints it: no command, not only check's text
// report, may let a file name, an image or an exemption reason forge a line in a CI log
// (a workflow command) or send a terminal escape sequence.

import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gate } from '../helpers/gate.js';
import { copyExample } from '../helpers/in-process.js';

const FORGED = '\n::error title=forged::all images verified';
const ESCAPES = '\u001b]0;PWNED\u0007\u001b[2J\u202e';

/** No line the Actions runner would run as a command, no escape or bidi character, no carriage return. */
function assertInert(output: string, what: string): void {
  assert.deepEqual(output.split('\n').filter((l) => /^\s*(::|##\[)/.test(l)), [], `${what}: a line starts like a workflow command`);
  assert.doesNotMatch(output, /[\u0000-\u0008\u000b-\u001f\u007f\u202e]/, `${what}: a control character got through`);
}

describe('repository text in every command\'s output', () => {
  let repo: { dir: string; dispose(): Promise<void> };
  before(async () => {
    repo = await copyExample('shop-denied');
    const reason = JSON.stringify(`legacy ${ESCAPES}${FORGED}`);
    await writeFile(path.join(repo.dir, '.gate/config.yaml'), `exemptions:\n- image: "redis:7"\n  namespace: shop\n  reason: ${reason}\n  owner: ${JSON.stringify(`team${FORGED}`)}\n  expires: 2999-01-01\n`);
  });
  after(() => repo?.dispose());

  it('check (text on stdout and in a file), explain, policy lint, pin: inert', async () => {
    const check = await gate(['check', 'apps', '--offline', '-o', 'text=report.txt'], { cwd: repo.dir });
    assert.equal(check.code, 1, check.stderr);
    assert.match(check.stdout, /legacy \\u001b\]0;PWNED/, 'the reason is shown, escaped');
    assertInert(check.stdout, 'check');
    assertInert(await readFile(path.join(repo.dir, 'report.txt'), 'utf8'), 'check text=FILE');

    const explain = await gate(['explain', 'redis:7', '-n', 'shop', '--offline'], { cwd: repo.dir });
    assert.match(explain.stdout, /legacy \\u001b/);
    assertInert(explain.stdout + explain.stderr, 'explain');

    const lint = await gate(['policy', 'lint'], { cwd: repo.dir });
    assertInert(lint.stdout + lint.stderr, 'policy lint');

    const pin = await gate(['pin', 'apps', '--offline'], { cwd: repo.dir });
    assert.match(pin.stderr, /not pinned:/);
    assertInert(pin.stdout + pin.stderr, 'pin');
  });

  it('an error naming a file the repository named: one inert line on stderr and in text=FILE', async () => {
    const name = `bad${FORGED}.yaml`;
    await writeFile(path.join(repo.dir, 'apps', name), 'a: [\n');
    try {
      const run = await gate(['check', 'apps', '--offline', '-o', 'text=failed.txt', '-o', 'github'], { cwd: repo.dir });
      assert.equal(run.code, 2);
      assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
      assert.match(run.stderr, /bad\\n::error title=forged::all images verified\.yaml/);
      assertInert(run.stderr, 'stderr');
      assertInert(await readFile(path.join(repo.dir, 'failed.txt'), 'utf8'), 'text=FILE');
      // The github form is made of workflow commands on purpose: exactly one, the real error.
      assert.equal(run.stdout.trimEnd().split('\n').length, 1);
      assert.match(run.stdout, /^::error file=apps\/bad%0A%3A%3Aerror title=forged%3A%3Aall images verified\.yaml,line=\d+,title=gate%3A INPUT_INVALID::/);
    } finally {
      await rm(path.join(repo.dir, 'apps', name));
    }
  });
});
