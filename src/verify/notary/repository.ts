// A Notary v1 repository read and verified as the notary 0.7 client does (client/tufclient.go,
// tuf/builder.go): root → timestamp → snapshot → targets → delegations, each file by the hash
// its parent names (hash checked before it is parsed, length bounded by the parent), each
// signed by a threshold of distinct listed keys over its canonical JSON, each unexpired at the
// injected clock. Root keys are certificates whose CN is the GUN. What differs, on purpose:
// gate has no memory between runs, so a root can be pinned (canonical IDs of its root
// certificates) and versions can be held to a floor; a delegation that is expired or under
// its threshold is left out with a warning, as notary does, and only `targets` is fatal.
// Pure apart from the injected fetch; every failure is a value with a kind and notary's words.

import { createHash, X509Certificate } from 'node:crypto';
import { canonicalJson } from './canonical.js';
import { canonicalKeyId, isStrictBase64, readKey, verifySignature, type TufKey } from './keys.js';

export type NotaryFailureKind = 'no-trust-data' | 'expired' | 'threshold' | 'hash' | 'root' | 'malformed' | 'rollback' | 'pin';
export interface NotaryFailure {
  kind: NotaryFailureKind;
  message: string;
}

export type { NotaryFetch } from '../../evidence.js';
import type { NotaryFetch } from '../../evidence.js';

export interface TargetEntry {
  sha256?: Buffer;
  length: number;
}

export interface RoleView {
  name: string;
  version: number;
  expires: Date;
  targets: ReadonlyMap<string, TargetEntry>;
  /** The prefixes this role may sign (a delegation's paths cut to its parent's); targets: [""]. */
  paths: string[];
  /** The keys and threshold its parent gave it (targets: the root's). */
  keyIds: string[];
  keys: TufKey[];
  threshold: number;
}

export interface Repository {
  gun: string;
  versions: Record<string, number>;
  expiries: Record<string, Date>;
  /** Every valid targets role, in notary's breadth-first order (targets first). */
  roles: RoleView[];
  /** The canonical IDs of the root certificates that signed the root. */
  rootCertIds: string[];
  warnings: string[];
  /** Delegations left out (expired, under their threshold), with the paths they would have signed. */
  leftOut: Array<{ name: string; paths: string[]; why: string }>;
}

export interface LoadOptions {
  gun: string;
  now: Date;
  /** Canonical IDs of the root certificates to trust (trust pinning); absent: the root the server gives. */
  pinnedRootIds?: readonly string[];
  /** CA certificates (PEM) the root certificates must chain to (trust pinning by CA). */
  pinnedCa?: string;
  /** Versions already seen (a floor per role): a lower one is a rollback. */
  minimumVersions?: Readonly<Record<string, number>>;
}

const ROOT_MAX = 4 * 1024 * 1024;
const TIMESTAMP_MAX = 1024 * 1024;
/** Snapshot, targets and delegations: bounded by their parent's length, and never more than this. */
const FILE_MAX = 16 * 1024 * 1024;
const MAX_ROLES = 64;
const ROLE_NAME = /^targets(\/[-a-z0-9_]+)+$/;

class Fail extends Error {
  constructor(
    readonly kind: NotaryFailureKind,
    message: string,
  ) {
    super(message);
  }
}

interface Signed<T> {
  signed: T;
  canonical: Buffer;
  signatures: Array<{ keyid: string; method: string; sig: Buffer }>;
}

export async function loadRepository(fetch: NotaryFetch, options: LoadOptions): Promise<{ ok: true; repository: Repository } | { ok: false; failure: NotaryFailure }> {
  try {
    return { ok: true, repository: await load(fetch, options) };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, failure: { kind: e.kind, message: e.message } };
    throw e;
  }
}

