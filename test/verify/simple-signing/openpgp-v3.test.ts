// The version-3 signature check on its own, with an injected clock and with bytes of a
// real gpg1 --force-v3-sigs blob altered at the offsets gpg 2 lists for its packets.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { canonicalText } from '../../../src/verify/simple-signing/openpgp-v3.js';
import { parseArmoredPublicKeys, verifySignedMessage, type TrustedKeys } from '../../../src/verify/simple-signing/openpgp.js';
import { Gpg1Signer, GpgHome } from '../../helpers/gpg.js';
import { run } from '../../helpers/tools.js';

const PAYLOAD = JSON.stringify({ critical: { type: 'atomic container signature' } });
let home: GpgHome;
let gpg1: Gpg1Signer;
let fingerprint = '';
let trusted: TrustedKeys;
/** Uncompressed, so that every packet can be found and altered. */
let blob: Buffer;

interface ListedPacket {
  tag: number;
  /** Offset of the packet body in the blob. */
  body: number;
  created?: number;
}

/** gpg 2's reading of the packets: "# off=39 ctb=89 tag=2 hlen=3 plen=277" and the "created" field. */
async function listPackets(bytes: Buffer): Promise<ListedPacket[]> {
  const text = (await run('gpg', ['--batch', '--list-packets'], { env: home.env, input: bytes })).stdout.toString('utf8');
  return text.split(/^# /m).slice(1).map((chunk) => {
    const header = /^off=(\d+) ctb=\w+ tag=(\d+) hlen=(\d+)/.exec(chunk);
    assert.ok(header, chunk);
    const created = /version 3, created (\d+)/.exec(chunk);
    return { tag: Number(header[2]), body: Number(header[1]) + Number(header[3]), created: created ? Number(created[1]) : undefined };
  });
}

async function packet(tag: number): Promise<ListedPacket> {
  const found = (await listPackets(blob)).find((p) => p.tag === tag);
  assert.ok(found, `gpg lists a packet of type ${tag}`);
  return found;
}

function altered(offset: number, change: (byte: number) => number): Buffer {
  const copy = Buffer.from(blob);
  copy[offset] = change(copy[offset]);
  return copy;
}

before(async () => {
  home = await GpgHome.create();
  fingerprint = await home.generateKey('V3 <v3@example.com>');
  gpg1 = await Gpg1Signer.fromHome(home, [fingerprint]);
  blob = await gpg1.signV3(fingerprint, PAYLOAD, { compressLevel: 0 });
  const keys = await parseArmoredPublicKeys(await home.exportPublic(fingerprint));
  assert.ok(keys.ok);
  trusted = keys.trusted;
});

after(async () => {
  await gpg1?.dispose();
  await home?.dispose();
});

describe('version-3 signatures (gpg1 --force-v3-sigs, clock injected)', () => {
  it('never expire: accepted ten years after their creation time, with the primary fingerprint', async () => {
    const created = (await packet(2)).created;
    assert.ok(created, 'gpg lists a version-3 signature packet');
    const result = await verifySignedMessage(blob, trusted, new Date((created + 10 * 365 * 86400) * 1000));
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.equal(result.signerFingerprint, fingerprint);
    assert.equal(Buffer.from(result.signedPayload).toString('utf8'), PAYLOAD);
  });

  it('denies a signature dated after the clock', async () => {
    const created = (await packet(2)).created ?? 0;
    const result = await verifySignedMessage(blob, trusted, new Date((created - 3600) * 1000));
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.message, /version-3 signature: signature dated after/);
  });

  it('denies a changed creation time: it is part of the signed data', async () => {
    const signature = await packet(2);
    // version, hashed length (5), signature type, then the 4-octet creation time.
    const result = await verifySignedMessage(altered(signature.body + 6, (b) => b ^ 0x01), trusted, new Date());
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.message, /version-3 signature: signature error/);
  });

  it('denies changed literal data', async () => {
    const literal = await packet(11);
    const result = await verifySignedMessage(altered(literal.body + 10, (b) => b ^ 0x20), trusted, new Date());
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.message, /version-3 signature: signature error/);
  });

  it('accepts a version-2 packet, the same format under an older number, as x/crypto/openpgp and gpg do', async () => {
    // The version octet is not part of the signed data: the signature stays valid.
    const version2 = altered((await packet(2)).body, () => 2);
    const gpgVerdict = await run('gpg', ['--batch', '--verify'], { env: home.env, input: version2 });
    assert.equal(gpgVerdict.code, 0, gpgVerdict.stderr);
    const result = await verifySignedMessage(version2, trusted, new Date());
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.equal(result.signerFingerprint, fingerprint);
  });

  it('denies a one-pass packet that announces another hash than the signature uses', async () => {
    // one-pass body: version, signature type, hash algorithm, …
    const result = await verifySignedMessage(altered((await packet(4)).body + 2, (b) => (b === 10 ? 8 : 10)), trusted, new Date());
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.message, /one-pass signature packet does not describe/);
  });
});

describe('text signatures (type 0x01) are hashed as x/crypto/openpgp hashes them', () => {
  const canonical = (text: string) => Buffer.from(canonicalText(Buffer.from(text))).toString('utf8');

  it('turns a lone LF into CRLF and leaves CRLF alone', () => {
    assert.equal(canonical('a\nb\r\nc\n'), 'a\r\nb\r\nc\r\n');
  });

  it('passes the octet after a CR unexamined, as x/crypto/openpgp does (CR CR LF gains a CR)', () => {
    assert.equal(canonical('a\r\r\nb\rc'), 'a\r\r\r\nb\rc');
  });
});
