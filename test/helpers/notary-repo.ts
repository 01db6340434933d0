// Notary v1 repositories the tests write themselves, for the cases the real notary-server
// will not serve (it re-signs expired timestamps and refuses bad metadata): every file
// signed with keys made here (a root certificate whose CN is the GUN from @peculiar/x509,
// ECDSA and Ed25519 keys from node:crypto), named as the server names them, and served by a
// static TLS server on loopback — where the real notary client reads them too, as the judge.

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, createPrivateKey, generateKeyPairSync, sign, webcrypto } from 'node:crypto';
import { createServer } from 'node:https';
import { canonicalJson } from '../../src/verify/notary/canonical.js';
import { keyId } from '../../src/verify/notary/keys.js';
import type { Pem } from './pki.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface GenKey {
  keytype: string;
  public: string;
  id: string;
  sign(message: Buffer): { method: string; sig: string };
}

export function ecdsaKey(): GenKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return { keytype: 'ecdsa', public: pub, id: keyId('ecdsa', pub), sign: (m) => ({ method: 'ecdsa', sig: sign('sha256', m, { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64') }) };
}

export function ed25519Key(): GenKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64');
  return { keytype: 'ed25519', public: pub, id: keyId('ed25519', pub), sign: (m) => ({ method: 'eddsa', sig: sign(null, m, privateKey).toString('base64') }) };
}

/** A root key: a self-signed ECDSA certificate whose CN is the GUN (or `cn`), as `notary init` makes it. */
/** A CA for trust pinning by CA: its PEM and what issues root certificates under it. */
export interface TestCa {
  pem: string;
  subject: string;
  keys: webcrypto.CryptoKeyPair;
}

export async function testCa(name: string): Promise<TestCa> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '02',
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 3650 * 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  return { pem: cert.toString('pem'), subject: cert.subject, keys };
}

export async function rootCertKey(gun: string, options: { cn?: string; notBefore?: Date; notAfter?: Date; issuer?: TestCa } = {}): Promise<GenKey> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const fields = {
    serialNumber: '01',
    notBefore: options.notBefore ?? new Date(Date.now() - 86_400_000),
    notAfter: options.notAfter ?? new Date(Date.now() + 3650 * 86_400_000),
    signingAlgorithm: alg,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true), new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning])],
  };
  const name = `CN=${(options.cn ?? gun).replace(/[,+"\\<>;=]/g, (c) => `\\${c}`)}`;
  const cert = options.issuer
    ? await x509.X509CertificateGenerator.create({ ...fields, subject: name, issuer: options.issuer.subject, publicKey: keys.publicKey, signingKey: options.issuer.keys.privateKey })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...fields, name, keys });
  const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(cert.rawData).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  const pub = Buffer.from(pem).toString('base64');
  const resolved = createPrivateKey({ key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), format: 'der', type: 'pkcs8' });
  return { keytype: 'ecdsa-x509', public: pub, id: keyId('ecdsa-x509', pub), sign: (m) => ({ method: 'ecdsa', sig: sign('sha256', m, { key: resolved, dsaEncoding: 'ieee-p1363' }).toString('base64') }) };
}

/** A signed file: {signed, signatures}, each signature over the canonical JSON of `signed`. */
export function signedFile(signed: object, signers: GenKey[], tamper?: (signed: Record<string, unknown>) => void): Buffer {
  const message = Buffer.from(canonicalJson(signed));
  const signatures = signers.map((k) => ({ keyid: k.id, ...k.sign(message) }));
  const body = JSON.parse(JSON.stringify(signed)) as Record<string, unknown>;
  tamper?.(body);
  return Buffer.from(JSON.stringify({ signed: body, signatures }));
}

const key = (k: GenKey) => ({ keytype: k.keytype, keyval: { private: null, public: k.public } });
const meta = (bytes: Buffer) => ({ hashes: { sha256: createHash('sha256').update(bytes).digest('base64'), sha512: createHash('sha512').update(bytes).digest('base64') }, length: bytes.length });
const hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export interface RepoOptions {
  gun: string;
  root?: GenKey;
  /** tag → sha256 hex of targets itself. */
  targets: Record<string, string>;
  /** targets/releases signed by `signer` (listed as `listed`, default the same key). */
  releases?: { targets: Record<string, string>; signer: GenKey; listed?: GenKey; expires?: Date; name?: string; paths?: string[]; sha512Only?: boolean };
  expires?: { timestamp?: Date; snapshot?: Date; targets?: Date; root?: Date };
  versions?: { timestamp?: number; snapshot?: number; targets?: number };
  targetsThreshold?: number;
  /** Change targets' signed content after signing (the signatures no longer match). */
  tamperTargets?: boolean;
}

