import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GateError } from '../../src/errors.js';
import { FORMATS, parseOutputSpec, renderFailure } from '../../src/report/outputs.js';

describe('output formats', () => {
  it('are the six views, in the order --help lists them', () => {
    assert.deepEqual(FORMATS, ['text', 'json', 'sarif', 'junit', 'github', 'markdown']);
  });

  it('refuse a name that is only a property of every object', () => {
    for (const name of ['constructor', 'toString', '__proto__']) {
      assert.throws(() => parseOutputSpec(name), (e: unknown) => e instanceof GateError && e.code === 'USAGE', name);
    }
  });

  it('every format has a failure shape', () => {
    const error = new GateError('INPUT_INVALID', 'bad', { file: 'a.yaml', line: 1 });
    for (const format of FORMATS) assert.ok(renderFailure(format, error, { cwd: '/', color: false }, 2).length > 0, format);
    assert.equal(renderFailure('text', error, { cwd: '/', color: false }, 2), 'gate: a.yaml:1: bad\n');
  });
});
