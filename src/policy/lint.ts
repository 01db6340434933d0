// What `gate policy lint` finds in policies and exemptions that are valid but cannot
// work as written. Pure: data and the clock in, findings out.
//  - a pattern that never wins: the same pattern (runs of "*" counted as one) earlier in
//    the same scope (selection takes the first of equals, in API order by policy name);
//  - a pattern no valid image can match (a scheme, upper case in the path, spaces);
//  - a pattern for Docker Hub written in full, which images written short never match;
//  - exemptions that expired, expire soon, or can match nothing;
//  - entries without storeURL whose repositories a registries.d lookaside covers (Portieris
//    reads none), mirrors no policy uses, gate-only scopes registries.d does not have.

import { parseReference } from '../reference/reference.js';
import { exemptionEnd, hasExpired } from './exemptions.js';
import { inApiOrder } from './select.js';
import type { RegistriesConfig } from './registries-d.js';
import { normalGun, pinFor, type Exemption, type GateSettings, type RuleLevel, type TrustPin, type Webhook } from './settings.js';
import type { NotaryTrustRequirement } from '../verify/notary/kind.js';
import { trustServerFor } from '../verify/notary/server.js';
import { compile, isAnchored } from '../verify/sigstore/identity.js';
import type { Origin, PolicyResource, PolicySet } from './types.js';
import { patternMatchesImage } from './wildcard.js';

export interface Finding {
  level: 'error' | 'warning';
  file: string;
  line: number;
  message: string;
}

const SOON_DAYS = 14;
/** Trust material that ends within this many days is said by lint. */
const TRUST_SOON_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export function lintPolicies(policies: PolicySet): Finding[] {
  const findings: Finding[] = [];
  // One pass to group by namespace (a filter per namespace is quadratic in the number of policies).
  const byNamespace = new Map<string, PolicyResource[]>();
  for (const policy of policies.imagePolicies) {
    const key = policy.namespace ?? '';
    const same = byNamespace.get(key);
    if (same) same.push(policy);
    else byNamespace.set(key, [policy]);
  }
  const groups: Array<[string, PolicyResource[]]> = [['the ClusterImagePolicies', policies.clusterImagePolicies]];
  for (const [ns, resources] of byNamespace) groups.push([`the ImagePolicies of namespace ${ns}`, resources]);
  for (const [scope, resources] of groups) {
    const first = new Map<string, { resource: PolicyResource; origin: Origin; name: string }>();
    for (const resource of inApiOrder(resources)) {
      for (const rule of resource.repositories) {
        // "a**" matches what "a*" matches, with the same score: the same pattern.
        const same = rule.name.replace(/\*+/g, '*');
        const earlier = first.get(same);
        if (earlier) {
          findings.push(error(rule.origin, `${resource.kind}/${resource.name}: pattern "${rule.name}" is never chosen: ${earlier.resource.kind}/${earlier.resource.name} (${earlier.origin.file}:${earlier.origin.line}) has the same pattern ("${earlier.name}") and comes first among ${scope} (by name)`));
        } else first.set(same, { resource, origin: rule.origin, name: rule.name });
        for (const finding of patternFindings(rule.name, rule.origin, `${resource.kind}/${resource.name}: pattern`)) findings.push(finding);
      }
    }
  }
  return findings;
}

/**
 * Repository entries whose policy Portieris enforces by rewriting images to digests
 * (simple requirements or trust, mutateImage not false): the Argo CD OutOfSync loop.
 * `level` is the mutate-image rule's (.gate/config.yaml rules; off under webhook: none).
 */
export function lintMutation(policies: PolicySet, level: RuleLevel): Finding[] {
  if (level === 'off') return [];
  const findings: Finding[] = [];
  for (const resource of [...policies.clusterImagePolicies, ...policies.imagePolicies]) {
    for (const rule of resource.repositories) {
      const { policy } = rule;
      if (policy.mutateImage === false || ((policy.simple?.requirements ?? []).length === 0 && !policy.trust)) continue;
      const message = `${resource.kind}/${resource.name} repository "${rule.name}" does not set mutateImage: false: Portieris rewrites every image it admits there to <name>@sha256:<digest>, and Argo CD then never stops seeing the live objects differ from Git (OutOfSync); set mutateImage: false in this entry`;
      findings.push(level === 'deny' ? error(rule.origin, message) : warning(rule.origin, message));
    }
  }
  return findings;
}

