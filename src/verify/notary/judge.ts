// The verdict of a Portieris `trust` policy on a verified Notary repository — the one file
// with every rule. Portieris patches the pod to the digest the trust data names for the tag;
// gate never mutates, so it compares instead:
//   - a tag: the digest targets/releases (else targets) signs for it must be the digest the
//     registry serves for that tag now (a tag moved after signing is a DIGEST_MISMATCH);
//   - name:tag@sha256:D: D must be the digest signed for the tag (Portieris never compares);
//   - name@sha256:D: some tag must be signed for D, with every signer (Portieris looks the
//     reference up as tag `latest` instead: under webhook parity gate also requires what
//     Portieris requires there, and says when Portieris would swap the image for latest's);
//   - signerSecrets: each signer's role signs the tag with the same digest, by a listed key
//     (signers.ts: key IDs under Portieris, the keys themselves under webhook none).
// A tag only a signer role signed has no released digest: Portieris admits it unchecked,
// gate denies. Pure: the repository, the reference, the registry's digest, the signers in;
// an outcome with a reason code out.

import type { ReasonCode } from '../verdict.js';
import { lookupTag, type SignedTag } from './lookup.js';
import type { NotaryFailure, Repository } from './repository.js';
import { checkSigners, type SignerKey, type SignerSecret } from './signers.js';

export interface TrustQuestion {
  repository: Repository;
  /** The tag as written (`latest` when the reference has neither tag nor digest), absent for name@digest. */
  tag?: string;
  /** The digest as written, if any. */
  digest?: string;
  /** For a tag without a digest: what the registry serves for it now. */
  registryDigest?: string;
  signers: readonly SignerSecret[];
  now: Date;
  /** Predict Portieris (key IDs, its `latest` lookup of digest references), or judge alone. */
  portieris: boolean;
  /** The policy's mutateImage is false (Portieris then patches nothing). */
  mutateImageOff: boolean;
}

export type TrustOutcome =
  | { ok: true; digest: string; tag: string; message: string; comparison: string }
  | { ok: false; reason: ReasonCode; message: string; hint: string; comparison?: string; digest?: string };

export function judgeTrust(q: TrustQuestion): TrustOutcome {
  return q.tag !== undefined ? judgeTag(q, q.tag) : judgeDigest(q, q.digest!);
}

function judgeTag(q: TrustQuestion, tag: string): TrustOutcome {
  const signed = signedFor(q, tag);
  if (!signed.ok) return signed;
  const expected = q.digest ?? q.registryDigest!;
  const what = q.digest !== undefined ? `the reference pins ${q.digest}` : `the registry serves ${q.registryDigest} for ${tag}`;
  const comparison = `trust data: ${tag} → ${signed.digest} (${signed.role}); ${what}`;
  if (signed.digest !== expected) {
    return {
      ok: false,
      reason: 'DIGEST_MISMATCH',
      message: `the trust data of ${q.repository.gun} signs ${tag} as ${signed.digest} (${signed.role}), but ${what}${q.digest === undefined ? ': the tag moved after it was signed' : ''}`,
      hint: q.digest !== undefined
        ? `pin the digest the trust data signs (${signed.digest}), or sign ${tag} for ${q.digest}`
        : `sign ${tag} again for the image it now points to (docker trust sign, or notary addhash ${q.repository.gun} ${tag} <size> --sha256 ${expected.slice(7)}), or point the tag back to ${signed.digest}`,
      comparison,
      digest: expected,
    };
  }
  return { ok: true, digest: expected, tag, message: `${q.repository.gun}:${tag} is signed for ${expected} in ${signed.role}${q.signers.length ? ` and by ${signerList(q)}` : ''}, the digest ${q.digest !== undefined ? 'pinned' : 'the registry serves'}`, comparison };
}