async function load(fetch: NotaryFetch, options: LoadOptions): Promise<Repository> {
  const { gun, now } = options;
  const warnings: string[] = [];
  const leftOut: Repository['leftOut'] = [];
  const versions: Record<string, number> = {};
  const expiries: Record<string, Date> = {};

  // 1. root: certificates for the GUN, signed by its own root keys (or the pinned ones).
  const rootBytes = await fetch('root.json', ROOT_MAX);
  if (!rootBytes) throw new Fail('no-trust-data', `does not have trust data for ${gun}`);
  const root = parseSigned(rootBytes, 'root');
  const rootSigned = readRoot(root.signed);
  const rootKeys = rootSigned.roles.root.keyids.map((id) => rootSigned.keys.get(id)!);
  const leaves = rootKeys.filter((key) => validRootLeaf(key, gun, now));
  if (leaves.length === 0) throw new Fail('root', 'could not validate the path to a trusted root: unable to retrieve valid leaf certificates');
  let trustedRootIds = leaves.map((key) => key.id);
  if (options.pinnedCa !== undefined) {
    const cas = (options.pinnedCa.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
    const chained = leaves.filter((key) => chainsTo(key, cas, now));
    trustedRootIds = chained.map((key) => key.id);
    if (trustedRootIds.length === 0) throw new Fail('pin', `the root certificates of ${gun} do not chain to the pinned CA (${cas.length} certificate${cas.length === 1 ? '' : 's'})`);
  }
  if (options.pinnedRootIds) {
    const pinned = new Set(options.pinnedRootIds);
    trustedRootIds = leaves.filter((key) => pinned.has(canonicalKeyId(key))).map((key) => key.id);
    if (trustedRootIds.length === 0) {
      throw new Fail('pin', `the root of ${gun} is signed by none of the pinned root certificates (pinned: ${[...pinned].join(', ')}; the root's: ${leaves.map(canonicalKeyId).join(', ')})`);
    }
  }
  checkThreshold(root, { keyids: trustedRootIds, threshold: rootSigned.roles.root.threshold }, rootSigned.keys, 'root');
  checkVersionAndExpiry('root', rootSigned, options, now, versions, expiries);

  // 2. timestamp: never by hash.
  const timestampBytes = await fetch('timestamp.json', TIMESTAMP_MAX);
  if (!timestampBytes) throw new Fail('no-trust-data', `timestamp trust data unavailable.  Has a notary repository been initialized?`);
  const timestamp = parseSigned(timestampBytes, 'timestamp');
  checkThreshold(timestamp, rootSigned.roles.timestamp, rootSigned.keys, 'timestamp');
  const timestampSigned = readTimestampOrSnapshot(timestamp.signed, 'Timestamp', ['snapshot']);
  checkVersionAndExpiry('timestamp', timestampSigned, options, now, versions, expiries);

  // 3. snapshot, by the hash the timestamp names.
  const snapshotMeta = timestampSigned.meta.get('snapshot')!;
  const snapshot = parseSigned(await fetchByHash(fetch, 'snapshot', snapshotMeta), 'snapshot');
  checkThreshold(snapshot, rootSigned.roles.snapshot, rootSigned.keys, 'snapshot');
  const snapshotSigned = readTimestampOrSnapshot(snapshot.signed, 'Snapshot', ['root', 'targets']);
  checkVersionAndExpiry('snapshot', snapshotSigned, options, now, versions, expiries);

  // 4. targets, then the delegations depth-first; only targets itself is fatal.
  const targetsBytes = await fetchByHash(fetch, 'targets', snapshotSigned.meta.get('targets')!);
  const targets = parseSigned(targetsBytes, 'targets');
  checkThreshold(targets, rootSigned.roles.targets, rootSigned.keys, 'targets');
  const targetsSigned = readTargets(targets.signed, 'targets');
  checkVersionAndExpiry('targets', targetsSigned, options, now, versions, expiries);
  const views = new Map<string, RoleView>();
  const keysOf = (ids: string[], from: Map<string, TufKey>): TufKey[] => ids.flatMap((id) => (from.has(id) ? [from.get(id)!] : []));
  views.set('targets', { name: 'targets', version: targetsSigned.version, expires: targetsSigned.expires, targets: targetsSigned.targets, paths: [''], keyIds: rootSigned.roles.targets.keyids, keys: keysOf(rootSigned.roles.targets.keyids, rootSigned.keys), threshold: rootSigned.roles.targets.threshold });

  const visit = async (parent: ParsedTargets, parentPaths: string[], depth: number): Promise<void> => {
    for (const role of parent.delegations) {
      if (views.size >= MAX_ROLES) throw new Fail('malformed', `more than ${MAX_ROLES} delegation roles`);
      const meta = snapshotSigned.meta.get(role.name);
      if (!meta) {
        // No snapshot entry: skipped, as notary does — unless a version of it was seen before (a role made to vanish).
        if (options.minimumVersions?.[role.name] !== undefined) throw new Fail('rollback', `${role.name} was seen at version ${options.minimumVersions[role.name]} and is no longer in the snapshot`);
        continue;
      }
      const paths = role.paths.filter((p) => parentPaths.some((q) => p.startsWith(q)));
      let child: ParsedTargets;
      try {
        const file = parseSigned(await fetchByHash(fetch, role.name, meta), role.name);
        checkThreshold(file, role, parent.keys, role.name);
        child = readTargets(file.signed, role.name);
        checkVersionAndExpiry(role.name, child, options, now, versions, expiries);
      } catch (e) {
        if (e instanceof Fail && (e.kind === 'expired' || e.kind === 'threshold')) {
          warnings.push(`${role.name} left out: ${e.message}`);
          leftOut.push({ name: role.name, paths, why: e.message });
          continue;
        }
        throw e;
      }
      views.set(role.name, { name: role.name, version: child.version, expires: child.expires, targets: child.targets, paths, keyIds: role.keyids, keys: keysOf(role.keyids, parent.keys), threshold: role.threshold });
      if (depth < 8) await visit(child, paths, depth + 1);
    }
  };
  await visit(targetsSigned, [''], 1);

  // Breadth-first order, as notary's lookup walks the tree: targets, its delegations in listed order, theirs…
  const order = [...views.values()].sort((a, b) => a.name.split('/').length - b.name.split('/').length);
  return { gun, versions, expiries, roles: order, rootCertIds: leaves.filter((k) => trustedRootIds.includes(k.id)).map(canonicalKeyId), warnings, leftOut };
}

// ——— parsing ———

function parseSigned(bytes: Uint8Array, role: string): Signed<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new Fail('malformed', `${role} is not JSON`);
  }
  const top = value as { signed?: unknown; signatures?: unknown };
  if (!isObject(top) || !isObject(top.signed) || !Array.isArray(top.signatures)) throw new Fail('malformed', `${role} is not signed metadata ({signed, signatures})`);
  const signatures = top.signatures.map((s: unknown) => {
    const sig = s as { keyid?: unknown; method?: unknown; sig?: unknown };
    if (!isObject(sig) || typeof sig.keyid !== 'string' || typeof sig.method !== 'string' || typeof sig.sig !== 'string' || !isStrictBase64(sig.sig)) throw new Fail('malformed', `${role} has a malformed signature entry`);
    return { keyid: sig.keyid, method: sig.method.toLowerCase(), sig: Buffer.from(sig.sig, 'base64') };
  });
  let canonical: Buffer;
  try {
    canonical = Buffer.from(canonicalJson(top.signed), 'utf8');
  } catch (e) {
    throw new Fail('malformed', `${role} cannot be canonicalised: ${(e as Error).message}`);
  }
  return { signed: top.signed as Record<string, unknown>, canonical, signatures };
}