export function lintExemptions(exemptions: readonly Exemption[], now: Date): Finding[] {
  const findings: Finding[] = [];
  for (const e of exemptions) {
    const what = `exemption "${e.image}"${e.namespace ? ` in namespace ${e.namespace}` : ''} (owner ${e.owner})`;
    if (hasExpired(e, now)) findings.push(error(e.origin, `${what} expired after ${e.expires}: sign the image and remove the exemption, or renew it in a reviewed commit`));
    else {
      const left = Math.ceil((exemptionEnd(e) - now.getTime()) / DAY_MS);
      if (left <= SOON_DAYS) findings.push(warning(e.origin, `${what} expires in ${left} day(s), after ${e.expires}`));
    }
    findings.push(...patternFindings(e.image, e.origin, `exemption of ${e.owner}${e.namespace ? ` in namespace ${e.namespace}` : ''}: pattern`));
    if (e.image.startsWith('*')) {
      findings.push(warning(e.origin, `${what} starts with "*": it exempts images of every registry${e.namespace ? '' : ' in every namespace'}; name the registry and repository`));
    }
  }
  return findings;
}

function patternFindings(pattern: string, origin: Origin, what: string): Finding[] {
  if (!canMatchAnImage(pattern)) {
    return [error(origin, `${what} "${pattern}" matches no valid image reference (no scheme, lower-case repository path, no spaces): it never applies`)];
  }
  const hub = /^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//.exec(pattern);
  if (hub) {
    return [warning(origin, `${what} "${pattern}" matches only images written with "${hub[0]}"; Portieris compares the image as written, so "nginx" or "library/nginx" are not matched by it`)];
  }
  return [];
}

/** Tries a few fillings for the `*`: a pattern none of them can make into a valid, matching image never applies. */
export function canMatchAnImage(pattern: string): boolean {
  const digest = `@sha256:${'0'.repeat(64)}`;
  for (const fill of ['a', 'a/a', 'a:1', 'a/a:1', `a${digest}`, `a/a${digest}`, '1', digest.slice(1)]) {
    const image = pattern.replaceAll('*', fill);
    if (parseReference(image).ok && (image === pattern || patternMatchesImage(pattern, image))) return true;
  }
  return false;
}

function error(origin: Origin, message: string): Finding {
  return { level: 'error', file: origin.file, line: origin.line, message };
}

function warning(origin: Origin, message: string): Finding {
  return { level: 'warning', file: origin.file, line: origin.line, message };
}

/**
 * The signature-store rule, read off the configuration: an entry with signature
 * requirements and no storeURL is judged by Portieris on the registry's signature API
 * alone, so a registries.d lookaside that covers its repositories counts for nothing in
 * the cluster (unless its scope is opted into gate-only evidence). `level` is the rule's.
 */
export function lintStores(policies: PolicySet, registries: RegistriesConfig, stores: GateSettings['signatureStores'], level: RuleLevel): Finding[] {
  const findings: Finding[] = [];
  const gateOnly = new Set((stores?.gateOnly ?? []).map((g) => g.scope));
  const scopes = [...registries.docker.entries()].filter(([, c]) => c.lookaside).map(([scope, c]) => ({ scope, config: c }));
  if (registries.defaultDocker?.lookaside) scopes.push({ scope: 'default-docker', config: registries.defaultDocker });
  const usedURLs = new Set<string>();
  for (const resource of [...policies.clusterImagePolicies, ...policies.imagePolicies]) {
    for (const rule of resource.repositories) {
      const simple = rule.policy.simple;
      if (simple?.storeURL) usedURLs.add(simple.storeURL.replace(/\/+$/, ''));
      if (level === 'off' || !simple || simple.storeURL || !simple.requirements.some((r) => r.type === 'signedBy')) continue;
      const prefix = rule.name.split('*')[0];
      const covering = scopes.filter(({ scope }) => !gateOnly.has(scope) && (scope === 'default-docker' || prefix.startsWith(scope) || scope.startsWith(prefix)));
      for (const { scope, config } of covering) {
        const local = /^file:/.test(config.lookaside!) ? ' (a folder: only the machine that runs gate can read it)' : '';
        const message = `${resource.kind}/${resource.name} repository "${rule.name}" sets no simple.storeURL, so Portieris reads its signatures only from the registry's signature API; the lookaside ${config.lookaside} of registries.d scope ${scope} (${config.origin.file}:${config.origin.line})${local} counts for nothing in the cluster: publish it over https and set storeURL (with signatureStores.mirrors in .gate/config.yaml for offline runs), or opt the scope in with signatureStores.gateOnly`;
        findings.push(level === 'deny' ? error(rule.origin, message) : warning(rule.origin, message));
      }
    }
  }
  for (const mirror of stores?.mirrors ?? []) {
    if (!usedURLs.has(mirror.storeURL)) findings.push(warning(mirror.origin, `signatureStores.mirrors: no policy sets storeURL ${mirror.storeURL}, so this mirror is never read`));
  }
  for (const g of stores?.gateOnly ?? []) {
    if (!scopes.some((s) => s.scope === g.scope)) findings.push(warning(g.origin, `signatureStores.gateOnly: registries.d has no scope "${g.scope}" with a lookaside${scopes.length > 0 ? ` (its scopes: ${scopes.map((s) => s.scope).join(', ')})` : ''}`));
  }
  return findings;
}

