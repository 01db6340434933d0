// gate's `sigstoreSigned` requirement: a cosign signature of the image's digest, legacy
// (`sha256-<hex>.sig` layer) or bundle (OCI 1.1 referrer), by one of the policy's keys or
// by a Fulcio certificate of the policy's identity, checked offline against committed
// trust (trust.ts). Crypto in verify.ts; acceptance here: the digest, the certificate
// identity, and — for legacy payloads, the only ones that name one — the signed
// repository under signedIdentity. A bundle counts only with cosign's signature predicate.

import { repositoryName } from '../../reference/reference.js';
import { describeIdentityRule, identityMatches } from '../identity.js';
import type { SignatureKind, TrustFile } from '../kind.types.js';
import { parseSigstoreSigned, type MaterialSource, type SigstoreSignedRequirement } from './config.js';
import { describeRules, matchIdentity } from './identity.js';
import { buildTrust, type MaterialFile, type SigstoreTrust } from './trust.js';
import { ANNOTATIONS, COSIGN_SIGN_PREDICATE, isBundle, isLegacyLayer, verifyCosign, type CosignClaim } from './verify.js';

function trustFiles(r: SigstoreSignedRequirement): TrustFile[] {
  const file = (role: string, source: MaterialSource): TrustFile => ('path' in source ? { role, path: source.path } : 'secret' in source ? { role, secret: source.secret } : { role, data: source.data, field: source.field });
  const settings = {
    keyless: r.fulcio !== undefined,
    insecureIgnoreTlog: r.insecureIgnoreTlog,
    ...(r.fulcio?.ignoreSCT ? { ignoreSCT: true } : {}),
    ...(r.fulcio?.requireSCT ? { requireSCT: true } : {}),
    ...(r.hash ? { hash: r.hash } : {}),
    ...(r.timestampAuthority ? { requireTimestamp: true } : {}),
  };
  return [
    { role: 'settings', data: Buffer.from(JSON.stringify(settings)).toString('base64'), field: 'settings' },
    ...(r.trustedRoot ? [file('trustedRoot', r.trustedRoot)] : []),
    ...r.keys.map((k) => file('key', k)),
    ...(r.fulcio?.ca ? [file('ca', r.fulcio.ca)] : []),
    ...r.rekorKeys.map((k) => file('rekor', k)),
    ...(r.timestampAuthority ? [file('tsaRoot', r.timestampAuthority)] : []),
  ];
}