interface RoleKeys {
  keyids: string[];
  threshold: number;
}

interface ParsedRoot {
  version: number;
  expires: Date;
  keys: Map<string, TufKey>;
  roles: Record<'root' | 'targets' | 'snapshot' | 'timestamp', RoleKeys>;
}

function readRoot(signed: Record<string, unknown>): ParsedRoot {
  if (signed._type !== 'Root') throw new Fail('malformed', `root has _type ${JSON.stringify(signed._type)}`);
  const keys = readKeys(signed.keys, 'root');
  const roles = signed.roles as Record<string, unknown>;
  if (!isObject(roles)) throw new Fail('malformed', 'root has no roles');
  const read = (name: 'root' | 'targets' | 'snapshot' | 'timestamp'): RoleKeys => {
    const role = readRoleKeys(roles[name], `root's ${name} role`);
    for (const id of role.keyids) if (!keys.has(id)) throw new Fail('malformed', `root's ${name} role lists key ${id}, which root does not hold`);
    return role;
  };
  return { ...versionAndExpiry(signed, 'root'), keys, roles: { root: read('root'), targets: read('targets'), snapshot: read('snapshot'), timestamp: read('timestamp') } };
}

function readTimestampOrSnapshot(signed: Record<string, unknown>, type: 'Timestamp' | 'Snapshot', required: string[]): { version: number; expires: Date; meta: Map<string, MetaEntry> } {
  if (signed._type !== type) throw new Fail('malformed', `${type.toLowerCase()} has _type ${JSON.stringify(signed._type)}`);
  const metaValue = signed.meta;
  if (!isObject(metaValue)) throw new Fail('malformed', `${type.toLowerCase()} has no meta`);
  const meta = new Map<string, MetaEntry>();
  for (const [name, entry] of Object.entries(metaValue)) meta.set(name, readMeta(entry, `${type.toLowerCase()}'s entry for ${name}`));
  for (const name of required) if (!meta.get(name)?.sha256) throw new Fail('malformed', `${type.toLowerCase()} has no sha256 for ${name}`);
  return { ...versionAndExpiry(signed, type.toLowerCase()), meta };
}

