// `.gate/config.yaml`: gate's own settings, next to the Portieris policies. Validated as
// strictly as the policies (an unknown field is an error with its line), because an
// exemption is a hole in the gate and must say who opened it, why, and until when.
//
//   webhook: portieris               # the enforcer gate predicts: portieris (default), policy-controller or none
//   rules:                           # webhook-parity rules lowered from their default
//     mutate-image: warn             # deny | warn | off
//     signature-store: deny
//     key-secret: deny
//   signatureStores:
//     mirrors:                       # a local copy of a policy's storeURL, read in its place
//     - storeURL: https://signatures.example.com/sigstore
//       path: sigstore               # relative to .gate/
//     gateOnly:                      # registries.d scopes whose lookaside counts, though Portieris cannot read it
//     - scope: registry.example.com/legacy
//       reason: "the nodes enforce policy.json for these"
//   keySecrets:                      # key Secrets the cluster holds, deployed outside the checked manifests
//   - name: release
//     namespaces: [shop]             # absent: every namespace a policy reads it from
//   requireDigest: true              # every image by digest (also: --require-digest)
//   exemptions:
//   - image: "legacy.example.com/vendor/*"   # a repository pattern, as in the policies
//     namespace: legacy              # optional: every namespace when absent
//     reason: "unsigned vendor image (PLAT-123)"
//     owner: platform@example.com
//     expires: 2027-01-31            # the last day it holds (UTC)

import path from 'node:path';
import { GateError } from '../errors.js';
import { isPlainObject, readYamlDocuments, type PathSegment, type YamlDocument } from '../manifests/document.js';
import type { Origin } from './types.js';
import { formatPath, suggest } from '../manifests/strict.js';

export const CONFIG_FILE = 'config.yaml';

export interface GateSettings {
  requireDigest: boolean;
  exemptions: Exemption[];
  /** The in-cluster enforcer whose verdict gate predicts; absent: the default (portieris), or --webhook. */
  webhook?: Webhook;
  /** Webhook-parity rules set to another level than their default; absent: none is. */
  rules?: Partial<Record<ParityRule, RuleLevel>>;
  /** Local mirrors of storeURLs, and registries.d scopes opted into gate-only evidence. */
  signatureStores?: { mirrors: StoreMirror[]; gateOnly: GateOnlyScope[]; cosign?: CosignStore[] };
  /** Notary v1 trust pinning: the root certificates (or CA) to trust per GUN, as notary's trust_pinning. */
  trustPinning?: TrustPin[];
  /** Key Secrets declared deployed in the cluster (outside the checked manifests). */
  keySecrets?: DeployedKeySecret[];
}

/** A folder holding the same files as a policy's storeURL: read instead of it, offline or in CI. */
export interface StoreMirror {
  /** The storeURL as the policies write it, without a trailing slash. */
  storeURL: string;
  /** An absolute folder (resolved against .gate/ when relative). */
  path: string;
  origin: Origin;
}

/**
 * Where the cosign signatures of a registry scope are, when not beside the image: an OCI
 * image layout folder (what `cosign save` writes; offline runs), or another repository of
 * the same registry (cosign's COSIGN_REPOSITORY).
 */
export interface CosignStore {
  /** A registry host, or host/path prefix, as registries.d scopes are written. */
  scope: string;
  /** An absolute folder: one OCI image layout, or a folder of them (one level down). */
  layout?: string;
  /** host/path of the repository holding the `.sig` tags and referrers. */
  repository?: string;
  origin: Origin;
}

/**
 * A Notary v1 root of trust that does not start from zero (notary's trust_pinning): for a GUN,
 * or every GUN under a prefix written with a trailing `*`, the canonical IDs of the root
 * certificates to trust, or a CA the root certificates must chain to.
 */
export interface TrustPin {
  gun: string;
  certIds?: string[];
  /** An absolute PEM file of CA certificates. */
  ca?: string;
  origin: Origin;
}

/** A registries.d scope whose lookaside gate counts, although the webhook cannot read it. */
export interface GateOnlyScope {
  scope: string;
  reason: string;
  origin: Origin;
}

/** A key Secret the cluster holds although the checked manifests do not carry it. */
export interface DeployedKeySecret {
  name: string;
  /** null: every namespace. */
  namespaces: string[] | null;
  origin: Origin;
}

