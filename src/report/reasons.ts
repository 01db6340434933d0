// What each reason code means and what to do about it, in one place: the SARIF rules,
// the Markdown summary and `gate explain` read their texts from here.

import type { ReasonCode } from '../verify/verdict.js';

export interface ReasonInfo {
  /** PascalCase name (SARIF `rule.name`). */
  name: string;
  /** One sentence. */
  summary: string;
  /** What to do. */
  help: string;
  /** 0–10, for GitHub code scanning's severity (`security-severity`). */
  severity: number;
}

const info = (name: string, severity: number, summary: string, help: string): ReasonInfo => ({ name, severity, summary, help });

export const REASONS: Readonly<Record<ReasonCode, ReasonInfo>> = {
  SIGNED: info('Signed', 0,
    'Every signedBy requirement of the policy is met by a valid signature.',
    'Nothing to do.'),
  ACCEPT_ANYTHING: info('AcceptAnything', 0,
    'The policy that applies asks for no signature (insecureAcceptAnything, or no simple requirements).',
    'Nothing to do, unless these images should be signed: then give the repository pattern a signedBy requirement.'),
  EXEMPT: info('Exempt', 2.0,
    'An exemption in .gate/config.yaml covers this image until its expiry date: it was not verified.',
    'Sign the image and remove the exemption before it expires; an expired exemption no longer lets an unsigned image through.'),
  NO_POLICY: info('NoPolicy', 7.0,
    'No ImagePolicy or ClusterImagePolicy repository pattern matches the image as written, so Portieris would deny it.',
    'Add a repository pattern for the image to a policy in .gate/policies/ (an ImagePolicy in a namespace shuts out the ClusterImagePolicies there), or use an image a policy covers.'),
  REJECTED_BY_POLICY: info('RejectedByPolicy', 7.0,
    'The policy that applies has a reject requirement for this repository.',
    'Use an image from a repository the policy allows, or change the policy in a reviewed commit.'),
  NO_SIGNATURE: info('NoSignature', 8.0,
    'The policy requires a signature, and none was found where gate looked (the message says where).',
    'Sign the image digest with a key of the keySecret (skopeo copy --sign-by, or skopeo standalone-sign) and publish the signature in the lookaside or registry the policy reads.'),
  UNTRUSTED_KEY: info('UntrustedKey', 8.5,
    'The image is signed, but not by a key of the keySecret the policy names.',
    'Re-sign with a trusted key, or add the signer\'s public key to .gate/keys/ in a reviewed commit.'),
  BAD_SIGNATURE: info('BadSignature', 8.5,
    'A signature is corrupt, expired, made by a revoked or weak key, or carries a malformed payload.',
    'Sign the image again with a valid, unexpired key and replace the broken signature.'),
  IDENTITY_MISMATCH: info('IdentityMismatch', 8.5,
    'A valid signature exists, but for another image name than the policy\'s signedIdentity allows.',
    'Sign the image under the name it is deployed as, or widen signedIdentity (matchRepository, remapIdentity) in a reviewed commit.'),
  DIGEST_MISMATCH: info('DigestMismatch', 8.5,
    'A valid signature exists, but for other manifest bytes than the image has.',
    'Sign the digest that is deployed; a re-pushed tag needs a new signature.'),
  NOT_PINNED: info('NotPinned', 5.0,
    'The image is referenced by tag where a digest is required (requireDigest), or its tag cannot be resolved (offline).',
    'Pin the image by digest as name@sha256:… (without the tag: Portieris refuses a tag and a digest together) — gate pin writes the verified digests into the manifests for review.'),
  AUTH_FAILED: info('AuthFailed', 3.0,
    'The registry or lookaside refused every credential gate tried; no verdict was reached.',
    'Give gate a pull secret or auth file that can read the repository (the message lists what was tried).'),
  THROTTLED: info('Throttled', 3.0,
    'The registry kept answering 429 or 5xx within the time budget; no verdict was reached.',
    'Retry later, lower --registry-concurrency, or authenticate to get a higher rate limit.'),
  UNREACHABLE: info('Unreachable', 3.0,
    'The registry or signature store could not be reached or gave a broken answer; no verdict was reached.',
    'Check the host name, network and TLS trust (.gate/certs.d/ or --ca-file), then run again.'),
  TIMEOUT: info('Timeout', 3.0,
    'A request, or the whole run, took longer than allowed; no verdict was reached.',
    'Raise --request-timeout or --timeout (the plugin parameter timeout under Argo CD), or check why the registry is slow.'),
  INVALID_REFERENCE: info('InvalidReference', 6.0,
    'The image is not a reference Portieris and containers/image can verify (a placeholder, an empty image, a tag and a digest together, an unknown tag).',
    'Write a valid reference: [registry/]repository:tag or [registry/]repository@sha256:<digest>; check rendered manifests rather than templates.'),
  MUTATES_IMAGE: info('MutatesImage', 5.0,
    'Portieris would admit the image but rewrite it to <name>@sha256:<digest> in the object it admits, because the policy does not set mutateImage: false; Argo CD then sees the live object differ from Git, and the app never stops being OutOfSync.',
    'Set mutateImage: false in the policy\'s repository entry (gate has checked the signature before the sync, so the rewrite buys nothing), or pin the image as <name>@sha256:<digest> with its full name.'),
  KEY_NOT_DEPLOYED: info('KeyNotDeployed', 7.0,
    'The signatures verify with a key gate keeps in .gate/keys/, but nothing says the cluster holds the Secret Portieris reads the key from (keySecret in the workload\'s namespace, or keySecretNamespace); without it Portieris denies the pod.',
    'Create the Secret (kubectl create secret generic <keySecret> --from-file=key=.gate/keys/<keySecret>.asc -n <namespace>), then add it to the manifests, declare it in .gate/config.yaml keySecrets, or check with --cluster.'),
  SIGNATURES_NOT_PUBLISHED: info('SignaturesNotPublished', 7.0,
    'The signatures verify in a lookaside that only gate reads (a registries.d lookaside, such as skopeo\'s local /var/lib/containers/sigstore); Portieris reads only the policy\'s storeURL, else the registry\'s signature API, and would find no signature.',
    'Publish the lookaside over https and set simple.storeURL in the policy (and declare a local mirror of it in .gate/config.yaml signatureStores.mirrors for offline runs), push the signatures to a registry with a signature API, or opt the scope into gate-only evidence (signatureStores.gateOnly).'),
  TRUST_NOT_SIGNED: info('TrustNotSigned', 8.0,
    'Content trust (Notary v1): the trust server has no trust data for the repository, no valid role signs the tag, or no signed tag stands for the pinned digest.',
    'Sign the tag (docker trust sign <image>:<tag>, or notary addhash), and check the policy\'s trustServer.'),
  TRUST_RELEASE_MISSING: info('TrustReleaseMissing', 8.0,
    'Content trust: only a signer role (targets/<name>) signs the tag; only targets/releases and targets name the digest a tag stands for (Portieris would admit it unchecked).',
    'Sign the tag into targets/releases (docker trust sign does so for a signer with a releases delegation) or targets.'),
  TRUST_DELEGATION_INVALID: info('TrustDelegationInvalid', 8.0,
    'Content trust: no valid role signs the tag, and a delegation was left out because it has expired or is not signed by the keys its parent lists.',
    'Re-sign the delegation with a key it lists (notary witness), or publish again.'),
  TRUST_EXPIRED: info('TrustExpired', 7.0,
    'Content trust: the root, timestamp, snapshot or targets metadata has expired.',
    'The repository owner must re-publish the trust data; a server-managed timestamp is refreshed by the server.'),
  TRUST_DATA_INVALID: info('TrustDataInvalid', 9.0,
    'Content trust: the metadata does not verify (tampered, swapped, under its signature threshold, or a root certificate that does not name the repository).',
    'Do not deploy: the trust data was altered or corrupted; the repository owner must re-publish it.'),
  TRUST_ROLLBACK: info('TrustRollback', 9.0,
    'Content trust: the server serves older metadata than gate has seen before (kept in the evidence cache).',
    'Do not deploy until the trust server\'s owner explains the older data (a rollback attack, or a restored backup).'),
  TRUST_ROOT_MISMATCH: info('TrustRootMismatch', 9.0,
    'Content trust: the repository\'s root is not the one pinned in .gate/config.yaml trustPinning.',
    'If the owner rotated the root on purpose, update the pin in a reviewed commit (gate init --trust-server <url> --gun <gun> prints the current root\'s IDs); otherwise do not deploy.'),
  TRUST_SERVER_UNKNOWN: info('TrustServerUnknown', 6.0,
    'Content trust: the policy names no trustServer, and Portieris\' built-in map (docker.io, quay.io) has none for the registry.',
    'Set trust.trustServer in the policy to the notary server of the registry.'),
  SIGNER_MISSING: info('SignerMissing', 8.0,
    'Content trust: a signer named in signerSecrets has no valid delegation role, or its role does not sign the tag.',
    'Sign the tag as that signer (docker trust sign with its key, or notary addhash --roles targets/<name>), or remove the signer from the policy.'),
  TRUST_SIMPLE_CONFLICT: info('TrustSimpleConflict', 6.0,
    'The policy has both trust and simple requirements: Portieris compares their digests by identity and so denies every such image ("Notary signs conflicting digest").',
    'Split the policy: one repository pattern with trust, another with simple — or, when no Portieris enforces these images, say webhook: none (gate then ANDs both with a correct digest comparison).'),
  UNSUPPORTED: info('Unsupported', 6.0,
    'The policy asks for something gate cannot evaluate (Vulnerability Advisor, a cosign feature out of reach), or the signatures are out of its reach.',
    'Use simple signing for these images, or remove what gate cannot check from the policy it reads.'),
};

/** In the order the README lists them. */
export const REASON_CODES = Object.keys(REASONS) as ReasonCode[];
