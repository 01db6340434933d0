// cosign signatures made by the tests, in cosign's exact layouts, without a cosign binary
// (none exists in the reachable package registries): keys and signatures by node:crypto,
// Fulcio certificates by @sigstore/mock's CA (URI SANs, with an SCT from its CT log) or by
// a CA of our own built with @peculiar/x509 (e-mail SANs, any validity), Rekor entries
// (SET, inclusion proof, checkpoint) by @sigstore/mock's transparency log, RFC 3161 stamps
// by its TSA. Everything is generated per run; the trusted root is written by the test.
//
// Pushed into the real docker-registry: legacy `sha256-<hex>.sig` manifests (one layer per
// signature, annotations as cosign writes them), and bundles as OCI 1.1 referrers with the
// `sha256-<hex>` fallback index that go-containerregistry writes (artifactType
// application/vnd.oci.empty.v1+json, no annotations). `referrersFront` is the small
// loopback front that gives distribution 2.8 a referrers API (and faults on demand).

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { initializeCA, initializeCTLog, initializeTLog, initializeTSA } from '@sigstore/mock';
import { createHash, generateKeyPairSync, randomInt, sign as cryptoSign, webcrypto, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pushRaw } from './oci.js';
import { front, type TestServer } from './servers.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** The bytes of a view the mock hands back. */
const view = (v: ArrayBufferView): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

export type KeyType = 'p256' | 'p384' | 'p521' | 'rsa' | 'ed25519';

export interface KeyPair {
  type: KeyType;
  publicKey: KeyObject;
  privateKey: KeyObject;
  /** The PEM public key, as cosign.pub holds it. */
  pem: string;
}

