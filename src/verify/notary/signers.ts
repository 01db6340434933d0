// Portieris' signerSecrets (pkg/verifier/trust/trust.go): each named signer must sign the tag
// in its role `targets/<name>`, with the same digest as the released one, by a key the role
// lists. Portieris compares key IDs: the ID of the PEM form the Secret holds — a
// CERTIFICATE gives an `ecdsa-x509`/`rsa-x509` ID over the re-encoded certificate, a PUBLIC
// KEY an `ecdsa`/`rsa` ID over the DER — so the same key pair listed in the other form is
// "Public keys are different" there. Under webhook parity gate denies exactly so, saying
// which form is listed; alone (webhook none) it compares the public keys themselves.
// Pure: the verified repository, the Secrets' PEMs and the clock in, a verdict out.

import { X509Certificate, createPublicKey } from 'node:crypto';
import { keyId, type TufKey } from './keys.js';
import type { Repository } from './repository.js';

export interface SignerSecret {
  /** The Secret's name, for messages. */
  secret: string;
  /** data.name: the signer, whose role is targets/<name>. */
  name: string;
  /** data.publicKey: a PEM certificate or public key. */
  publicKey: string;
}

export type SignerKey = { ok: true; id: string; form: 'certificate' | 'public key'; der: Buffer } | { ok: false; message: string };

/** notary's ParsePEMPublicKey: the first PEM block only; a certificate must be valid now, not SHA-1, RSA ≥ 2048; Ed25519 refused. */
export function signerKey(pem: string, now: Date): SignerKey {
  const block = /-----BEGIN ([A-Z ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(pem);
  if (!block) return { ok: false, message: 'no valid public key found' };
  const der = Buffer.from(block[2].replace(/\s+/g, ''), 'base64');
  try {
    if (block[1] === 'CERTIFICATE') {
      const cert = new X509Certificate(der);
      const type = cert.publicKey.asymmetricKeyType;
      if (type !== 'ec' && type !== 'rsa') return { ok: false, message: 'unknown public key format' };
      if (new Date(cert.validTo).getTime() < now.getTime() || new Date(cert.validFrom).getTime() > now.getTime()) return { ok: false, message: `invalid certificate: it is valid from ${cert.validFrom} to ${cert.validTo}` };
      if (/sha1/i.test(cert.signatureAlgorithm ?? '')) return { ok: false, message: 'invalid certificate: signed with SHA-1' };
      if (type === 'rsa' && (cert.publicKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return { ok: false, message: 'invalid certificate: RSA key shorter than 2048 bits' };
      // notary hashes pem.Encode(cert.Raw): 64-character lines and a final newline.
      const reencoded = `-----BEGIN CERTIFICATE-----\n${cert.raw.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
      return { ok: true, id: keyId(type === 'ec' ? 'ecdsa-x509' : 'rsa-x509', Buffer.from(reencoded).toString('base64')), form: 'certificate', der: cert.publicKey.export({ type: 'spki', format: 'der' }) };
    }
    if (block[1] === 'PUBLIC KEY') {
      const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
      const type = key.asymmetricKeyType;
      if (type !== 'ec' && type !== 'rsa') return { ok: false, message: 'unknown public key format' };
      return { ok: true, id: keyId(type === 'ec' ? 'ecdsa' : 'rsa', der.toString('base64')), form: 'public key', der: key.export({ type: 'spki', format: 'der' }) };
    }
    return { ok: false, message: `unsupported PEM block type ${block[1]}` };
  } catch (e) {
    return { ok: false, message: `invalid certificate: ${(e as Error).message}` };
  }
}

export type SignerCheck = { ok: true } | { ok: false; reason: 'SIGNER_MISSING' | 'UNTRUSTED_KEY' | 'DIGEST_MISMATCH'; message: string; hint?: string };

/**
 * Every signer must sign `tag` with `digest` (the released one) in targets/<name>, by a
 * listed key: `byKeyId` (Portieris) compares the ID of the Secret's PEM form, else the public keys.
 */
export function checkSigners(repository: Repository, tag: string, digest: string, signers: readonly SignerSecret[], now: Date, byKeyId: boolean, parsed = new Map<string, SignerKey>()): SignerCheck {
  for (const signer of signers) {
    const role = repository.roles.find((r) => r.name === `targets/${signer.name}`);
    // A role signs only names under the paths its parent gave it (as notary's walk drops the others).
    const entry = role && role.paths.some((prefix) => tag.startsWith(prefix)) ? role.targets.get(tag) : undefined;
    if (!role || !entry) return { ok: false, reason: 'SIGNER_MISSING', message: `no signature found for role ${signer.name} (Secret ${signer.secret}): targets/${signer.name} ${role ? `does not sign ${tag}` : 'is not a valid delegation of the repository'}`, hint: `sign ${tag} as ${signer.name} (docker trust sign, or notary addhash --roles targets/${signer.name}), or remove the signer from the policy` };
    // Parsed once per PEM however many tags are checked (`parsed`, shared by the caller).
    const key = parsed.get(signer.publicKey) ?? signerKey(signer.publicKey, now);
    parsed.set(signer.publicKey, key);
    if (!key.ok) return { ok: false, reason: 'UNTRUSTED_KEY', message: `the publicKey of Secret ${signer.secret}: ${key.message}`, hint: `put the signer's PEM certificate or public key (ECDSA or RSA) in data.publicKey of Secret ${signer.secret}` };
    const listed = role.keys.some((k) => k.id === key.id);
    if (!listed) {
      const sameKey = role.keys.find((k) => sameSpki(k, key.der));
      if (!sameKey || byKeyId) {
        const form = sameKey ? ` — the role lists the same key as a ${sameKey.certificates ? 'certificate' : 'bare public key'} (ID ${sameKey.id.slice(0, 12)}…), and Portieris compares the ID of the form in the Secret (a ${key.form}, ID ${key.id.slice(0, 12)}…)` : '';
        const hint = sameKey ? `put the ${sameKey.certificates ? 'certificate' : 'public key'} form in Secret ${signer.secret} (data.publicKey), the form the delegation lists` : `use the key targets/${signer.name} lists (notary delegation list), or add this key to the delegation`;
        return { ok: false, reason: 'UNTRUSTED_KEY', message: `Public keys are different: the key of Secret ${signer.secret} is not a key of targets/${signer.name}${form}`, hint };
      }
    }
    if (!entry.sha256 || `sha256:${entry.sha256.toString('hex')}` !== digest) return { ok: false, reason: 'DIGEST_MISMATCH', message: `Incompatible digest: targets/${signer.name} signs ${tag} as ${entry.sha256 ? `sha256:${entry.sha256.toString('hex')}` : 'no sha256 digest'}, the released digest is ${digest}` };
  }
  return { ok: true };
}

function sameSpki(key: TufKey, der: Buffer): boolean {
  return key.key.export({ type: 'spki', format: 'der' }).equals(der);
}
