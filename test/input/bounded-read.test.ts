// One bounded read, worded by each caller: the error codes and messages a missing, an
// oversized and a non-regular file get (a real FIFO, made with mkfifo).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GateError } from '../../src/errors.js';
import { readIfPresentOrFail, readOrFail, type ReadFailureWords } from '../../src/input/bounded-read.js';

const WORDS: ReadFailureWords = {
  file: 'shown.yaml',
  unreadable: (problem) => `cannot read it: ${problem}`,
  tooLarge: { code: 'LIMIT_EXCEEDED', message: 'larger than 8 bytes' },
};

function failsWith(code: string, message: string, file: string | undefined) {
  return (e: unknown) => e instanceof GateError && e.code === code && e.message === message && e.position?.file === file;
}

describe('readOrFail', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gate-read-'));
    await writeFile(path.join(dir, 'small'), '12345678');
    await writeFile(path.join(dir, 'big'), '123456789');
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('gives the bytes of a regular file within the limit', async () => {
    assert.equal(Buffer.from(await readOrFail(path.join(dir, 'small'), 8, WORDS)).toString(), '12345678');
  });

  it('past the limit: the caller\'s code and message, at the name it shows', async () => {
    await assert.rejects(readOrFail(path.join(dir, 'big'), 8, WORDS), failsWith('LIMIT_EXCEEDED', 'larger than 8 bytes', 'shown.yaml'));
  });

  it('missing: INPUT_UNREADABLE, "no such file" unless the caller calls it otherwise; readIfPresentOrFail gives undefined', async () => {
    await assert.rejects(readOrFail(path.join(dir, 'none'), 8, WORDS), failsWith('INPUT_UNREADABLE', 'cannot read it: no such file', 'shown.yaml'));
    await assert.rejects(readOrFail(path.join(dir, 'none'), 8, { ...WORDS, absent: 'no such file or directory' }), failsWith('INPUT_UNREADABLE', 'cannot read it: no such file or directory', 'shown.yaml'));
    assert.equal(await readIfPresentOrFail(path.join(dir, 'none'), 8, WORDS), undefined);
  });

  it('a FIFO is refused at once, with the caller\'s code and no position when it names none', async () => {
    const { file: _file, ...unnamed } = WORDS;
    await assert.rejects(
      readOrFail(path.join(dir, 'fifo'), 8, { ...unnamed, code: 'RENDER_FAILED' }),
      failsWith('RENDER_FAILED', 'cannot read it: not a regular file (a FIFO); gate reads only regular files', undefined),
    );
  });
});
