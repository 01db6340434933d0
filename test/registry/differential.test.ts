// Differential test: for each signed, unsigned or mis-signed image in a real registry,
// gate's verdict must equal skopeo's — `skopeo copy --policy <equivalent policy.json>
// --registries.d <same lookaside>` — which runs containers/image, the library
// Portieris verifies with.
//
// Not covered here: multi-arch images. Every `skopeo copy` mode checks the policy
// against the per-platform instances, while Portieris (and gate) check the top-level
// index; anonymous.test.ts covers those.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skopeoSign } from '../helpers/gpg.js';
import { run } from '../helpers/tools.js';
import { checkImages, makeWorld, type World } from '../helpers/world.js';

type Key = 'team' | 'other' | 'both';
type Identity =
  | { type: 'matchExact' }
  | { type: 'matchRepository' }
  | { type: 'matchExactReference'; dockerReference: string }
  | { type: 'matchExactRepository'; dockerRepository: string }
  | { type: 'remapIdentity'; prefix: string; signedPrefix: string };
type Requirement = { type: 'signedBy'; key: Key; identity?: Identity } | { type: 'reject' } | { type: 'insecureAcceptAnything' };

interface Case {
  name: string;
  /** Sets the image up in the registry; returns the reference to check. */
  setup(world: World, repository: string): Promise<string>;
  requirements: Requirement[];
}

const team: Requirement = { type: 'signedBy', key: 'team' };

/** Portieris YAML for gate. */
function portieris(requirements: Requirement[]): string {
  return requirements
    .map((r) => {
      if (r.type !== 'signedBy') return `        - type: ${r.type}\n`;
      const identity = r.identity ? `          signedIdentity: ${JSON.stringify(r.identity)}\n` : '';
      return `        - type: signedBy\n          keySecret: ${r.key}\n${identity}`;
    })
    .join('');
}

/** The same requirements in containers/image's policy.json. */
function policyJson(requirements: Requirement[], keys: string): string {
  const names: Record<string, string> = { matchExactReference: 'exactReference', matchExactRepository: 'exactRepository' };
  const translated = requirements.map((r) => {
    if (r.type !== 'signedBy') return { type: r.type };
    const identity = r.identity ? { ...r.identity, type: names[r.identity.type] ?? r.identity.type } : { type: 'matchRepoDigestOrExact' };
    return { type: 'signedBy', keyType: 'GPGKeys', keyPath: path.join(keys, `${r.key}.asc`), signedIdentity: identity };
  });
  return JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { '': translated } } });
}

