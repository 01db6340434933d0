// Every registered requirement kind is handled by each step that reads requirements:
// the policy validator, preflight, `gate explain` and `gate policy lint`. The table of
// samples is typed by the registry's keys, so registering a kind without a sample here
// does not compile; each expected outcome is written by hand from Portieris' semantics.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runExplain } from '../../src/commands/explain.js';
import { runLint } from '../../src/commands/lint.js';
import { parseManifestStream } from '../../src/manifests/document.js';
import type { Policy } from '../../src/policy/types.js';
import { validatePolicy } from '../../src/policy/validate.js';
import { preflight } from '../../src/policy/admission.js';
import { KINDS } from '../../src/verify/kinds.js';
import { makeRepo, type TempRepo } from '../helpers/repo.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const IMAGE = `registry.example.com/shop/web@${DIGEST}`;

interface Sample {
  /** The repository's `policy:` body, as YAML lines indented by 6. */
  policy: string;
  /** What preflight decides alone: a reason code, 'needs signatures' or 'needs trust data'. */
  preflight: string;
  /** gate explain's verdict offline, or the error that stops it, with an empty key file. */
  explain: string;
}

const SAMPLES: Record<keyof typeof KINDS, Sample> = {
  signedBy: {
    policy: '      simple:\n        requirements:\n          - type: signedBy\n            keySecret: team\n',
    preflight: 'needs signatures',
    // The kind reads the key itself: an empty key file stops the run before any signature is read.
    explain: 'KEY_INVALID',
  },
  sigstoreSigned: {
    // The key file is named by path: the same broken file must stop it, as for signedBy.
    policy: '      simple:\n        requirements:\n          - type: sigstoreSigned\n            keyPath: keys/team.asc\n            insecureIgnoreTlog: true\n',
    preflight: 'needs signatures',
    // Under the default webhook, Portieris, it is denied before any key is read: Portieris cannot enforce it.
    explain: 'UNSUPPORTED',
  },
  reject: {
    policy: '      simple:\n        requirements:\n          - type: reject\n',
    preflight: 'REJECTED_BY_POLICY',
    explain: 'REJECTED_BY_POLICY',
  },
  insecureAcceptAnything: {
    policy: '      simple:\n        requirements:\n          - type: insecureAcceptAnything\n',
    preflight: 'ACCEPT_ANYTHING',
    explain: 'ACCEPT_ANYTHING',
  },
  trust: {
    policy: '      trust:\n        enabled: true\n        trustServer: https://notary.example.com\n',
    // Its evidence is the trust server's repository: offline there is none, and no verdict.
    preflight: 'needs trust data',
    explain: 'UNREACHABLE',
  },
};

function policyYaml(sample: Sample): string {
  return `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata:
  name: sample
spec:
  repositories:
    - name: "registry.example.com/shop/*"
      policy:
${sample.policy.replace(/^(?=.)/gm, "  ")}`;
}

function parsePolicy(yaml: string): Policy {
  const [object] = parseManifestStream(yaml, 'sample.yaml').objects;
  return validatePolicy(object, 'default').repositories[0].policy;
}

