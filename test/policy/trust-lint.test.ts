// gate policy lint on Portieris trust policies: a registry no trust server is known for, Docker
// Hub's retiring notary, and repositories no trustPinning entry covers (wholly or in part).

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runLint, type LintReport } from '../../src/commands/lint.js';
import { clusterPolicy, makeRepo, type TempRepo } from '../helpers/repo.js';

const PIN = 'ab'.repeat(32);

describe('gate policy lint on trust policies', () => {
  let repo: TempRepo | undefined;
  after(() => repo?.dispose());

  async function lint(patterns: Array<[string, string]>, config = ''): Promise<string[]> {
    await repo?.dispose();
    const body = patterns.map(([name, server]) => `  - name: "${name}"\n    policy:\n      mutateImage: false\n      trust:\n        enabled: true\n${server ? `        trustServer: ${server}\n` : ''}`).join('');
    repo = await makeRepo({ '.gate/policies/trust.yaml': clusterPolicy('trust', body), ...(config ? { '.gate/config.yaml': config } : {}) });
    const report: LintReport = await runLint({ namespace: 'default' }, { cwd: repo.dir, now: () => new Date('2027-01-01T00:00:00Z'), env: {}, readStdin: async () => new Uint8Array() });
    return report.findings.filter((f) => f.level === 'warning').map((f) => f.message);
  }

  it('flags a registry with no trust server mapping, and Docker Hub\'s retiring notary', async () => {
    const found = await lint([['registry.example.com/shop/*', ''], ['docker.io/acme/*', ''], ['quay.io/acme/*', '']], `trustPinning:\n- gun: "*"\n  certIds: [${PIN}]\n`);
    assert.ok(found.some((m) => /repository "registry\.example\.com\/shop\/\*": Trust Server\/Image Configuration Error: no trust server could be found/.test(m)), found.join('\n'));
    assert.ok(found.some((m) => /docker\.io\/acme\/\*.*notary\.docker\.io.*retiring/.test(m)), found.join('\n'));
    assert.ok(!found.some((m) => /"quay\.io\/acme/.test(m)), `quay.io has a mapping:\n${found.join("\n")}`);
  });

  it('flags trust without pinning, and pinning that covers only some of a pattern\'s repositories; a covering pin silences it', async () => {
    const server = 'https://notary.example.com';
    const none = await lint([['registry.example.com/shop/*', server]]);
    assert.ok(none.some((m) => /no trustPinning entry covers its repositories/.test(m)), none.join('\n'));
    const some = await lint([['registry.example.com/shop/*', server]], `trustPinning:\n- gun: registry.example.com/shop/web\n  certIds: [${PIN}]\n`);
    assert.ok(some.some((m) => /only some of the repositories it covers are pinned/.test(m)), some.join('\n'));
    const all = await lint([['registry.example.com/shop/*', server], ['registry.example.com/shop/web:*', server]], `trustPinning:\n- gun: registry.example.com/shop/*\n  certIds: [${PIN}]\n`);
    assert.deepEqual(all.filter((m) => /trustPinning|pinned/.test(m)), []);
    // app* covers app-canary too: an exact pin on app is not enough; an official image's GUN is docker.io/library/<name>.
    const prefixOfName = await lint([['registry.example.com/shop/web*', server], ['nginx:*', server]], `trustPinning:\n- gun: registry.example.com/shop/web\n  certIds: [${PIN}]\n- gun: docker.io/library/nginx\n  certIds: [${PIN}]\n`);
    assert.ok(prefixOfName.some((m) => /"registry\.example\.com\/shop\/web\*" enables trust, but only some/.test(m)), prefixOfName.join('\n'));
    assert.ok(!prefixOfName.some((m) => /"nginx:\*"/.test(m)), prefixOfName.join('\n'));
  });

  it('flags trust with simple requirements under Portieris, which denies every such image', async () => {
    await repo?.dispose();
    const body = '  - name: "registry.example.com/shop/*"\n    policy:\n      mutateImage: false\n      trust:\n        enabled: true\n        trustServer: https://notary.example.com\n      simple:\n        requirements:\n        - type: insecureAcceptAnything\n';
    repo = await makeRepo({ '.gate/policies/trust.yaml': clusterPolicy('trust', body) });
    const report = await runLint({ namespace: 'default' }, { cwd: repo.dir, now: () => new Date('2027-01-01T00:00:00Z'), env: {}, readStdin: async () => new Uint8Array() });
    assert.ok(report.findings.some((f) => /has both trust and simple requirements: Portieris .* denies every image/.test(f.message)), JSON.stringify(report.findings));
  });
});
