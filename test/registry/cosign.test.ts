// cosign signatures in a real registry (Debian's docker-registry, distribution 2.8), made
// by the tests (helpers/cosign.ts) and read by `gate check` and `gate generate` through
// both storage formats: the legacy `sha256-<hex>.sig` tag, and bundles as OCI 1.1
// referrers — through the referrers API (a loopback front gives distribution 2.8 one,
// and injects 401/429/500 into it) and through the `sha256-<hex>` fallback index the
// registry itself holds. Fulcio, Rekor, the CT log and the TSA are @sigstore/mock's.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bundle, cosignPayload, keyPair, legacyKeyless, legacyWithKey, pushBundle, pushLegacy, referrersFront, Sigstore, statement, type KeyPair, type ReferrersFront } from '../helpers/cosign.js';
import { gate } from '../helpers/gate.js';
import { argoEnv } from '../helpers/argocd.js';
import { deployment } from '../helpers/repo.js';
import { checkImages, makeWorld, type World } from '../helpers/world.js';

const GITHUB = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main';

const KEY_REQUIREMENT = '        - type: sigstoreSigned\n          keyPath: keys/cosign.pub\n          trustedRootPath: trust/trusted_root.json\n';
const KEYLESS_REQUIREMENT = `        - type: sigstoreSigned\n          fulcio:\n            oidcIssuer: ${GITHUB}\n            subjectURI: ${WORKFLOW}\n          trustedRootPath: trust/trusted_root.json\n`;

