// GateError.oneLine() is raw text; the sinks make it inert. Both halves, apart.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GateError } from '../../src/errors.js';
import { inertLine } from '../../src/report/escape.js';

describe('an error line naming what the repository wrote', () => {
  const error = new GateError('INPUT_INVALID', 'bad YAML\n  at the top', { file: 'apps/x\u001b[2J.yaml', line: 3 });

  it('oneLine() folds the message onto one line and leaves the text as written', () => {
    assert.equal(error.oneLine(), 'apps/x\u001b[2J.yaml:3: bad YAML at the top');
  });

  it('inertLine() escapes control characters and defuses a workflow command at the start', () => {
    assert.equal(inertLine(error.oneLine()), 'apps/x\\u001b[2J.yaml:3: bad YAML at the top');
    assert.equal(inertLine(new GateError('USAGE', 'x', { file: '::error title=forged::x' }).oneLine()), '\\::error title=forged::x: x');
    assert.equal(inertLine('a\nb'), 'a\\nb');
  });
});
