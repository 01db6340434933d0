// The pure parts of turning decisions into results: grouping, combining verdicts of
// uses with different pull secrets, the report order, and bounded concurrency.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Decision } from '../../src/engine/decider.js';
import { byVerdictThenSource, combine, groupUses, mapLimit, toResult } from '../../src/engine/results.js';
import type { ImageUse } from '../../src/manifests/extract.js';
import { exitCodeOf, summarise } from '../../src/report/model.js';
import { allow, deny } from '../../src/verify/verdict.js';

function use(image: string, line: number, pullSecrets: string[] = [], namespace = 'shop'): ImageUse {
  return { image, namespace, pullSecrets, serviceAccount: 'default', source: { file: 'apps/a.yaml', line, kind: 'Pod', name: `p${line}`, namespace, path: 'spec.containers[0].image', generic: false } };
}

const ALLOWED: Decision = { verdict: allow('SIGNED', 'signed by A', 'sha256:1'), policy: null };
const DENIED: Decision = { verdict: deny('AUTH_FAILED', 'no credential', 'add a pull secret'), policy: null };

describe('results', () => {
  it('groups uses by image string and namespace; a use with a problem is a group of its own', () => {
    const broken = { ...use('a:1', 4), problem: { reason: 'UNSUPPORTED' as const, message: 'odd', hint: 'h' } };
    const groups = groupUses([use('a:1', 1), use('a:1', 2), use('a:1', 3, [], 'other'), broken, use('b:1', 5)]);
    assert.deepEqual(groups.map((g) => g.map((u) => u.source.line)), [[1, 2], [3], [4], [5]]);
  });

  it('one verdict for all uses when they agree; else the first denial, naming the uses it concerns', () => {
    const a = [use('a:1', 1)];
    const b = [use('a:1', 2, ['regcred']), use('a:1', 3, ['regcred'])];
    assert.equal(combine([{ uses: a, decision: ALLOWED }, { uses: b, decision: ALLOWED }]), ALLOWED);
    const mixed = combine([{ uses: a, decision: DENIED }, { uses: b, decision: ALLOWED }]);
    assert.equal(mixed.verdict.reason, 'AUTH_FAILED');
    assert.equal(mixed.verdict.message, 'for the 1 use(s) with no pull secret: no credential (other uses: 2 use(s) with regcred: SIGNED)');
  });

  it('a result lists every source with its pull secrets, and denials sort first, then by where they are used', () => {
    const allowed = toResult([use('a:1', 9, ['x'])], ALLOWED);
    const denied = toResult([use('b:1', 20)], DENIED);
    assert.deepEqual(allowed.sources.map((s) => s.pullSecrets), [['x']]);
    assert.equal(allowed.digest, 'sha256:1');
    assert.deepEqual([allowed, denied].sort(byVerdictThenSource).map((r) => r.image), ['b:1', 'a:1']);
    const early = toResult([use('c:1', 10)], ALLOWED);
    assert.deepEqual([allowed, early].sort(byVerdictThenSource).map((r) => r.image), ['a:1', 'c:1'], 'line 9 before line 10, not as text');
  });

  it('each source keeps the verdict of its own set of pull secrets; the result is the denial, with the digest another use resolved', () => {
    const a = use('a:1', 1, ['regcred']);
    const b = use('a:1', 2);
    const c = use('a:1', 3, ['regcred']);
    const result = toResult([a, b, c], [{ uses: [a, c], decision: ALLOWED }, { uses: [b], decision: DENIED }]);
    assert.deepEqual(result.sources.map((s) => [s.line, s.verdict, s.reason, s.digest]), [[1, 'allow', 'SIGNED', 'sha256:1'], [2, 'deny', 'AUTH_FAILED', null], [3, 'allow', 'SIGNED', 'sha256:1']]);
    assert.equal(result.sources[1].message, 'no credential', 'a use\'s message is its own');
    assert.equal(result.sources[1].hint, 'add a pull secret');
    assert.deepEqual([result.verdict, result.reason, result.digest], ['deny', 'AUTH_FAILED', 'sha256:1']);
  });

  it('the exit code counts every use: a denial on the evidence behind another use\'s incomplete one is exit 1', () => {
    const a = use('a:1', 1);
    const b = use('a:1', 2, ['regcred']);
    const unsigned: Decision = { verdict: deny('NO_SIGNATURE', 'none'), policy: null };
    const result = toResult([a, b], [{ uses: [a], decision: DENIED }, { uses: [b], decision: unsigned }]);
    assert.equal(result.reason, 'AUTH_FAILED', 'the summary is the first denial');
    const results = [result];
    assert.equal(exitCodeOf({ gateVersion: 't', summary: summarise(results), results, warnings: [], scanned: { files: 1, objects: 1 } }), 1);
  });

  it('maps with at most `limit` calls in flight, keeping the order of the items', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([5, 4, 3, 2, 1, 0], 2, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      for (let i = 0; i < n; i++) await Promise.resolve();
      inFlight--;
      return n * 10;
    });
    assert.deepEqual(out, [50, 40, 30, 20, 10, 0]);
    assert.equal(most, 2);
  });
});