interface MetaEntry {
  length: number;
  sha256?: Buffer;
  sha512?: Buffer;
}

function readMeta(value: unknown, what: string): MetaEntry {
  const entry = value as { length?: unknown; hashes?: unknown };
  if (!isObject(entry) || !Number.isSafeInteger(entry.length) || (entry.length as number) < 0 || !isObject(entry.hashes)) throw new Fail('malformed', `${what} has no length and hashes`);
  const hashes = entry.hashes as Record<string, unknown>;
  const hash = (name: string, size: number): Buffer | undefined => {
    if (hashes[name] === undefined) return undefined;
    const bytes = typeof hashes[name] === 'string' && isStrictBase64(hashes[name] as string) ? Buffer.from(hashes[name] as string, 'base64') : Buffer.alloc(0);
    if (bytes.length !== size) throw new Fail('malformed', `${what} has a ${name} hash of ${bytes.length} bytes`);
    return bytes;
  };
  const sha256 = hash('sha256', 32);
  const sha512 = hash('sha512', 64);
  if (!sha256 && !sha512) throw new Fail('malformed', `${what} has neither a sha256 nor a sha512 hash`);
  return { length: entry.length as number, ...(sha256 ? { sha256 } : {}), ...(sha512 ? { sha512 } : {}) };
}

interface Delegation extends RoleKeys {
  name: string;
  paths: string[];
}

interface ParsedTargets {
  version: number;
  expires: Date;
  targets: Map<string, TargetEntry>;
  keys: Map<string, TufKey>;
  delegations: Delegation[];
}

