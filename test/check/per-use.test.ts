// Pull secrets decide per use, against the real docker-registry with TLS and htpasswd
// Basic auth (images pushed and signed by real skopeo): the ServiceAccount rule (a pod's
// own pull secrets, else its ServiceAccount's, never both), and one image string used by
// a workload with the right pull secret and by one without, which every output format
// and gate generate must tell apart.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertValidSarif, parseJunit } from '../helpers/formats.js';
import { gate, type JsonReport } from '../helpers/gate.js';
import { deployment, pullSecret, withPullSecret, type TempRepo } from '../helpers/repo.js';
import { basicAuthWorld, type BasicAuthWorld, type World } from '../helpers/world.js';

const USER = 'robot';
const PASSWORD = 'right-password';

const DEFAULT_ACCOUNT = 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: shop}\nimagePullSecrets: [{name: regcred}]\n';

/** The 1-based line of `image: …` in a manifest text. */
function imageLine(text: string): number {
  return text.split('\n').findIndex((l) => /^\s*image: /.test(l)) + 1;
}

describe('pull secrets per use (real TLS registry with htpasswd)', () => {
  let registry: BasicAuthWorld;
  let image: string;
  let digest: string;
  const world = (): World => registry.world;

  before(async () => {
    registry = await basicAuthWorld(USER, PASSWORD);
    image = `${world().host}/team/shared:1`;
    digest = await world().push('team/shared', '1');
  });
  after(() => registry?.stop());

  const trusted = () => ({ [`.gate/certs.d/${world().host}/ca.crt`]: registry.ca.cert });

  async function withRepo<T>(files: Record<string, string>, fn: (repo: TempRepo) => Promise<T>): Promise<T> {
    const repo = await world().repo({ ...trusted(), ...files });
    try {
      return await fn(repo);
    } finally {
      await repo.dispose();
    }
  }

  async function checkJson(repo: TempRepo): Promise<{ code: number; report: JsonReport; stderr: string }> {
    const run = await gate(['check', 'apps', '-o', 'json'], { cwd: repo.dir });
    return { code: run.code, report: JSON.parse(run.stdout) as JsonReport, stderr: run.stderr };
  }

  describe('the ServiceAccount rule', () => {
    it('a pod that lists its own pull secret is not let in by its ServiceAccount\'s', async () => {
      const files = {
        'apps/app.yaml': withPullSecret(image, 'othercred'),
        'apps/sa.yaml': DEFAULT_ACCOUNT,
        'apps/secrets.yaml': `${pullSecret('othercred', world().host, USER, 'wrong-password')}---\n${pullSecret('regcred', world().host, USER, PASSWORD)}`,
      };
      await withRepo(files, async (repo) => {
        const { report } = await checkJson(repo);
        const [result] = report.results;
        assert.equal(result.verdict, 'deny', result.message);
        assert.deepEqual(result.sources[0].pullSecrets, ['othercred']);
        assert.match(result.message, /pull secret shop\/othercred/);
        assert.doesNotMatch(result.message, /regcred/, 'the ServiceAccount\'s secret was not tried');
      });
    });

    it('a pod that lists no pull secret uses its ServiceAccount\'s', async () => {
      const files = { 'apps/app.yaml': deployment('app', [image]), 'apps/sa.yaml': DEFAULT_ACCOUNT, 'apps/secrets.yaml': pullSecret('regcred', world().host, USER, PASSWORD) };
      await withRepo(files, async (repo) => {
        const { code, report } = await checkJson(repo);
        assert.equal(report.results[0].reason, 'SIGNED', report.results[0].message);
        assert.deepEqual(report.results[0].sources[0].pullSecrets, ['regcred']);
        assert.equal(code, 0);
      });
    });
  });

  describe('one image, two verdicts: the use with the pull secret passes, the use without is denied', () => {
    const withText = () => withPullSecret(image, 'regcred', 'with-secret');
    const withoutText = () => deployment('no-secret', [image]);
    // File order puts the allowed use first: "the first use stands for all" would name it.
    const files = () => ({ 'apps/a-with.yaml': withText(), 'apps/b-without.yaml': withoutText(), 'apps/secret.yaml': pullSecret('regcred', world().host, USER, PASSWORD) });
    const formats = ['text', 'json', 'sarif', 'junit', 'github', 'markdown'] as const;
    let outputs: Record<(typeof formats)[number], string>;
    let code: number;
    let generated: { code: number; stdout: string; stderr: string };
    let withLine: number;
    let withoutLine: number;

    before(async () => {
      withLine = imageLine(withText());
      withoutLine = imageLine(withoutText());
      await withRepo(files(), async (repo) => {
        const out = path.join(repo.dir, 'reports');
        const run = await gate(['check', 'apps', ...formats.flatMap((f) => ['-o', `${f}=${path.join(out, `gate.${f}`)}`])], { cwd: repo.dir });
        code = run.code;
        outputs = Object.fromEntries(await Promise.all(formats.map(async (f) => [f, await readFile(path.join(out, `gate.${f}`), 'utf8')]))) as typeof outputs;
        // As Argo CD's repo-server runs the plugin (no Argo CD here): the app folder as cwd, its ARGOCD_* environment.
        generated = await gate(['generate'], {
          cwd: path.join(repo.dir, 'apps'),
          env: { ARGOCD_APP_NAME: 'shop', ARGOCD_APP_NAMESPACE: 'shop', ARGOCD_APP_SOURCE_PATH: 'apps', ARGOCD_APP_SOURCE_REPO_URL: 'https://git.example.com/shop.git', KUBE_VERSION: '1.29.4' },
        });
      });
    });

    const denied = () => (JSON.parse(outputs.json) as JsonReport).results[0];

    it('json: one result, denied, whose sources carry their own verdicts and digests', () => {
      const report = JSON.parse(outputs.json) as JsonReport;
      assert.equal(report.results.length, 1);
      const [result] = report.results;
      assert.equal(result.verdict, 'deny');
      const [withSecret, without] = result.sources;
      assert.deepEqual([withSecret.name, withSecret.file, withSecret.line], ['with-secret', 'apps/a-with.yaml', withLine]);
      assert.deepEqual([withSecret.verdict, withSecret.reason, withSecret.digest], ['allow', 'SIGNED', digest]);
      assert.deepEqual([without.name, without.file, without.line], ['no-secret', 'apps/b-without.yaml', withoutLine]);
      assert.equal(without.verdict, 'deny');
      assert.notEqual(without.reason, 'SIGNED');
      assert.equal(result.reason, without.reason, 'the summary is the denial');
      assert.equal(result.digest, digest, 'the digest one use resolved is reported though another use failed');
      assert.doesNotMatch(without.message, /other uses/, 'a use\'s message is its own');
      assert.equal(code, 3, 'exit code of the one denied use (no credential let it in)');
    });

    it('sarif: one result, for the denied use, at its own line', () => {
      const [run] = assertValidSarif(outputs.sarif).runs;
      assert.equal(run.results.length, 1);
      const [result] = run.results;
      assert.equal(result.ruleId, denied().sources[1].reason);
      assert.equal(result.locations[0].physicalLocation!.artifactLocation.uri, 'apps/b-without.yaml');
      assert.equal(result.locations[0].physicalLocation!.region.startLine, withoutLine);
      assert.match(result.message.text, /in Deployment\/no-secret /);
    });

    it('junit: a test case per use; only the denied one fails', async () => {
      const junit = await parseJunit(outputs.junit);
      const cases = junit.testsuite!.flatMap((s) => s.testcase ?? []);
      assert.equal(cases.length, 2);
      const failing = cases.filter((c) => c.failure || c.error);
      assert.equal(failing.length, 1);
      assert.match(failing[0].name!, /^Deployment\/no-secret /);
      assert.equal((failing[0].failure ?? failing[0].error)![0].type, denied().sources[1].reason);
      const passing = cases.find((c) => !c.failure && !c.error)!;
      assert.match(passing.name!, /^Deployment\/with-secret /);
      assert.equal((junit.failures ?? 0) + (junit.errors ?? 0), 1);
    });

    it('github: one annotation, at the denied use', () => {
      const errors = outputs.github.split('\n').filter((l) => l.startsWith('::error'));
      assert.equal(errors.length, 1, outputs.github);
      assert.ok(errors[0].startsWith(`::error file=apps/b-without.yaml,line=${withoutLine},title=gate%3A ${denied().sources[1].reason}::`), errors[0]);
      assert.match(errors[0], /in Deployment\/no-secret /);
    });

    it('markdown: the denial names the uses denied and those allowed', () => {
      assert.match(outputs.markdown, new RegExp(`\\| apps/b-without\\.yaml:${withoutLine} \\(\\+1\\) \\|`), 'the table shows where it was denied');
      assert.match(outputs.markdown, new RegExp(`\\*\\*Denied at:\\*\\* apps/b-without\\.yaml:${withoutLine} [^\\n]*no pull secret`));
      assert.match(outputs.markdown, new RegExp(`\\*\\*Allowed at:\\*\\* apps/a-with\\.yaml:${withLine} [^\\n]*\`SIGNED\`, pull secrets regcred`));
    });

    it('text: denied at and allowed at, each with its reason', () => {
      assert.match(outputs.text, new RegExp(`denied at  apps/b-without\\.yaml:${withoutLine}  Deployment/no-secret  [^\\n]*no pull secret\\)`));
      assert.match(outputs.text, new RegExp(`allowed at apps/a-with\\.yaml:${withLine}  Deployment/with-secret  [^\\n]*\\(SIGNED, pull secrets regcred\\)`));
    });

    it('gate generate: the DENY line names the workload that was denied, not the one that passed', () => {
      assert.equal(generated.stdout, '', 'nothing for Argo CD to apply');
      const deny = generated.stderr.split('\n').filter((l) => l.startsWith('DENY'));
      assert.equal(deny.length, 1, generated.stderr);
      assert.ok(deny[0].startsWith(`DENY Deployment/no-secret ${image} ${denied().sources[1].reason}: `), deny[0]);
      assert.doesNotMatch(deny[0], /with-secret/);
      assert.notEqual(generated.code, 0);
    });
  });
});