export function keyPair(type: KeyType): KeyPair {
  const pair =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', { namedCurve: { p256: 'P-256', p384: 'P-384', p521: 'P-521' }[type] });
  return { type, ...pair, pem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** What sigstore's signers do: the hash by key type (Ed25519 pure). */
export function signRaw(key: KeyPair, data: Buffer): Buffer {
  const hash = key.type === 'ed25519' ? null : key.type === 'p384' ? 'sha384' : key.type === 'p521' ? 'sha512' : 'sha256';
  return cryptoSign(hash, data, key.privateKey);
}

const sha256 = (data: Buffer | string): Buffer => createHash('sha256').update(data).digest();
const b64 = (data: Buffer | Uint8Array): string => Buffer.from(data).toString('base64');
const pemOf = (der: Buffer, label = 'CERTIFICATE'): string => `-----BEGIN ${label}-----\n${b64(der).replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;

export const OIDS = { issuerV1: '1.3.6.1.4.1.57264.1.1', issuerV2: '1.3.6.1.4.1.57264.1.8', buildSignerURI: '1.3.6.1.4.1.57264.1.9' };

export interface Identity {
  email?: string;
  uri?: string;
  issuer: string;
  /** Write only the deprecated .1.1 issuer, or two that disagree. */
  issuerV1?: string;
  buildSignerURI?: string;
}

export interface Certificate {
  der: Buffer;
  pem: string;
  key: KeyPair;
}

type Mock = { ca: Awaited<ReturnType<typeof initializeCA>>; ctlog: Awaited<ReturnType<typeof initializeCTLog>>; tlog: Awaited<ReturnType<typeof initializeTLog>>; tsa: Awaited<ReturnType<typeof initializeTSA>> };

/** A private sigstore at a fixed clock: Fulcio (mock and our own), CT log, Rekor and a TSA. */
export class Sigstore {
  private constructor(
    readonly clock: Date,
    private readonly mock: Mock,
    private readonly tlogKey: KeyPair,
    private readonly ctlogKey: KeyPair,
    private readonly own: { root: x509.X509Certificate; keys: webcrypto.CryptoKeyPair },
  ) {}

  /**
   * `clock`: when everything is signed and logged. The mock's CA and TSA roots are valid
   * from the moment they are made (the real time), so the default is a minute after that,
   * in whole seconds (Rekor's integratedTime has no fraction).
   */
  static async create(clock: Date = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000)): Promise<Sigstore> {
    const ctlogKey = keyPair('p256');
    const tlogKey = keyPair('p256');
    const ctlog = await initializeCTLog(ctlogKey, clock);
    const ca = await initializeCA(keyPair('p256'), ctlog, clock);
    const tlog = await initializeTLog('https://rekor.gate.test', tlogKey, clock);
    const tsa = await initializeTSA(keyPair('p256'), clock);
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const root = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=gate test fulcio,O=gate.test',
      notBefore: new Date(clock.getTime() - 86_400_000),
      notAfter: new Date(clock.getTime() + 365 * 86_400_000),
      keys,
      signingAlgorithm: alg,
      extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
    });
    return new Sigstore(clock, { ca, ctlog, tlog, tsa }, tlogKey, ctlogKey, { root, keys });
  }

  /**
   * The mock Fulcio, Rekor and TSA served over loopback HTTP (@sigstore/mock's own
   * handlers), for @sigstore/sign, the official signer, to talk to as to the real services.
   */
  async serve(): Promise<{ url: string; close(): Promise<void> }> {
    const { fulcioHandler, rekorHandler, tsaHandler } = await import('@sigstore/mock');
    const { createServer } = await import('node:http');
    const handlers = [fulcioHandler(this.mock.ca), rekorHandler(this.mock.tlog), tsaHandler(this.mock.tsa)];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const handler = handlers.find((h) => h.path === req.url && req.method === 'POST');
        if (!handler) return void res.writeHead(404).end();
        handler.fn(Buffer.concat(chunks).toString('utf8')).then(
          ({ statusCode, response, contentType }) => {
            res.writeHead(statusCode, { 'content-type': contentType ?? 'application/json' });
            res.end(typeof response === 'string' ? response : view(response));
          },
          (e: Error) => res.writeHead(500).end(e.message),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  get rekorPem(): string {
    return this.tlogKey.pem;
  }

  /** The mock Fulcio's root (URI SANs, SCTs) and our own CA's (any SAN, no SCT), PEM. */
  get mockCaPem(): string {
    return pemOf(view(this.mock.ca.rootCertificate));
  }

  get ownCaPem(): string {
    return pemOf(Buffer.from(this.own.root.rawData));
  }

  /**
   * A trusted_root.json: Rekor, both Fulcio CAs (validFor from a day before the clock, or
   * as given), the CT log and the TSA unless left out.
   */
  trustedRoot(options: { ctlog?: boolean; tsa?: boolean; rekor?: boolean; caValidFor?: { start: Date; end?: Date } } = {}): string {
    const start = new Date(this.clock.getTime() - 86_400_000).toISOString();
    const log = (key: KeyPair, id: Buffer, url: string) => ({
      baseUrl: url,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: b64(key.publicKey.export({ type: 'spki', format: 'der' })), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
      logId: { keyId: b64(id) },
    });
    const validFor = options.caValidFor ? { start: options.caValidFor.start.toISOString(), ...(options.caValidFor.end ? { end: options.caValidFor.end.toISOString() } : {}) } : { start };
    const ca = (der: Buffer, name: string) => ({ subject: { organization: 'gate.test', commonName: name }, uri: `https://${name}.gate.test`, certChain: { certificates: [{ rawBytes: b64(der) }] }, validFor });
    return JSON.stringify(
      {
        mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
        tlogs: options.rekor === false ? [] : [log(this.tlogKey, sha256(this.tlogKey.publicKey.export({ type: 'spki', format: 'der' })), 'https://rekor.gate.test')],
        certificateAuthorities: [ca(view(this.mock.ca.rootCertificate), 'fulcio'), ca(Buffer.from(this.own.root.rawData), 'own')],
        ctlogs: options.ctlog === false ? [] : [log(this.ctlogKey, view(this.mock.ctlog.logID), 'https://ctfe.gate.test')],
        timestampAuthorities:
          options.tsa === false
            ? []
            : [{ subject: { organization: 'gate.test', commonName: 'tsa' }, uri: 'https://tsa.gate.test', certChain: { certificates: [{ rawBytes: b64(view(this.mock.tsa.intCertificate)) }, { rawBytes: b64(view(this.mock.tsa.rootCertificate)) }] }, validFor: { start } }],
      },
      null,
      2,
    );
  }

  /**
   * The same trust as a policy-controller TrustRoot (policy.sigstore.dev/v1alpha1,
   * spec.sigstoreKeys: base64 PEM), as YAML.
   */
  trustRootResource(name: string): string {
    const pemB64 = (der: Buffer, label?: string) => b64(Buffer.from(pemOf(der, label)));
    const spki = (key: KeyPair) => key.publicKey.export({ type: 'spki', format: 'der' });
    const start = new Date(this.clock.getTime() - 86_400_000).toISOString();
    return [
      'apiVersion: policy.sigstore.dev/v1alpha1',
      'kind: TrustRoot',
      `metadata: {name: ${name}}`,
      'spec:',
      '  sigstoreKeys:',
      '    certificateAuthorities:',
      `    - {subject: {organization: gate.test, commonName: fulcio}, uri: "https://fulcio.gate.test", certChain: ${pemB64(view(this.mock.ca.rootCertificate))}, validFor: {start: "${start}"}}`,
      `    - {subject: {organization: gate.test, commonName: own}, uri: "https://own.gate.test", certChain: ${pemB64(Buffer.from(this.own.root.rawData))}, validFor: {start: "${start}"}}`,
      '    tLogs:',
      `    - {baseURL: "https://rekor.gate.test", hashAlgorithm: sha-256, publicKey: ${pemB64(spki(this.tlogKey), 'PUBLIC KEY')}}`,
      '    ctLogs:',
      `    - {baseURL: "https://ctfe.gate.test", hashAlgorithm: sha-256, publicKey: ${pemB64(spki(this.ctlogKey), 'PUBLIC KEY')}, logID: ${view(this.mock.ctlog.logID).toString('hex')}}`,
      '    timestampAuthorities:',
      `    - {subject: {organization: gate.test, commonName: tsa}, uri: "https://tsa.gate.test", certChain: ${b64(Buffer.concat([Buffer.from(pemOf(view(this.mock.tsa.intCertificate))), Buffer.from(pemOf(view(this.mock.tsa.rootCertificate)))]))}}`,
      '',
    ].join('\n');
  }

  /**
   * A Fulcio leaf and its ephemeral key. A URI identity comes from the mock Fulcio (with an
   * SCT); an e-mail one from our own CA (no SCT), which also takes another validity.
   */
  async certificate(identity: Identity, validity?: { notBefore: Date; notAfter: Date }): Promise<Certificate> {
    const key = keyPair('p256');
    const extensions = [
      ...(identity.issuer !== '' ? [{ oid: OIDS.issuerV2, value: identity.issuer }] : []),
      { oid: OIDS.issuerV1, value: identity.issuerV1 ?? identity.issuer, legacy: true },
      ...(identity.buildSignerURI ? [{ oid: OIDS.buildSignerURI, value: identity.buildSignerURI }] : []),
    ];
    if (identity.uri !== undefined && !validity) {
      const der = view(await this.mock.ca.issueCertificate({ publicKey: key.publicKey.export({ type: 'spki', format: 'der' }) as Buffer<ArrayBuffer>, subjectAltName: identity.uri, extensions }));
      return { der, pem: pemOf(der), key };
    }
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const publicKey = await webcrypto.subtle.importKey('spki', key.publicKey.export({ type: 'spki', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    const san = identity.email !== undefined ? { type: 'email' as const, value: identity.email } : { type: 'url' as const, value: identity.uri! };
    const utf8 = (value: string) => {
      const bytes = Buffer.from(value, 'utf8');
      return Buffer.concat([Buffer.from([0x0c, bytes.length]), bytes]);
    };
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: randomInt(1, 2 ** 40).toString(16),
      subject: '',
      issuer: this.own.root.subject,
      notBefore: validity?.notBefore ?? this.clock,
      notAfter: validity?.notAfter ?? new Date(this.clock.getTime() + 10 * 60_000),
      publicKey,
      signingKey: this.own.keys.privateKey,
      signingAlgorithm: alg,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning]),
        new x509.SubjectAlternativeNameExtension([san], true),
        await x509.AuthorityKeyIdentifierExtension.create(this.own.keys.publicKey),
        ...extensions.map((e) => new x509.Extension(e.oid, false, e.legacy ? Buffer.from(e.value) : utf8(e.value))),
      ],
    });
    const der = Buffer.from(leaf.rawData);
    return { der, pem: pemOf(der), key };
  }

  /** Logs a hashedrekord entry (what cosign logs for a legacy signature); returns cosign's bundle annotation. */
  async logHashedRekord(signature: Buffer, payload: Buffer, signerPem: string): Promise<string> {
    const entry = await this.mock.tlog.log({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: { data: { hash: { algorithm: 'sha256', value: sha256(payload).toString('hex') } }, signature: { content: b64(signature), publicKey: { content: b64(Buffer.from(signerPem)) } } },
    });
    const [logged] = Object.values(entry) as Array<{ body: string; integratedTime: number; logIndex: number; logID: string; verification: { signedEntryTimestamp: string } }>;
    return JSON.stringify({ SignedEntryTimestamp: logged.verification.signedEntryTimestamp, Payload: { body: logged.body, integratedTime: logged.integratedTime, logIndex: logged.logIndex, logID: logged.logID } });
  }

  /** Logs a dsse 0.0.1 entry in the form Rekor stores it; returns the bundle's tlog entry (promise and proof). */
  async logDsse(envelope: { payload: Buffer; signature: Buffer; envelopeJson: string }, signerPem: string): Promise<object> {
    const entry = await this.mock.tlog.log({
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(envelope.envelopeJson).toString('hex') },
        payloadHash: { algorithm: 'sha256', value: sha256(envelope.payload).toString('hex') },
        signatures: [{ signature: b64(envelope.signature), verifier: b64(Buffer.from(signerPem)) }],
      },
    });
    const [logged] = Object.values(entry) as Array<{ body: string; integratedTime: number; logIndex: number; logID: string; verification: { signedEntryTimestamp: string; inclusionProof: { logIndex: number; treeSize: number; rootHash: string; hashes: string[]; checkpoint: string } } }>;
    const proof = logged.verification.inclusionProof;
    return {
      logIndex: String(logged.logIndex),
      logId: { keyId: b64(Buffer.from(logged.logID, 'hex')) },
      kindVersion: { kind: 'dsse', version: '0.0.1' },
      integratedTime: String(logged.integratedTime),
      inclusionPromise: { signedEntryTimestamp: logged.verification.signedEntryTimestamp },
      inclusionProof: { logIndex: String(proof.logIndex), rootHash: b64(Buffer.from(proof.rootHash, 'hex')), treeSize: String(proof.treeSize), hashes: proof.hashes, checkpoint: { envelope: proof.checkpoint } },
      canonicalizedBody: logged.body,
    };
  }

  /** An RFC 3161 stamp over the signature bytes, DER, base64. */
  async timestamp(signature: Buffer): Promise<string> {
    const der = await this.mock.tsa.timestamp({ artifactHash: sha256(signature), hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', nonce: randomInt(1, 2 ** 31), policyOID: '1.3.6.1.4.1.57264.2', certReq: true });
    return b64(view(der));
  }
}

// ——— legacy signatures ———

export const LEGACY_LAYER = 'application/vnd.dev.cosign.simplesigning.v1+json';

/** cosign's payload, byte for byte as Go's json.Marshal writes it. */
export function cosignPayload(repository: string, digest: string, optional: Record<string, string> | null = null): Buffer {
  return Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': repository }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional }));
}

export interface LegacyLayer {
  payload: Buffer;
  annotations: Record<string, string>;
}

export interface LegacyOptions {
  /** Log it in Rekor and attach the SET (default true). */
  rekor?: boolean;
  /** Attach an RFC 3161 stamp. */
  tsa?: boolean;
  /** Change the payload after signing and logging. */
  tamper?: (payload: Buffer) => Buffer;
}

/** A legacy layer signed by a key. */
export async function legacyWithKey(sigstore: Sigstore, key: KeyPair, payload: Buffer, options: LegacyOptions = {}): Promise<LegacyLayer> {
  const signature = signRaw(key, payload);
  const annotations: Record<string, string> = { 'dev.cosignproject.cosign/signature': b64(signature) };
  if (options.rekor !== false) annotations['dev.sigstore.cosign/bundle'] = await sigstore.logHashedRekord(signature, payload, key.pem);
  if (options.tsa) annotations['dev.sigstore.cosign/rfc3161timestamp'] = JSON.stringify({ SignedRFC3161Timestamp: await sigstore.timestamp(signature) });
  return { payload: options.tamper ? options.tamper(payload) : payload, annotations };
}

/** A legacy layer signed keylessly: the certificate (and an untrusted chain) in annotations. */
export async function legacyKeyless(sigstore: Sigstore, cert: Certificate, payload: Buffer, options: LegacyOptions & { chain?: string } = {}): Promise<LegacyLayer> {
  const signature = signRaw(cert.key, payload);
  const annotations: Record<string, string> = { 'dev.cosignproject.cosign/signature': b64(signature), 'dev.sigstore.cosign/certificate': cert.pem };
  if (options.chain) annotations['dev.sigstore.cosign/chain'] = options.chain;
  if (options.rekor !== false) annotations['dev.sigstore.cosign/bundle'] = await sigstore.logHashedRekord(signature, payload, cert.pem);
  if (options.tsa) annotations['dev.sigstore.cosign/rfc3161timestamp'] = JSON.stringify({ SignedRFC3161Timestamp: await sigstore.timestamp(signature) });
  return { payload: options.tamper ? options.tamper(payload) : payload, annotations };
}

/** Pushes the `sha256-<hex>.sig` manifest, one layer per signature, as cosign's ggcr writes it. */
export async function pushLegacy(registryUrl: string, repository: string, digest: string, layers: LegacyLayer[]): Promise<void> {
  const descriptors = layers.map((l) => ({ mediaType: LEGACY_LAYER, size: l.payload.length, digest: `sha256:${sha256(l.payload).toString('hex')}`, annotations: l.annotations }));
  const config = Buffer.from(JSON.stringify({ architecture: '', created: '0001-01-01T00:00:00Z', history: [{ created: '0001-01-01T00:00:00Z' }], os: '', rootfs: { type: 'layers', diff_ids: descriptors.map((d) => d.digest) }, config: {} }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: `sha256:${sha256(config).toString('hex')}` }, layers: descriptors }));
  await pushRaw(registryUrl, repository, `${digest.replace(':', '-')}.sig`, manifest, 'application/vnd.oci.image.manifest.v1+json', [config, ...layers.map((l) => l.payload)]);
}

