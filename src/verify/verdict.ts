// Every image use ends in a Verdict: allow or deny, one reason code a machine can act
// on, a message a person can act on. DESIGN.md §3 lists the codes; this file says
// what each one means and which exit code it leads to.

export type ReasonCode =
  | 'SIGNED' // every requirement passed on a valid signature
  | 'ACCEPT_ANYTHING' // the policy asks for no signature (insecureAcceptAnything, or no simple requirements)
  | 'EXEMPT' // an unexpired exemption in .gate/config.yaml covers it: not verified
  | 'NO_POLICY' // no ImagePolicy / ClusterImagePolicy pattern matches: Portieris denies
  | 'REJECTED_BY_POLICY' // a `reject` requirement
  | 'NO_SIGNATURE' // no simple-signing signature where the policy says to look
  | 'UNTRUSTED_KEY' // signed, but by a key the policy does not trust
  | 'BAD_SIGNATURE' // corrupt, expired, revoked, malformed payload, unreadable blob
  | 'IDENTITY_MISMATCH' // a valid signature for another image identity
  | 'DIGEST_MISMATCH' // a valid signature for other manifest bytes
  | 'NOT_PINNED' // a tag where a digest is required (requireDigest), or whose digest gate cannot establish (offline)
  | 'AUTH_FAILED'
  | 'THROTTLED'
  | 'UNREACHABLE' // a signature store or registry that could not be read
  | 'TIMEOUT'
  | 'INVALID_REFERENCE' // not an image reference Portieris/containers-image can verify
  | 'MUTATES_IMAGE' // Portieris would admit it but rewrite the tag to a digest (mutateImage not false): Argo CD OutOfSync for ever
  | 'KEY_NOT_DEPLOYED' // the key is only in gate's configuration, not in the Secret Portieris reads
  | 'SIGNATURES_NOT_PUBLISHED' // the signatures are where gate reads them, not where Portieris does (storeURL, else the registry's signature API)
  | 'TRUST_NOT_SIGNED' // Notary v1: no trust data for the repository, the tag is in no valid role, or no tag is signed for the pinned digest
  | 'TRUST_RELEASE_MISSING' // Notary v1: only a signer role (targets/<name>) signs the tag: no released digest
  | 'TRUST_DELEGATION_INVALID' // Notary v1: the tag is in no valid role, and a delegation was left out (expired, under its threshold)
  | 'TRUST_EXPIRED' // Notary v1: the root, timestamp, snapshot or targets metadata has expired
  | 'TRUST_DATA_INVALID' // Notary v1: metadata tampered, swapped, under its signature threshold, or a root whose certificate does not name the repository
  | 'TRUST_ROLLBACK' // Notary v1: older metadata than gate has seen (evidence cache)
  | 'TRUST_ROOT_MISMATCH' // Notary v1: the root is not the one pinned in .gate/config.yaml trustPinning
  | 'TRUST_SERVER_UNKNOWN' // Notary v1: the policy names no trustServer and Portieris' built-in map has none for the registry
  | 'SIGNER_MISSING' // Notary v1: a signer of signerSecrets has no valid delegation, or it does not sign the tag
  | 'TRUST_SIMPLE_CONFLICT' // Portieris denies every image whose policy has both trust and simple requirements
  | 'UNSUPPORTED'; // a policy feature gate cannot evaluate (Vulnerability Advisor, a cosign feature), so it denies

export interface Verdict {
  allowed: boolean;
  reason: ReasonCode;
  /** What is wrong (expected vs actual). */
  message: string;
  /** What to do about it. */
  hint?: string;
  /** The manifest digest the verdict is about, when known. */
  digest?: string;
  /** SIGNED: who signed, one per requirement (fingerprints for signedBy). */
  signers?: string[];
}

export function allow(reason: ReasonCode, message: string, digest?: string): Verdict {
  return { allowed: true, reason, message, digest };
}

export function deny(reason: ReasonCode, message: string, hint?: string, digest?: string): Verdict {
  return { allowed: false, reason, message, hint, digest };
}

/** Denials that say "could not find out", not "the evidence says no". */
const INCOMPLETE: ReadonlySet<ReasonCode> = new Set(['AUTH_FAILED', 'THROTTLED', 'UNREACHABLE', 'TIMEOUT']);

export function isIncomplete(reason: ReasonCode): boolean {
  return INCOMPLETE.has(reason);
}

/**
 * Exit codes (DESIGN.md §3): 0 all allowed; 1 a denial on the evidence; 3 a verdict
 * could not be reached. A denial on the evidence wins over an incomplete one: retrying
 * cannot fix it. Exit 2 (bad input) never gets this far.
 */
export function exitCodeFor(outcomes: ReadonlyArray<Pick<Verdict, 'allowed' | 'reason'>>): 0 | 1 | 3 {
  const denied = outcomes.filter((v) => !v.allowed);
  if (denied.length === 0) return 0;
  return denied.some((v) => !isIncomplete(v.reason)) ? 1 : 3;
}

/**
 * When several signatures were all refused, the summary reason is the one that got
 * furthest: a valid signature for the wrong image tells more than a corrupt blob.
 */
export const SIGNATURE_FAILURE_RANK: ReasonCode[] = ['IDENTITY_MISMATCH', 'DIGEST_MISMATCH', 'BAD_SIGNATURE', 'UNTRUSTED_KEY'];