function readTargets(signed: Record<string, unknown>, role: string): ParsedTargets {
  if (signed._type !== 'Targets') throw new Fail('malformed', `${role} has _type ${JSON.stringify(signed._type)}`);
  const targets = new Map<string, TargetEntry>();
  if (signed.targets !== undefined && signed.targets !== null) {
    if (!isObject(signed.targets)) throw new Fail('malformed', `${role} has no targets object`);
    for (const [name, entry] of Object.entries(signed.targets)) {
      const meta = readMeta(entry, `${role}'s target ${name}`);
      targets.set(name, { length: meta.length, ...(meta.sha256 ? { sha256: meta.sha256 } : {}) });
    }
  }
  const delegationsValue = signed.delegations as { keys?: unknown; roles?: unknown } | undefined;
  let keys = new Map<string, TufKey>();
  const delegations: Delegation[] = [];
  if (isObject(delegationsValue)) {
    keys = readKeys(delegationsValue.keys ?? {}, role);
    const roles = delegationsValue.roles ?? [];
    if (!Array.isArray(roles)) throw new Fail('malformed', `${role}'s delegations have no roles list`);
    for (const value of roles) {
      const d = value as { name?: unknown; paths?: unknown };
      if (!isObject(d) || typeof d.name !== 'string') throw new Fail('malformed', `${role} has a delegation without a name`);
      // A direct child only, with notary's name rules.
      if (!ROLE_NAME.test(d.name) || d.name.length > 255 || !d.name.startsWith(`${role}/`) || d.name.slice(role.length + 1).includes('/')) throw new Fail('malformed', `${role} delegates to "${d.name}", which is not a direct child role name`);
      const keyRole = readRoleKeys(d, `delegation ${d.name}`);
      for (const id of keyRole.keyids) if (!keys.has(id)) throw new Fail('malformed', `delegation ${d.name} lists key ${id}, which ${role} does not hold`);
      const paths = Array.isArray(d.paths) && d.paths.every((p) => typeof p === 'string') ? (d.paths as string[]) : undefined;
      if (!paths) throw new Fail('malformed', `delegation ${d.name} has no paths list`);
      if (delegations.some((other) => other.name === d.name)) throw new Fail('malformed', `${role} delegates to ${d.name} twice`);
      delegations.push({ name: d.name, ...keyRole, paths });
    }
  }
  return { ...versionAndExpiry(signed, role), targets, keys, delegations };
}

function readKeys(value: unknown, role: string): Map<string, TufKey> {
  if (!isObject(value)) throw new Fail('malformed', `${role} has no keys object`);
  const keys = new Map<string, TufKey>();
  for (const [id, entry] of Object.entries(value)) {
    const k = entry as { keytype?: unknown; keyval?: { public?: unknown } };
    const read = readKey(k?.keytype, isObject(k?.keyval) ? k.keyval.public : undefined);
    // An unreadable key never verifies; it is kept out rather than failing the file (notary: unknown keys never verify).
    if (!read.ok) continue;
    if (read.key.id !== id) throw new Fail('malformed', `${role} lists key ${id} whose content has the ID ${read.key.id}`);
    keys.set(id, read.key);
  }
  return keys;
}

function readRoleKeys(value: unknown, what: string): RoleKeys {
  const role = value as { keyids?: unknown; threshold?: unknown };
  if (!isObject(role) || !Array.isArray(role.keyids) || !role.keyids.every((k) => typeof k === 'string') || !Number.isSafeInteger(role.threshold) || (role.threshold as number) < 1) {
    throw new Fail('malformed', `${what} has no keyids list and threshold ≥ 1`);
  }
  return { keyids: [...new Set(role.keyids as string[])], threshold: role.threshold as number };
}

function versionAndExpiry(signed: Record<string, unknown>, role: string): { version: number; expires: Date } {
  if (!Number.isSafeInteger(signed.version) || (signed.version as number) < 1) throw new Fail('malformed', `${role} has no version ≥ 1`);
  const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
  const expires = typeof signed.expires === 'string' && RFC3339.test(signed.expires) ? new Date(signed.expires.replace(/(\.\d{3})\d+/, '$1')) : new Date(NaN);
  if (Number.isNaN(expires.getTime())) throw new Fail('malformed', `${role} has no valid expires`);
  return { version: signed.version as number, expires };
}

// ——— checks ———

function checkThreshold(file: Signed<Record<string, unknown>>, role: RoleKeys, keys: Map<string, TufKey>, name: string): void {
  if (file.signatures.length === 0) throw new Fail('threshold', `tuf: data has no signatures (${name})`);
  const valid = new Set<string>();
  for (const signature of file.signatures) {
    if (!role.keyids.includes(signature.keyid) || valid.has(signature.keyid)) continue;
    const key = keys.get(signature.keyid);
    if (key && verifySignature(signature.method, key, file.canonical, signature.sig)) valid.add(signature.keyid);
  }
  if (valid.size < role.threshold) throw new Fail('threshold', `valid signatures did not meet threshold for ${name}`);
}