export const sigstoreSigned: SignatureKind<SigstoreSignedRequirement, SigstoreTrust, CosignClaim> = {
  type: 'sigstoreSigned',
  section: 'simple',
  needs: 'signatures',
  evidence: 'cosign',
  parse: parseSigstoreSigned,

  label: (r) => (r.fulcio ? `sigstoreSigned keyless ${describeRules(r.fulcio.identities)}` : `sigstoreSigned key ${r.keys.map(describeSource).join(', ')}`),
  keyExtension: 'pub',

  key: (r, namespace) => {
    const files = trustFiles(r);
    return { secret: `sigstore:${JSON.stringify(files)}`, namespace, extension: 'pub', howToExport: 'commit cosign.pub (or the trusted root) under .gate/ and name it in the policy', files };
  },

  async trust(material) {
    let files: MaterialFile[];
    try {
      files = JSON.parse(Buffer.from(material.bytes).toString('utf8')) as MaterialFile[];
    } catch {
      return { ok: false, message: 'the trust material cannot be read (a bug in gate)' };
    }
    const built = buildTrust(files);
    if (!built.ok) return built;
    return { ok: true, value: built.trust, ids: built.ids, warnings: built.warnings };
  },

  // An attestation referrer says its predicate type; only cosign's signature predicate is a
  // signature (the annotation is a hint: the signed statement is checked again in accept).
  consumes: (blob) => isLegacyLayer(blob) || (isBundle(blob) && (blob.annotations?.[ANNOTATIONS.predicateType] ?? COSIGN_SIGN_PREDICATE) === COSIGN_SIGN_PREDICATE),

  async verify(blob, trust) {
    return verifyCosign(blob, trust);
  },

  accept(claim, { digest, intended }, requirement) {
    if (claim.format === 'bundle' && claim.predicateType !== COSIGN_SIGN_PREDICATE) {
      return { ok: false, reason: 'NO_SIGNATURE', message: `a verified attestation of predicate type ${claim.predicateType}, which is not an image signature (${COSIGN_SIGN_PREDICATE})` };
    }
    if (requirement.formats && !requirement.formats.includes(claim.format)) {
      return { ok: false, reason: 'NO_SIGNATURE', message: `a ${claim.format === 'bundle' ? 'bundle (OCI referrer)' : 'legacy .sig'} signature, which this authority does not read (signatureFormat: ${requirement.formats.join(', ')})` };
    }
    if (!claim.digests.includes(digest)) {
      return { ok: false, reason: 'DIGEST_MISMATCH', message: `Signature for digest ${claim.digests.join(', ') || '(none)'} does not match the image digest ${digest}` };
    }
    if (requirement.fulcio) {
      if (!('certificate' in claim.signer)) return { ok: false, reason: 'UNTRUSTED_KEY', message: 'signed with a key, but the policy requires a keyless signature' };
      const certificate = claim.signer.certificate;
      const results = requirement.fulcio.identities.map((rule) => matchIdentity(rule, certificate));
      if (!results.some((m) => m.ok)) {
        const failures = results.filter((m): m is Extract<typeof m, { ok: false }> => !m.ok);
        const unsupported = failures.every((m) => m.unsupported);
        const message = failures.length === 1 ? failures[0].message : `none of the ${failures.length} identities matched: ${failures.map((m, i) => `${i + 1}. ${m.message}`).join('; ')}`;
        return { ok: false, reason: unsupported ? 'UNSUPPORTED' : 'IDENTITY_MISMATCH', message };
      }
    }
    if (claim.format === 'legacy') {
      const signed = claim.dockerReference ?? '';
      if (requirement.signedIdentity && !identityMatches(requirement.signedIdentity, intended, signed)) {
        return { ok: false, reason: 'IDENTITY_MISMATCH', message: `signed for "${signed}", but the policy requires ${describeIdentityRule(requirement.signedIdentity, intended)}` };
      }
      return { ok: true, signedReference: signed };
    }
    // A bundle binds the digest only; the repository is the one it was found in.
    return { ok: true, signedReference: `${repositoryName(intended)}@${digest}` };
  },

  hint(reason, requirement, trust, { digest, intended }) {
    const image = `${repositoryName(intended)}@${digest}`;
    const how = requirement.fulcio ? `cosign sign ${image} as ${describeRules(requirement.fulcio.identities)}` : `cosign sign --key <the private key of ${trust.source}> ${image}`;
    switch (reason) {
      case 'NO_SIGNATURE':
        return `sign the digest: ${how} (cosign 3 writes a bundle referrer; --new-bundle-format=false writes the ${digest.replace(':', '-')}.sig tag, which policy-controller also reads)`;
      case 'UNTRUSTED_KEY':
        return requirement.fulcio ? `re-sign keylessly with a certificate from the Fulcio CA in ${trust.source}` : `re-sign with a trusted key (${trust.ids.join(', ')}), or commit the signer's public key under .gate/ and name it in the policy in a reviewed commit`;
      case 'IDENTITY_MISMATCH':
        return requirement.fulcio ? `sign as ${describeRules(requirement.fulcio.identities)}, or change the identity in the policy in a reviewed commit` : `re-sign the image in ${repositoryName(intended)}, or widen signedIdentity in the policy`;
      case 'DIGEST_MISMATCH':
        return `the signature belongs to other image bytes: ${how}`;
      case 'BAD_SIGNATURE':
        return `replace the broken signature: ${how}, with the transparency log reachable at signing time`;
      default:
        return '';
    }
  },

  validity(trust) {
    const m = trust.material;
    return [
      ...m.certificateAuthorities.map((ca) => ({ what: 'a Fulcio CA (its validFor)', end: ca.validFor.end })),
      ...m.timestampAuthorities.map((ca) => ({ what: 'a timestamp authority', end: ca.validFor.end })),
      ...m.tlogs.map((log) => ({ what: `the Rekor log ${log.baseURL}`, end: log.validFor.end })),
      ...m.ctlogs.map((log) => ({ what: `the CT log ${log.baseURL}`, end: log.validFor.end })),
      ...m.certificateAuthorities.flatMap((ca) => ca.certChain.map((cert) => ({ what: 'a Fulcio CA certificate (its notAfter)', end: cert.notAfter }))),
    ].filter((v) => v.end.getTime() < 8.64e15);
  },

  explain: (r, trust) => ({
    ...(r.fulcio ? { identity: describeRules(r.fulcio.identities) } : {}),
    ...(trust ? { keySource: trust.source, fingerprints: trust.ids } : {}),
  }),
};

function describeSource(source: MaterialSource): string {
  return 'path' in source ? source.path : 'secret' in source ? `Secret ${source.secret.name}` : source.field;
}