/**
 * `portieris`: gate predicts Portieris' verdict under its ImagePolicies. `policy-controller`:
 * gate predicts sigstore policy-controller's verdict under its ClusterImagePolicies
 * (policy.sigstore.dev). `none`: gate judges by the signatures it reads alone, under both
 * kinds of policy.
 */
export const WEBHOOKS = ['portieris', 'policy-controller', 'none'] as const;
export type Webhook = (typeof WEBHOOKS)[number];

/**
 * The rules by which gate holds a workload to what the webhook will do, beyond the
 * signatures. `mutate-image`: Portieris rewrites a tag to a digest unless the policy says
 * mutateImage: false, and Argo CD then never stops seeing a difference from Git.
 * `signature-store`: signatures count only where Portieris reads them (storeURL, else the
 * registry's signature API), not in a registries.d lookaside. `key-secret`: the key must
 * be deployed as the Secret Portieris reads, not only kept in .gate/keys/.
 */
export const PARITY_RULES = ['mutate-image', 'signature-store', 'key-secret'] as const;
export type ParityRule = (typeof PARITY_RULES)[number];
export const RULE_LEVELS = ['deny', 'warn', 'off'] as const;
export type RuleLevel = (typeof RULE_LEVELS)[number];

/** The webhook gate predicts: the command line's (or plugin parameter's), else config.yaml's, else portieris. */
export function webhookOf(settings: GateSettings, chosen: Webhook | undefined): Webhook {
  return chosen ?? settings.webhook ?? 'portieris';
}

/** A parity rule's level: off unless gate predicts Portieris, else config.yaml's, else the command's default. */
export function ruleLevel(settings: GateSettings, webhook: Webhook, rule: ParityRule, commandDefault: RuleLevel): RuleLevel {
  // The rules hold Portieris policies to what Portieris does: no Portieris, no rule.
  return webhook !== 'portieris' ? 'off' : (settings.rules?.[rule] ?? commandDefault);
}

export interface Exemption {
  /** A repository pattern with Portieris' matching rules (`*`, host anchored, literal image string). */
  image: string;
  /** null: every namespace. */
  namespace: string | null;
  reason: string;
  owner: string;
  /** YYYY-MM-DD: the last day the exemption holds, in UTC. */
  expires: string;
  origin: Origin;
}

export const DEFAULT_SETTINGS: GateSettings = { requireDigest: false, exemptions: [] };

const TOP_FIELDS = ['webhook', 'rules', 'signatureStores', 'trustPinning', 'keySecrets', 'requireDigest', 'exemptions'];
const EXEMPTION_FIELDS = ['image', 'namespace', 'reason', 'owner', 'expires'];

