// `.gate/config.yaml`: gate's own settings, next to the Portieris policies. Validated as
// strictly as the policies (an unknown field is an error with its line), because an
// exemption is a hole in the gate and must say who opened it, why, and until when.
//
//   webhook: portieris               # the enforcer gate predicts: portieris (default) or none
//   rules:                           # webhook-parity rules lowered from their default
//     mutate-image: warn             # deny | warn | off
//   requireDigest: true              # every image by digest (also: --require-digest)
//   exemptions:
//   - image: "legacy.example.com/vendor/*"   # a repository pattern, as in the policies
//     namespace: legacy              # optional: every namespace when absent
//     reason: "unsigned vendor image (PLAT-123)"
//     owner: platform@example.com
//     expires: 2027-01-31            # the last day it holds (UTC)

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
}

/** `portieris`: gate predicts Portieris' verdict. `none`: gate judges by the signatures it reads alone. */
export const WEBHOOKS = ['portieris', 'none'] as const;
export type Webhook = (typeof WEBHOOKS)[number];

/**
 * The rules by which gate holds a workload to what the webhook will do, beyond the
 * signatures. `mutate-image`: Portieris rewrites a tag to a digest unless the policy says
 * mutateImage: false, and Argo CD then never stops seeing a difference from Git.
 */
export const PARITY_RULES = ['mutate-image'] as const;
export type ParityRule = (typeof PARITY_RULES)[number];
export const RULE_LEVELS = ['deny', 'warn', 'off'] as const;
export type RuleLevel = (typeof RULE_LEVELS)[number];

/** The webhook gate predicts: the command line's (or plugin parameter's), else config.yaml's, else portieris. */
export function webhookOf(settings: GateSettings, chosen: Webhook | undefined): Webhook {
  return chosen ?? settings.webhook ?? 'portieris';
}

/** A parity rule's level: off without a webhook to predict, else config.yaml's, else the command's default. */
export function ruleLevel(settings: GateSettings, webhook: Webhook, rule: ParityRule, commandDefault: RuleLevel): RuleLevel {
  return webhook === 'none' ? 'off' : (settings.rules?.[rule] ?? commandDefault);
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

const TOP_FIELDS = ['webhook', 'rules', 'requireDigest', 'exemptions'];
const EXEMPTION_FIELDS = ['image', 'namespace', 'reason', 'owner', 'expires'];

export function parseSettings(text: string, file: string): GateSettings {
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
  for (const [rule, level] of Object.entries(rawRules)) {
    if (!(RULE_LEVELS as readonly unknown[]).includes(level)) fail(['rules', rule], `must be one of ${RULE_LEVELS.join(', ')}, found ${JSON.stringify(level)}`);
    rules[rule as ParityRule] = level as RuleLevel;
  }

  const list = root.exemptions ?? [];
  if (!Array.isArray(list)) return fail(['exemptions'], 'must be a list');
  const exemptions = list.map((_, i) => exemption(doc, ['exemptions', i], file, fail));
  return {
    requireDigest: requireDigest as boolean,
    exemptions,
    ...(Object.keys(rules).length > 0 ? { rules } : {}),
    ...(webhook !== undefined ? { webhook: webhook as Webhook } : {}),
  };
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
