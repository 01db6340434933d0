// What an exemption does to a decision, as one pure rule that gate check and gate
// explain both apply; exemptions are read by the real settings parser.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyExemption, exemptionEnd, findExemption, needsDecision } from '../../src/policy/exemptions.js';
import { parseSettings } from '../../src/policy/settings.js';
import { allow, deny } from '../../src/verify/verdict.js';

const IMAGE = 'registry.example.com/shop/worker:1';
const { exemptions } = parseSettings(
  'exemptions:\n- image: "registry.example.com/shop/*"\n  reason: vendor key only\n  owner: platform@example.com\n  expires: 2027-01-31\n',
  '.gate/config.yaml',
);
const HOLDS = new Date('2027-01-31T23:59:59.999Z');
const EXPIRED = new Date('2027-02-01T00:00:00.000Z');
const DENIED = deny('NO_SIGNATURE', 'no signature', 'sign it');
const SIGNED = allow('SIGNED', 'signed by ABCD', 'sha256:1');

describe('applyExemption', () => {
  it('ends at the midnight (UTC) after the expiry day', () => {
    assert.equal(exemptionEnd(exemptions[0]), EXPIRED.getTime());
  });

  it('an exemption that holds: EXEMPT, unverified, saying until when, where, whose and why; no decision needed', () => {
    const match = findExemption(IMAGE, 'shop', exemptions, HOLDS);
    assert.equal(needsDecision(match), false);
    const { verdict, warning } = applyExemption(match, IMAGE);
    assert.deepEqual([verdict.allowed, verdict.reason, warning], [true, 'EXEMPT', undefined]);
    assert.equal(verdict.message, 'exempted until 2027-01-31 by .gate/config.yaml:2 (owner platform@example.com): vendor key only; not verified');
  });

  it('when a decision was made anyway, the EXEMPT message says what it would have been', () => {
    const { verdict } = applyExemption(findExemption(IMAGE, 'shop', exemptions, HOLDS), IMAGE, DENIED);
    assert.equal(verdict.reason, 'EXEMPT');
    assert.match(verdict.message, /; not verified \(without the exemption: NO_SIGNATURE: no signature\)$/);
  });

  it('an expired exemption is named in a denial, which keeps its reason and hint', () => {
    const match = findExemption(IMAGE, 'shop', exemptions, EXPIRED);
    assert.equal(needsDecision(match), true);
    const { verdict, warning } = applyExemption(match, IMAGE, DENIED);
    assert.deepEqual([verdict.allowed, verdict.reason, verdict.hint, warning], [false, 'NO_SIGNATURE', 'sign it', undefined]);
    assert.equal(verdict.message, 'no signature; the exemption at .gate/config.yaml:2 ("registry.example.com/shop/*", owner platform@example.com) expired after 2027-01-31');
  });

  it('an expired exemption the image passes without: the verdict stands, with a warning to remove it', () => {
    const { verdict, warning } = applyExemption(findExemption(IMAGE, 'shop', exemptions, EXPIRED), IMAGE, SIGNED);
    assert.equal(verdict, SIGNED);
    assert.deepEqual(warning, { file: '.gate/config.yaml', line: 2, message: `the exemption at .gate/config.yaml:2 ("registry.example.com/shop/*", owner platform@example.com) expired after 2027-01-31, and ${IMAGE} passes without it: remove the exemption` });
  });

  it('no exemption: the decision as it is; and a decision is required then', () => {
    assert.equal(applyExemption(undefined, IMAGE, DENIED).verdict, DENIED);
    assert.throws(() => applyExemption(undefined, IMAGE), /a decision is needed/);
  });
});
