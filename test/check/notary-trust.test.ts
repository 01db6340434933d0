// Portieris `trust` policies end to end: `gate check` against Debian's real notary-server and
// docker-registry on loopback (TLS from a test CA), with trust data published by the real
// `notary` client — which is also the judge: for every tag gate decides, a fresh notary client
// (no cache) looks the tag up, and gate's verdict must agree with what it says and with the
// digest the registry serves. Webhook parity (portieris) and gate alone (none) both.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gate, gateJson, type JsonReport } from '../helpers/gate.js';
import { startNotaryBed, type NotaryBed } from '../helpers/notary.js';
import { deployment, makeRepo, pullSecret, withPullSecret } from '../helpers/repo.js';
import { makeWorld, type World } from '../helpers/world.js';

interface Signer {
  cert: string;
  key: string;
  pub: string;
}

function trustPolicy(pattern: string, notaryUrl: string, extra = ''): string {
  return `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: content-trust}
spec:
  repositories:
  - name: "${pattern}"
    policy:
      mutateImage: false
      trust:
        enabled: true
        trustServer: ${notaryUrl}
${extra}`;
}

/** A Portieris signerSecret: data name (the signer) and publicKey (PEM). */
function signerSecret(secret: string, name: string, pem: string, namespace = 'shop'): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return `apiVersion: v1
kind: Secret
metadata: {name: ${secret}, namespace: ${namespace}}
data:
  name: ${b64(name)}
  publicKey: ${b64(pem)}
`;
}

