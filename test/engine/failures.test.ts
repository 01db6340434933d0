// The one mapping from a transport or store failure to a denial: every kind, its reason.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failureVerdict, reasonFor } from '../../src/engine/failures.js';
import type { FailureKind } from '../../src/registry/http.js';
import type { ReasonCode } from '../../src/verify/verdict.js';

// `satisfies Record<FailureKind, …>`: a kind added without a row here does not compile.
const EXPECTED = {
  unreachable: 'UNREACHABLE',
  throttled: 'THROTTLED',
  auth: 'AUTH_FAILED',
  timeout: 'TIMEOUT',
  'too-many': 'BAD_SIGNATURE',
  malformed: 'BAD_SIGNATURE',
  'not-found': 'INVALID_REFERENCE',
  unsupported: 'UNSUPPORTED',
  offline: 'UNSUPPORTED',
} as const satisfies Record<FailureKind, ReasonCode>;

describe('failure kinds become denials (engine/failures.ts)', () => {
  for (const [kind, reason] of Object.entries(EXPECTED) as Array<[FailureKind, ReasonCode]>) {
    it(`denies a "${kind}" failure as ${reason}, keeping its message, hint and digest`, () => {
      const verdict = failureVerdict({ kind, message: `m-${kind}`, hint: `h-${kind}` }, 'sha256:abc');
      assert.deepEqual(verdict, { allowed: false, reason, message: `m-${kind}`, hint: `h-${kind}`, digest: 'sha256:abc' });
      assert.equal(reasonFor(kind), reason);
    });
  }

  it('tells an offline run how to reach a store on the network, and adds no hint to other kinds', () => {
    assert.equal(failureVerdict({ kind: 'offline', message: 'm' }).hint, 'run without --offline so that gate can reach it');
    assert.equal(failureVerdict({ kind: 'unreachable', message: 'm' }).hint, undefined);
  });

  it('refuses a kind it does not know instead of allowing', () => {
    assert.throws(() => reasonFor('surprise' as FailureKind), /unknown failure kind surprise/);
  });
});
