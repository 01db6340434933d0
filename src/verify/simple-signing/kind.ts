// Portieris' `signedBy` requirement: a simple-signing ("atomic container signature")
// blob, an OpenPGP signed message by one of the keys of keySecret, whose payload names
// the image's manifest digest and an identity the signedIdentity rule accepts. The
// crypto step is containers/image's openpgp mechanism plus its payload parser; the
// acceptance step its signatureAcceptanceRules (digest, then identity).

import { repositoryName } from '../../reference/reference.js';
import { describeIdentityRule, identityMatches } from '../identity.js';
import type { SignatureKind } from '../kind.types.js';
import { parseSignedBy, type SignedByRequirement } from './config.js';
import { parseArmoredPublicKeys, verifySignedMessage, type TrustedKeys } from './openpgp.js';
import { parseSimpleSigningPayload, type SimpleSigningPayload } from './payload.js';

export const signedBy: SignatureKind<SignedByRequirement, TrustedKeys, SimpleSigningPayload> = {
  type: 'signedBy',
  section: 'simple',
  needs: 'signatures',
  parse: parseSignedBy,

  label: (requirement) => `keySecret ${requirement.keySecret}`,
  keyExtension: 'asc',

  key: (requirement, namespace) => ({
    secret: requirement.keySecret,
    namespace: requirement.keySecretNamespace ?? namespace,
    ...(requirement.keySecretNamespace ? { namespaceFromPolicy: true } : {}),
    extension: signedBy.keyExtension,
    howToExport: `gate reads armoured keys from ${requirement.keySecret}.asc (gpg --armor --export FINGERPRINT > ${requirement.keySecret}.asc)`,
  }),

  async trust(material, need) {
    const parsed = await parseArmoredPublicKeys(new TextDecoder().decode(material.bytes));
    if (!parsed.ok) return parsed;
    return {
      ok: true,
      value: parsed.trusted,
      ids: parsed.trusted.fingerprints,
      warnings: parsed.dropped.map((key) => `key ${key} of keySecret "${need.secret}" is not trusted: Portieris' OpenPGP library cannot read it`),
    };
  },

  consumes: (blob) => blob.format === 'simple-signing',

  async verify(blob, trusted, now) {
    const crypto = await verifySignedMessage(blob.bytes, trusted, now);
    if (!crypto.ok) return { ok: false, reason: crypto.code, message: crypto.message };
    // Only now is the payload signed data; it is still a claim to check, not a fact.
    const parsed = parseSimpleSigningPayload(crypto.signedPayload);
    if (!parsed.ok) return { ok: false, reason: 'BAD_SIGNATURE', message: `invalid signature payload: ${parsed.message}` };
    return { ok: true, claim: parsed.payload, signer: crypto.signerFingerprint };
  },

  accept(claim, { digest, intended }, requirement) {
    if (claim.dockerManifestDigest !== digest) {
      return { ok: false, reason: 'DIGEST_MISMATCH', message: `Signature for digest ${claim.dockerManifestDigest} does not match the image digest ${digest}` };
    }
    const rule = requirement.signedIdentity;
    if (!identityMatches(rule, intended, claim.dockerReference)) {
      return { ok: false, reason: 'IDENTITY_MISMATCH', message: `signed for "${claim.dockerReference}", but the policy requires ${describeIdentityRule(rule, intended)}` };
    }
    return { ok: true, signedReference: claim.dockerReference };
  },

  hint(reason, _requirement, trust, { digest, intended }) {
    const fingerprints = trust.ids.join(' or ');
    const repository = repositoryName(intended);
    switch (reason) {
      case 'NO_SIGNATURE':
        return `sign ${repository}@${digest} with the key in ${trust.source} (${fingerprints}), e.g. skopeo copy --sign-by ${trust.ids[0]} …, and publish the signature where gate looked`;
      case 'UNTRUSTED_KEY':
        return `re-sign with a trusted key (${fingerprints}), or add the signer's public key to ${trust.source} in a reviewed commit`;
      case 'IDENTITY_MISMATCH':
        return `re-sign the image as ${repository}:<tag> (skopeo copy --sign-by signs the reference it copies to), or widen signedIdentity in the policy`;
      case 'DIGEST_MISMATCH':
        return `the signature belongs to other image bytes: sign ${repository}@${digest} itself`;
      case 'BAD_SIGNATURE':
        return 'replace the broken signature: sign again with a valid, unexpired key';
      default:
        return '';
    }
  },


  explain: (requirement, trust, intended) => ({
    keySecret: requirement.keySecret,
    ...(trust ? { keySource: trust.source, fingerprints: trust.ids } : {}),
    ...(intended ? { identity: describeIdentityRule(requirement.signedIdentity, intended) } : {}),
  }),
};
