// What a requirement kind is. A kind owns everything about one requirement `type:` of a
// policy: its schema, how it turns raw key bytes into trust, which evidence it reads,
// the crypto check (pure: bytes + trust + now) and the acceptance check (pure: claim +
// digest + intended reference). The engine knows kinds only through this file, and a
// kind is registered in verify/kinds.ts; nothing else dispatches on a type string.
//
// Three shapes, as containers/image's PolicyRequirement has them: a kind that denies
// without evidence (reject, and what gate cannot evaluate yet), a kind that needs
// signatures and keys (signedBy), and insecureAcceptAnything, the one kind met without
// evidence (policy/admission.ts allows only for that very kind, by identity). A kind
// that forgets a step does not type-check: that is the guard against a fail-open
// requirement. A fourth is Portieris' `trust`, whose evidence is a Notary repository the
// engine reads and judges (TrustDataKind).

import type { PathSegment } from '../manifests/document.js';
import type { Origin, StrictReader } from '../manifests/strict.js';
import type { ImageReference } from '../reference/reference.js';
import type { Evidence } from '../evidence.js';
import type { ReasonCode } from './verdict.js';

/** Every parsed requirement carries its type and where it was written. */
export interface Requirement {
  readonly type: string;
  readonly origin: Origin;
}

/** Where a policy holds the kind: an entry of `simple.requirements`, or the `trust` section. */
export type Section = 'simple' | 'trust';

/** A stored blob, unverified, with what the store knew about it (src/evidence.ts). */
export type { Evidence } from '../evidence.js';

/** Raw key bytes as found, before any kind has read them. */
export interface KeyMaterial {
  bytes: Uint8Array;
  /** Where it came from, for messages (`.gate/keys/team-key.asc`). */
  source: string;
  origin: Origin;
  /** sha256 (hex) of the bytes: a revocation or a new key changes it. */
  sha256: string;
}

/** Which key a requirement needs, and how the key store should look for it. */
export interface KeyNeed {
  secret: string;
  namespace: string;
  /** The policy names the namespace (keySecretNamespace) instead of taking the workload's. */
  namespaceFromPolicy?: boolean;
  /** The file `.gate/keys/<secret>.<extension>`: the kind's keyExtension. */
  extension: string;
  /** How to make that file, for "not found" messages. */
  howToExport: string;
  /**
   * Trust read from files under .gate/ and bytes written in the policy instead of a
   * keySecret (gate-only kinds such as sigstoreSigned): the key store reads them in this
   * order and hands them to the kind as one JSON document, `[{role, source, bytes}]`
   * (bytes in base64). `secret` then only names the set, for memos.
   */
  files?: ReadonlyArray<TrustFile>;
}

/** One piece of trust material a kind asks for: a path under .gate/, or base64 bytes from the policy. */
export interface TrustFile {
  role: string;
  path?: string;
  /**
   * A Secret of policy-controller's namespace whose one data entry is the material
   * (a ClusterImagePolicy's key.secretRef): .gate/keys/<name>.pub, else the Secret in .gate/
   * or in the checked manifests.
   */
  secret?: { name: string; namespace: string };
  /** base64, with what it is called in messages. */
  data?: string;
  field?: string;
}

export type TrustBuild<T> =
  | { ok: true; value: T; /** What identifies each trusted key (fingerprints). */ ids: string[]; /** Keys left out, said as warnings. */ warnings: string[] }
  | { ok: false; message: string };

/** Trust built by a kind, with where its material came from. */
export interface Trust<T = unknown> {
  value: T;
  ids: string[];
  source: string;
  sha256: string;
}

/** The image a decision is about: the digest signatures must cover and the reference they must name. */
export interface Target {
  digest: string;
  /** Normalised, `:latest` added when the reference had neither tag nor digest. */
  intended: ImageReference;
}

export type Rejection = { ok: false; reason: ReasonCode; message: string };
/** The crypto step's answer: the signed claim and who signed it, or why not. */
export type Verified<C> = { ok: true; claim: C; signer: string } | Rejection;
/** The acceptance step's answer. */
export type Acceptance = { ok: true; signedReference: string } | Rejection;