function judgeDigest(q: TrustQuestion, digest: string): TrustOutcome {
  // gate's rule: a tag released for exactly this digest, with every signer.
  const tags = [...new Set(q.repository.roles.flatMap((role) => [...role.targets.keys()]))].sort();
  const released = tags.filter((tag) => {
    const found = lookupTag(q.repository, tag);
    return found.ok && found.digest === digest;
  });
  const parsed = new Map<string, SignerKey>();
  const checks = released.map((tag) => ({ tag, signers: checkSigners(q.repository, tag, digest, q.signers, q.now, q.portieris, parsed) }));
  const signedTags = checks.filter((c) => c.signers.ok).map((c) => c.tag);
  if (signedTags.length === 0) {
    const refused = checks.find((c) => !c.signers.ok)?.signers;
    if (refused && !refused.ok) {
      return { ok: false, reason: refused.reason, message: `${digest} is released as ${released.join(', ')}, but not by every signer: ${refused.message}`, hint: refused.hint ?? 'sign the tag as each signer of the policy', digest };
    }
    return {
      ok: false,
      reason: 'TRUST_NOT_SIGNED',
      message: `no tag in the trust data of ${q.repository.gun} is signed for ${digest} (${tags.length} signed tag${tags.length === 1 ? '' : 's'} read)`,
      hint: `sign a tag for this digest (docker trust sign ${q.repository.gun}:<tag> for the image, or notary addhash ${q.repository.gun} <tag> <size> --sha256 ${digest.slice(7)}), or pin the digest a signed tag stands for`,
      digest,
    };
  }
  const comparison = `trust data: ${signedTags.join(', ')} → ${digest}`;
  if (q.portieris) {
    // Portieris reads name@sha256:D as tag latest, and with mutateImage patches the pod to latest's digest.
    const latest = signedFor(q, 'latest');
    if (!latest.ok) {
      return { ...latest, message: `${latest.message} — Portieris looks a digest reference up as tag latest (gate found ${digest} signed as ${signedTags.join(', ')})`, hint: `sign latest as well, or write the image as ${q.repository.gun}:${signedTags[0]} (Portieris checks the tag written; gate then compares its digest with the registry's)`, digest };
    }
    if (!q.mutateImageOff && latest.digest !== digest) {
      return {
        ok: false,
        reason: 'MUTATES_IMAGE',
        message: `Portieris looks ${q.repository.gun}@${digest} up as tag latest and would rewrite the image to latest's signed digest ${latest.digest}: the pod would run another image than the one written`,
        hint: `write the image as ${q.repository.gun}:${signedTags[0]}, or set mutateImage: false in the policy entry (Portieris then admits the digest without checking it; gate still does)`,
        comparison,
        digest,
      };
    }
  }
  return { ok: true, digest, tag: signedTags[0], message: `${digest} is signed in the trust data of ${q.repository.gun} as ${signedTags.join(', ')}${q.signers.length ? `, by ${signerList(q)}` : ''}`, comparison };
}

/** The released digest of a tag, with every signer's agreement, or why not. */
function signedFor(q: TrustQuestion, tag: string): { ok: true; digest: string; role: string; entries: SignedTag[] } | Extract<TrustOutcome, { ok: false }> {
  const found = lookupTag(q.repository, tag);
  if (!found.ok) {
    if (found.reason === 'no-released-role') {
      const sha512Only = found.message.includes('without a sha256');
      return { ok: false, reason: 'TRUST_RELEASE_MISSING', message: found.message, hint: sha512Only ? `sign ${tag} again with a sha256 digest (docker trust sign writes one; notary addhash --sha256)` : `sign ${tag} into targets/releases (docker trust sign does; notary addhash --roles targets/releases) or targets` };
    }
    // Only a delegation that could have signed the tag (its paths cover it) makes it more than unsigned.
    const leftOut = q.repository.leftOut.filter((role) => role.paths.some((prefix) => tag.startsWith(prefix)));
    if (leftOut.length > 0) {
      return {
        ok: false,
        reason: 'TRUST_DELEGATION_INVALID',
        message: `No valid trust data for ${tag}: ${leftOut.map((role) => `${role.name} left out: ${role.why}`).join('; ')}`,
        hint: 'the delegation that would sign it is expired or not signed by its own keys: re-sign it (notary witness, or publish again with a key the delegation lists)',
      };
    }
    return { ok: false, reason: 'TRUST_NOT_SIGNED', message: `No valid trust data for ${tag} in ${q.repository.gun}`, hint: `sign it: docker trust sign ${q.repository.gun}:${tag} (or notary addhash)` };
  }
  const signers = checkSigners(q.repository, tag, found.digest, q.signers, q.now, q.portieris);
  if (!signers.ok) return { ok: false, reason: signers.reason, message: signers.message, hint: signers.hint ?? 'sign the tag with the signer\'s key, or correct the Secret' };
  return { ok: true, digest: found.digest, role: found.released, entries: found.entries };
}

function signerList(q: TrustQuestion): string {
  return q.signers.map((s) => s.name).join(', ');
}

/** The reason code of a repository that could not be read and verified. */
export function failureReason(failure: NotaryFailure): ReasonCode {
  switch (failure.kind) {
    case 'no-trust-data':
      return 'TRUST_NOT_SIGNED';
    case 'expired':
      return 'TRUST_EXPIRED';
    case 'rollback':
      return 'TRUST_ROLLBACK';
    case 'pin':
      return 'TRUST_ROOT_MISMATCH';
    case 'threshold':
    case 'hash':
    case 'root':
    case 'malformed':
      return 'TRUST_DATA_INVALID';
  }
}

/** What to do about a repository that could not be read and verified. */
export function failureHint(failure: NotaryFailure, gun: string): string {
  switch (failure.kind) {
    case 'no-trust-data':
      return `publish trust data for ${gun} (docker trust sign, or notary init + publish), or check the policy's trustServer`;
    case 'expired':
      return 'the trust data is out of date: the repository owner must re-publish it (notary publish re-signs; a server-managed timestamp is refreshed by the server)';
    case 'rollback':
      return 'the trust server serves older metadata than gate has seen: a rollback or a server restored from a backup; do not deploy until its owner explains it';
    case 'pin':
      return `the root of ${gun} is not the pinned one: if its owner rotated the root on purpose, update trustPinning in .gate/config.yaml (gate init --trust-server <url> --gun ${gun} prints the current root's IDs)`;
    case 'threshold':
    case 'hash':
    case 'root':
    case 'malformed':
      return 'the trust data does not verify: it was tampered with or corrupted on the way; do not deploy until the repository owner re-publishes it';
  }
}