/** `file`: config.yaml's name for messages; `folder`: its folder (.gate/), against which relative mirror paths resolve. */
export function parseSettings(text: string, file: string, folder = path.dirname(path.resolve(file))): GateSettings {
  const { documents, warnings } = readYamlDocuments(text, file);
  // What is only a warning in a manifest (a duplicate key keeps its last value) is an error
  // here: an exemption or requireDigest must mean what a reviewer reads.
  if (warnings.length > 0) throw new GateError('CONFIG_INVALID', `${warnings[0].message.replace(/;.*$/, '')}: settings must be unambiguous, fix it`, { file, line: warnings[0].line });
  if (documents.length === 0) return DEFAULT_SETTINGS;
  if (documents.length > 1) throw new GateError('CONFIG_INVALID', `${file} holds one YAML document`, { file, line: documents[1].locate([]) });
  const doc = documents[0];
  const fail = (path: PathSegment[], message: string): never => {
    throw new GateError('CONFIG_INVALID', `${path.length > 0 ? `${formatPath(path)}: ` : ''}${message}`, { file, line: doc.locate(path) });
  };
  const root = doc.value;
  if (!isPlainObject(root)) return fail([], `must be a mapping with ${TOP_FIELDS.join(', ')}`);
  onlyFields(root, [], TOP_FIELDS, fail);

  const requireDigest = root.requireDigest ?? false;
  if (typeof requireDigest !== 'boolean') fail(['requireDigest'], 'must be true or false');

  const webhook = root.webhook;
  if (webhook !== undefined && !(WEBHOOKS as readonly unknown[]).includes(webhook)) fail(['webhook'], `must be one of ${WEBHOOKS.join(', ')}, found ${JSON.stringify(webhook)}`);

  const rules: NonNullable<GateSettings['rules']> = {};
  const rawRules = root.rules ?? {};
  if (!isPlainObject(rawRules)) return fail(['rules'], `must be a mapping of rule: level (rules: ${PARITY_RULES.join(', ')})`);
  onlyFields(rawRules, ['rules'], [...PARITY_RULES], fail);
  for (const [rule, written] of Object.entries(rawRules)) {
    // YAML 1.1 reads a bare `off` as false: it is what the user wrote.
    const level = written === false ? 'off' : written;
    if (!(RULE_LEVELS as readonly unknown[]).includes(level)) fail(['rules', rule], `must be one of ${RULE_LEVELS.join(', ')}, found ${JSON.stringify(written)}`);
    rules[rule as ParityRule] = level as RuleLevel;
  }

  const list = root.exemptions ?? [];
  if (!Array.isArray(list)) return fail(['exemptions'], 'must be a list');
  const exemptions = list.map((_, i) => exemption(doc, ['exemptions', i], file, fail));
  const signatureStores = root.signatureStores == null ? undefined : stores(doc, file, folder, fail);
  const keySecrets = root.keySecrets == null ? undefined : deployedKeys(doc, file, fail);
  const trustPinning = root.trustPinning == null ? undefined : pins(doc, file, folder, fail);
  return {
    requireDigest: requireDigest as boolean,
    exemptions,
    ...(signatureStores ? { signatureStores } : {}),
    ...(trustPinning ? { trustPinning } : {}),
    ...(keySecrets ? { keySecrets } : {}),
    ...(Object.keys(rules).length > 0 ? { rules } : {}),
    ...(webhook !== undefined ? { webhook: webhook as Webhook } : {}),
  };
}

type Fail = (path: PathSegment[], message: string) => never;

/** A list of mappings with only `fields`, each handed to `read` with its path. */
function listOf<T>(doc: YamlDocument, path: PathSegment[], fields: string[], fail: Fail, read: (entry: Record<string, unknown>, path: PathSegment[]) => T): T[] {
  const list = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], doc.value) ?? [];
  if (!Array.isArray(list)) return fail(path, `must be a list of mappings with ${fields.join(', ')}`);
  return list.map((entry, i) => {
    if (!isPlainObject(entry)) return fail([...path, i], `must be a mapping with ${fields.join(', ')}`);
    onlyFields(entry, [...path, i], fields, fail);
    return read(entry, [...path, i]);
  });
}

function requiredText(entry: Record<string, unknown>, path: PathSegment[], field: string, why: string, fail: Fail): string {
  const value = entry[field];
  if (value === undefined || value === null) return fail([...path, field], `is required: ${why}`);
  if (typeof value !== 'string' || value.trim() === '') return fail([...path, field], 'must be a non-empty string');
  return value;
}