// ——— bundles ———

export const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

/** The in-toto statement cosign 3 signs for an image: subject = the digest, predicate {}. */
export function statement(digest: string, predicateType = SIGN_PREDICATE, predicate: object = {}): Buffer {
  return Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: '', digest: { sha256: digest.replace('sha256:', '') } }], predicateType, predicate }));
}

function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}

export interface BundleOptions {
  rekor?: boolean;
  tsa?: boolean;
  /** Change the statement after signing. */
  tamper?: (payload: Buffer) => Buffer;
}

/** A v0.3 bundle over `payload` (a DSSE envelope), signed by a key or a certificate. */
export async function bundle(sigstore: Sigstore, signer: { key: KeyPair } | { cert: Certificate }, payload: Buffer, options: BundleOptions = {}): Promise<string> {
  const type = 'application/vnd.in-toto+json';
  const key = 'key' in signer ? signer.key : signer.cert.key;
  const signature = signRaw(key, pae(type, payload));
  const envelope = { payloadType: type, payload: b64(payload), signatures: [{ keyid: '', sig: b64(signature) }] };
  const signerPem = 'key' in signer ? signer.key.pem : signer.cert.pem;
  const tlogEntries = options.rekor === false ? [] : [await sigstore.logDsse({ payload, signature, envelopeJson: JSON.stringify(envelope) }, signerPem)];
  const material = 'key' in signer ? { publicKey: { hint: b64(sha256(signer.key.publicKey.export({ type: 'spki', format: 'der' }))) } } : { certificate: { rawBytes: b64(signer.cert.der) } };
  const signed = options.tamper ? { ...envelope, payload: b64(options.tamper(payload)) } : envelope;
  return JSON.stringify({
    mediaType: BUNDLE_TYPE,
    verificationMaterial: { ...material, tlogEntries, timestampVerificationData: { rfc3161Timestamps: options.tsa ? [{ signedTimestamp: await sigstore.timestamp(signature) }] : [] } },
    dsseEnvelope: signed,
  });
}