/**
 * cosign policies and the webhook that is to enforce them: a sigstoreSigned requirement
 * Portieris cannot enforce, policies the chosen webhook does not read, and what a
 * ClusterImagePolicy of policy.sigstore.dev asks that the webhook or gate reads otherwise
 * (unanchored or RE2-only identity patterns, globs with a tag, bundle authorities under
 * policy-controller, mode warn, match).
 */
export function lintSigstore(policies: PolicySet, webhook: Webhook): Finding[] {
  const findings: Finding[] = [];
  const portieris = [...policies.clusterImagePolicies, ...policies.imagePolicies];
  for (const resource of portieris) {
    for (const rule of resource.repositories) {
      for (const requirement of rule.policy.simple?.requirements ?? []) {
        if (requirement.type !== 'sigstoreSigned') continue;
        if (webhook === 'portieris') findings.push(error(requirement.origin, `${resource.kind}/${resource.name} repository "${rule.name}": Portieris cannot enforce a sigstoreSigned requirement (its CRD rejects the type): set webhook: none in .gate/config.yaml if no webhook enforces these images, or enforce them with sigstore policy-controller and a ClusterImagePolicy of policy.sigstore.dev (webhook: policy-controller)`));
      }
    }
    if (webhook === 'policy-controller') findings.push(warning(resource.origin, `${resource.kind}/${resource.name} (portieris.cloud.ibm.com): under webhook: policy-controller gate reads only the ClusterImagePolicies of policy.sigstore.dev; this Portieris policy is not read`));
  }
  const sigstore = policies.sigstore ?? [];
  if (webhook === 'portieris' && sigstore.length > 0) {
    for (const policy of sigstore) findings.push(warning(policy.origin, `ClusterImagePolicy ${policy.name} (policy.sigstore.dev) is not read under webhook: portieris; set webhook: policy-controller (or none) in .gate/config.yaml`));
  }
  if (webhook === 'portieris') return findings;
  for (const policy of sigstore) {
    const what = `ClusterImagePolicy ${policy.name} (policy.sigstore.dev)`;
    if (policy.mode === 'warn') findings.push(warning(policy.origin, `${what} is in mode warn: its failures are warnings, and images it does not admit are allowed`));
    if (policy.match) findings.push(warning(policy.origin, `${what} has match: gate applies it to every workload's images, which is stricter than policy-controller`));
    if (policy.unsupported) findings.push(error(policy.origin, `${what}: ${policy.unsupported.field}: ${policy.unsupported.message}: gate denies every image it matches`));
    for (const glob of policy.globs) {
      if (glob.glob.slice(glob.glob.indexOf('/') + 1).includes(':')) findings.push(warning(glob.origin, `${what}: glob "${glob.glob}" names a tag; policy-controller resolves tags to digests before it matches, so in a cluster it never matches a tag`));
    }
    for (const authority of policy.authorities) {
      if (authority.kind === 'unsupported') findings.push(error(authority.origin, `${what} authority ${authority.name}: ${authority.field}: ${authority.message}; gate denies on it`));
      if (authority.kind !== 'signature') continue;
      if (webhook === 'policy-controller' && authority.format === 'bundle') findings.push(error(authority.origin, `${what} authority ${authority.name}: signatureFormat: bundle, which policy-controller cannot verify for images yet (sigstore/policy-controller#1899, #1958; fix #1968 open): the cluster denies such images`));
      for (const identity of authority.requirement.fulcio?.identities ?? []) {
        for (const [field, matcher] of [['issuerRegExp', identity.issuer], ['subjectRegExp', identity.subject]] as const) {
          if (!('regexp' in matcher)) continue;
          const compiled = compile(matcher);
          if (!compiled.ok) findings.push(error(authority.origin, `${what} authority ${authority.name}: ${field}: ${compiled.message}`));
          else if (!isAnchored(matcher.regexp)) findings.push(warning(authority.origin, `${what} authority ${authority.name}: ${field} "${matcher.regexp}" is not anchored: policy-controller matches it anywhere in the value (so it also admits identities that merely contain a match), while gate matches the whole value; write ^…$ (around every alternative) so that both mean the same`));
        }
      }
    }
  }
  return findings;
}