function stores(doc: YamlDocument, file: string, folder: string, fail: Fail): NonNullable<GateSettings['signatureStores']> {
  const root = (doc.value as Record<string, unknown>).signatureStores;
  if (!isPlainObject(root)) return fail(['signatureStores'], 'must be a mapping with mirrors, gateOnly, cosign');
  onlyFields(root, ['signatureStores'], ['mirrors', 'gateOnly', 'cosign'], fail);
  const mirrors = listOf(doc, ['signatureStores', 'mirrors'], ['storeURL', 'path'], fail, (entry, at) => {
    const storeURL = requiredText(entry, at, 'storeURL', "the policy's simple.storeURL this folder mirrors", fail).replace(/\/+$/, '');
    if (!/^https?:\/\//.test(storeURL)) fail([...at, 'storeURL'], `must be an http:// or https:// URL, as Portieris requires of storeURL, found ${JSON.stringify(storeURL)}`);
    const where = requiredText(entry, at, 'path', 'the local folder that holds the same files as the storeURL', fail);
    const local = where.startsWith('file://') ? where.slice('file://'.length) : where;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(local)) fail([...at, 'path'], `must be a local folder (relative to ${path.basename(folder)}/ or absolute), found ${JSON.stringify(where)}`);
    return { storeURL, path: path.resolve(folder, local), origin: { file, line: doc.locate(at) } };
  });
  const seen = new Map<string, number>();
  mirrors.forEach((m, i) => {
    if (seen.has(m.storeURL)) fail(['signatureStores', 'mirrors', i, 'storeURL'], `${m.storeURL} is mirrored twice (also at line ${mirrors[seen.get(m.storeURL)!].origin.line}): say which folder holds it`);
    seen.set(m.storeURL, i);
  });
  const gateOnly = listOf(doc, ['signatureStores', 'gateOnly'], ['scope', 'reason'], fail, (entry, at) => ({
    scope: requiredText(entry, at, 'scope', 'the registries.d scope (a docker: key, or default-docker) whose lookaside counts', fail),
    reason: requiredText(entry, at, 'reason', 'evidence the webhook cannot read is a hole in the parity: say why it is fine', fail),
    origin: { file, line: doc.locate(at) },
  }));
  const cosign = listOf(doc, ['signatureStores', 'cosign'], ['scope', 'layout', 'repository'], fail, (entry, at): CosignStore => {
    const scope = requiredText(entry, at, 'scope', 'the registry host, or host/path prefix, whose images this covers', fail).replace(/\/+$/, '');
    if (/[\s*@:]/.test(scope.replace(/^[^/]*:\d+/, (hostPort) => hostPort.replace(':', '')))) fail([...at, 'scope'], `must be a registry host or host/path prefix without wildcards, tags or digests, found ${JSON.stringify(scope)}`);
    const layout = entry.layout;
    const repository = entry.repository;
    if ((layout === undefined) === (repository === undefined)) fail(at, 'needs exactly one of layout (an OCI image layout folder, as cosign save writes) and repository (where cosign put the signatures: COSIGN_REPOSITORY)');
    if (layout !== undefined) {
      const where = requiredText(entry, at, 'layout', 'the OCI image layout folder', fail);
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(where)) fail([...at, 'layout'], `must be a local folder (relative to ${path.basename(folder)}/ or absolute), found ${JSON.stringify(where)}`);
      return { scope, layout: path.resolve(folder, where), origin: { file, line: doc.locate(at) } };
    }
    const repo = requiredText(entry, at, 'repository', 'the repository holding the signatures', fail).replace(/\/+$/, '');
    if (repo.split('/')[0] !== scope.split('/')[0]) fail([...at, 'repository'], `must be on the scope's registry ${scope.split('/')[0]}: gate sends the workload's credentials for that registry only`);
    if (!/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9]+(?:[._-][a-z0-9]+)*)+$/.test(repo)) fail([...at, 'repository'], `must be host/repository, found ${JSON.stringify(repo)}`);
    return { scope, repository: repo, origin: { file, line: doc.locate(at) } };
  });
  return { mirrors, gateOnly, ...(cosign.length > 0 ? { cosign } : {}) };
}

function pins(doc: YamlDocument, file: string, folder: string, fail: Fail): TrustPin[] {
  const read = listOf(doc, ['trustPinning'], ['gun', 'certIds', 'ca'], fail, (entry, at): TrustPin => {
    const gun = requiredText(entry, at, 'gun', 'the GUN (registry/repository) whose root is pinned, or a prefix ending in *', fail);
    if (/\s|@|\*(?!$)/.test(gun)) fail([...at, 'gun'], `must be a GUN such as registry.example.com/team/app, or a prefix ending in *, found ${JSON.stringify(gun)}`);
    const certIds = entry.certIds;
    const ca = entry.ca;
    if ((certIds === undefined) === (ca === undefined)) fail(at, 'needs exactly one of certIds (the canonical IDs of the root certificates: notary key list, or gate init) and ca (a PEM file the root certificates chain to)');
    if (certIds !== undefined && (!Array.isArray(certIds) || certIds.length === 0 || certIds.some((id) => typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)))) {
      fail([...at, 'certIds'], 'must be a non-empty list of 64-hex-digit certificate IDs');
    }
    const origin = { file, line: doc.locate(at) };
    if (certIds !== undefined) return { gun, certIds: certIds as string[], origin };
    const where = requiredText(entry, at, 'ca', 'the PEM file of the CA, relative to .gate/', fail);
    return { gun, ca: path.resolve(folder, where), origin };
  });
  const seen = new Set<string>();
  read.forEach((pin, i) => {
    if (seen.has(pin.gun)) fail(['trustPinning', i, 'gun'], `${pin.gun} is pinned twice: say which root it has`);
    seen.add(pin.gun);
  });
  return read;
}

