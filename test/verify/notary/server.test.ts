// The trust server a repository's trust data is read from: the policy's, else Portieris'
// built-in map (Docker Hub and Quay since Portieris #386), matched by host and subdomain —
// not by Portieris' plain suffix test, under which evildocker.io would use notary.docker.io.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trustServerFor } from '../../../src/verify/notary/server.js';

describe('the trust server', () => {
  it('is the policy\'s trustServer, verbatim but for trailing slashes', () => {
    assert.deepEqual(trustServerFor('https://notary.example.com:4443/', 'registry.example.com'), { ok: true, url: 'https://notary.example.com:4443', from: 'policy' });
    assert.equal(trustServerFor('notary.example.com', 'registry.example.com').ok, false);
    assert.equal(trustServerFor('ftp://notary.example.com', 'registry.example.com').ok, false);
    const userinfo = trustServerFor('https://user:hunter2@notary.example.com', 'registry.example.com');
    assert.equal(userinfo.ok, false, 'a password in the URL would be printed in every verdict');
    assert.doesNotMatch(!userinfo.ok ? userinfo.message : '', /hunter2/);
  });

  it('is Portieris\' built-in one for Docker Hub and Quay, matched by host and subdomain only', () => {
    assert.deepEqual(trustServerFor(undefined, 'docker.io'), { ok: true, url: 'https://notary.docker.io', from: 'built-in map' });
    assert.deepEqual(trustServerFor(undefined, 'quay.io:443'), { ok: true, url: 'https://quay.io:443', from: 'built-in map' });
    assert.equal(trustServerFor(undefined, 'registry-1.docker.io').ok, true);
    const evil = trustServerFor(undefined, 'evildocker.io');
    assert.equal(evil.ok, false, 'Portieris\' suffix test would send evildocker.io to notary.docker.io');
  });

  it('is none for another registry, in Portieris\' words, with the fix', () => {
    const none = trustServerFor(undefined, 'us.icr.io');
    assert.equal(none.ok, false);
    assert.match(!none.ok ? none.message : '', /^Trust Server\/Image Configuration Error: no trust server could be found for us\.icr\.io/);
    assert.match(!none.ok ? none.hint : '', /set trust\.trustServer/);
  });
});