/** Every file of a repository, by the name the server serves it under. */
export async function generateRepo(options: RepoOptions): Promise<Map<string, Buffer>> {
  const root = options.root ?? (await rootCertKey(options.gun));
  const targetsKey = ecdsaKey();
  const snapshotKey = ecdsaKey();
  const timestampKey = ed25519Key();
  const far = new Date(Date.now() + 3 * 365 * 86_400_000).toISOString();
  const files = new Map<string, Buffer>();
  const rootBytes = signedFile(
    {
      _type: 'Root',
      consistent_snapshot: false,
      expires: options.expires?.root?.toISOString() ?? far,
      version: 1,
      keys: Object.fromEntries([root, targetsKey, snapshotKey, timestampKey].map((k) => [k.id, key(k)])),
      roles: {
        root: { keyids: [root.id], threshold: 1 },
        targets: { keyids: [targetsKey.id], threshold: options.targetsThreshold ?? 1 },
        snapshot: { keyids: [snapshotKey.id], threshold: 1 },
        timestamp: { keyids: [timestampKey.id], threshold: 1 },
      },
    },
    [root],
  );
  const entry = (digest: string) => ({ hashes: { sha256: Buffer.from(digest, 'hex').toString('base64') }, length: 401 });
  const releases = options.releases;
  const targetsBytes = signedFile(
    {
      _type: 'Targets',
      expires: options.expires?.targets?.toISOString() ?? far,
      version: options.versions?.targets ?? 1,
      targets: Object.fromEntries(Object.entries(options.targets).map(([tag, d]) => [tag, entry(d)])),
      delegations: releases
        ? { keys: { [(releases.listed ?? releases.signer).id]: key(releases.listed ?? releases.signer) }, roles: [{ name: releases.name ?? 'targets/releases', keyids: [(releases.listed ?? releases.signer).id], threshold: 1, paths: releases.paths ?? [''] }] }
        : { keys: {}, roles: [] },
    },
    [targetsKey],
    options.tamperTargets ? (s) => ((s.targets as Record<string, { length: number }>)[Object.keys(options.targets)[0]].length = 999) : undefined,
  );
  const snapshotMeta: Record<string, object> = { root: meta(rootBytes), targets: meta(targetsBytes) };
  files.set('root.json', rootBytes);
  files.set('targets.json', targetsBytes);
  files.set(`targets.${hex(targetsBytes)}.json`, targetsBytes);
  if (releases) {
    const sha512Entry = (d: string) => ({ hashes: { sha512: createHash('sha512').update(d).digest('base64') }, length: 401 });
    const releasesBytes = signedFile({ _type: 'Targets', delegations: { keys: {}, roles: [] }, expires: releases.expires?.toISOString() ?? far, version: 1, targets: Object.fromEntries(Object.entries(releases.targets).map(([tag, d]) => [tag, releases.sha512Only ? sha512Entry(d) : entry(d)])) }, [releases.signer]);
    const name = releases.name ?? 'targets/releases';
    snapshotMeta[name] = meta(releasesBytes);
    files.set(`${name}.${hex(releasesBytes)}.json`, releasesBytes);
  }
  const snapshotBytes = signedFile({ _type: 'Snapshot', expires: options.expires?.snapshot?.toISOString() ?? far, version: options.versions?.snapshot ?? 1, meta: snapshotMeta }, [snapshotKey]);
  files.set(`snapshot.${hex(snapshotBytes)}.json`, snapshotBytes);
  files.set('snapshot.json', snapshotBytes);
  const timestampBytes = signedFile({ _type: 'Timestamp', expires: options.expires?.timestamp?.toISOString() ?? far, version: options.versions?.timestamp ?? 1, meta: { snapshot: meta(snapshotBytes) } }, [timestampKey]);
  files.set('timestamp.json', timestampBytes);
  return files;
}

/** A static notary server over TLS: each case's repository under /<case>/v2/<gun>/_trust/tuf/. */
export async function staticNotary(tls: Pem, cases: Map<string, { gun: string; files: Map<string, Buffer> }>): Promise<{ url: (name: string) => string; close(): Promise<void> }> {
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    const [, name, ...rest] = url.pathname.split('/');
    const repo = cases.get(name);
    const route = `/${rest.join('/')}`;
    if (route === '/v2/' || route === '/v2') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    const prefix = repo ? `/v2/${repo.gun}/_trust/tuf/` : undefined;
    const file = prefix && route.startsWith(prefix) ? repo!.files.get(route.slice(prefix.length)) : undefined;
    if (!file) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist.","detail":{}}]}');
    res.writeHead(200, { 'content-type': 'text/plain' }).end(file);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: (name) => `https://127.0.0.1:${port}/${name}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