function checkVersionAndExpiry(role: string, signed: { version: number; expires: Date }, options: LoadOptions, now: Date, versions: Record<string, number>, expiries: Record<string, Date>): void {
  const floor = options.minimumVersions?.[role];
  if (floor !== undefined && signed.version < floor) throw new Fail('rollback', `version ${signed.version} is lower than current version ${floor} (${role})`);
  if (signed.expires.getTime() <= now.getTime()) throw new Fail('expired', `${role} expired at ${signed.expires.toUTCString()}`);
  versions[role] = signed.version;
  expiries[role] = signed.expires;
}

/** A file named by its sha256, bounded by the parent's length, checked against every hash before it is read. */
async function fetchByHash(fetch: NotaryFetch, role: string, meta: MetaEntry): Promise<Uint8Array> {
  const name = meta.sha256 ? `${role}.${meta.sha256.toString('hex')}.json` : `${role}.${meta.sha512!.toString('hex')}.json`;
  if (meta.length > FILE_MAX) throw new Fail('malformed', `${role} is said to be ${meta.length} bytes, more than the ${FILE_MAX} gate reads`);
  const bytes = await fetch(name, meta.length);
  // Named by its parent and missing: the repository is inconsistent, not merely unsigned.
  if (!bytes) throw new Fail('malformed', `${role}.${(meta.sha256 ?? meta.sha512)!.toString('hex')} trust data unavailable.  Has a notary repository been initialized?`);
  if (bytes.length > meta.length) throw new Fail('hash', `${role} is longer than the ${meta.length} bytes its parent gives`);
  for (const [algorithm, expected] of [['sha256', meta.sha256], ['sha512', meta.sha512]] as const) {
    if (expected && !createHash(algorithm).update(bytes).digest().equals(expected)) throw new Fail('hash', `${algorithm} checksum for ${role} did not match: expected ${expected.toString('hex')}`);
  }
  return bytes;
}

/**
 * A root certificate notary accepts for the GUN: one non-CA leaf, CN equal to the GUN (or a
 * `prefix*` it starts with), valid at `now`, not signed with SHA-1, RSA of 2048 bits or more.
 */
function validRootLeaf(key: TufKey, gun: string, now: Date): boolean {
  const leaf = key.certificates?.[0];
  if (!leaf || leaf.ca) return false;
  // One leaf, first; the rest of the bundle are CAs (notary's parseAllCerts).
  if (key.certificates!.slice(1).some((c) => !c.ca)) return false;
  // Go's Subject.CommonName is the last CN attribute.
  const cn = [...leaf.subject.matchAll(/(?:^|\n)CN=([^\n]*)/g)].at(-1)?.[1];
  if (cn === undefined || !(cn === gun || (cn.endsWith('*') && gun.startsWith(cn.slice(0, -1))))) return false;
  if (new Date(leaf.validFrom).getTime() > now.getTime() || new Date(leaf.validTo).getTime() < now.getTime()) return false;
  if (/sha1/i.test(leaf.signatureAlgorithm ?? '')) return false;
  if (key.key.asymmetricKeyType === 'rsa' && (key.key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return false;
  return true;
}

/**
 * A root leaf that chains to a pinned CA at `now`: issued by a CA certificate directly, or
 * through the intermediates of its own bundle (notary's trust_pinning `ca`).
 */
function chainsTo(key: TufKey, cas: X509Certificate[], now: Date): boolean {
  const valid = (c: X509Certificate) => new Date(c.validFrom).getTime() <= now.getTime() && new Date(c.validTo).getTime() >= now.getTime();
  let current = key.certificates?.[0];
  const intermediates = key.certificates?.slice(1) ?? [];
  for (let depth = 0; current && depth < 5; depth++) {
    const cert = current;
    if (cas.some((ca) => ca.ca && valid(ca) && cert.checkIssued(ca) && cert.verify(ca.publicKey))) return true;
    current = intermediates.find((i) => i.ca && valid(i) && cert.checkIssued(i) && cert.verify(i.publicKey));
  }
  return false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
