// The run's Bearer tokens (registry/tokens.ts), with the token service as a function that
// records what it was asked: one token for every expected repository, reused; a refusal
// worth a token of its own; expiry; the bound on scopes per request.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_SCOPES, TokenBook, type IssuedToken } from '../../src/registry/tokens.js';

const jwt = (access: Array<{ type: string; name: string; actions: string[] }>) =>
  ['{"alg":"RS256"}', JSON.stringify({ access })].map((p) => Buffer.from(p).toString('base64url')).join('.') + '.signature';

function service(issue: (asked: string[]) => IssuedToken = (asked) => ({ token: `opaque-${asked.join('+')}`, expiresAt: 1000 })) {
  const requests: string[][] = [];
  return { requests, fetch: async (asked: string[]) => (requests.push(asked), issue(asked)) };
}

describe('TokenBook', () => {
  it('asks once for every expected repository of the registry, and reuses that token for each', async () => {
    const book = new TokenBook();
    for (const r of ['team/api', 'team/web', 'team/worker']) book.expect('r.example.com', r);
    book.expect('other.example.com', 'elsewhere/x');
    const s = service();
    const tokens = await Promise.all(['team/web', 'team/api', 'team/worker'].map((r) => book.tokenFor('book', 'r.example.com', r, 0, s.fetch)));
    assert.deepEqual(s.requests, [['team/web', 'team/api', 'team/worker']]);
    assert.ok(tokens.every((t) => t.token === 'opaque-team/web+team/api+team/worker' && t.batch));
  });

  it('gives a repository refused with an opaque batched token a token of its own', async () => {
    const book = new TokenBook();
    book.expect('r', 'a');
    book.expect('r', 'b');
    const s = service();
    await book.tokenFor('book', 'r', 'a', 0, s.fetch);
    book.narrow('book', 'b');
    const alone = await book.tokenFor('book', 'r', 'b', 0, s.fetch);
    assert.deepEqual(s.requests, [['a', 'b'], ['b']]);
    assert.deepEqual(alone, { token: 'opaque-b', batch: false });
  });

  it("takes a JWT's claims as the service's answer: a repository it does not grant is not asked again", async () => {
    const book = new TokenBook();
    book.expect('r', 'public');
    book.expect('r', 'private');
    const token = jwt([{ type: 'repository', name: 'public', actions: ['pull'] }]);
    const s = service(() => ({ token, expiresAt: 1000 }));
    assert.deepEqual(await book.tokenFor('book', 'r', 'public', 0, s.fetch), { token, batch: true });
    assert.deepEqual(await book.tokenFor('book', 'r', 'private', 0, s.fetch), { token, batch: false }, 'a 401 is the answer');
    assert.equal(s.requests.length, 1);
  });

  it('asks again once a token has expired, and keeps books apart', async () => {
    const book = new TokenBook();
    const s = service();
    await book.tokenFor('anonymous', 'r', 'a', 0, s.fetch);
    await book.tokenFor('anonymous', 'r', 'a', 999, s.fetch);
    await book.tokenFor('pull secret', 'r', 'a', 999, s.fetch);
    await book.tokenFor('anonymous', 'r', 'a', 1000, s.fetch);
    assert.equal(s.requests.length, 3);
  });

  it(`asks for at most ${MAX_SCOPES} repositories at once`, async () => {
    const book = new TokenBook();
    for (let i = 0; i < 60; i++) book.expect('r', `repo${i}`);
    const s = service();
    for (let i = 0; i < 60; i++) await book.tokenFor('book', 'r', `repo${i}`, 0, s.fetch);
    assert.deepEqual(s.requests.map((r) => r.length), [MAX_SCOPES, MAX_SCOPES, 60 - 2 * MAX_SCOPES]);
  });

  it('a service that takes one scope at a time: the token covers only what it was asked for', async () => {
    const book = new TokenBook();
    book.expect('r', 'a');
    book.expect('r', 'b');
    const s = service((asked) => ({ token: `t-${asked[0]}`, expiresAt: 1000, repositories: [asked[0]] }));
    assert.deepEqual(await book.tokenFor('book', 'r', 'a', 0, s.fetch), { token: 't-a', batch: false });
    assert.deepEqual(await book.tokenFor('book', 'r', 'b', 0, s.fetch), { token: 't-b', batch: false });
  });

  it('forgets a failed request, so that the next one asks again', async () => {
    const book = new TokenBook();
    let fail = true;
    const fetch = async () => {
      if (fail) throw new Error('token service down');
      return { token: 't', expiresAt: 1000 };
    };
    await assert.rejects(book.tokenFor('book', 'r', 'a', 0, fetch), /token service down/);
    fail = false;
    assert.equal((await book.tokenFor('book', 'r', 'a', 0, fetch)).token, 't');
  });
});