describe('differential: gate and skopeo copy --policy agree on every case', () => {
  let world: World;
  let scratch: string;
  let registriesD: string;
  let keys: string;

  /** Adds a signature of `repository@digest` made by skopeo standalone-sign. */
  async function addSignature(repository: string, digest: string, identity: string, key: 'team' | 'other', manifestOf = digest, corrupt = false): Promise<void> {
    const response = await fetch(`${world.registry.url}/v2/${repository}/manifests/${manifestOf}`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
    });
    const signature = await skopeoSign(world.gpg, Buffer.from(await response.arrayBuffer()), identity, world.keys[key]);
    if (corrupt) signature[signature.length - 30] ^= 0x55;
    const folder = path.join(world.staging, `${repository}@${digest.replace(':', '=')}`);
    const { readdir, mkdir } = await import('node:fs/promises');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, `signature-${(await readdir(folder)).length + 1}`), signature);
  }

  const cases: Case[] = [
    { name: 'signed by the team key for its own tag', requirements: [team], setup: async (w, r) => (await w.push(r, '1'), `${w.host}/${r}:1`) },
    { name: 'unsigned', requirements: [team], setup: async (w, r) => (await w.push(r, '1', { signBy: null }), `${w.host}/${r}:1`) },
    { name: 'signed by another key', requirements: [team], setup: async (w, r) => (await w.push(r, '1', { signBy: w.keys.other }), `${w.host}/${r}:1`) },
    { name: 'signed by one of the keys of a two-key block', requirements: [{ type: 'signedBy', key: 'both' }], setup: async (w, r) => (await w.push(r, '1', { signBy: w.keys.other }), `${w.host}/${r}:1`) },
    { name: 'signed for another repository', requirements: [team], setup: async (w, r) => (await w.push(r, '1', { signIdentity: `${w.host}/elsewhere/app:1` }), `${w.host}/${r}:1`) },
    { name: 'signed for another tag, default identity', requirements: [team], setup: async (w, r) => (await w.push(r, '1', { signIdentity: `${w.host}/${r}:2` }), `${w.host}/${r}:1`) },
    { name: 'signed for another tag, matchRepository', requirements: [{ type: 'signedBy', key: 'team', identity: { type: 'matchRepository' } }], setup: async (w, r) => (await w.push(r, '1', { signIdentity: `${w.host}/${r}:2` }), `${w.host}/${r}:1`) },
    { name: 'pinned by digest, signed for a tag', requirements: [team], setup: async (w, r) => `${w.host}/${r}@${await w.push(r, '1')}` },
    { name: 'pinned by digest, signed for a tag, matchExact', requirements: [{ type: 'signedBy', key: 'team', identity: { type: 'matchExact' } }], setup: async (w, r) => `${w.host}/${r}@${await w.push(r, '1')}` },
    { name: 'tag, matchExact', requirements: [{ type: 'signedBy', key: 'team', identity: { type: 'matchExact' } }], setup: async (w, r) => (await w.push(r, '1'), `${w.host}/${r}:1`) },
    { name: 'matchExactReference equal to the signed identity', requirements: [{ type: 'signedBy', key: 'team', identity: { type: 'matchExactReference', dockerReference: 'release.example.com/app:7' } }], setup: async (w, r) => (await w.push(r, '1', { signIdentity: 'release.example.com/app:7' }), `${w.host}/${r}:1`) },
    { name: 'matchExactReference another tag', requirements: [{ type: 'signedBy', key: 'team', identity: { type: 'matchExactReference', dockerReference: 'release.example.com/app:8' } }], setup: async (w, r) => (await w.push(r, '1', { signIdentity: 'release.example.com/app:7' }), `${w.host}/${r}:1`) },
    { name: 'matchExactRepository of the signed repository', requirements: [{ type: 'signedBy', key: 'team', identity: { type: 'matchExactRepository', dockerRepository: 'release.example.com/app' } }], setup: async (w, r) => (await w.push(r, '1', { signIdentity: 'release.example.com/app:7' }), `${w.host}/${r}:1`) },
    { name: 'matchExactRepository, signed for the image itself', requirements: [{ type: 'signedBy', key: 'team', identity: { type: 'matchExactRepository', dockerRepository: 'release.example.com/app' } }], setup: async (w, r) => (await w.push(r, '1'), `${w.host}/${r}:1`) },
    { name: 'remapIdentity, signed upstream', requirements: [], setup: async (w, r) => (await w.push(r, '1', { signIdentity: `quay.io/upstream/${r.split('/').pop()}:1` }), `${w.host}/${r}:1`) },
    { name: 'remapIdentity, signed for the mirror itself', requirements: [], setup: async (w, r) => (await w.push(r, '1'), `${w.host}/${r}:1`) },
    { name: 'two requirements, both keys signed', requirements: [team, { type: 'signedBy', key: 'other' }], setup: async (w, r) => { const d = await w.push(r, '1'); await addSignature(r, d, `${w.host}/${r}:1`, 'other'); return `${w.host}/${r}:1`; } },
    { name: 'two requirements, one key signed', requirements: [team, { type: 'signedBy', key: 'other' }], setup: async (w, r) => (await w.push(r, '1'), `${w.host}/${r}:1`) },
    { name: 'a reject requirement', requirements: [team, { type: 'reject' }], setup: async (w, r) => (await w.push(r, '1'), `${w.host}/${r}:1`) },
    { name: 'insecureAcceptAnything, unsigned', requirements: [{ type: 'insecureAcceptAnything' }], setup: async (w, r) => (await w.push(r, '1', { signBy: null }), `${w.host}/${r}:1`) },
    { name: 'a corrupted signature', requirements: [team], setup: async (w, r) => { const d = await w.push(r, '1', { signBy: null }); await addSignature(r, d, `${w.host}/${r}:1`, 'team', d, true); return `${w.host}/${r}:1`; } },
    { name: 'a corrupted signature and a good one', requirements: [team], setup: async (w, r) => { const d = await w.push(r, '1'); await addSignature(r, d, `${w.host}/${r}:1`, 'team', d, true); return `${w.host}/${r}:1`; } },
    { name: 'a signature of another image copied in', requirements: [team], setup: async (w, r) => { const other = await w.push(`${r}-twin`, '1', { signBy: null }); const d = await w.push(r, '1', { signBy: null }); await addSignature(r, d, `${w.host}/${r}:1`, 'team', other); return `${w.host}/${r}:1`; } },
  ];

  before(async () => {
    world = await makeWorld();
    scratch = await mkdtemp(path.join(tmpdir(), 'gate-differential-'));
    registriesD = path.join(scratch, 'registries.d');
    keys = path.join(scratch, 'keys');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(registriesD);
    await mkdir(keys);
    await writeFile(path.join(registriesD, 'lookaside.yaml'), `default-docker:\n  lookaside: ${world.lookaside.url}\n`);
    await writeFile(path.join(keys, 'team.asc'), await world.gpg.exportPublic(world.keys.team));
    await writeFile(path.join(keys, 'other.asc'), await world.gpg.exportPublic(world.keys.other));
    await writeFile(path.join(keys, 'both.asc'), await world.gpg.exportPublic(world.keys.team, world.keys.other));
  });
  after(async () => {
    await world?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  const verdicts: Array<{ name: string; gate: boolean; skopeo: boolean }> = [];

  cases.forEach((c, i) => {
    it(c.name, async () => {
      const repository = `mirror/case${i}`;
      const image = await c.setup(world, repository);
      let requirements = c.requirements;
      if (c.name.startsWith('remapIdentity')) {
        requirements = [{ type: 'signedBy', key: 'team', identity: { type: 'remapIdentity', prefix: `${world.host}/mirror`, signedPrefix: 'quay.io/upstream' } }];
      }
      const policy = path.join(scratch, `policy-${i}.json`);
      await writeFile(policy, policyJson(requirements, keys));
      const out = path.join(scratch, `out-${i}`);
      const skopeo = await run('skopeo', ['--policy', policy, '--registries.d', registriesD, 'copy', '--src-tls-verify=false', `docker://${image}`, `dir:${out}`]);
      const files = { '.gate/keys/both.asc': await world.gpg.exportPublic(world.keys.team, world.keys.other) };
      const { report } = await checkImages(world, [image], ['--insecure-registry', world.host], files, { requirements: portieris(requirements) });
      const result = report.results[0];
      verdicts.push({ name: c.name, gate: result.verdict === 'allow', skopeo: skopeo.code === 0 });
      assert.equal(result.verdict === 'allow', skopeo.code === 0, `gate: ${result.reason} ${result.message}\nskopeo: ${skopeo.stderr.trim()}`);
    });
  });

  it('covers both outcomes', () => {
    assert.ok(cases.length >= 20);
    assert.ok(verdicts.filter((v) => v.gate).length >= 8, JSON.stringify(verdicts));
    assert.ok(verdicts.filter((v) => !v.gate).length >= 8, JSON.stringify(verdicts));
  });
});
