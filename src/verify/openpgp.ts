// OpenPGP checks of a simple-signing blob, as containers/image's openpgp mechanism
// makes them: the blob is a signed message (not detached, not cleartext); the signer
// must be one of the policy's keys; the key identity is the PRIMARY key's fingerprint
// in upper-case hex even when a subkey signed; an expired signature is refused.
// `now` is passed in: no clock is read here.

import * as openpgp from 'openpgp';

export interface TrustedKeys {
  keys: openpgp.PublicKey[];
  /** Primary-key fingerprints, upper-case hex. */
  fingerprints: string[];
}

export type KeyParseResult = { ok: true; trusted: TrustedKeys } | { ok: false; message: string };

const PUBLIC_KEY_HEADER = '-----BEGIN PGP PUBLIC KEY BLOCK-----';

/** Every key of an armoured public key block is trusted (Portieris' rule). */
export async function parseArmoredPublicKeys(armored: string): Promise<KeyParseResult> {
  const header = /-----BEGIN PGP ([A-Z ]+)-----/.exec(armored);
  if (!header) return { ok: false, message: 'no armoured OpenPGP block found (expected "PGP PUBLIC KEY BLOCK")' };
  const blocks = armored.match(/-----BEGIN PGP /g)?.length ?? 0;
  if (blocks > 1) {
    return {
      ok: false,
      message: `holds ${blocks} armoured blocks, and Portieris reads only the first: export every key into one block (gpg --armor --export FPR1 FPR2)`,
    };
  }
  if (!armored.includes(PUBLIC_KEY_HEADER)) {
    const secret = header[1].includes('PRIVATE');
    return {
      ok: false,
      message: secret
        ? 'this is a PRIVATE key block: commit only the public key (gpg --armor --export FINGERPRINT), and rotate the leaked key'
        : `expected "PGP PUBLIC KEY BLOCK", found "PGP ${header[1]}"`,
    };
  }
  let keys: openpgp.Key[];
  try {
    keys = await openpgp.readKeys({ armoredKeys: armored });
  } catch (e) {
    return { ok: false, message: `unreadable OpenPGP public key block: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (keys.length === 0) return { ok: false, message: 'the key block holds no keys' };
  if (keys.some((k) => k.isPrivate())) return { ok: false, message: 'the key block holds a private key: commit only public keys' };
  const publicKeys = keys as openpgp.PublicKey[];
  return { ok: true, trusted: { keys: publicKeys, fingerprints: publicKeys.map((k) => k.getFingerprint().toUpperCase()) } };
}

export type SignedMessageResult =
  | { ok: true; signedPayload: Uint8Array; signerFingerprint: string }
  | { ok: false; code: 'UNTRUSTED_KEY' | 'BAD_SIGNATURE'; message: string };

export async function verifySignedMessage(untrustedBlob: Uint8Array, trusted: TrustedKeys, now: Date): Promise<SignedMessageResult> {
  const bad = (message: string): SignedMessageResult => ({ ok: false, code: 'BAD_SIGNATURE', message });
  let message: openpgp.Message<Uint8Array>;
  try {
    message = await openpgp.readMessage({ binaryMessage: untrustedBlob });
  } catch (e) {
    return bad(`not an OpenPGP message: ${errorText(e)}`);
  }

  const signerIds = message.getSigningKeyIDs();
  if (signerIds.length === 0) return bad('not signed');
  if (signerIds.length > 1) return bad(`the message carries ${signerIds.length} signatures; a simple-signing blob has exactly one`);
  const signerId = signerIds[0];
  const signerKey = trusted.keys.find((k) => k.getKeys(signerId).length > 0);
  if (!signerKey) {
    return { ok: false, code: 'UNTRUSTED_KEY', message: `signed by key ID ${signerId.toHex().toUpperCase()}, which is not one of the policy's keys` };
  }

  let result: Awaited<ReturnType<typeof openpgp.verify<Uint8Array>>>;
  try {
    result = await openpgp.verify({ message, verificationKeys: [signerKey], format: 'binary', date: now });
  } catch (e) {
    return bad(`signature error: ${errorText(e)}`);
  }
  if (result.signatures.length !== 1) return bad('not signed');
  try {
    await result.signatures[0].verified;
  } catch (e) {
    const text = errorText(e);
    if (/expired/i.test(text)) return bad(`signature expired (checked at ${now.toISOString()}): ${text}`);
    return bad(`signature error: ${text}`);
  }
  const data = result.data;
  if (!(data instanceof Uint8Array)) return bad('signed content is not binary data');
  return { ok: true, signedPayload: data, signerFingerprint: signerKey.getFingerprint().toUpperCase() };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
