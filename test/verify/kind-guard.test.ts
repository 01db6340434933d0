// The fail-open probe of issue 10, as the compiler sees it: a requirement type that
// the policy schema knows but evaluation does not cannot be written. The schema of a
// requirement IS its kind's `parse`, so a new type means a new kind, and a kind that
// leaves out a step of evaluation does not type-check. `npm run typecheck` checks the
// expect-error directives below: if one of those lines compiled, the typecheck would fail.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KindRegistry, SignatureKind, StaticKind } from '../../src/verify/kind.types.js';
import { parseFieldless } from '../../src/verify/portieris/crd.js';
import { signedBy } from '../../src/verify/simple-signing/kind.js';

describe('a requirement kind that skips evaluation (compile-time guard)', () => {
  it('does not type-check without its crypto and acceptance steps', () => {
    const { verify: _verify, accept: _accept, ...schemaOnly } = signedBy;
    // @ts-expect-error a kind that needs signatures must say how to verify and accept them
    const incomplete: SignatureKind = { ...schemaOnly, type: 'notationSigned' };
    assert.equal(incomplete.type, 'notationSigned');
  });

  it('does not type-check as a kind that decides alone without `decide`', () => {
    // @ts-expect-error a kind that needs no evidence must still decide
    const undecided: StaticKind = { type: 'notationSigned', section: 'simple', needs: 'nothing', parse: (r, p) => parseFieldless(r, p, 'notationSigned'), explain: () => ({}) };
    assert.equal(undecided.needs, 'nothing');
  });

  it('does not type-check as a kind that decides alone and allows', () => {
    // @ts-expect-error a kind that decides without evidence can only deny
    const placeholder: StaticKind = { type: 'notationSigned', section: 'simple', needs: 'nothing', parse: (r, p) => parseFieldless(r, p, 'notationSigned'), explain: () => ({}), deny: () => ({ accept: true, message: 'todo' }) };
    assert.equal(placeholder.needs, 'nothing');
  });

  it('cannot be registered half-made', () => {
    // @ts-expect-error the registry holds only complete kinds
    const registry: KindRegistry = { notationSigned: { type: 'notationSigned', section: 'simple', parse: signedBy.parse } };
    assert.ok(registry);
  });
});