/** The outcome of a requirement that decides without evidence: always a denial. */
export interface StaticDenial {
  reason: ReasonCode;
  message: string;
  hint: string;
}

/** What `gate explain` shows of a requirement; a kind with other facts to show adds them here. */
export interface ExplainFields {
  keySecret?: string;
  keySource?: string;
  fingerprints?: string[];
  identity?: string;
  trustServer?: string;
  signerSecrets?: string[];
}

interface KindBase<R extends Requirement> {
  readonly type: R['type'];
  readonly section: Section;
  /**
   * Reads the requirement at `path` strictly; `type` is already known to be this kind's.
   * Called for the trust section too, with the section's path.
   */
  parse(reader: StrictReader, path: PathSegment[]): R;
  /** The fields `gate explain --output json` shows for the requirement, besides `type`. */
  explain(requirement: R, trust: Trust | undefined, intended: ImageReference | undefined): ExplainFields;
}

/** A kind that denies without evidence. It cannot allow: its answer has no room for it. */
export interface StaticKind<R extends Requirement = Requirement> extends KindBase<R> {
  readonly needs: 'nothing';
  /** `pattern`: the repository pattern that chose the policy, for messages. */
  deny(requirement: R, pattern: string): StaticDenial;
}

/** insecureAcceptAnything: met without evidence. admission.ts honours it only for the registered Portieris kind itself. */
export interface AcceptAnythingKind<R extends Requirement = Requirement> extends KindBase<R> {
  readonly needs: 'no-evidence-accepted';
  /** What the allow says (`pattern`: the repository pattern that chose the policy). */
  message(pattern: string): string;
}

export interface SignatureKind<R extends Requirement = Requirement, T = unknown, C = unknown> extends KindBase<R> {
  readonly needs: 'signatures';
  /** What the requirement is called in messages (`keySecret team-key`). */
  label(requirement: R): string;
  /** The key file's extension: `.gate/keys/<secret>.<keyExtension>` (`asc` for OpenPGP). */
  readonly keyExtension: string;
  key(requirement: R, namespace: string): KeyNeed;
  /** Reads raw key material in the kind's own format (`need`: what it was looked up as, for messages). */
  trust(material: KeyMaterial, need: KeyNeed): Promise<TrustBuild<T>>;
  /**
   * Where its evidence is: absent, the policy's signature stores (a lookaside, the
   * registry's signature API); `cosign`, the image's own cosign storage in its registry
   * (the `sha256-<hex>.sig` tag and OCI 1.1 referrers, signatures/cosign.ts).
   */
  readonly evidence?: 'cosign';
  /** Whether this kind reads a blob; the others are counted as ignored in a NO_SIGNATURE message. */
  consumes(blob: Evidence): boolean;
  /** Crypto only, pure: run once per (blob, trust) in a run whatever the identity. */
  verify(blob: Evidence, trust: T, now: Date): Promise<Verified<C>>;
  /** Digest and identity only, pure and cheap. */
  accept(claim: C, target: Target, requirement: R): Acceptance;
  /** What to do about a denial of this requirement. */
  hint(reason: ReasonCode, requirement: R, trust: Trust<T>, target: Target): string;
  /** Trust material with an end date (CAs, logs, timestamp authorities), for `gate policy lint`. */
  validity?(trust: T): Array<{ what: string; end: Date }>;
}

/**
 * A kind whose evidence is a repository of signed trust data rather than blobs stored per
 * digest: Portieris' `trust` (Notary v1). It names who holds the trust data and which
 * signers must sign; the engine reads and judges it (engine/notary-trust.ts, with the pure
 * rules of verify/notary/), because its claim is the digest of a tag, not a signature over one.
 */
export interface TrustDataKind<R extends Requirement = Requirement> extends KindBase<R> {
  readonly needs: 'trust-data';
}

// `any` only here: the registry holds kinds of different requirement types, and each kind
// is handed back only the requirements it parsed itself (the engine looks them up by type).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RequirementKind = StaticKind<any> | AcceptAnythingKind<any> | SignatureKind<any, any, any> | TrustDataKind<any>;

/** Every kind gate can evaluate, by `type:`. */
export type KindRegistry = Readonly<Record<string, RequirementKind>>;
