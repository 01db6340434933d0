// Against the real docker-registry over plain HTTP, images pushed and signed by
// `skopeo copy --sign-by`, signatures served from an HTTP lookaside.

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skopeoSign } from '../helpers/gpg.js';
import { checkImages, makeWorld, type World } from '../helpers/world.js';

describe('anonymous HTTP registry', () => {
  let world: World;
  const insecure = () => ['--insecure-registry', world.host];

  before(async () => {
    world = await makeWorld();
  });
  after(() => world?.stop());

  it('resolves a tag to its digest and accepts it when signed', async () => {
    const digest = await world.push('team/web', '1.4');
    const { code, report } = await checkImages(world, [`${world.host}/team/web:1.4`], insecure());
    assert.equal(report.results[0].reason, 'SIGNED', report.results[0].message);
    assert.equal(report.results[0].digest, digest);
    assert.equal(code, 0);
  });

  it('verifies the index of a multi-arch image (skopeo copy --all signs it)', async () => {
    const digest = await world.push('team/multi', '2', { multiArch: true });
    const { report } = await checkImages(world, [`${world.host}/team/multi:2`], insecure());
    assert.equal(report.results[0].reason, 'SIGNED', report.results[0].message);
    assert.equal(report.results[0].digest, digest);
  });

  it('denies a multi-arch image whose platforms are signed but whose index is not, as Portieris does', async () => {
    const index = await world.push('team/children', '1', { multiArch: true, signBy: null });
    const list = (await (await fetch(`${world.registry.url}/v2/team/children/manifests/${index}`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } })).json()) as { manifests: Array<{ digest: string }> };
    for (const { digest } of list.manifests) {
      const bytes = Buffer.from(await (await fetch(`${world.registry.url}/v2/team/children/manifests/${digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).arrayBuffer());
      const signature = await skopeoSign(world.gpg, bytes, `${world.host}/team/children:1`, world.keys.team);
      await mkdir(path.join(world.staging, `team/children@${digest.replace(':', '=')}`), { recursive: true });
      await writeFile(path.join(world.staging, `team/children@${digest.replace(':', '=')}`, 'signature-1'), signature);
    }
    const { report } = await checkImages(world, [`${world.host}/team/children:1`], insecure());
    assert.equal(report.results[0].reason, 'NO_SIGNATURE');
    assert.equal(report.results[0].digest, index);
  });

  it('denies an unsigned image', async () => {
    await world.push('team/unsigned', '1', { signBy: null });
    const { code, report } = await checkImages(world, [`${world.host}/team/unsigned:1`], insecure());
    assert.equal(report.results[0].reason, 'NO_SIGNATURE');
    assert.match(report.results[0].message, new RegExp(`${world.lookaside.url}/team/unsigned@sha256=`));
    assert.equal(code, 1);
  });

  it('denies a tag that does not exist', async () => {
    const { report } = await checkImages(world, [`${world.host}/team/web:9.9`], insecure());
    assert.equal(report.results[0].reason, 'INVALID_REFERENCE');
    assert.match(report.results[0].message, /does not exist/);
  });

  it('asks the registry nothing about a digest-pinned image', async () => {
    const digest = await world.push('team/pinned', '1');
    const before = world.registry.accessLog().length;
    const { report } = await checkImages(world, [`${world.host}/team/pinned@${digest}`], insecure());
    assert.equal(report.results[0].reason, 'SIGNED');
    assert.deepEqual(world.registry.accessLog().slice(before), []);
  });

  it('refuses plain HTTP to a registry not declared insecure, and names the flag with its host:port', async () => {
    const { code, report } = await checkImages(world, [`${world.host}/team/web:1.4`]);
    assert.equal(report.results[0].reason, 'UNREACHABLE');
    assert.match(report.results[0].message, /answered in plain HTTP, not TLS/);
    assert.equal(report.results[0].hint, `${world.host} serves plain HTTP: reach it with --insecure-registry ${world.host} (credentials then cross the network unencrypted)`);
    assert.equal(code, 3);
  });

  it('says to write an http:// URL when an https:// lookaside answers in plain HTTP', async () => {
    const digest = await world.push('team/tls-lookaside', '1');
    const https = world.lookaside.url.replace(/^http:/, 'https:');
    const { code, report } = await checkImages(world, [`${world.host}/team/tls-lookaside@${digest}`], insecure(), {}, { storeURL: https });
    assert.equal(report.results[0].reason, 'UNREACHABLE');
    assert.match(report.results[0].hint ?? '', new RegExp(`${new URL(https).host} speaks plain HTTP: .*http://`));
    assert.equal(code, 3);
  });
});
