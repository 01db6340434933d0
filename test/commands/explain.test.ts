// gate explain in-process on a committed signature scenario (test/fixtures/signatures/
// accepted: a key and a skopeo signature): each signature's fate names its requirement by
// the number it has in the Requirements list, also when a requirement before it reads
// no signature.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runExplain } from '../../src/commands/explain.js';
import { PROJECT_ROOT } from '../helpers/gate.js';
import { makeRepo, type TempRepo } from '../helpers/repo.js';

const SCENARIO = path.join(PROJECT_ROOT, 'test/fixtures/signatures/accepted');

describe('gate explain (in-process, committed scenario)', () => {
  let repo: TempRepo;
  let image: string;
  before(async () => {
    const scenario = JSON.parse(await readFile(path.join(SCENARIO, 'scenario.json'), 'utf8')) as { intendedReference: string; manifestDigest: string };
    image = scenario.intendedReference;
    repo = await makeRepo({
      '.gate/keys/team.asc': await readFile(path.join(SCENARIO, 'key.asc'), 'utf8'),
      '.gate/policies/policy.yaml': `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: team}
spec:
  repositories:
    - name: "registry.example.com/team/*"
      policy:
        simple:
          requirements:
            - type: insecureAcceptAnything
            - type: signedBy
              keySecret: team
`,
    });
    await repo.write('.gate/registries.d/lookaside.yaml', `default-docker:\n  lookaside: file://${repo.dir}/sigs\n`);
    // A lookaside Portieris cannot read, opted into gate-only evidence; the keys declared deployed.
    await repo.write('.gate/config.yaml', "keySecrets:\n- name: team\nsignatureStores:\n  gateOnly:\n  - scope: default-docker\n    reason: the test's own lookaside\n");
    await repo.storeSignatures('sigs', 'team/web', scenario.manifestDigest, [await readFile(path.join(SCENARIO, 'signature-1'))]);
  });
  after(async () => repo?.dispose());

  it('numbers each signature\'s outcome by its requirement\'s place in the list', async () => {
    const e = await runExplain(image, { namespace: 'default', offline: true }, { cwd: repo.dir, now: () => new Date('2030-01-01T00:00:00Z'), env: {}, readStdin: async () => new Uint8Array() });
    assert.equal(e.verdict.reason, 'SIGNED', e.verdict.message);
    assert.deepEqual(e.requirements.map((r) => r.type), ['insecureAcceptAnything', 'signedBy']);
    assert.deepEqual(e.signatures!.each.map((s) => s.requirements.map((q) => [q.requirement, q.passed])), [[[2, true]]]);
  });
});
