// The evidence cache in a real redis-server (Debian's, on a loopback port), as Argo CD's
// repo-server replicas share it: hits across gate processes, a planted entry, Redis gone
// before or in the middle of a run, a password-protected server (as argocd-redis), TLS.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer, type AddressInfo } from 'node:net';
import { gateJson, gateMeasured, gate } from '../helpers/gate.js';
import { selfSigned, serverCertificate, type Pem } from '../helpers/pki.js';
import { freePort } from '../helpers/registry.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import { storeWorld, type StoreImage, type StoreWorld } from '../helpers/store-world.js';
import { argoEnv } from '../helpers/argocd.js';

const PASSWORD = 'argocd-redis-auth-never-printed';
const KEY_PREFIX = 'gate:evidence:v1:';
const reasons = (report: { results: Array<{ image: string; reason: string }> }) => Object.fromEntries(report.results.map((r) => [r.image, r.reason]));

describe('the evidence cache in Redis (--cache-redis, GATE_CACHE_REDIS)', () => {
  let world: StoreWorld;
  /** Called before the lookaside answers a request (null: answer at once). */
  let onSignatureRequest: (() => Promise<void>) | null = null;
  before(async () => {
    world = await storeWorld({ before: async () => await onSignatureRequest?.() });
  });
  after(() => world?.stop());

  async function withRedis(fn: (redis: RunningRedis) => Promise<void>, options: Parameters<typeof startRedis>[0] = {}): Promise<void> {
    const redis = await startRedis(options);
    try {
      await fn(redis);
    } finally {
      await redis.stop();
    }
  }

  async function check(images: StoreImage[], env: NodeJS.ProcessEnv, args: string[] = [], files: Record<string, string> = {}) {
    const repo = await world.repo(files, images);
    try {
      return await gateJson(['check', 'apps', ...args], { cwd: repo.dir, env });
    } finally {
      await repo.dispose();
    }
  }

  it('a second gate process verifies what the first fetched, and fetches nothing', async () => {
    await withRedis(async (redis) => {
      const env = { GATE_CACHE_REDIS: redis.url };
      const before = world.signatureRequests(world.signed);
      const first = await check([world.signed], env);
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(await redis.keys(), [KEY_PREFIX + world.cacheKey(world.signed)]);
      const ttl = Number(await redis.cli(['pttl', KEY_PREFIX + world.cacheKey(world.signed)]));
      assert.ok(ttl > 0 && ttl <= 3600_000, `Redis expires the entry with the TTL (${ttl} ms)`);
      const second = await check([world.signed], env);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(world.signatureRequests(world.signed) - before, 2, 'only the first process fetched (signature-1, signature-2)');
      assert.match(second.report.results[0].message, /signatures read from the evidence cache of an earlier run and verified again/);
      // --cache-redis names the same server as the variable.
      const third = await check([world.signed], {}, ['--cache-redis', redis.url]);
      assert.equal(world.signatureRequests(world.signed) - before, 2);
      assert.equal(third.report.results[0].reason, 'SIGNED');
    });
  });

  it("denies the unsigned image when the signed image's entry is planted under its key, and fetches its evidence again", async () => {
    await withRedis(async (redis) => {
      const env = { GATE_CACHE_REDIS: redis.url };
      await check([world.signed], env);
      const signedEntry = await redis.cli(['--raw', 'get', KEY_PREFIX + world.cacheKey(world.signed)]);
      await redis.cli(['-x', 'set', KEY_PREFIX + world.cacheKey(world.unsigned)], signedEntry.trimEnd());
      const before = world.signatureRequests(world.unsigned);
      const run = await check([world.signed, world.unsigned], env);
      assert.equal(run.code, 1);
      assert.deepEqual(reasons(run.report), { [world.signed.image]: 'SIGNED', [world.unsigned.image]: 'NO_SIGNATURE' });
      assert.equal(world.signatureRequests(world.unsigned) - before, 1, 'decided on a fresh fetch');
    });
  });

  it('an entry of garbage, or larger than any entry gate writes, is a miss: the signature is fetched and verified', async () => {
    await withRedis(async (redis) => {
      const env = { GATE_CACHE_REDIS: redis.url };
      for (const planted of ['{"gate":"evidence","v":1,', 'x'.repeat(5 * 1024 * 1024)]) {
        await redis.cli(['-x', 'set', KEY_PREFIX + world.cacheKey(world.signed)], planted);
        const before = world.signatureRequests(world.signed);
        const run = await check([world.signed], env);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.report.results[0].reason, 'SIGNED');
        assert.ok(world.signatureRequests(world.signed) > before, 'fetched');
      }
    });
  });

  it('Redis stopped in the middle of a run: a warning on stderr, the same verdicts, no failure', async () => {
    await withRedis(async (redis) => {
      const env = { GATE_CACHE_REDIS: redis.url };
      // The run asks Redis for both images (misses), then the lookaside, and Redis dies right then: keeping what was fetched fails.
      onSignatureRequest = async () => {
        onSignatureRequest = null;
        await redis.kill();
      };
      const run = await check([world.signed, world.unsigned], env);
      onSignatureRequest = null;
      assert.equal(run.code, 1, run.stderr);
      assert.deepEqual(reasons(run.report), { [world.signed.image]: 'SIGNED', [world.unsigned.image]: 'NO_SIGNATURE' });
      assert.match(run.stderr, /gate: warning: the evidence cache Redis redis:\/\/127\.0\.0\.1:\d+ is unavailable \(.+\): this run goes on without it/);
      assert.deepEqual(run.report.warnings, [], 'not a finding about the repository: --fail-on-warn does not fail on it');
    });
  });

  it('Redis down from the start: the run goes on without it, with the same verdicts and exit code', async () => {
    const port = await freePort();
    const run = await check([world.signed, world.unsigned], { GATE_CACHE_REDIS: `redis://127.0.0.1:${port}` }, ['--fail-on-warn']);
    assert.equal(run.code, 1);
    assert.deepEqual(reasons(run.report), { [world.signed.image]: 'SIGNED', [world.unsigned.image]: 'NO_SIGNATURE' });
    assert.match(run.stderr, /unavailable \(.*ECONNREFUSED.*\)/);
    const allowed = await check([world.signed], { GATE_CACHE_REDIS: `redis://127.0.0.1:${port}` }, ['--fail-on-warn']);
    assert.equal(allowed.code, 0, 'a cache that is down fails nothing, even under --fail-on-warn');
  });

  it('a server that accepts connections and never answers: a warning, and the run ends as without a cache', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const repo = await world.repo({}, [world.signed]);
      try {
        const run = await gateMeasured(['check', 'apps', '-o', 'json'], { cwd: repo.dir, env: { GATE_CACHE_REDIS: `redis://127.0.0.1:${port}` }, limitSeconds: 20 });
        assert.equal(run.code, 0, run.stderr);
        assert.equal(JSON.parse(run.stdout).results[0].reason, 'SIGNED');
        assert.match(run.stderr, /the evidence cache Redis redis:\/\/127\.0\.0\.1:\d+ is unavailable \(no answer within 2000 ms\)/);
      } finally {
        await repo.dispose();
      }
    } finally {
      silent.close();
    }
  });

  it('a password-protected server (as argocd-redis): the password from GATE_CACHE_REDIS_PASSWORD or the URL, never printed', async () => {
    await withRedis(
      async (redis) => {
        const before = world.signatureRequests(world.signed);
        await check([world.signed], { GATE_CACHE_REDIS: redis.url, GATE_CACHE_REDIS_PASSWORD: PASSWORD });
        assert.equal((await redis.keys()).length, 1);
        const withUrl = await check([world.signed], { GATE_CACHE_REDIS: `redis://:${PASSWORD}@127.0.0.1:${redis.port}` }, ['--verbose']);
        assert.equal(world.signatureRequests(world.signed) - before, 2, 'the second run read Redis');
        assert.doesNotMatch(withUrl.stderr + JSON.stringify(withUrl.report), new RegExp(PASSWORD));
        // A password with a / that makes the URL unparsable is not printed either.
        const repo = await world.repo({}, [world.signed]);
        try {
          const unparsable = await gate(['check', 'apps', '--cache-redis', `redis://:pa/${PASSWORD}@127.0.0.1:${redis.port}`], { cwd: repo.dir });
          assert.equal(unparsable.code, 2);
          assert.match(unparsable.stderr, /--cache-redis \(or GATE_CACHE_REDIS\): not a URL: redis:\/\/…@127\.0\.0\.1:\d+/);
          assert.doesNotMatch(unparsable.stderr, new RegExp(PASSWORD));
        } finally {
          await repo.dispose();
        }
        const wrong = await check([world.signed], { GATE_CACHE_REDIS: `redis://:not-${PASSWORD.slice(4)}@127.0.0.1:${redis.port}` });
        assert.equal(wrong.code, 0);
        assert.match(wrong.stderr, /the evidence cache Redis redis:\/\/:…@127\.0\.0\.1:\d+ is unavailable \((WRONGPASS|NOAUTH)/);
        assert.doesNotMatch(wrong.stderr, new RegExp(PASSWORD.slice(4)));
        const none = await check([world.signed], { GATE_CACHE_REDIS: redis.url });
        assert.equal(none.code, 0);
        assert.match(none.stderr, /is unavailable \(NOAUTH/);
      },
      { password: PASSWORD },
    );
  });

  it('rediss://: TLS with the CA the operator trusts (--ca-file), never one the repository commits', async () => {
    const pki = await mkdtemp(path.join(tmpdir(), 'gate-redis-tls-'));
    try {
      const ca: Pem = await selfSigned(pki, 'ca', '/CN=gate redis CA');
      const server = await serverCertificate(pki, ca);
      await withRedis(
        async (redis) => {
          const env = { GATE_CACHE_REDIS: redis.url };
          const before = world.signatureRequests(world.signed);
          const first = await check([world.signed], env, ['--ca-file', ca.certFile]);
          assert.equal(first.code, 0, first.stderr);
          assert.doesNotMatch(first.stderr, /unavailable/);
          await check([world.signed], env, ['--ca-file', ca.certFile]);
          assert.equal(world.signatureRequests(world.signed) - before, 2);
          // Without the CA the server's certificate is refused: a warning, and the run goes on. A CA
          // the repository commits in .gate/certs.d is not trusted for Redis: the repository must
          // not choose who receives the Redis password.
          const untrusted = await check([world.signed], env, [], { [`.gate/certs.d/127.0.0.1:${redis.port}/ca.crt`]: ca.cert });
          assert.equal(untrusted.code, 0);
          assert.match(untrusted.stderr, /rediss:\/\/127\.0\.0\.1:\d+ is unavailable \(.*(certificate|CERT)/i);
        },
        { tls: { server, ca } },
      );
    } finally {
      await rm(pki, { recursive: true, force: true });
    }
  });

  it('gate generate in three repo-server replicas, each with its own folder: the first fetches, the others read Redis', async () => {
    await withRedis(async (redis) => {
      const repo = await world.repo({}, [world.signed]);
      const folders = await mkdtemp(path.join(tmpdir(), 'gate-replicas-'));
      try {
        // As the sidecar runs it: cwd the app's folder, Argo CD's environment, its own $GATE_CACHE_DIR, Redis shared.
        const replica = (n: number) =>
          gate(['generate'], { cwd: path.join(repo.dir, 'apps'), env: { ...argoEnv('apps'), GATE_CACHE_DIR: path.join(folders, `replica-${n}`), GATE_CACHE_REDIS: redis.url } });
        const before = world.signatureRequests(world.signed);
        const first = await replica(1);
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stdout, new RegExp(world.signed.digest));
        const others = await Promise.all([replica(2), replica(3)]);
        assert.deepEqual(others.map((o) => o.code), [0, 0]);
        assert.ok(others.every((o) => o.stdout === first.stdout), 'the same manifests, unchanged');
        assert.equal(world.signatureRequests(world.signed) - before, 2, 'only the first replica fetched');
        const kept = await readdir(path.join(folders, 'replica-2'), { recursive: true });
        assert.ok(kept.some((f) => f.endsWith('.json')), "a hit in Redis is kept in the replica's folder too");
      } finally {
        await repo.dispose();
        await rm(folders, { recursive: true, force: true });
      }
    });
  });

  it('a URL that is not redis:// or rediss:// is a usage error (exit 2), without its password', async () => {
    const repo = await world.repo({}, [world.signed]);
    try {
      const run = await gate(['check', 'apps', '--cache-redis', `http://user:${PASSWORD}@cache.example.com`], { cwd: repo.dir });
      assert.equal(run.code, 2);
      assert.match(run.stderr, /--cache-redis \(or GATE_CACHE_REDIS\): http:\/\/user:…@cache\.example\.com is not a redis:\/\/ or rediss:\/\/ URL/);
      assert.doesNotMatch(run.stderr, new RegExp(PASSWORD));
    } finally {
      await repo.dispose();
    }
  });
});
