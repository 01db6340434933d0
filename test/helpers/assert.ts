// One assertion for gate's typed errors, as sigstore-js has toThrowWithCode: the error is
// a GateError with this code (or one of these codes), and where given, at this line of
// this file, with a message matching the pattern. Each part fails with its own message.

import assert from 'node:assert/strict';
import { GateError, type GateErrorCode } from '../../src/errors.js';

export interface GateErrorExpectation {
  line?: number;
  file?: string;
  message?: RegExp;
}

function check(e: unknown, code: GateErrorCode | GateErrorCode[], expected: GateErrorExpectation): true {
  assert.ok(e instanceof GateError, `expected a GateError, got ${e instanceof Error ? e.stack : String(e)}`);
  const codes = Array.isArray(code) ? code : [code];
  assert.ok(codes.includes(e.code), `expected GateError code ${codes.join(' or ')}, got ${e.code}: ${e.message}`);
  if (expected.line !== undefined) assert.equal(e.position?.line, expected.line, `line of: ${e.message}`);
  if (expected.file !== undefined) assert.equal(e.position?.file, expected.file, `file of: ${e.message}`);
  if (expected.message) assert.match(e.message, expected.message);
  return true;
}

export function throwsGateError(fn: () => unknown, code: GateErrorCode | GateErrorCode[], expected: GateErrorExpectation = {}): void {
  assert.throws(fn, (e: unknown) => check(e, code, expected));
}

export async function rejectsGateError(fn: () => Promise<unknown>, code: GateErrorCode | GateErrorCode[], expected: GateErrorExpectation = {}): Promise<void> {
  await assert.rejects(fn, (e: unknown) => check(e, code, expected));
}
