// Sigstore attachments (the sha256-<hex>.sig tag) where registries.d asks for them:
// read and checked like containers/image does, and ignored by signedBy requirements.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pushRaw } from '../helpers/oci.js';
import { checkImages, makeWorld, type World } from '../helpers/world.js';

const COSIGN_LAYER = 'application/vnd.dev.cosign.simplesigning.v1+json';

describe('sigstore attachments', () => {
  let world: World;
  let signed: string;
  let unsigned: string;

  async function attach(repository: string, digest: string, mediaType = 'application/vnd.oci.image.manifest.v1+json'): Promise<void> {
    const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': `${world.host}/${repository}` }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
    const config = Buffer.from('{}');
    const layer = { mediaType: COSIGN_LAYER, digest: `sha256:${(await import('node:crypto')).createHash('sha256').update(payload).digest('hex')}`, size: payload.length, annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ==' } };
    const configDescriptor = { mediaType: mediaType.includes('docker') ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', digest: `sha256:${(await import('node:crypto')).createHash('sha256').update(config).digest('hex')}`, size: config.length };
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: configDescriptor, layers: [layer] }));
    await pushRaw(world.registry.url, repository, `${digest.replace(':', '-')}.sig`, manifest, mediaType, [config, payload]);
  }

  before(async () => {
    world = await makeWorld();
    signed = await world.push('team/signed', '1');
    unsigned = await world.push('team/cosigned', '1', { signBy: null });
    await attach('team/signed', signed);
    await attach('team/cosigned', unsigned);
    await world.push('team/odd', '1', { signBy: null }).then((d) => attach('team/odd', d, 'application/vnd.docker.distribution.manifest.v2+json'));
  });
  after(() => world?.stop());

  const registriesD = () => ({ '.gate/registries.d/lookaside.yaml': `default-docker:\n  lookaside: ${world.lookaside.url}\n  use-sigstore-attachments: true\n` });
  const check = (image: string) => checkImages(world, [`${world.host}/${image}`], ['--insecure-registry', world.host], registriesD());

  it('reads the attachments but accepts only the simple signature', async () => {
    const { report } = await check('team/signed:1');
    assert.equal(report.results[0].reason, 'SIGNED', report.results[0].message);
  });

  it('says that a cosign attachment is not a signature a signedBy requirement accepts', async () => {
    const { report } = await check('team/cosigned:1');
    assert.equal(report.results[0].reason, 'NO_SIGNATURE');
    assert.match(report.results[0].message, /1 sigstore signature\(s\) found, which signedBy ignores/);
    assert.match(report.results[0].message, /then sigstore attachments .*team\/cosigned:sha256-[0-9a-f]{64}\.sig/);
  });

  it('fails the lookup on an attachment that is not an OCI image manifest', async () => {
    const { report } = await check('team/odd:1');
    assert.equal(report.results[0].reason, 'BAD_SIGNATURE');
    assert.match(report.results[0].message, /not an OCI image manifest/);
  });
});
