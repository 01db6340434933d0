// Every verdict gate reaches without evidence, in the order Portieris reaches it: the
// image reference (both grammars), which policy applies (NO_POLICY), what the policy
// decides alone (trust, Vulnerability Advisor, reject, insecureAcceptAnything, a
// requirement no kind evaluates), a tag that cannot be resolved offline, a tag where a
// digest is required (NOT_PINNED), and the rule that manifests cannot loosen .gate/.
// Pure: data in, verdicts out. Verdicts on evidence are in verify/evaluate.ts and the
// kinds; verdicts on transport failures in engine/failures.ts.

import { parseReference, referenceString, repositoryName, type ImageReference } from '../reference/reference.js';
import type { KindRegistry, Requirement, SignatureKind, TrustDataKind } from '../verify/kind.types.js';
import { insecureAcceptAnything } from '../verify/portieris/accept-anything.js';
import { allow, deny, type Verdict } from '../verify/verdict.js';
import { selectPolicy } from './select.js';
import type { Policy, PolicyResource, PolicySet } from './types.js';

export type Admitted<T> = { ok: true; value: T } | { ok: false; verdict: Verdict };

/** The image as Portieris reads it (docker/distribution's grammar): the reference every later step uses. */
export function admitReference(image: string): Admitted<ImageReference> {
  const parsed = parseReference(image);
  if (!parsed.ok) {
    return refused(deny('INVALID_REFERENCE', `invalid image name: ${parsed.message}`,
      /\$\(|\{\{|\$\{|^ko:\/\//.test(image)
        ? 'this is a placeholder: check the rendered manifests (helm template, kustomize build, the pipeline run) rather than the template'
        : 'use a valid reference: [registry/]repository[:tag] or [registry/]repository@sha256:<digest>'));
  }
  if (parsed.ref.digest !== undefined && !parsed.ref.digest.startsWith('sha256:')) {
    // Portieris reads digests as "@sha256:" only; any other algorithm makes its webhook fail, which denies.
    return refused(deny('INVALID_REFERENCE', `"${parsed.ref.digest.split(':')[0]}" digests are not supported by Portieris (only sha256)`, 'pin the image by its sha256 digest'));
  }
  return { ok: true, value: parsed.ref };
}

/** No pattern matched: where one for this image would go, and whether one matches the normalised name. */
export function noPolicy(message: string, image: string, namespace: string, ref: ImageReference, scope: 'namespace' | 'cluster' | 'none', policies: PolicySet): Verdict {
  const where = scope === 'namespace' ? `an ImagePolicy of namespace "${namespace}"` : 'a ClusterImagePolicy in .gate/policies/';
  const slash = image.lastIndexOf('/');
  const suggestion = slash > 0 ? `${image.slice(0, slash)}/*` : image.replace(/[:@].*$/, '');
  const normalised = referenceString(ref);
  const hint = normalised !== image && selectPolicy(normalised, namespace, policies).found
    ? `a pattern matches "${normalised}", but Portieris compares the image string as written: write the image as "${normalised}", or add a pattern such as "${suggestion}" to ${where}`
    : `add a repository pattern such as "${suggestion}" to ${where}`;
  return deny('NO_POLICY', message, hint);
}

/** No ClusterImagePolicy of policy.sigstore.dev matches: policy-controller's no-match-policy denies by default. */
export function noSigstorePolicy(image: string): Verdict {
  const slash = image.lastIndexOf('/');
  const glob = slash > 0 ? `${image.slice(0, slash)}/**` : image.replace(/[:@].*$/, '');
  return deny(
    'NO_POLICY',
    `no ClusterImagePolicy (policy.sigstore.dev) matches "${image}": policy-controller denies an image no policy matches (its default no-match-policy); gate checks every namespace, including those the webhook sees only with the label policy.sigstore.dev/include: "true"`,
    `add an image glob such as "${glob}" to a ClusterImagePolicy in .gate/policies/ (globs match the name as policy-controller writes it: index.docker.io/library/… for Docker Hub, then @sha256:…)`,
  );
}

/** A requirement that needs signatures, with its kind. */
export interface PendingRequirement {
  requirement: Requirement;
  kind: SignatureKind;
}

/** Portieris' trust section, enabled: its evidence is a Notary repository (engine/notary-trust.ts). */
export interface PendingTrust {
  requirement: Requirement;
  kind: TrustDataKind;
}

export type Preflight =
  | { done: true; verdict: Verdict }
  | {
      done: false;
      ref: ImageReference;
      pending: PendingRequirement[];
      trustData?: PendingTrust;
      /** The policy has simple requirements (met without evidence or not): with trust, Portieris denies (its digest comparison). */
      simpleConfigured: boolean;
    };

/**
 * What the policy decides before any evidence, dispatched through the kinds (never on
 * a type string). `image` is the image string as written; `pattern` the repository
 * pattern that chose `policy`. ACCEPT_ANYTHING comes only from an empty requirement
 * list or from requirements all met without evidence (insecureAcceptAnything), as in
 * Portieris; a requirement no registered kind evaluates is UNSUPPORTED.
 */
export function preflight(policy: Policy, image: string, pattern: string, kinds: KindRegistry): Preflight {
  const done = (verdict: Verdict): Preflight => ({ done: true, verdict });
  if (policy.trust) {
    const alone = decideAlone(policy.trust, kinds, pattern);
    if (alone && !alone.allowed) return done(alone);
  }
  if (policy.vulnerabilityEnabled) {
    return done(deny('UNSUPPORTED', `the policy for "${pattern}" enables IBM Vulnerability Advisor checks (vulnerability.ICCRVA.enabled), which gate cannot evaluate`,
      'remove the vulnerability section from the policy gate reads, or verify these images in the cluster only'));
  }
  const simple = policy.simple?.requirements ?? [];
  if (simple.length === 0 && !policy.trust) {
    return done(allow('ACCEPT_ANYTHING', `the policy for "${pattern}" has no simple requirements: Portieris admits it without checking signatures`));
  }
  const trustKind = policy.trust && Object.hasOwn(kinds, policy.trust.type) ? kinds[policy.trust.type] : undefined;
  const trustData = policy.trust && trustKind?.needs === 'trust-data' ? { requirement: policy.trust, kind: trustKind } : undefined;
  if (simple.length === 0 && trustData) {
    // Trust alone never reaches containers/image: Portieris reads the reference itself (name, tag).
    const parsed = parseReference(image);
    if (!parsed.ok) return done(deny('INVALID_REFERENCE', `invalid image name: ${parsed.message}`));
    return { done: false, ref: parsed.ref, pending: [], trustData, simpleConfigured: false };
  }
  // From here on Portieris hands the image to containers/image, which parses it again
  // with its own grammar and refuses what that grammar refuses, whatever the requirements.
  const parsed = parseReference(image, 'containers-image');
  if (!parsed.ok) {
    return done(deny('INVALID_REFERENCE', `containers/image, which verifies signatures for Portieris, cannot read "${image}": ${parsed.message}`,
      'write the image with a lower-case repository, and a registry host that has a "." or ":" or is localhost'));
  }
  const ref = parsed.ref;
  if (ref.tag !== undefined && ref.digest !== undefined) {
    return done(deny('INVALID_REFERENCE', 'Docker references with both a tag and digest are currently not supported (containers/image, and so Portieris, refuse them)',
      `use "${repositoryName(ref)}@${ref.digest}" without the tag`));
  }
  const pending: PendingRequirement[] = [];
  let accepted: Verdict | undefined;
  for (const requirement of [...(policy.trust && !trustData ? [policy.trust] : []), ...simple]) {
    const kind = kinds[requirement.type];
    if (kind?.needs === 'signatures') {
      pending.push({ requirement, kind });
      continue;
    }
    const alone = decideAlone(requirement, kinds, pattern)!;
    if (!alone.allowed) return done(alone);
    accepted ??= alone;
  }
  if (pending.length === 0 && !trustData) return done(accepted!);
  return { done: false, ref, pending, ...(trustData ? { trustData } : {}), simpleConfigured: simple.length > 0 };
}

/**
 * The outcome of a requirement whose kind decides without evidence; undefined when it
 * needs evidence. The one allow is Portieris' insecureAcceptAnything, recognised by
 * identity: another kind of that shape, or a type no kind knows, is UNSUPPORTED.
 */
function decideAlone(requirement: Requirement, kinds: KindRegistry, pattern: string): Verdict | undefined {
  const kind = Object.hasOwn(kinds, requirement.type) ? kinds[requirement.type] : undefined;
  switch (kind?.needs) {
    case 'signatures':
    case 'trust-data':
      return undefined;
    case 'nothing': {
      const denial = kind.deny(requirement, pattern);
      return deny(denial.reason, denial.message, denial.hint);
    }
    case 'no-evidence-accepted':
      if (kind === insecureAcceptAnything) return allow('ACCEPT_ANYTHING', kind.message(pattern));
      break;
    case undefined:
      break;
  }
  return deny('UNSUPPORTED', `the policy for "${pattern}" has a "${requirement.type}" requirement, which this gate cannot evaluate`,
    'upgrade gate, or leave these images to the in-cluster webhook and exempt them here');
}

/** A tag whose digest gate cannot establish: signatures cover digests, and offline no registry says which. */
export function offlineTag(ref: ImageReference): Verdict {
  return deny('NOT_PINNED', `"${referenceString(ref)}" is a tag: gate needs a registry to resolve the tag to the digest that signatures cover, and this run is offline`,
    `pin the image by digest: image: ${repositoryName(ref)}@sha256:<digest> (skopeo inspect --format '{{.Digest}}' docker://${referenceString(ref)})`);
}

/** Where a digest is required for a tag: the run (`--require-digest`, config.yaml), else the policy's annotation. */
export function digestRequiredBy(runWide: string | undefined, resource: PolicyResource | undefined): string | undefined {
  return runWide ?? (resource?.requireDigest ? `the annotation gate/require-digest of ${resource.kind}/${resource.name}` : undefined);
}

/** What became of the digest form of an allowed tag: the pin to offer, or why not. */
export type PinOutcome = { kind: 'verified'; pin: string } | { kind: 'denied'; pinned: string; verdict: Verdict } | { kind: 'none' };

/**
 * The verdict for a tag that the policy allows, where `required` (digestRequiredBy)
 * says a digest is required: NOT_PINNED, with the verified digest to pin when there is
 * one. `name` is the image as written without its tag.
 */
export function requireDigest(image: string, name: string, verdict: Verdict, required: string, pin: PinOutcome): Verdict {
  const tag = `"${image}" is a tag, and ${required} requires a digest`;
  switch (pin.kind) {
    case 'verified':
      return deny('NOT_PINNED', `${tag}; it points to ${verdict.digest}, whose signature verified`, `pin it: image: ${pin.pin} (gate pin writes this into the manifests for review)`, verdict.digest);
    case 'denied':
      return deny('NOT_PINNED', `${tag}; it points to ${verdict.digest}, but "${pin.pinned}" would be denied (${pin.verdict.reason}: ${pin.verdict.message})`, 'make the policy accept the digest form (its repository pattern and signedIdentity), then pin it', verdict.digest);
    case 'none':
      return deny('NOT_PINNED', `${tag}; the policy asks for no signature, so gate has no verified digest to offer`, `pin it by hand: image: ${name}@sha256:<digest> (skopeo inspect --format '{{.Digest}}' docker://${image}); gate pin writes only digests whose signatures it verified`);
  }
}

/**
 * Policies in the manifests may make a verdict stricter, never looser: when the .gate/
 * policies alone deny what all policies together allow, the .gate/ denial stands.
 */
export function cannotLoosen(gate: Verdict): Verdict {
  return { ...gate, message: `${gate.message} (the .gate/ policies deny it; a policy in the manifests would allow it, but manifests cannot loosen .gate/)` };
}

function refused<T>(verdict: Verdict): Admitted<T> {
  return { ok: false, verdict };
}
