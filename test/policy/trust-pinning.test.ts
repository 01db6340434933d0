// trustPinning in .gate/config.yaml: the Notary v1 root to trust per GUN (or prefix), by the
// canonical IDs of its root certificates or by a CA, read strictly; the pin for a GUN is its
// own entry, else the longest prefix.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseSettings, pinFor } from '../../src/policy/settings.js';

const ID = 'a'.repeat(64);

describe('trustPinning in config.yaml', () => {
  it('reads pins by certificate IDs and by CA, and finds the one for a GUN', () => {
    const settings = parseSettings(`trustPinning:\n- gun: registry.example.com/shop/web\n  certIds: [${ID}]\n- gun: "registry.example.com/shop/*"\n  ca: trust/notary-ca.pem\n- gun: "registry.example.com/*"\n  certIds: ["${'b'.repeat(64)}"]\n`, '.gate/config.yaml', '/repo/.gate');
    const pins = settings.trustPinning!;
    assert.deepEqual(pins.map((p) => p.gun), ['registry.example.com/shop/web', 'registry.example.com/shop/*', 'registry.example.com/*']);
    assert.equal(pins[1].ca, path.resolve('/repo/.gate', 'trust/notary-ca.pem'));
    assert.equal(pinFor(pins, 'registry.example.com/shop/web')?.certIds?.[0], ID);
    assert.equal(pinFor(pins, 'registry.example.com/shop/api')?.gun, 'registry.example.com/shop/*', 'the longest prefix');
    assert.equal(pinFor(pins, 'registry.example.com/other/app')?.gun, 'registry.example.com/*');
    assert.equal(pinFor(pins, 'quay.io/team/app'), undefined);
    // The same host spelt otherwise (case, an explicit :443) is the same registry: its pin applies.
    assert.equal(pinFor(pins, 'Registry.Example.com/shop/web')?.certIds?.[0], ID);
    assert.equal(pinFor(pins, 'registry.example.com:443/shop/api')?.gun, 'registry.example.com/shop/*');
    assert.equal(pinFor(pins, 'registry.example.com:5000/shop/web'), undefined, 'another port is another registry');
  });

  it('refuses what a reviewer could not read as one root', () => {
    for (const [text, pattern] of [
      [`trustPinning:\n- gun: r.example.com/a\n  certIds: [${ID}]\n  ca: ca.pem\n`, /exactly one of certIds .* and ca/],
      ['trustPinning:\n- gun: r.example.com/a\n  certIds: [abc]\n', /64-hex-digit certificate IDs/],
      [`trustPinning:\n- gun: r.example.com/a\n  certIds: [${ID}]\n- gun: r.example.com/a\n  ca: ca.pem\n`, /is pinned twice/],
      [`trustPinning:\n- gun: "r.example.com/*/a"\n  certIds: [${ID}]\n`, /prefix ending in \*/],
      [`trustPinning:\n- gun: r.example.com/a\n  certids: [${ID}]\n`, /certids/],
    ] as const) {
      assert.throws(() => parseSettings(text, '.gate/config.yaml', '/repo/.gate'), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && pattern.test(e.message), text);
    }
  });
});