describe('Portieris trust policies against a real notary-server (gate check; the notary client judges)', () => {
  let bed: NotaryBed;
  let host: string;
  let gun: string;
  let alice: Signer;
  let bob: Signer;
  const digests: Record<string, string> = {};
  let movedSigned = '';

  const notary = async (args: string[]) => {
    const result = await bed.notary(args);
    assert.equal(result.code, 0, `notary ${args.join(' ')}: ${result.stderr}`);
    return result.stdout.toString('utf8');
  };
  /** What a notary client with no cache says about a tag: its digest, or its error. */
  const judge = async (repository: string, tag: string): Promise<{ digest?: string; error?: string }> => {
    const result = await bed.notary(['lookup', repository, tag], path.join(bed.dir, `judge-${Math.random().toString(36).slice(2)}`));
    const out = result.stdout.toString('utf8');
    const found = new RegExp(`^${tag} (sha256:[0-9a-f]{64}) \\d+`, 'm').exec(out);
    return found ? { digest: found[1] } : { error: `${out}${result.stderr}` };
  };

  async function check(images: string[], options: { extra?: string; files?: Record<string, string>; args?: string[]; pattern?: string } = {}): Promise<{ code: number; report: JsonReport; stderr: string }> {
    const repo = await makeRepo({
      '.gate/policies/trust.yaml': trustPolicy(options.pattern ?? `${host}/bed/*`, bed.notaryUrl, options.extra),
      [`.gate/certs.d/${host}/ca.crt`]: bed.ca.cert,
      [`.gate/certs.d/${new URL(bed.notaryUrl).host}/ca.crt`]: bed.ca.cert,
      'apps/app.yaml': deployment('app', images),
      ...options.files,
    });
    try {
      return await gateJson(['check', 'apps', ...(options.args ?? [])], { cwd: repo.dir });
    } finally {
      await repo.dispose();
    }
  }

  before(async () => {
    bed = await startNotaryBed();
    host = bed.registry.host;
    gun = `${host}/bed/app`;
    alice = await bed.signer('alice');
    bob = await bed.signer('bob');
    // v1 in targets; v2 in targets/releases and targets/alice (alice as a certificate); solo only in targets/alice.
    const sized = async (tag: string) => {
      const pushed = await bed.push('bed/app', tag);
      digests[tag] = pushed.digest;
      return [String(pushed.size), '--sha256', pushed.digest.slice(7)];
    };
    await notary(['init', '-p', gun]);
    await notary(['addhash', '-p', gun, 'v1', ...(await sized('v1'))]);
    await notary(['key', 'rotate', gun, 'snapshot', '-r']);
    await notary(['delegation', 'add', '-p', gun, 'targets/releases', alice.cert, '--all-paths']);
    await notary(['delegation', 'add', '-p', gun, 'targets/alice', alice.cert, '--all-paths']);
    await notary(['key', 'import', alice.key, '--role', 'alice']);
    await notary(['addhash', '-p', gun, 'v2', ...(await sized('v2')), '--roles', 'targets/releases', '--roles', 'targets/alice']);
    await notary(['addhash', '-p', gun, 'solo', ...(await sized('solo')), '--roles', 'targets/alice']);
    // moved: signed, then the tag is pushed again with another image.
    await notary(['addhash', '-p', gun, 'moved', ...(await sized('moved'))]);
    movedSigned = digests.moved;
    digests.moved = (await bed.push('bed/app', 'moved')).digest;
    digests.v9 = (await bed.push('bed/app', 'v9')).digest;
  });
  after(async () => {
    await bed?.stop();
  });

  it('allows a signed tag whose trust digest is the registry\'s, under both webhook settings; the client agrees', async () => {
    const oracle = await judge(gun, 'v1');
    assert.equal(oracle.digest, digests.v1);
    for (const webhook of ['portieris', 'none']) {
      const { code, report } = await check([`${gun}:v1`, `${gun}:v2`], { args: ['--webhook', webhook] });
      assert.equal(code, 0, JSON.stringify(report.results));
      for (const result of report.results) assert.equal(result.reason, 'SIGNED', result.message);
      assert.equal(report.results.find((r) => r.image.endsWith(':v2'))?.digest, (await judge(gun, 'v2')).digest);
    }
  });

  it('says loudly that a trust policy without a pin trusts whatever root the server gives', async () => {
    const { report } = await check([`${gun}:v1`]);
    assert.ok(report.warnings.some((w) => /content trust for .*bed\/app is not pinned/.test(w.message)), JSON.stringify(report.warnings));
  });

  it('denies a tag that is not in the trust data (TRUST_NOT_SIGNED, Portieris\' words); the client cannot find it either', async () => {
    const oracle = await judge(gun, 'v9');
    assert.match(oracle.error ?? '', /No valid trust data for v9/);
    const { code, report } = await check([`${gun}:v9`]);
    assert.equal(code, 1);
    assert.equal(report.results[0].reason, 'TRUST_NOT_SIGNED');
    assert.match(report.results[0].message, /No valid trust data for v9/);
  });

  it('denies a tag that moved after signing: the trust digest is not the one the registry serves (DIGEST_MISMATCH)', async () => {
    const oracle = await judge(gun, 'moved');
    assert.equal(oracle.digest, movedSigned, 'the client still names the signed digest');
    assert.notEqual(oracle.digest, digests.moved, 'the registry serves another');
    const { code, report } = await check([`${gun}:moved`]);
    assert.equal(code, 1);
    assert.equal(report.results[0].reason, 'DIGEST_MISMATCH');
    assert.ok(report.results[0].message.includes(movedSigned) && report.results[0].message.includes(digests.moved), report.results[0].message);
  });

  it('a pinned digest: allowed when a tag is signed for it (webhook none), denied when none is; under Portieris a digest reference is read as tag latest', async () => {
    const signed = await check([`${gun}@${digests.v1}`], { args: ['--webhook', 'none'] });
    assert.equal(signed.report.results[0].reason, 'SIGNED', signed.report.results[0].message);
    const unsigned = await check([`${gun}@${digests.v9}`], { args: ['--webhook', 'none'] });
    assert.equal(unsigned.report.results[0].reason, 'TRUST_NOT_SIGNED');
    assert.match(unsigned.report.results[0].message, /no tag in the trust data .* is signed for/);
    const portieris = await check([`${gun}@${digests.v1}`], { args: ['--webhook', 'portieris'] });
    assert.equal(portieris.report.results[0].reason, 'TRUST_NOT_SIGNED');
    assert.match(portieris.report.results[0].message, /Portieris looks a digest reference up as tag latest/);
    assert.match((await judge(gun, 'latest')).error ?? '', /No valid trust data for latest/);
    // name:tag@digest: the digest must be the one signed for the tag (Portieris never compares).
    const both = await check([`${gun}:v1@${digests.v2}`], { args: ['--webhook', 'none'] });
    assert.equal(both.report.results[0].reason, 'DIGEST_MISMATCH');
  });

  it('a tag only a signer role signs has no released digest: denied TRUST_RELEASE_MISSING (Portieris would admit it unchecked)', async () => {
    const { report } = await check([`${gun}:solo`]);
    assert.equal(report.results[0].reason, 'TRUST_RELEASE_MISSING');
    assert.match(report.results[0].message, /signed only by targets\/alice/);
    // The client lists every role's targets: solo is there, in targets/alice alone.
    const listed = (await bed.notary(['list', gun], path.join(bed.dir, 'judge-list'))).stdout.toString('utf8');
    const rows = listed.split('\n').filter((line) => /^\s*solo\s/.test(line));
    assert.equal(rows.length, 1, listed);
    assert.match(rows[0], /targets\/alice\s*$/);
  });

  it('signerSecrets: a delegated signer that signs the tag passes; one that does not sign it, or is not delegated, is SIGNER_MISSING', async () => {
    const files = { 'apps/signers.yaml': `${signerSecret('alice-signer', 'alice', await readFile(alice.cert, 'utf8'))}---\n${signerSecret('bob-signer', 'bob', await readFile(bob.cert, 'utf8'))}` };
    const withAlice = '        signerSecrets:\n        - name: alice-signer\n';
    const ok = await check([`${gun}:v2`], { extra: withAlice, files });
    assert.equal(ok.report.results[0].reason, 'SIGNED', ok.report.results[0].message);
    const notSigning = await check([`${gun}:v1`], { extra: withAlice, files });
    assert.equal(notSigning.report.results[0].reason, 'SIGNER_MISSING');
    assert.match(notSigning.report.results[0].message, /no signature found for role alice/);
    const notDelegated = await check([`${gun}:v2`], { extra: '        signerSecrets:\n        - name: bob-signer\n', files });
    assert.equal(notDelegated.report.results[0].reason, 'SIGNER_MISSING');
    assert.match(notDelegated.report.results[0].message, /targets\/bob is not a valid delegation/);
  });

  it('a signer Secret with the bare public key of a key the delegation lists as a certificate: Portieris compares key IDs (denied, saying which form), gate alone compares keys', async () => {
    const files = { 'apps/signers.yaml': signerSecret('alice-signer', 'alice', await readFile(alice.pub, 'utf8')) };
    const extra = '        signerSecrets:\n        - name: alice-signer\n';
    const portieris = await check([`${gun}:v2`], { extra, files, args: ['--webhook', 'portieris'] });
    assert.equal(portieris.report.results[0].reason, 'UNTRUSTED_KEY');
    assert.match(portieris.report.results[0].message, /Public keys are different.*lists the same key as a certificate/);
    assert.match(portieris.report.results[0].hint ?? '', /put the certificate form in Secret alice-signer/);
    const alone = await check([`${gun}:v2`], { extra, files, args: ['--webhook', 'none'] });
    assert.equal(alone.report.results[0].reason, 'SIGNED', alone.report.results[0].message);
  });

  it('a signer Secret kept only in .gate/ without a namespace: Portieris would not find it (KEY_NOT_DEPLOYED); declared deployed, or with no webhook, it counts', async () => {
    const secret = signerSecret('alice-signer', 'alice', await readFile(alice.cert, 'utf8')).replace(', namespace: shop}', '}');
    const extra = '        signerSecrets:\n        - name: alice-signer\n';
    const kept = await check([`${gun}:v2`], { extra, files: { '.gate/policies/alice-signer.yaml': secret } });
    assert.equal(kept.report.results[0].reason, 'KEY_NOT_DEPLOYED', kept.report.results[0].message);
    assert.match(kept.report.results[0].hint ?? '', /kubectl create secret generic alice-signer --from-literal=name=alice --from-file=publicKey=.* -n shop/);
    const declared = await check([`${gun}:v2`], { extra, files: { '.gate/policies/alice-signer.yaml': secret, '.gate/config.yaml': 'keySecrets:\n- name: alice-signer\n  namespaces: [shop]\n' } });
    assert.equal(declared.report.results[0].reason, 'SIGNED', declared.report.results[0].message);
    const alone = await check([`${gun}:v2`], { extra, files: { '.gate/policies/alice-signer.yaml': secret }, args: ['--webhook', 'none'] });
    assert.equal(alone.report.results[0].reason, 'SIGNED', alone.report.results[0].message);
  });

  it('a signer Secret without its fields is a configuration error naming them', async () => {
    const files = { 'apps/signers.yaml': 'apiVersion: v1\nkind: Secret\nmetadata: {name: alice-signer, namespace: shop}\nstringData: {name: alice}\n' };
    const result = await check([`${gun}:v2`], { extra: '        signerSecrets:\n        - name: alice-signer\n', files }).catch((e: Error) => e);
    const text = result instanceof Error ? result.message : `${result.stderr}${JSON.stringify(result.report)}`;
    assert.match(text, /name or publicKey field in secret is empty/);
  });

  it('a key removed from the delegation: the role signed by it no longer counts (TRUST_DELEGATION_INVALID); the client leaves it out too', async () => {
    const removed = `${host}/bed/removed`;
    const pushed = await bed.push('bed/removed', 'v1');
    await notary(['init', '-p', removed]);
    await notary(['delegation', 'add', '-p', removed, 'targets/releases', alice.cert, '--all-paths']);
    await notary(['addhash', '-p', removed, 'v1', String(pushed.size), '--sha256', pushed.digest.slice(7), '--roles', 'targets/releases']);
    const aliceId = /[0-9a-f]{64}/.exec(await notary(['delegation', 'list', removed]))![0];
    await notary(['delegation', 'add', '-p', removed, 'targets/releases', bob.cert]);
    await notary(['delegation', 'remove', '-p', removed, 'targets/releases', aliceId]);
    const oracle = await judge(removed, 'v1');
    assert.match(oracle.error ?? '', /No valid trust data for v1/);
    const { report } = await check([`${removed}:v1`]);
    assert.equal(report.results[0].reason, 'TRUST_DELEGATION_INVALID', report.results[0].message);
    assert.match(report.results[0].message, /targets\/releases left out: valid signatures did not meet threshold/);
  });

  it('a repository without trust data is TRUST_NOT_SIGNED in Portieris\' words; the client agrees', async () => {
    await bed.push('bed/never', 'v1');
    assert.match((await judge(`${host}/bed/never`, 'v1')).error ?? '', /does not have trust data for/);
    const { report } = await check([`${host}/bed/never:v1`]);
    assert.equal(report.results[0].reason, 'TRUST_NOT_SIGNED');
    assert.match(report.results[0].message, /does not have trust data for .*bed\/never/);
  });

  it('pinned to the root certificate the notary client holds: allowed; pinned to another: TRUST_ROOT_MISMATCH', async () => {
    const listed = await notary(['key', 'list']);
    const rootId = /^\s*root\s+([0-9a-f]{64})/m.exec(listed)?.[1] ?? /root\s+.*?([0-9a-f]{64})/.exec(listed)?.[1];
    assert.ok(rootId, `a root key in: ${listed}`);
    const pinned = await check([`${gun}:v1`], { files: { '.gate/config.yaml': `trustPinning:\n- gun: ${gun}\n  certIds: [${rootId}]\n` } });
    assert.equal(pinned.report.results[0].reason, 'SIGNED', pinned.report.results[0].message);
    assert.ok(!pinned.report.warnings.some((w) => /is not pinned/.test(w.message)), 'no warning when pinned');
    const other = await check([`${gun}:v1`], { files: { '.gate/config.yaml': `trustPinning:\n- gun: ${host}/bed/*\n  certIds: ["${'ab'.repeat(32)}"]\n` } });
    assert.equal(other.report.results[0].reason, 'TRUST_ROOT_MISMATCH');
    assert.ok(other.report.results[0].message.includes(rootId!), 'names the root it found');
  });

  it('gate explain shows the trust server, the roles read with their versions and expiries, what each signs for the tag, and the comparison', async () => {
    const repo = await makeRepo({
      '.gate/policies/trust.yaml': trustPolicy(`${host}/bed/*`, bed.notaryUrl),
      [`.gate/certs.d/${host}/ca.crt`]: bed.ca.cert,
      [`.gate/certs.d/${new URL(bed.notaryUrl).host}/ca.crt`]: bed.ca.cert,
    });
    try {
      const json = await gate(['explain', `${gun}:v2`, '-n', 'shop', '-o', 'json'], { cwd: repo.dir });
      const explained = JSON.parse(json.stdout) as { trust: { gun: string; server: { url: string; from: string }; repository: { roles: Array<{ name: string; version: number; signs?: string }>; versions: Record<string, number> }; comparison: string }; verdict: { reason: string } };
      assert.equal(explained.verdict.reason, 'SIGNED');
      assert.equal(explained.trust.gun, gun);
      assert.deepEqual(explained.trust.server, { url: bed.notaryUrl, from: 'policy' });
      const roles = Object.fromEntries(explained.trust.repository.roles.map((r) => [r.name, r]));
      assert.deepEqual(Object.keys(roles).sort(), ['targets', 'targets/alice', 'targets/releases']);
      assert.equal(roles['targets/releases'].signs, `v2 → ${digests.v2}`);
      assert.equal(roles['targets'].signs, undefined, 'targets does not sign v2');
      assert.ok(explained.trust.repository.versions.timestamp >= 1 && explained.trust.repository.versions.snapshot >= 1);
      assert.equal(explained.trust.comparison, `trust data: v2 → ${digests.v2} (targets/releases); the registry serves ${digests.v2} for v2`);
      const text = await gate(['explain', `${gun}:v2`, '-n', 'shop'], { cwd: repo.dir });
      assert.match(text.stdout, /Content trust \(Notary v1\) for .*bed\/app\n  trust server: https:\/\/127\.0\.0\.1:\d+ \(the policy's trustServer\), read anonymously/);
      assert.match(text.stdout, /targets\/releases v\d+ \(expires [^;]+; threshold 1 of 1 key\): v2 → sha256:/);
      assert.match(text.stdout, /compared: trust data: v2 → /);
    } finally {
      await repo.dispose();
    }
  });

  it('without a trust server for the registry: TRUST_SERVER_UNKNOWN with Portieris\' words', async () => {
    const repo = await makeRepo({
      '.gate/policies/trust.yaml': trustPolicy(`${host}/bed/*`, '""'),
      [`.gate/certs.d/${host}/ca.crt`]: bed.ca.cert,
      'apps/app.yaml': deployment('app', [`${gun}:v1`]),
    });
    try {
      const { report } = await gateJson(['check', 'apps'], { cwd: repo.dir });
      assert.equal(report.results[0].reason, 'TRUST_SERVER_UNKNOWN');
      assert.match(report.results[0].message, /no trust server could be found/);
    } finally {
      await repo.dispose();
    }
  });
});

describe('trust data behind token auth, signed through a remote notary-signer, read with the workload\'s pull secrets as Portieris does (the logged-in notary client judges)', () => {
  let bed: NotaryBed;
  let gun: string;
  let digest: string;
  const login = 'puller:secret';

  before(async () => {
    bed = await startNotaryBed({ token: { users: { puller: 'secret' } }, registryToken: { login }, signer: 'remote' });
    gun = `${bed.registry.host}/bed/authd`;
    const pushed = await bed.push('bed/authd', 'v1');
    digest = pushed.digest;
    for (const args of [['init', '-p', gun], ['addhash', '-p', gun, 'v1', String(pushed.size), '--sha256', digest.slice(7)]]) {
      const result = await bed.notary(args, undefined, login);
      assert.equal(result.code, 0, `notary ${args.join(' ')}: ${result.stderr}`);
    }
  });
  after(async () => {
    await bed?.stop();
  });

  async function check(image: string, secret?: { user: string; password: string }): Promise<JsonReport['results'][number]> {
    const repo = await makeRepo({
      '.gate/policies/trust.yaml': trustPolicy(`${bed.registry.host}/bed/*`, bed.notaryUrl),
      [`.gate/certs.d/${bed.registry.host}/ca.crt`]: bed.ca.cert,
      [`.gate/certs.d/${new URL(bed.notaryUrl).host}/ca.crt`]: bed.ca.cert,
      '.gate/config.yaml': 'webhook: none\n',
      'apps/app.yaml': secret ? `${withPullSecret(image, 'regcred')}---\n${pullSecret('regcred', bed.registry.host, secret.user, secret.password)}` : deployment('app', [image]),
    });
    try {
      // The token service is plain HTTP on loopback: named, as a test service must be.
      const { report } = await gateJson(['check', 'apps', '--insecure-registry', bed.tokens!.host], { cwd: repo.dir });
      return report.results[0];
    } finally {
      await repo.dispose();
    }
  }

  it('with the right pull secret: the registry and the trust server both read with it, allowed', async () => {
    // The timestamp key is notary-signer's (ECDSA), not the server's in-memory ED25519 one.
    const { token } = (await (await fetch(`${bed.tokens!.url}/token?service=notary-bed&scope=repository:${gun}:pull`, { headers: { authorization: `Basic ${Buffer.from(login).toString('base64')}` } })).json()) as { token: string };
    const root = JSON.parse(Buffer.from((await bed.fetchTuf(gun, 'root.json', token))!).toString('utf8')) as { signed: { keys: Record<string, { keytype: string }>; roles: { timestamp: { keyids: string[] } } } };
    assert.equal(root.signed.keys[root.signed.roles.timestamp.keyids[0]].keytype, 'ecdsa');

    const judge = await bed.notary(['lookup', gun, 'v1'], path.join(bed.dir, 'judge-in'), login);
    assert.match(judge.stdout.toString('utf8'), new RegExp(`v1 ${digest}`));
    const result = await check(`${gun}:v1`, { user: 'puller', password: 'secret' });
    assert.equal(result.reason, 'SIGNED', result.message);
    assert.match(result.message, /with a token for .*regcred/);
  });

  it('without a pull secret, or with a wrong one, the trust server cannot be read: AUTH_FAILED naming it (the client without a login fails too)', async () => {
    const judge = await bed.notary(['lookup', gun, 'v1'], path.join(bed.dir, 'judge-out'));
    assert.notEqual(judge.code, 0);
    // A digest reference: no registry request, so the trust server's answer is the one told.
    const none = await check(`${gun}@${digest}`);
    assert.equal(none.reason, 'AUTH_FAILED');
    assert.match(none.message, /no valid ImagePullSecret defined for .*names no pull secret/);
    const wrong = await check(`${gun}@${digest}`, { user: 'puller', password: 'wrong' });
    assert.equal(wrong.reason, 'AUTH_FAILED');
    assert.match(wrong.message, /refused every credential: .*regcred/);
    const tokenRequests = bed.tokens!.requests.filter((r) => r.method === 'POST');
    assert.ok(tokenRequests.length > 0, 'the POST form of Portieris\' token flow was used');
  });
});

describe('trust and simple requirements in one policy', () => {
  let bed: NotaryBed;
  let world: World;
  let gun: string;

  before(async () => {
    bed = await startNotaryBed();
    world = await makeWorld();
    const digest = await world.push('trusted/app', 'v1');
    gun = `${world.host}/trusted/app`;
    const manifest = await fetch(`${world.registry.url}/v2/trusted/app/manifests/v1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' } });
    const size = (await manifest.arrayBuffer()).byteLength;
    for (const args of [['init', '-p', gun], ['addhash', '-p', gun, 'v1', String(size), '--sha256', digest.slice(7)]]) {
      const result = await bed.notary(args);
      assert.equal(result.code, 0, `notary ${args.join(' ')}: ${result.stderr}`);
    }
  });
  after(async () => {
    await world?.stop();
    await bed?.stop();
  });

  async function check(webhook: string, requirements = '        - type: signedBy\n          keySecret: team\n'): Promise<JsonReport['results'][number]> {
    const repo = await world.repo(
      { 'apps/app.yaml': deployment('app', [`${gun}:v1`]), [`.gate/certs.d/${new URL(bed.notaryUrl).host}/ca.crt`]: bed.ca.cert, '.gate/config.yaml': `webhook: ${webhook}\n` },
      { requirements },
    );
    try {
      // The world's policy, with trust added beside its simple requirements.
      const policy = await readFile(path.join(repo.dir, '.gate/policies/policy.yaml'), 'utf8');
      await repo.write('.gate/policies/policy.yaml', policy.replace('      simple:\n', `      trust:\n        enabled: true\n        trustServer: ${bed.notaryUrl}\n      simple:\n`));
      const { report } = await gateJson(['check', 'apps', '--insecure-registry', world.host], { cwd: repo.dir });
      return report.results[0];
    } finally {
      await repo.dispose();
    }
  }

  it('under Portieris: always denied, as Portieris compares the two digests as pointers — saying so and how to split the policy', async () => {
    const result = await check('portieris');
    assert.equal(result.reason, 'TRUST_SIMPLE_CONFLICT', result.message);
    assert.match(result.message, /Notary signs conflicting digest: [0-9a-f]{64} simple: [0-9a-f]{64}/);
    assert.match(result.hint ?? '', /split the policy/);
  });

  it('under webhook none: both must hold, on the one digest: allowed, with both signers', async () => {
    const result = await check('none');
    assert.equal(result.reason, 'SIGNED', result.message);
    assert.match(result.message, /content trust/);
  });

  it('simple requirements met without a signature (insecureAcceptAnything) conflict with trust under Portieris too; under none trust decides', async () => {
    const accept = '        - type: insecureAcceptAnything\n';
    const portieris = await check('portieris', accept);
    assert.equal(portieris.reason, 'TRUST_SIMPLE_CONFLICT', portieris.message);
    const none = await check('none', accept);
    assert.equal(none.reason, 'SIGNED', none.message);
  });
});