const EMPTY = Buffer.from('{}');

/**
 * Pushes a bundle as a referrer of `subject` (cosign's manifest), and adds it to the
 * fallback index `sha256-<hex>` as go-containerregistry does (artifactType of the empty
 * config, no annotations).
 */
export async function pushBundle(registryUrl: string, repository: string, subject: string, bundleJson: string, predicateType = SIGN_PREDICATE): Promise<string> {
  const head = await fetch(`${registryUrl}/v2/${repository}/manifests/${subject}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json' } });
  const layer = Buffer.from(bundleJson);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: BUNDLE_TYPE,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', artifactType: BUNDLE_TYPE, digest: `sha256:${sha256(EMPTY).toString('hex')}`, size: 2 },
      layers: [{ mediaType: BUNDLE_TYPE, digest: `sha256:${sha256(layer).toString('hex')}`, size: layer.length }],
      subject: { mediaType: head.headers.get('content-type'), digest: subject, size: Number(head.headers.get('content-length')) },
      annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': predicateType, 'org.opencontainers.image.created': new Date(0).toISOString() },
    }),
  );
  const digest = `sha256:${sha256(manifest).toString('hex')}`;
  await pushRaw(registryUrl, repository, digest, manifest, 'application/vnd.oci.image.manifest.v1+json', [EMPTY, layer]);
  const tag = subject.replace(':', '-');
  const existing = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
  const index: { manifests: object[] } = existing.status === 200 ? ((await existing.json()) as { manifests: object[] }) : { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] } as { manifests: object[] };
  index.manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: manifest.length, artifactType: 'application/vnd.oci.empty.v1+json' });
  await pushRaw(registryUrl, repository, tag, Buffer.from(JSON.stringify(index)), 'application/vnd.oci.image.index.v1+json', []);
  return digest;
}

// ——— a referrers API before distribution 2.8 ———

export interface ReferrersFront extends TestServer {
  control: {
    /** Answer the referrers listings with this status (429, 401, 500…) instead. */
    fault?: number;
    /** Descriptors per page (Link: rel="next"); 0: one page. */
    pageSize: number;
    /** Answer 404 (no API), as distribution 2.8 itself does. */
    noApi: boolean;
    /** Answer the `sha256-<hex>.sig` manifests with this status instead. */
    sigFault?: number;
  };
}

/**
 * A front before the real registry that answers GET /v2/<name>/referrers/<digest> from the
 * fallback index (artifactType and annotations pulled up from each manifest, the
 * artifactType filter applied and announced), pages it on demand, injects faults, and
 * passes everything else through.
 */
export async function referrersFront(registryUrl: string): Promise<ReferrersFront> {
  const state: ReferrersFront['control'] = { pageSize: 0, noApi: false };
  const server = await front(registryUrl, async (req: IncomingMessage, res: ServerResponse, forward) => {
    const url = new URL(req.url ?? '/', 'http://front');
    if (state.sigFault && /\/manifests\/sha256-[0-9a-f]{64}\.sig$/.test(url.pathname)) return void res.writeHead(state.sigFault, { 'content-type': 'application/json', ...(state.sigFault === 429 ? { 'retry-after': '0' } : {}) }).end('{"errors":[{"code":"DENIED"}]}');
    const match = /^\/v2\/(.+)\/referrers\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
    if (!match || req.method !== 'GET') return forward();
    if (state.noApi) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
    if (state.fault) return void res.writeHead(state.fault, { 'content-type': 'application/json', ...(state.fault === 429 ? { 'retry-after': '0' } : {}) }).end('{"errors":[{"code":"TOOMANYREQUESTS"}]}');
    const [, name, digest] = match;
    const indexAnswer = await fetch(`${registryUrl}/v2/${name}/manifests/${digest.replace(':', '-')}`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
    const listed = indexAnswer.status === 200 ? ((await indexAnswer.json()) as { manifests: Array<{ digest: string }> }).manifests : [];
    const descriptors = [];
    for (const d of listed) {
      const m = (await (await fetch(`${registryUrl}/v2/${name}/manifests/${d.digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).json()) as { artifactType?: string; config: { mediaType: string }; annotations?: object };
      descriptors.push({ ...d, artifactType: m.artifactType ?? m.config.mediaType, ...(m.annotations ? { annotations: m.annotations } : {}) });
    }
    const wanted = url.searchParams.get('artifactType');
    const filtered = wanted ? descriptors.filter((d) => d.artifactType === wanted) : descriptors;
    const page = Number(url.searchParams.get('page') ?? '0');
    const size = state.pageSize || filtered.length || 1;
    const slice = filtered.slice(page * size, (page + 1) * size);
    const headers: Record<string, string> = { 'content-type': 'application/vnd.oci.image.index.v1+json' };
    if (wanted) headers['oci-filters-applied'] = 'artifactType';
    if ((page + 1) * size < filtered.length) {
      const next = new URL(url.pathname, 'http://front');
      if (wanted) next.searchParams.set('artifactType', wanted);
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${next.pathname}${next.search}>; rel="next"`;
    }
    res.writeHead(200, headers).end(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: slice }));
  });
  return Object.assign(server, { control: state });
}

// ——— OCI image layouts (air-gapped runs) ———

export interface LayoutOptions {
  /** `cosign save`'s index.json: kind annotations (image, sigs); else tags (ref.name) and referrers listed as oras writes them. */
  style: 'cosign-save' | 'tags';
  /** The image manifest (bytes) to save; its blobs are not needed for signature lookups. */
  image: Buffer;
  legacy?: LegacyLayer[];
  bundles?: string[];
}

/** Writes an OCI image layout holding an image manifest, its `.sig` manifest and its bundle referrers. */
export async function writeCosignLayout(dir: string, options: LayoutOptions): Promise<string> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const pathMod = await import('node:path');
  await mkdir(pathMod.join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = async (bytes: Buffer) => {
    const hex = sha256(bytes).toString('hex');
    await writeFile(pathMod.join(dir, 'blobs', 'sha256', hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const image = await put(options.image);
  const manifests: object[] = [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...image, annotations: options.style === 'cosign-save' ? { kind: 'dev.cosignproject.cosign/image' } : { 'org.opencontainers.image.ref.name': 'latest' } }];
  if (options.legacy?.length) {
    const descriptors = [];
    for (const layer of options.legacy) descriptors.push({ mediaType: LEGACY_LAYER, ...(await put(layer.payload)), annotations: layer.annotations });
    const config = await put(Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: descriptors.map((d) => d.digest) } })));
    const sig = await put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: descriptors })));
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...sig, annotations: options.style === 'cosign-save' ? { kind: 'dev.cosignproject.cosign/sigs' } : { 'org.opencontainers.image.ref.name': `${image.digest.replace(':', '-')}.sig` } });
  }
  for (const json of options.bundles ?? []) {
    const empty = await put(EMPTY);
    const layer = await put(Buffer.from(json));
    const referrer = await put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: BUNDLE_TYPE, config: { mediaType: 'application/vnd.oci.empty.v1+json', ...empty }, layers: [{ mediaType: BUNDLE_TYPE, ...layer }], subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...image }, annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': SIGN_PREDICATE } })));
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...referrer, artifactType: BUNDLE_TYPE });
  }
  await writeFile(pathMod.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(pathMod.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  return image.digest;
}