describe('every registered requirement kind', () => {
  it('is registered under its own type', () => {
    for (const [type, kind] of Object.entries(KINDS)) assert.equal(kind.type, type);
  });

  for (const [type, sample] of Object.entries(SAMPLES)) {
    describe(type, () => {
      let repo: TempRepo;
      before(async () => {
        repo = await makeRepo({
          '.gate/policies/sample.yaml': policyYaml(sample),
          // An armoured block that is not a key: lint must report it for kinds that read keys.
          '.gate/keys/team.asc': '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n',
        });
      });
      after(async () => repo.dispose());
      const io = () => ({ cwd: repo.dir, now: () => new Date('2026-06-01T00:00:00Z'), env: {}, readStdin: async () => new Uint8Array() });

      it('is read by the policy validator', () => {
        const policy = parsePolicy(policyYaml(sample));
        const requirements = [...(policy.trust ? [policy.trust] : []), ...(policy.simple?.requirements ?? [])];
        assert.deepEqual(requirements.map((r) => r.type), [type]);
      });

      it('is decided by preflight, or handed on for signatures', () => {
        const outcome = preflight(parsePolicy(policyYaml(sample)), IMAGE, 'registry.example.com/shop/*', KINDS);
        assert.equal(outcome.done ? outcome.verdict.reason : outcome.trustData ? 'needs trust data' : 'needs signatures', sample.preflight);
        if (!outcome.done) assert.deepEqual([...(outcome.trustData ? [outcome.trustData] : []), ...outcome.pending].map((p) => p.requirement.type), [type]);
      });

      it('is shown by gate explain', async () => {
        await repo.write('.gate/keys/team.asc', '');
        const explained = await runExplain(IMAGE, { namespace: 'default', offline: true }, io()).catch((e: Error & { code?: string }) => e);
        if (explained instanceof Error) {
          assert.equal((explained as { code?: string }).code, sample.explain, explained.message);
          return;
        }
        assert.deepEqual(explained.requirements.map((r) => r.type), [type]);
        assert.equal(explained.verdict.reason, sample.explain);
      });

      it('is checked by gate policy lint', async () => {
        await repo.write('.gate/keys/team.asc', '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n');
        const report = await runLint({ namespace: 'default' }, io());
        const keyErrors = report.findings.filter((f) => f.level === 'error' && /KEY_INVALID/.test(f.message));
        // Only a kind that reads keys finds the broken key; the others leave it unused.
        assert.equal(keyErrors.length, sample.preflight === 'needs signatures' ? 1 : 0, JSON.stringify(report.findings));
      });
    });
  }
});

describe('an allow without evidence', () => {
  it('comes from insecureAcceptAnything alone among the registered kinds', () => {
    const allowing = Object.keys(SAMPLES).filter((type) => {
      const outcome = preflight(parsePolicy(policyYaml(SAMPLES[type as keyof typeof SAMPLES])), IMAGE, 'registry.example.com/shop/*', KINDS);
      return outcome.done && outcome.verdict.allowed;
    });
    assert.deepEqual(allowing, ['insecureAcceptAnything']);
  });

  it('is refused to another kind of the same shape: UNSUPPORTED', () => {
    const lookalike = { ...KINDS.insecureAcceptAnything, type: 'acceptEverything' };
    const policy: Policy = { vulnerabilityEnabled: false, simple: { requirements: [{ type: 'acceptEverything', origin: { file: 'p.yaml', line: 9 } }] } };
    const outcome = preflight(policy, IMAGE, 'registry.example.com/shop/*', { ...KINDS, acceptEverything: lookalike });
    assert.equal(outcome.done && outcome.verdict.reason, 'UNSUPPORTED');
  });
});

describe('a requirement no registered kind evaluates', () => {
  it('is denied UNSUPPORTED by preflight, never accepted', () => {
    const policy: Policy = { vulnerabilityEnabled: false, simple: { requirements: [{ type: 'notationSigned', origin: { file: 'p.yaml', line: 9 } }] } };
    const outcome = preflight(policy, IMAGE, 'registry.example.com/shop/*', KINDS);
    assert.equal(outcome.done && outcome.verdict.reason, 'UNSUPPORTED');
    assert.equal(outcome.done && outcome.verdict.allowed, false);
  });

  it('is a policy error listing the known types', () => {
    const yaml = policyYaml({ ...SAMPLES.signedBy, policy: '      simple:\n        requirements:\n          - type: notationSigned\n' });
    assert.throws(() => parsePolicy(yaml), (e: Error & { code?: string }) => e.code === 'POLICY_INVALID' && /invalid Type: notationSigned \(expected signedBy, sigstoreSigned, reject or insecureAcceptAnything\)/.test(e.message));
  });
});