describe('cosign signatures in a registry (sigstoreSigned, webhook: none)', () => {
  let world: World;
  let api: ReferrersFront;
  let sigstore: Sigstore;
  let key: KeyPair;
  const images: Record<string, string> = {};

  before(async () => {
    world = await makeWorld({
      frontHost: async (registry) => {
        api = await referrersFront(registry.url);
        return api;
      },
    });
    sigstore = await Sigstore.create();
    key = keyPair('p256');
    const url = world.registry.url;
    const push = async (name: string, options: { multiArch?: boolean } = {}) => (images[name] = await world.push(`cosign/${name}`, '1', { signBy: null, ...options }));
    const cert = await sigstore.certificate({ uri: WORKFLOW, issuer: GITHUB });

    await push('legacy-key');
    await pushLegacy(url, 'cosign/legacy-key', images['legacy-key'], [await legacyWithKey(sigstore, key, cosignPayload(`${world.host}/cosign/legacy-key`, images['legacy-key']))]);
    await push('bundle-key');
    await pushBundle(url, 'cosign/bundle-key', images['bundle-key'], await bundle(sigstore, { key }, statement(images['bundle-key'])));
    await push('legacy-keyless');
    await pushLegacy(url, 'cosign/legacy-keyless', images['legacy-keyless'], [await legacyKeyless(sigstore, cert, cosignPayload(`${world.host}/cosign/legacy-keyless`, images['legacy-keyless']))]);
    await push('bundle-keyless');
    await pushBundle(url, 'cosign/bundle-keyless', images['bundle-keyless'], await bundle(sigstore, { cert }, statement(images['bundle-keyless']), { tsa: true }));
    await push('unsigned');
    await push('sbom-only');
    await pushBundle(url, 'cosign/sbom-only', images['sbom-only'], await bundle(sigstore, { key }, statement(images['sbom-only'], 'https://spdx.dev/Document', { spdxVersion: 'SPDX-2.3' })), 'https://spdx.dev/Document');
    // Two bundles: another signer's first, then ours (pages of one with Link: rel="next").
    await push('two-bundles');
    await pushBundle(url, 'cosign/two-bundles', images['two-bundles'], await bundle(sigstore, { key: keyPair('p256') }, statement(images['two-bundles'])));
    await pushBundle(url, 'cosign/two-bundles', images['two-bundles'], await bundle(sigstore, { key }, statement(images['two-bundles'])));
    // Both formats on one image: a throttled listing must not hide behind the valid .sig.
    await push('both');
    await pushLegacy(url, 'cosign/both', images.both, [await legacyWithKey(sigstore, key, cosignPayload(`${world.host}/cosign/both`, images.both))]);
    await pushBundle(url, 'cosign/both', images.both, await bundle(sigstore, { key }, statement(images.both)));
    // A valid signature by the key, for another digest.
    await push('wrong-digest');
    await pushLegacy(url, 'cosign/wrong-digest', images['wrong-digest'], [await legacyWithKey(sigstore, key, cosignPayload(`${world.host}/cosign/wrong-digest`, images.unsigned))]);
    // Signatures kept in another repository (cosign's COSIGN_REPOSITORY).
    await push('kept-apart');
    await pushLegacy(url, 'cosign/signatures', images['kept-apart'], [await legacyWithKey(sigstore, key, cosignPayload(`${world.host}/cosign/kept-apart`, images['kept-apart']))]);
    // A multi-arch image: the index is signed (cosign signs the digest the tag resolves to); one only a child.
    await push('multi', { multiArch: true });
    await pushBundle(url, 'cosign/multi', images.multi, await bundle(sigstore, { key }, statement(images.multi)));
    await push('children', { multiArch: true });
    const list = (await (await fetch(`${url}/v2/cosign/children/manifests/${images.children}`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } })).json()) as { manifests: Array<{ digest: string }> };
    await pushBundle(url, 'cosign/children', list.manifests[0].digest, await bundle(sigstore, { key }, statement(list.manifests[0].digest)));
  });
  after(() => world?.stop());

  const files = () => ({ '.gate/keys/cosign.pub': key.pem, '.gate/trust/trusted_root.json': sigstore.trustedRoot(), '.gate/config.yaml': 'webhook: none\n' });
  const check = async (name: string, requirements = KEY_REQUIREMENT, extraFiles: Record<string, string> = {}) => {
    const { report, code } = await checkImages(world, [`${world.host}/cosign/${name}:1`], ['--insecure-registry', world.host], { ...files(), ...extraFiles }, { requirements, lookaside: false });
    return { ...report.results[0], code };
  };
  const faults = (fault: number | undefined, noApi = false, pageSize = 0, sigFault?: number) => {
    api.control.fault = fault;
    api.control.noApi = noApi;
    api.control.pageSize = pageSize;
    api.control.sigFault = sigFault;
  };

  describe('key-based', () => {
    it('verifies a legacy .sig signature', async () => {
      faults(undefined);
      const result = await check('legacy-key');
      assert.equal(result.reason, 'SIGNED', result.message);
      assert.equal(result.digest, images['legacy-key']);
      assert.match(result.message, /sha256-[0-9a-f]{64}\.sig layer 1/);
    });

    it('verifies a bundle through the referrers API, and through the fallback tag without artifactType when the registry has no API', async () => {
      faults(undefined);
      const viaApi = await check('bundle-key');
      assert.equal(viaApi.reason, 'SIGNED', viaApi.message);
      assert.match(viaApi.message, /referrer sha256:[0-9a-f]{64}/);
      faults(undefined, true);
      const viaTag = await check('bundle-key');
      assert.equal(viaTag.reason, 'SIGNED', viaTag.message);
    });

    it('follows the pages of a referrers listing (Link: rel="next")', async () => {
      faults(undefined, false, 1);
      const before = api.requests.length;
      const result = await check('two-bundles');
      assert.equal(result.reason, 'SIGNED', result.message);
      const pages = api.requests.slice(before).filter((r) => r.path.includes('/referrers/'));
      assert.equal(pages.length, 2, pages.map((p) => p.path).join(' '));
      assert.match(pages[1].path, /page=1/);
    });

    it('denies an unsigned image NO_SIGNATURE, saying where it looked', async () => {
      faults(undefined);
      const result = await check('unsigned');
      assert.equal(result.reason, 'NO_SIGNATURE');
      assert.match(result.message, /cosign storage of .*cosign\/unsigned@sha256:[0-9a-f]{64}: the referrers API \(0 sigstore bundles\); the legacy tag sha256-[0-9a-f]{64}\.sig \(0 layers\)/);
      assert.match(result.hint ?? '', /cosign sign/);
      faults(undefined, true);
      const noApi = await check('unsigned');
      assert.match(noApi.message, /the referrers fallback tag sha256-[0-9a-f]{64} \(127\.0\.0\.1:\d+ has no referrers API\)/);
    });

    it('does not count an SBOM attestation as a signature', async () => {
      faults(undefined);
      const result = await check('sbom-only');
      assert.equal(result.reason, 'NO_SIGNATURE');
      assert.match(result.message, /1 sigstore signature\(s\) found, which sigstoreSigned ignores/);
    });

    it('verifies the index digest of a multi-arch image, and denies one whose child alone is signed', async () => {
      faults(undefined);
      assert.equal((await check('multi')).reason, 'SIGNED');
      assert.equal((await check('children')).reason, 'NO_SIGNATURE');
    });

    it('reads the signatures of a scope from the repository config.yaml names (COSIGN_REPOSITORY), and not without it', async () => {
      faults(undefined);
      const config = `webhook: none\nsignatureStores:\n  cosign:\n  - scope: ${world.host}/cosign/kept-apart\n    repository: ${world.host}/cosign/signatures\n`;
      const kept = await check('kept-apart', KEY_REQUIREMENT, { '.gate/config.yaml': config });
      assert.equal(kept.reason, 'SIGNED', kept.message);
      assert.match(kept.message, /cosign\/signatures:sha256-[0-9a-f]{64}\.sig layer 1/);
      const alone = await check('kept-apart');
      assert.equal(alone.reason, 'NO_SIGNATURE');
    });

    it('denies with another key UNTRUSTED_KEY', async () => {
      faults(undefined);
      const result = await check('bundle-key', KEY_REQUIREMENT, { '.gate/keys/cosign.pub': keyPair('p256').pem });
      assert.equal(result.reason, 'UNTRUSTED_KEY');
    });
  });

  describe('a referrers listing that fails is never "unsigned"', () => {
    for (const [status, reason] of [[429, 'THROTTLED'], [401, 'AUTH_FAILED'], [500, 'UNREACHABLE']] as const) {
      it(`${status} on the listing: ${reason}, although a valid .sig is there`, async () => {
        faults(status);
        try {
          const result = await check('both');
          assert.equal(result.reason, reason, result.message);
        } finally {
          faults(undefined);
        }
        assert.equal((await check('both')).reason, 'SIGNED');
      });
    }
  });

  describe('a .sig tag that cannot be read is never "unsigned" either', () => {
    for (const [status, reason] of [[401, 'AUTH_FAILED'], [403, 'AUTH_FAILED'], [429, 'THROTTLED'], [500, 'UNREACHABLE']] as const) {
      it(`${status} on the .sig manifest: ${reason}, although a valid bundle is there`, async () => {
        faults(undefined, false, 0, status);
        try {
          const result = await check('both');
          assert.equal(result.reason, reason, result.message);
        } finally {
          faults(undefined);
        }
      });
    }
  });

  describe('keyless', () => {
    it('verifies a legacy .sig and a bundle by the CI workflow the policy names, offline from the committed trusted root', async () => {
      faults(undefined);
      for (const name of ['legacy-keyless', 'bundle-keyless']) {
        const result = await check(name, KEYLESS_REQUIREMENT);
        assert.equal(result.reason, 'SIGNED', `${name}: ${result.message}`);
        assert.match(result.message, /release\.yml@refs\/heads\/main/);
      }
    });

    it('denies another workflow IDENTITY_MISMATCH, with expected against actual', async () => {
      const result = await check('bundle-keyless', KEYLESS_REQUIREMENT.replace('refs/heads/main', 'refs/heads/dev'));
      assert.equal(result.reason, 'IDENTITY_MISMATCH');
      assert.match(result.message, /certificate URI SAN is ".*@refs\/heads\/main", but the policy requires exactly ".*@refs\/heads\/dev"/);
    });
  });

  describe('the webhook', () => {
    it('under Portieris (the default), a sigstoreSigned requirement is UNSUPPORTED: Portieris cannot enforce it', async () => {
      const result = await check('bundle-key', KEY_REQUIREMENT, { '.gate/config.yaml': '' });
      assert.equal(result.reason, 'UNSUPPORTED');
      assert.match(result.message, /Portieris cannot enforce/);
      assert.match(result.hint ?? '', /policy-controller/);
    });
  });

  describe("policy-controller's ClusterImagePolicy, read as it is", () => {
    const cipKey = (formats: string[], extra = '') => `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: {name: cosign-key}
spec:
  images:
  - glob: "${world.host}/cosign/**"
  authorities:
${formats.map((f) => `  - name: key-${f}
    key:
      data: |
${key.pem.trim().replace(/^/gm, '        ')}
    ctlog: {url: "https://rekor.gate.test", trustRootRef: private}
    signatureFormat: ${f}
`).join('')}${extra}`;
    const cipKeyless = (formats: string[]) => `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: {name: cosign-keyless}
spec:
  images:
  - glob: "${world.host}/cosign/**"
  authorities:
${formats.map((f) => `  - name: keyless-${f}
    keyless:
      url: https://fulcio.gate.test
      trustRootRef: private
      identities:
      - {issuer: "${GITHUB}", subject: "${WORKFLOW}"}
    ctlog: {url: "https://rekor.gate.test", trustRootRef: private}
    signatureFormat: ${f}
`).join('')}`;
    const checkCip = async (name: string, cip: string, webhook: string) => {
      const { report } = await checkImages(world, [`${world.host}/cosign/${name}:1`], ['--insecure-registry', world.host], {
        '.gate/policies/cip.yaml': cip,
        '.gate/policies/trust-root.yaml': sigstore.trustRootResource('private'),
        '.gate/config.yaml': `webhook: ${webhook}\n`,
        // Portieris' policy governs other images only: under webhook none it would be read too (AND).
        '.gate/policies/policy.yaml': 'apiVersion: portieris.cloud.ibm.com/v1\nkind: ClusterImagePolicy\nmetadata: {name: others}\nspec:\n  repositories:\n  - name: "elsewhere.example.com/*"\n    policy: {simple: {requirements: [{type: reject}]}}\n',
      }, { lookaside: false });
      return report.results[0];
    };

    it('gives the verdict of its sigstoreSigned equivalent on every case (webhook: none)', async () => {
      faults(undefined);
      const cases: Array<[string, string, string]> = [
        ['legacy-key', cipKey(['legacy', 'bundle']), KEY_REQUIREMENT],
        ['bundle-key', cipKey(['legacy', 'bundle']), KEY_REQUIREMENT],
        ['both', cipKey(['legacy', 'bundle']), KEY_REQUIREMENT],
        ['two-bundles', cipKey(['legacy', 'bundle']), KEY_REQUIREMENT],
        ['multi', cipKey(['legacy', 'bundle']), KEY_REQUIREMENT],
        ['children', cipKey(['legacy', 'bundle']), KEY_REQUIREMENT],
        ['unsigned', cipKey(['legacy', 'bundle']), KEY_REQUIREMENT],
        ['sbom-only', cipKey(['legacy', 'bundle']), KEY_REQUIREMENT],
        ['legacy-keyless', cipKey(['legacy', 'bundle']), KEY_REQUIREMENT],
        ['legacy-keyless', cipKeyless(['legacy', 'bundle']), KEYLESS_REQUIREMENT],
        ['bundle-keyless', cipKeyless(['legacy', 'bundle']), KEYLESS_REQUIREMENT],
        ['legacy-key', cipKeyless(['legacy', 'bundle']), KEYLESS_REQUIREMENT],
        ['unsigned', cipKeyless(['legacy', 'bundle']), KEYLESS_REQUIREMENT],
        ['wrong-digest', cipKey(['legacy', 'bundle']), KEY_REQUIREMENT],
        ['bundle-keyless', cipKeyless(['legacy', 'bundle']).replaceAll('refs/heads/main', 'refs/heads/dev'), KEYLESS_REQUIREMENT.replace('refs/heads/main', 'refs/heads/dev')],
        ['legacy-keyless', cipKeyless(['legacy', 'bundle']).replaceAll(GITHUB, 'https://gitlab.com'), KEYLESS_REQUIREMENT.replace(GITHUB, 'https://gitlab.com')],
      ];
      const seen = new Set<string>();
      const compare = async (name: string, cip: string, requirement: string) => {
        const viaCip = await checkCip(name, cip, 'none');
        const viaGate = await check(name, requirement);
        assert.equal(viaCip.reason, viaGate.reason, `${name}: CIP ${viaCip.reason} (${viaCip.message}) vs sigstoreSigned ${viaGate.reason} (${viaGate.message})`);
        seen.add(viaCip.reason);
        return viaCip;
      };
      for (const [name, cip, requirement] of cases) {
        const viaCip = await compare(name, cip, requirement);
        if (viaCip.reason === 'SIGNED') assert.deepEqual(viaCip.policy, { kind: 'ClusterImagePolicy', name: /keyless/.test(cip) ? 'cosign-keyless' : 'cosign-key', namespace: null, repository: `${world.host}/cosign/**` });
      }
      // A listing the registry throttles, the same way through both.
      faults(429);
      try {
        await compare('both', cipKey(['legacy', 'bundle']), KEY_REQUIREMENT);
      } finally {
        faults(undefined);
      }
      assert.deepEqual([...seen].sort(), ['DIGEST_MISMATCH', 'IDENTITY_MISMATCH', 'NO_SIGNATURE', 'SIGNED', 'THROTTLED', 'UNTRUSTED_KEY']);
    });

    it('predicts policy-controller: a bundle-only image is denied (it reads only .sig today), a legacy one is signed', async () => {
      faults(undefined);
      const bundleOnly = await checkCip('bundle-key', cipKey(['legacy', 'bundle']), 'policy-controller');
      assert.equal(bundleOnly.reason, 'UNSUPPORTED');
      assert.match(bundleOnly.message, /policy-controller cannot verify .*#1968/);
      assert.match(bundleOnly.hint ?? '', /--new-bundle-format=false/);
      assert.equal((await checkCip('legacy-key', cipKey(['legacy']), 'policy-controller')).reason, 'SIGNED');
      const legacyOnly = await checkCip('bundle-key', cipKey(['legacy']), 'policy-controller');
      assert.equal(legacyOnly.reason, 'NO_SIGNATURE');
      assert.match(legacyOnly.message, /bundle \(OCI referrer\) signature, which this authority does not read \(signatureFormat: legacy\)/);
    });

    it('denies an image no ClusterImagePolicy matches under policy-controller (no-match-policy: deny)', async () => {
      const { report } = await checkImages(world, [`${world.host}/elsewhere/app:1`, `${world.host}/cosign/legacy-key:1`], ['--insecure-registry', world.host], {
        '.gate/policies/cip.yaml': cipKey(['legacy']),
        '.gate/policies/trust-root.yaml': sigstore.trustRootResource('private'),
        '.gate/config.yaml': 'webhook: policy-controller\n',
      }, { requirements: '        - type: insecureAcceptAnything\n', lookaside: false });
      const byImage = Object.fromEntries(report.results.map((r) => [r.image.replace(/.*\/(\w+\/[\w-]+):1$/, '$1'), r]));
      assert.equal(byImage['elsewhere/app'].reason, 'NO_POLICY', 'the Portieris policy that accepts anything is not what policy-controller reads');
      assert.match(byImage['elsewhere/app'].message, /no ClusterImagePolicy \(policy\.sigstore\.dev\) matches/);
      assert.equal(byImage['cosign/legacy-key'].reason, 'SIGNED');
    });

    it('reads each digest\'s signatures once for a policy with several authorities, and keeps them in the evidence cache between runs', async () => {
      faults(undefined);
      const cache = await (await import('node:fs/promises')).mkdtemp(`${(await import('node:os')).tmpdir()}/gate-cosign-cache-`);
      try {
        const files = { '.gate/policies/cip.yaml': cipKey(['legacy', 'bundle']), '.gate/policies/trust-root.yaml': sigstore.trustRootResource('private'), '.gate/config.yaml': 'webhook: policy-controller\n' };
        const listings = () => api.requests.filter((r) => r.path.includes('/cosign/both/referrers/')).length;
        const before = listings();
        const first = await checkImages(world, [`${world.host}/cosign/both:1`], ['--insecure-registry', world.host, '--cache-dir', cache], files, { lookaside: false });
        assert.equal(first.report.results[0].reason, 'SIGNED', first.report.results[0].message);
        assert.equal(listings() - before, 1, 'two authorities, one listing');
        const second = await checkImages(world, [`${world.host}/cosign/both:1`], ['--insecure-registry', world.host, '--cache-dir', cache], files, { lookaside: false });
        assert.equal(second.report.results[0].reason, 'SIGNED');
        assert.match(second.report.results[0].message, /read from the evidence cache of an earlier run and verified again/);
        assert.equal(listings() - before, 1, 'the second run read the evidence from the cache');
      } finally {
        await (await import('node:fs/promises')).rm(cache, { recursive: true, force: true });
      }
    });

    it('denies what it cannot evaluate UNSUPPORTED, naming the field, and honours static and mode: warn', async () => {
      faults(undefined);
      const kms = cipKey([]).replace('  authorities:\n', '  authorities:\n  - name: in-kms\n    key: {kms: "awskms:///alias/release"}\n');
      const denied = await checkCip('legacy-key', kms, 'none');
      assert.equal(denied.reason, 'UNSUPPORTED');
      assert.match(denied.message, /authorities\[0\]\.key\.kms/);
      const fallback = kms.replace('  authorities:\n', '  authorities:\n  - name: release\n    key:\n      data: |\n' + key.pem.trim().replace(/^/gm, '        ') + '\n');
      assert.equal((await checkCip('legacy-key', fallback, 'none')).reason, 'SIGNED', 'another authority of the same CIP may pass (OR)');
      const rego = cipKey(['legacy']) + '  policy:\n    type: rego\n    data: "package sigstore"\n';
      const regoDenied = await checkCip('legacy-key', rego, 'none');
      assert.equal(regoDenied.reason, 'UNSUPPORTED');
      assert.match(regoDenied.message, /spec\.policy/);
      const staticFail = cipKey([]).replace('  authorities:\n', '  authorities:\n  - static: {action: fail, message: "frozen"}\n');
      const frozen = await checkCip('legacy-key', staticFail, 'none');
      assert.equal(frozen.reason, 'REJECTED_BY_POLICY');
      assert.match(frozen.message, /frozen/);
      const warned = await checkCip('unsigned', cipKey(['legacy']).replace('spec:\n', 'spec:\n  mode: warn\n'), 'none');
      assert.equal(warned.verdict, 'allow');
      assert.match(warned.message, /mode warn/);
    });
  });

  describe('gate generate', () => {
    it('prints the manifests of an app whose images carry cosign signatures, and fails the sync on one the key did not sign', async () => {
      faults(undefined);
      const signed = await world.repo({ ...files(), 'apps/app.yaml': deployment('app', [`${world.host}/cosign/bundle-keyless:1`, `${world.host}/cosign/legacy-key:1`]) }, { requirements: KEY_REQUIREMENT, lookaside: false });
      try {
        const run = await gate(['generate', '--insecure-registry', world.host], { cwd: `${signed.dir}/apps`, env: argoEnv('apps') });
        assert.notEqual(run.code, 0, 'the keyless image is not signed by the key: the sync must fail');
        assert.equal(run.stdout, '', 'nothing is printed for Argo CD to apply');
        assert.match(run.stderr, /bundle-keyless/);
      } finally {
        await signed.dispose();
      }
      // A ClusterImagePolicy of policy.sigstore.dev rendered with the app: read from the stream, and printed unchanged.
      const cip = `apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: app-signed}\nspec:\n  images: [{glob: "${world.host}/cosign/**"}]\n  authorities:\n  - key:\n      data: |\n${key.pem.trim().replace(/^/gm, '        ')}\n`;
      const rendered = await world.repo({ '.gate/config.yaml': 'webhook: policy-controller\n', '.gate/policies/policy.yaml': '', 'apps/app.yaml': `${deployment('app', [`${world.host}/cosign/legacy-key:1`])}---\n${cip}` }, { lookaside: false });
      try {
        const run = await gate(['generate', '--insecure-registry', world.host], { cwd: `${rendered.dir}/apps`, env: argoEnv('apps') });
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /kind: ClusterImagePolicy/);
        const other = await gate(['generate', '--insecure-registry', world.host], { cwd: `${rendered.dir}/apps`, env: argoEnv('apps') });
        assert.equal(other.stdout, run.stdout, 'the same manifests each time');
        await rendered.write('apps/app.yaml', `${deployment('app', [`${world.host}/cosign/bundle-keyless:1`])}---\n${cip}`);
        const denied = await gate(['generate', '--insecure-registry', world.host], { cwd: `${rendered.dir}/apps`, env: argoEnv('apps') });
        assert.notEqual(denied.code, 0, 'signed keylessly, not by the key of the rendered policy');
      } finally {
        await rendered.dispose();
      }
      const keylessApp = await world.repo({ ...files(), 'apps/app.yaml': deployment('app', [`${world.host}/cosign/legacy-keyless:1`, `${world.host}/cosign/bundle-keyless:1`]) }, { requirements: KEYLESS_REQUIREMENT, lookaside: false });
      try {
        const run = await gate(['generate', '--insecure-registry', world.host], { cwd: `${keylessApp.dir}/apps`, env: argoEnv('apps') });
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /cosign\/bundle-keyless:1/);
      } finally {
        await keylessApp.dispose();
      }
      const good = await world.repo({ ...files(), 'apps/app.yaml': deployment('app', [`${world.host}/cosign/legacy-key:1`, `${world.host}/cosign/bundle-key:1`]) }, { requirements: KEY_REQUIREMENT, lookaside: false });
      try {
        const run = await gate(['generate', '--insecure-registry', world.host], { cwd: `${good.dir}/apps`, env: argoEnv('apps') });
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /cosign\/legacy-key:1/);
        assert.match(run.stdout, /cosign\/bundle-key:1/);
      } finally {
        await good.dispose();
      }
    });
  });
});
