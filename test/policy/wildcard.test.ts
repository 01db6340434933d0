import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globMatches, patternMatchesImage } from '../../src/policy/wildcard.js';

describe('Portieris v0.14.2 pattern matching', () => {
  const cases: Array<[string, string, boolean]> = [
    // plain globs
    ['', '', true],
    ['', 'x', false],
    ['*', 'anything/at:all', true],
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['*wxyz', 'stuvwxyz', true],
    ['*efgh', 'stuvwxyz', false],
    ['s*wx*z', 'stuvwxyz', true],
    ['a*de*h', 'stuvwxyz', false],
    ['stuv*', 'stuvwxyz', true],
  ];
  for (const [pattern, subject, expected] of cases) {
    it(`glob ${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(subject)}`, () => {
      assert.equal(globMatches(pattern, subject), expected);
    });
  }

  const images: Array<[string, string, boolean]> = [
    ['uk.icr.io/*', 'uk.icr.io/imagesec-demo/alpinegood:demo', true],
    ['uk.icr.io/imagesec-demo/alpinegood', 'uk.icr.io/imagesec-demo/alpinegood:demo', true],
    ['stuvwxyz', 'stuvwxyz:latest', true],
    ['*.registry.example.com/myorg/*', 'us.registry.example.com/myorg/foo:latest', true],
    ['registry*.example.com/myorg/*', 'registry01.example.com/myorg/worker:v1', true],
    ['*', 'attacker.example.com/anything:latest', true],
    // the unanchored-wildcard bypass closed in v0.14.2
    ['*.registry.example.com/myorg/*', 'attacker.com/x.registry.example.com/myorg/malware:latest', false],
    ['*.registry.example.com/myorg/*', 'attacker.com/x.registry.example.com/myorg/malware', false],
    ['registry*.example.com/myorg/*', 'registry.attacker.com/x.example.com/myorg/evil', false],
    ['trusted.example.com/*', 'evil.io/trusted.example.com/myorg/myimage:demo', false],
    ['registry.example.com/myorg/*', 'evilreg.io/myorg/foo:latest', false],
    // literal strings: no normalisation
    ['docker.io/library/*', 'nginx', false],
    ['docker.io/library/*', 'nginx:1.25', false],
    ['nginx', 'nginx:1.25', true],
    // digests: only a `*` reaches past the `@`
    ['icr.io/a/b', 'icr.io/a/b@sha256:' + 'a'.repeat(64), false],
    ['icr.io/a/b:*', 'icr.io/a/b@sha256:' + 'a'.repeat(64), false],
    ['icr.io/a/*', 'icr.io/a/b@sha256:' + 'a'.repeat(64), true],
  ];
  for (const [pattern, image, expected] of images) {
    it(`pattern ${pattern} ${expected ? 'matches' : 'does not match'} ${image.slice(0, 70)}`, () => {
      assert.equal(patternMatchesImage(pattern, image), expected);
    });
  }
});
