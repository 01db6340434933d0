// The common-case path (rsa-fast-path.ts) against openpgp.js alone, on every signature of
// the fixtures (made by real gpg, gpg1 and skopeo) with every key of its scenario, at dates
// around each signature's life, and on every single-byte corruption of a valid signature:
// the same answer every time, word for word. And the path is really taken where it should be.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifySignedMessage } from '../../../src/verify/simple-signing/openpgp.js';
import { readPackets, unwrapSignedMessage } from '../../../src/verify/simple-signing/packets.js';
import { verifyCommonSignature } from '../../../src/verify/simple-signing/rsa-fast-path.js';
import { loadScenario, scenarioNames, type Scenario } from './scenarios.js';

const DAY = 86_400_000;

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** An OpenPGP packet (RFC 4880 §4.2): new format with the shortest length (default), five-octet lengths, old format, or partial lengths. */
function framed(tag: number, body: Uint8Array, style: 'short' | 'long' | 'old' | 'partial' = 'short'): Uint8Array {
  const length = (n: number, long = false): number[] =>
    !long && n < 192 ? [n] : !long && n < 8384 ? [((n - 192) >> 8) + 192, (n - 192) & 0xff] : [0xff, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  if (style === 'old') return concat(Uint8Array.of(0x80 | (tag << 2) | 2, (body.length >>> 24) & 0xff, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff), body);
  if (style === 'partial' && body.length > 16) return concat(Uint8Array.of(0xc0 | tag, 0xe0 | 4), body.subarray(0, 16), Uint8Array.from(length(body.length - 16)), body.subarray(16));
  return concat(Uint8Array.from([0xc0 | tag, ...length(body.length, style === 'long')]), body);
}

async function both(blob: Uint8Array, trusted: Scenario['requirements'][number]['trusted'], now: Date): Promise<void> {
  const fast = await verifySignedMessage(blob, trusted, now);
  const slow = await verifySignedMessage(blob, trusted, now, { openpgpOnly: true });
  assert.deepEqual(fast, slow, `at ${now.toISOString()}`);
}

/** What the common path itself says of a blob (undefined: not its case, or not valid). */
async function common(blob: Uint8Array, trusted: Scenario['requirements'][number]['trusted'], now: Date): Promise<Uint8Array | undefined> {
  const unwrapped = unwrapSignedMessage(blob);
  return unwrapped.ok ? (await verifyCommonSignature(unwrapped.packets, trusted.keys, now))?.payload : undefined;
}

describe('the common-case RSA path and openpgp.js give the same answers', async () => {
  const scenarios = await Promise.all((await scenarioNames()).map(loadScenario));

  it('on every fixture signature with every key of its scenario, on the day and a year either side', async () => {
    let checked = 0;
    for (const scenario of scenarios) {
      for (const signature of scenario.signatures) {
        for (const { trusted } of scenario.requirements) {
          for (const now of [scenario.now, new Date(scenario.now.getTime() - 365 * DAY), new Date(scenario.now.getTime() + 365 * DAY)]) {
            await both(signature.bytes, trusted, now);
            checked++;
          }
        }
      }
    }
    assert.ok(checked > 100, `${checked} cases`);
  });

  it('on every one-byte change of a valid signature, compressed as gpg writes it and as its bare packets', async () => {
    for (const name of ['accepted', 'subkey']) {
      const scenario = scenarios.find((s) => s.name === name)!;
      const trusted = scenario.requirements[0].trusted;
      const compressed = scenario.signatures[0].bytes;
      const unwrapped = unwrapSignedMessage(compressed);
      assert.ok(unwrapped.ok);
      // The bare packets are a valid blob too (one-pass signature first): the common path's own reading is then what changes.
      assert.ok((await common(unwrapped.packets, trusted, scenario.now)) !== undefined, 'the bare packets verify');
      for (const blob of [compressed, unwrapped.packets]) {
        for (let i = 0; i < blob.length; i++) {
          for (const bit of [0x01, 0x80]) {
            const changed = Uint8Array.from(blob);
            changed[i] ^= bit;
            await both(changed, trusted, scenario.now);
          }
        }
      }
    }
  });

  it('on the same packets framed otherwise: long lengths, old format, partial lengths, markers and stray bytes', async () => {
    const scenario = scenarios.find((s) => s.name === 'accepted')!;
    const trusted = scenario.requirements[0].trusted;
    const unwrapped = unwrapSignedMessage(scenario.signatures[0].bytes);
    assert.ok(unwrapped.ok);
    const [onePass, literal, signature] = readPackets(unwrapped.packets);
    const framings: Record<string, Uint8Array> = {
      'five-octet lengths': concat(...[onePass, literal, signature].map((p) => framed(p.tag, p.body, 'long'))),
      'old-format packets': concat(...[onePass, literal, signature].map((p) => framed(p.tag, p.body, 'old'))),
      'partial lengths in the literal data': concat(framed(4, onePass.body), framed(11, literal.body, 'partial'), framed(2, signature.body)),
      'partial lengths in the signature': concat(framed(4, onePass.body), framed(11, literal.body), framed(2, signature.body, 'partial')),
      'partial lengths in the one-pass signature': concat(framed(4, onePass.body, 'partial'), framed(11, literal.body), framed(2, signature.body)),
      'a marker packet first': concat(framed(10, new TextEncoder().encode('PGP')), unwrapped.packets),
      'a marker packet last': concat(unwrapped.packets, framed(10, new TextEncoder().encode('PGP'))),
      'a stray byte after the signature': concat(unwrapped.packets, Uint8Array.of(0xab)),
    };
    for (const [what, blob] of Object.entries(framings)) {
      const fast = await verifySignedMessage(blob, trusted, scenario.now);
      const slow = await verifySignedMessage(blob, trusted, scenario.now, { openpgpOnly: true });
      assert.deepEqual(fast, slow, what);
    }
  });

  it('takes the common path for a gpg RSA/SHA-256 signature, and leaves SHA-1, version 3 and expired ones to openpgp.js', async () => {
    const byName = (name: string) => scenarios.find((s) => s.name === name)!;
    const taken = async (name: string, now?: Date) => {
      const s = byName(name);
      return (await common(s.signatures[0].bytes, s.requirements[0].trusted, now ?? s.now)) !== undefined;
    };
    assert.equal(await taken('accepted'), true);
    assert.equal(await taken('subkey'), true);
    assert.equal(await taken('sha1-digest-algo'), false);
    assert.equal(await taken('revoked-subkey'), false);
    assert.equal(await taken('expired-signature'), false);
    assert.equal(await taken('accepted', new Date(byName('accepted').now.getTime() - 3650 * DAY)), false, 'a signature dated after the check');
  });
});