/** The pin for a GUN: its own entry, else the longest prefix entry (`registry.example.com/team/*`). */
export function pinFor(pinsList: readonly TrustPin[], gun: string): TrustPin | undefined {
  const wanted = normalGun(gun);
  const exact = pinsList.find((p) => normalGun(p.gun) === wanted);
  if (exact) return exact;
  return pinsList.filter((p) => p.gun.endsWith('*') && wanted.startsWith(normalGun(p.gun).slice(0, -1))).sort((a, b) => b.gun.length - a.gun.length)[0];
}

/** A GUN with its host as a registry reads it: case does not count, nor an explicit :443 (so a respelt host finds its pin). */
export function normalGun(gun: string): string {
  const slash = gun.indexOf('/');
  const host = slash < 0 ? gun : gun.slice(0, slash);
  return `${host.toLowerCase().replace(/:443$/, '')}${slash < 0 ? '' : gun.slice(slash)}`;
}

function deployedKeys(doc: YamlDocument, file: string, fail: Fail): DeployedKeySecret[] {
  return listOf(doc, ['keySecrets'], ['name', 'namespaces'], fail, (entry, at) => {
    const name = requiredText(entry, at, 'name', 'the keySecret the policies name', fail);
    const namespaces = entry.namespaces;
    if (namespaces !== undefined && (!Array.isArray(namespaces) || namespaces.length === 0 || namespaces.some((n) => typeof n !== 'string' || n === ''))) {
      fail([...at, 'namespaces'], 'must be a non-empty list of namespaces (leave it out for every namespace)');
    }
    return { name, namespaces: (namespaces as string[] | undefined) ?? null, origin: { file, line: doc.locate(at) } };
  });
}

function exemption(doc: YamlDocument, path: PathSegment[], file: string, fail: (path: PathSegment[], message: string) => never): Exemption {
  const entry = (doc.value as { exemptions: unknown[] }).exemptions[path[1] as number];
  if (!isPlainObject(entry)) return fail(path, 'must be a mapping with image, reason, owner and expires');
  onlyFields(entry, path, EXEMPTION_FIELDS, fail);
  const text = (field: string, required: boolean): string | undefined => {
    const value = entry[field];
    if (value === undefined || value === null) return required ? fail([...path, field], 'is required: an exemption says what it covers, why, who owns it and until when') : undefined;
    if (typeof value !== 'string' || value.trim() === '') return fail([...path, field], 'must be a non-empty string');
    return value;
  };
  const image = text('image', true)!;
  if (/\s/.test(image)) fail([...path, 'image'], 'a repository pattern has no spaces');
  return {
    image,
    namespace: text('namespace', false) ?? null,
    reason: text('reason', true)!,
    owner: text('owner', true)!,
    expires: expiryDate(entry.expires, [...path, 'expires'], fail),
    origin: { file, line: doc.locate(path) },
  };
}

/** `2027-01-31` (a YAML 1.1 reader may hand over a Date): a real calendar day. */
function expiryDate(value: unknown, path: PathSegment[], fail: (path: PathSegment[], message: string) => never): string {
  if (value === undefined || value === null) return fail(path, 'is required: every exemption expires (YYYY-MM-DD)');
  const text = value instanceof Date ? value.toISOString().slice(0, 10) : value;
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return fail(path, `must be a date YYYY-MM-DD, found ${JSON.stringify(value)}`);
  const [y, m, d] = text.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return fail(path, `${text} is not a day of the calendar`);
  return text;
}

function onlyFields(value: Record<string, unknown>, path: PathSegment[], allowed: string[], fail: (path: PathSegment[], message: string) => never): void {
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    fail([...path, key], `unknown field "${key}"${suggest(key, allowed)}; allowed here: ${allowed.join(', ')}`);
  }
}
