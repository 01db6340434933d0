// The pure parts of the registry client: retry decisions (with an injected clock),
// WWW-Authenticate challenges, docker config files, endpoints.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChallenge } from '../../src/registry/challenge.js';
import { nextPage } from '../../src/registry/client.js';
import { configKeysFor, lookupAuth, parseDockerConfig, specificHelper } from '../../src/registry/credentials.js';
import { endpointFor } from '../../src/registry/endpoint.js';
import { parseRetryAfter, retryDecision } from '../../src/registry/retry.js';

describe('retry decisions', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  it('retries 429 and 502-504 with exponential backoff', () => {
    assert.deepEqual(retryDecision(503, undefined, 1, now, now + 60_000), { retry: true, delayMs: 250 });
    assert.deepEqual(retryDecision(503, undefined, 3, now, now + 60_000), { retry: true, delayMs: 1000 });
    assert.equal(retryDecision(500, undefined, 1, now, now + 60_000).retry, false);
    assert.equal(retryDecision(404, undefined, 1, now, now + 60_000).retry, false);
  });
  it('honours Retry-After in seconds and as a date', () => {
    assert.deepEqual(retryDecision(429, '3', 1, now, now + 60_000), { retry: true, delayMs: 3000 });
    assert.deepEqual(retryDecision(429, new Date(now + 7000).toUTCString(), 1, now, now + 60_000), { retry: true, delayMs: 7000 });
    assert.equal(parseRetryAfter('soon', now), undefined);
  });
  it('gives up after four attempts, or when the wait does not fit in the time left', () => {
    assert.equal(retryDecision(429, '1', 4, now, now + 60_000).retry, false);
    const late = retryDecision(429, '30', 1, now, now + 10_000);
    assert.ok(!late.retry && /does not fit/.test(late.why));
  });
});

describe('WWW-Authenticate challenges', () => {
  it('reads Bearer parameters, quoted or not', () => {
    assert.deepEqual(parseChallenge('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull"'), {
      scheme: 'bearer',
      params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:a/b:pull' },
    });
    assert.deepEqual(parseChallenge('Basic realm=Registry'), { scheme: 'basic', params: { realm: 'Registry' } });
    assert.equal(parseChallenge('Negotiate abc'), undefined);
    assert.equal(parseChallenge(undefined), undefined);
  });
});

describe('docker config files', () => {
  it('prefers auth over username/password and normalises keys', () => {
    const config = parseDockerConfig({
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hub:secret').toString('base64') },
        'reg.example.com:5000': { username: 'u', password: 'p', auth: Buffer.from('a:b').toString('base64') },
        'empty.example.com': {},
      },
      credHelpers: { 'gcr.io': 'gcloud' },
      credsStore: 'desktop',
    });
    assert.ok(typeof config !== 'string');
    assert.deepEqual(lookupAuth(config, 'docker.io'), { username: 'hub', password: 'secret' });
    assert.deepEqual(lookupAuth(config, 'reg.example.com:5000'), { username: 'a', password: 'b' });
    assert.equal(lookupAuth(config, 'empty.example.com'), undefined);
    assert.equal(specificHelper(config, 'gcr.io'), 'gcloud');
    assert.equal(config.credsStore, 'desktop');
  });
  it('finds host:port entries first, then the host alone (as Portieris looks them up)', () => {
    assert.deepEqual(configKeysFor('reg.example.com:5000'), ['reg.example.com:5000', 'reg.example.com']);
    const config = parseDockerConfig({ 'reg.example.com': { auth: Buffer.from('x:y').toString('base64') } }, true);
    assert.ok(typeof config !== 'string');
    assert.deepEqual(lookupAuth(config, 'reg.example.com:5000'), { username: 'x', password: 'y' });
  });
  it('reports malformed entries', () => {
    assert.equal(typeof parseDockerConfig({ auths: { a: { auth: Buffer.from('no-colon').toString('base64') } } }), 'string');
    assert.equal(typeof parseDockerConfig([]), 'string');
  });
});

describe('endpoints', () => {
  it('serves docker.io from registry-1.docker.io, https unless declared insecure', () => {
    assert.deepEqual(endpointFor('docker.io', new Set()), { origin: 'https://registry-1.docker.io', insecure: false });
    assert.deepEqual(endpointFor('reg.local:5000', new Set(['reg.local:5000'])), { origin: 'http://reg.local:5000', insecure: true });
    assert.deepEqual(endpointFor('reg.local:5000', new Set()), { origin: 'https://reg.local:5000', insecure: false });
  });
});

describe('the next page of a referrers listing (Link: rel="next")', () => {
  const origin = 'https://registry.example.com';
  const listing = '/v2/team/app/referrers/sha256:' + 'ab'.repeat(32);
  it('is followed on the same listing, relative or absolute', () => {
    assert.equal(nextPage(`<${listing}?n=2&last=x>; rel="next"`, origin, listing), `${listing}?n=2&last=x`);
    assert.equal(nextPage(`<${origin}${listing}?page=1>; rel=next`, origin, listing), `${listing}?page=1`);
    assert.equal(nextPage(undefined, origin, listing), undefined);
    assert.equal(nextPage(`<${listing}?page=1>; rel="prev"`, origin, listing), undefined);
  });
  it('is refused on another host, another path, or when it is no URL: the credentials go nowhere else', () => {
    assert.throws(() => nextPage(`<https://evil.example.com${listing}>; rel="next"`, origin, listing), /another host/);
    assert.throws(() => nextPage('</v2/other/repo/manifests/x>; rel="next"', origin, listing), /another path/);
    assert.throws(() => nextPage('<http://[>; rel="next"', origin, listing), /not a URL/);
  });
});
