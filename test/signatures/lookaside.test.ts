import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parseReference } from '../../src/reference/reference.js';
import { reasonFor } from '../../src/engine/failures.js';
import { fileLookaside, type Lookaside } from '../../src/signatures/lookaside.js';
import { sniffSignatureBlob } from '../../src/signatures/format.js';

const DIGEST = 'sha256:' + 'd'.repeat(64);
const ONE_PASS = Buffer.from([0xa3, 0x01, 0x02]);

describe('file lookaside', () => {
  let root: string;
  const parsed = parseReference(`reg.example.com/team/app@${DIGEST}`);
  assert.ok(parsed.ok);
  const ref = parsed.ref;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gate-lookaside-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  async function store(name: string, blobs: Buffer[]): Promise<Lookaside> {
    const dir = path.join(root, name, 'team/app@sha256=' + 'd'.repeat(64));
    await mkdir(dir, { recursive: true });
    for (const [i, blob] of blobs.entries()) await writeFile(path.join(dir, `signature-${i + 1}`), blob);
    return fileLookaside(pathToFileURL(path.join(root, name)).href);
  }

  it('reads signature-1, -2, … up to the first gap, under the repository path without host', async () => {
    const source = await store('gap', [ONE_PASS, ONE_PASS]);
    await writeFile(path.join(root, 'gap/team/app@sha256=' + 'd'.repeat(64), 'signature-4'), ONE_PASS);
    const result = await source.lookup(ref, DIGEST);
    assert.ok(result.ok);
    assert.equal(result.blobs.length, 2);
  });

  it('finds nothing when the folder does not exist', async () => {
    const result = await fileLookaside(pathToFileURL(path.join(root, 'absent')).href).lookup(ref, DIGEST);
    assert.ok(result.ok);
    assert.equal(result.blobs.length, 0);
  });

  it('gives up past 128 signatures', async () => {
    const source = await store('many', Array.from({ length: 129 }, () => ONE_PASS));
    const result = await source.lookup(ref, DIGEST);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && /more than 128 signatures/.test(result.failure.message));
  });

  it('refuses a signature larger than 4 MiB without reading it whole', async () => {
    const source = await store('big', [Buffer.concat([ONE_PASS, Buffer.alloc(4 * 1024 * 1024)])]);
    const result = await source.lookup(ref, DIGEST);
    assert.ok(!result.ok && reasonFor(result.failure.kind) === 'BAD_SIGNATURE' && /larger than/.test(result.failure.message));
  });

  it('reports a signature path it cannot read as unreachable', async () => {
    const source = await store('dir', []);
    await mkdir(path.join(root, 'dir/team/app@sha256=' + 'd'.repeat(64), 'signature-1'));
    const result = await source.lookup(ref, DIGEST);
    assert.ok(!result.ok && reasonFor(result.failure.kind) === 'UNREACHABLE');
  });
});

describe('signature blob formats (containers/image FromBlob)', () => {
  it('recognises OpenPGP packets, the 0x00 envelope, and refuses the rest', () => {
    assert.equal(sniffSignatureBlob(Buffer.from([0xa3, 1])).format, 'simple-signing');
    assert.equal(sniffSignatureBlob(Buffer.from([0xc4, 1])).format, 'simple-signing');
    assert.equal(sniffSignatureBlob(Buffer.from('\u0000simple-signing\n\u00a3')).format, 'simple-signing');
    assert.equal(sniffSignatureBlob(Buffer.from('\u0000sigstore-json\n{}')).format, 'sigstore-json');
    assert.equal(sniffSignatureBlob(Buffer.from('\u0000sigstore-json\n{not json')).format, 'unknown');
    assert.equal(sniffSignatureBlob(Buffer.from('\u0000sigstore-json\n{"payload":"%%%"}')).format, 'unknown');
    assert.equal(sniffSignatureBlob(Buffer.from('\u0000other\n{}')).format, 'unknown');
    assert.equal(sniffSignatureBlob(Buffer.from('\u0000no-newline')).format, 'unknown');
    assert.equal(sniffSignatureBlob(Buffer.from('-----BEGIN PGP MESSAGE-----')).format, 'unknown');
    assert.equal(sniffSignatureBlob(Buffer.alloc(0)).format, 'unknown');
  });
});