/** Trust material (a trusted root's CAs, logs, TSAs) that stopped being valid, or stops within 30 days. */
export function lintValidity(entries: Array<{ what: string; end: Date; origin: Origin; source: string }>, now: Date): Finding[] {
  const findings: Finding[] = [];
  for (const e of entries) {
    const left = Math.ceil((e.end.getTime() - now.getTime()) / DAY_MS);
    if (left <= 0) findings.push(warning(e.origin, `${e.source}: ${e.what} stopped being valid on ${e.end.toISOString()}: signatures made after that are refused`));
    else if (left <= TRUST_SOON_DAYS) findings.push(warning(e.origin, `${e.source}: ${e.what} stops being valid in ${left} day(s), on ${e.end.toISOString()}: commit the new trusted root before then`));
  }
  return findings;
}

/**
 * Portieris trust policies: a pattern whose registry has no trust server (no trustServer, and
 * Portieris' built-in map names none), and one whose repositories no trustPinning entry
 * covers — a runner without memory then trusts whatever root the server gives.
 */
export function lintTrust(policies: PolicySet, pins: readonly TrustPin[], webhook: Webhook): Finding[] {
  if (webhook === 'policy-controller') return [];
  const findings: Finding[] = [];
  for (const resource of [...policies.clusterImagePolicies, ...policies.imagePolicies]) {
    for (const rule of resource.repositories) {
      const trust = rule.policy.trust as (NotaryTrustRequirement & { type: string }) | undefined;
      if (trust?.type !== 'trust') continue;
      const where = `${resource.kind}/${resource.name} repository "${rule.name}"`;
      // The repositories the pattern covers: one (its wildcard spans only the tag or digest), or a prefix.
      const star = rule.name.indexOf('*');
      const written = star < 0 ? rule.name : rule.name.slice(0, star);
      const lastSlash = written.lastIndexOf('/');
      const separator = written.slice(lastSlash + 1).search(/[:@]/);
      const repository = separator >= 0 ? written.slice(0, lastSlash + 1 + separator) : written;
      const oneRepository = star < 0 || separator >= 0;
      const first = repository.split('/')[0];
      const hostLike = repository.includes('/') && (/[.:]/.test(first) || first === 'localhost');
      const registry = hostLike ? first : 'docker.io';
      if (!trust.trustServer) {
        const server = trustServerFor(undefined, registry);
        if (!hostLike && star === 0) {
          findings.push(warning(trust.origin, `${where} enables trust without a trustServer, and its pattern names no registry: Portieris' built-in map (docker.io, quay.io) applies only to those registries, and any other image it covers is denied "no trust server could be found"; set trust.trustServer`));
        } else if (!server.ok) findings.push(warning(trust.origin, `${where}: ${server.message}; fix: ${server.hint}`));
        else if (server.url === 'https://notary.docker.io') findings.push(warning(trust.origin, `${where} uses Docker Hub's notary.docker.io (Portieris' built-in map); Docker is retiring Docker Content Trust (its signing certificates began expiring on 2025-08-08): plan a move to another signature format`));
      }
      // The GUN (or GUN prefix) as Portieris names it: docker.io/library/<name> for an official image.
      const gun = hostLike ? repository : `docker.io/${repository.includes('/') || !oneRepository ? '' : 'library/'}${repository}`;
      const covered = oneRepository ? pinFor(pins, gun) !== undefined : pins.some((p) => p.gun.endsWith('*') && normalGun(gun).startsWith(normalGun(p.gun).slice(0, -1)));
      if (!covered) {
        const some = pins.some((p) => normalGun(p.gun).replace(/\*$/, '').startsWith(normalGun(gun)));
        findings.push(warning(trust.origin, `${where} enables trust, but ${some ? 'only some of the repositories it covers are pinned' : 'no trustPinning entry covers its repositories'} in .gate/config.yaml: gate then trusts whatever root the trust server gives, with no memory between runs; pin the root (gate init --trust-server <url> --gun <gun> prints the entry)`));
      }
      if (webhook === 'portieris' && (rule.policy.simple?.requirements ?? []).length > 0) {
        findings.push(warning(trust.origin, `${where} has both trust and simple requirements: Portieris compares their digests by identity and denies every image it covers ("Notary signs conflicting digest"); split it into a trust entry and a simple entry, or say webhook: none if no Portieris enforces it`));
      }
    }
  }
  return findings;
}
