// What a transport or store failure means for the verdict: the one mapping from a
// FailureKind (registry/, signatures/) to a denial's reason. Every kind denies — gate
// fails closed — and the switch is exhaustive, so a new kind cannot be forgotten.

import type { FailureKind, StoreFailure } from '../registry/http.js';
import { deny, type ReasonCode, type Verdict } from '../verify/verdict.js';

export function reasonFor(kind: FailureKind): ReasonCode {
  switch (kind) {
    case 'unreachable':
      return 'UNREACHABLE';
    case 'throttled':
      return 'THROTTLED';
    case 'auth':
      return 'AUTH_FAILED';
    case 'timeout':
      return 'TIMEOUT';
    // containers/image calls both a broken store; for gate the evidence is unusable.
    case 'too-many':
    case 'malformed':
      return 'BAD_SIGNATURE';
    case 'not-found':
      return 'INVALID_REFERENCE';
    case 'unsupported':
    case 'offline':
      return 'UNSUPPORTED';
    default:
      return unreachableKind(kind);
  }
}

/** The denial for a failure: its reason, the failure's own message and hint, and the digest when known. */
export function failureVerdict(failure: StoreFailure, digest?: string): Verdict {
  const hint = failure.hint ?? (failure.kind === 'offline' ? 'run without --offline so that gate can reach it' : undefined);
  return deny(reasonFor(failure.kind), failure.message, hint, digest);
}

function unreachableKind(kind: never): never {
  throw new Error(`unknown failure kind ${String(kind)}`);
}
