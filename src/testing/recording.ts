// Recorded evidence for `gate test`: what the decisions of `gate record` read from outside — tag
// digests, the blobs of each store lookup, the files of each Notary repository — kept under
// .gate/testdata/ as one reviewable index (recording.json: sorted, pretty-printed, so that a
// re-recording after a tag moved shows in git diff) and content-addressed blobs
// (blobs/<sha256 of the bytes>). No credential is ever part of it: only answers. Replayed,
// every blob is checked against its name before use (a tampered file stops the run), and a
// question the recording cannot answer stops the run too (RECORDING_STALE: re-record): the
// policy then needs evidence that was not recorded.

import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { GateError } from '../errors.js';
import { untrustedBlob, type BlobFormat, type Evidence, type NotaryFetch } from '../evidence.js';
import { readBounded } from '../input/bounded-read.js';
import type { EvidenceLookup, FailureKind } from '../signatures/evidence.js';
import type { NotaryAccess } from '../signatures/notary-server.js';
import type { EvidenceTap, LookupKey } from '../engine/tap.js';

export const TESTDATA_DIR = 'testdata';
const INDEX = 'recording.json';
const INDEX_LIMIT = 16 * 1024 * 1024;
const BLOB_LIMIT = 16 * 1024 * 1024;
const FAILURES: ReadonlySet<string> = new Set<FailureKind>(['unreachable', 'throttled', 'auth', 'timeout', 'too-many', 'malformed', 'not-found', 'unsupported', 'offline']);
const FORMATS: ReadonlySet<BlobFormat> = new Set(['simple-signing', 'sigstore-json', 'sigstore-attachment', 'sigstore-bundle', 'notary-metadata']);

interface BlobRef {
  format: BlobFormat;
  mediaType?: string;
  annotations?: Record<string, string>;
  location: string;
  sha256: string;
}

type RecordedLookup = LookupKey & ({ ok: true; searched: string; note?: string; unconfigured?: string; blobs: BlobRef[] } | { ok: false; searched: string; failure: { kind: string; message: string; hint?: string } });

interface RecordedTag {
  reference: string;
  access: string;
  digest: string;
}

interface RecordedNotary {
  server: string;
  gun: string;
  access: string;
  /** File name → sha256 of its bytes, or null when the server had none (404). */
  files: Record<string, string | null>;
}

export interface RecordingIndex {
  gate: 'recording';
  v: 1;
  /** When the evidence was read: gate test's clock unless told otherwise. */
  recorded: string;
  tags: RecordedTag[];
  lookups: RecordedLookup[];
  notary: RecordedNotary[];
}

const keyOf = (k: LookupKey) => JSON.stringify([k.store, k.cosign, k.repository, k.digest, k.access, k.settings]);
/** Answers that say "try again later", not "this is the evidence": never kept (a replay then asks for a re-recording). */
const TRANSIENT: ReadonlySet<string> = new Set(['unreachable', 'throttled', 'timeout', 'auth']);
/** Without where the repository is checked out: the .gate folder's path (as a path and as a file URL) becomes <.gate>. */
function portable(key: LookupKey, gateDir: string): LookupKey {
  const forms = [pathToFileURL(gateDir).href.slice('file://'.length), gateDir];
  const strip = (text: string) => forms.reduce((t, form) => t.split(form).join('<.gate>'), text);
  return { ...key, store: strip(key.store), settings: strip(key.settings) };
}
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Taps a live run and keeps every answer; `save` writes them to .gate/testdata/. */
export class Recorder implements EvidenceTap {
  private readonly tags = new Map<string, RecordedTag>();
  private readonly lookups = new Map<string, RecordedLookup>();
  private readonly notaries = new Map<string, RecordedNotary>();
  private readonly blobs = new Map<string, Uint8Array>();

  constructor(
    private readonly recorded: Date,
    private readonly gateDir: string,
  ) {}

  async tag(reference: string, access: string, live: () => Promise<string>): Promise<string> {
    const digest = await live();
    this.tags.set(JSON.stringify([reference, access]), { reference, access, digest });
    return digest;
  }

  async lookup(liveKey: LookupKey, live: () => Promise<EvidenceLookup>): Promise<EvidenceLookup> {
    const found = await live();
    if (!found.ok && TRANSIENT.has(found.failure.kind)) return found;
    const key = portable(liveKey, this.gateDir);
    const entry: RecordedLookup = found.ok
      ? {
          ...key,
          ok: true,
          searched: found.searched,
          ...(found.note ? { note: found.note } : {}),
          ...(found.unconfigured ? { unconfigured: found.unconfigured } : {}),
          blobs: found.blobs.map((blob) => this.keep(blob)),
        }
      : { ...key, ok: false, searched: found.searched, failure: { kind: found.failure.kind, message: found.failure.message, ...(found.failure.hint ? { hint: found.failure.hint } : {}) } };
    this.lookups.set(keyOf(key), entry);
    return found;
  }

  async notary(server: string, gun: string, who: string, live: () => Promise<NotaryAccess>): Promise<NotaryAccess> {
    const access = await live();
    const key = JSON.stringify([server, gun, who]);
    const entry: RecordedNotary = this.notaries.get(key) ?? { server, gun, access: who, files: {} };
    this.notaries.set(key, entry);
    const fetch: NotaryFetch = async (name, maxBytes) => {
      const bytes = await access.fetch(name, maxBytes);
      entry.files[name] = bytes ? this.store(bytes) : null;
      return bytes;
    };
    return { ...access, fetch };
  }

  /**
   * Writes recording.json and the blobs it names, and removes blobs no longer named. The folders
   * must be real folders (a link could aim the writes, and the removal, elsewhere); each file is
   * written beside its place and renamed into it.
   */
  async save(): Promise<{ dir: string; blobs: number }> {
    const dir = path.join(this.gateDir, TESTDATA_DIR);
    const blobDir = path.join(dir, 'blobs');
    for (const folder of [dir, blobDir]) {
      await mkdir(folder, { recursive: true });
      if ((await lstat(folder)).isSymbolicLink()) throw new GateError('RECORDING_INVALID', `${folder} is a symbolic link: gate record writes only into real folders under .gate/`);
    }
    const index: RecordingIndex = {
      gate: 'recording',
      v: 1,
      recorded: this.recorded.toISOString(),
      tags: [...this.tags.values()].sort((a, b) => (JSON.stringify([a.reference, a.access]) < JSON.stringify([b.reference, b.access]) ? -1 : 1)),
      lookups: [...this.lookups.values()].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1)),
      notary: [...this.notaries.values()]
        .sort((a, b) => (JSON.stringify([a.server, a.gun, a.access]) < JSON.stringify([b.server, b.gun, b.access]) ? -1 : 1))
        .map((n) => ({ ...n, files: Object.fromEntries(Object.entries(n.files).sort(([a], [b]) => (a < b ? -1 : 1))) })),
    };
    for (const [hash, bytes] of this.blobs) await replaceFile(path.join(blobDir, hash), bytes);
    for (const file of await readdir(blobDir)) if (HASH.test(file) && !this.blobs.has(file)) await rm(path.join(blobDir, file), { force: true });
    await replaceFile(path.join(dir, INDEX), Buffer.from(`${JSON.stringify(index, null, 2)}\n`));
    return { dir, blobs: this.blobs.size };
  }

  private keep(blob: Evidence): BlobRef {
    return {
      format: blob.format,
      ...(blob.mediaType !== undefined ? { mediaType: blob.mediaType } : {}),
      ...(blob.annotations ? { annotations: { ...blob.annotations } } : {}),
      location: blob.location,
      sha256: this.store(blob.bytes),
    };
  }

  private store(bytes: Uint8Array): string {
    const hash = sha256(bytes);
    this.blobs.set(hash, bytes);
    return hash;
  }
}

/** Answers from a recording, and only from it: never the network. */
export class Replayer implements EvidenceTap {
  private constructor(
    readonly index: RecordingIndex,
    private readonly gateDir: string,
    private readonly shown: string,
  ) {}

  /** Reads and checks .gate/testdata/recording.json; blobs are read, and checked, when used. */
  static async open(gateDir: string, shown: (file: string) => string): Promise<Replayer> {
    const dir = path.join(gateDir, TESTDATA_DIR);
    const file = path.join(dir, INDEX);
    const read = await readBounded(file, INDEX_LIMIT);
    if (read.kind !== 'ok') {
      throw new GateError('RECORDING_INVALID', read.kind === 'absent' ? `no recorded evidence at ${shown(file)}: run gate record first (with the network), and commit .gate/testdata/` : `cannot read ${shown(file)}: ${read.kind === 'too-large' ? 'too large' : read.message}`, { file: shown(file) });
    }
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(read.bytes).toString('utf8'));
    } catch {
      throw new GateError('RECORDING_INVALID', `${shown(file)} is not JSON: re-record with gate record`, { file: shown(file) });
    }
    return new Replayer(checkIndex(value, shown(file)), gateDir, shown(dir));
  }

  get recorded(): Date {
    return new Date(this.index.recorded);
  }

  async tag(reference: string, access: string): Promise<string> {
    const entry = this.index.tags.find((t) => t.reference === reference && t.access === access);
    if (!entry) throw stale(`the digest of ${reference} (as asked by ${access})`);
    return entry.digest;
  }

  async lookup(asked: LookupKey): Promise<EvidenceLookup> {
    const key = portable(asked, this.gateDir);
    const entry = this.index.lookups.find((l) => keyOf(l) === keyOf(key));
    if (!entry) throw stale(`the signatures of ${key.repository}@${key.digest} in ${key.store}`);
    if (!entry.ok) return { ok: false, searched: entry.searched, failure: { ...entry.failure, kind: entry.failure.kind as FailureKind } };
    const blobs: Evidence[] = [];
    for (const ref of entry.blobs) {
      blobs.push(untrustedBlob({ format: ref.format, ...(ref.mediaType !== undefined ? { mediaType: ref.mediaType } : {}), ...(ref.annotations ? { annotations: ref.annotations } : {}), location: ref.location, bytes: await this.blob(ref.sha256) }));
    }
    return { ok: true, searched: `${entry.searched} (recorded ${this.index.recorded})`, blobs, ...(entry.note ? { note: entry.note } : {}), ...(entry.unconfigured ? { unconfigured: entry.unconfigured } : {}) };
  }

  async notary(server: string, gun: string, access: string): Promise<NotaryAccess> {
    const entry = this.index.notary.find((n) => n.server === server && n.gun === gun && n.access === access);
    if (!entry) throw stale(`the trust data of ${gun} on ${server}`);
    const fetch: NotaryFetch = async (name, maxBytes) => {
      if (!Object.hasOwn(entry.files, name)) throw stale(`${name} of ${gun} on ${server}`);
      const hash = entry.files[name];
      if (hash === null) return undefined;
      const bytes = await this.blob(hash);
      return bytes.length > maxBytes ? bytes.subarray(0, maxBytes + 1) : bytes;
    };
    // Read "with a token": never kept in an evidence cache.
    return { fetch, via: `from the recording of ${this.index.recorded}`, authenticated: true };
  }

  private async blob(hash: string): Promise<Uint8Array> {
    const file = path.join(this.gateDir, TESTDATA_DIR, 'blobs', hash);
    const read = await readBounded(file, BLOB_LIMIT);
    if (read.kind !== 'ok') throw new GateError('RECORDING_INVALID', `${this.shown}/blobs/${hash}, which recording.json names, ${read.kind === 'absent' ? 'is missing' : 'cannot be read'}: re-record with gate record`);
    if (sha256(read.bytes) !== hash) throw new GateError('RECORDING_INVALID', `${this.shown}/blobs/${hash} does not hash to its name: the recording was altered; re-record with gate record and review the diff`);
    return read.bytes;
  }
}

const HASH = /^[0-9a-f]{64}$/;

/** A new file beside `file`, renamed over it: a link in its place is replaced, never followed. */
async function replaceFile(file: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, bytes, { flag: 'wx' });
  await rename(temporary, file);
}

function stale(what: string): GateError {
  return new GateError('RECORDING_STALE', `the recording in .gate/testdata/ does not hold ${what}, which the policies now need: re-record with gate record (with the network), and review the diff`);
}

/** The index, checked field by field: anything else is RECORDING_INVALID. */
function checkIndex(value: unknown, file: string): RecordingIndex {
  const bad = (why: string): never => {
    throw new GateError('RECORDING_INVALID', `${file}: ${why}; re-record with gate record`, { file });
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const isHash = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  if (!isObject(value) || value.gate !== 'recording' || value.v !== 1) bad('not a gate recording of version 1');
  const index = value as unknown as RecordingIndex;
  if (typeof index.recorded !== 'string' || Number.isNaN(new Date(index.recorded).getTime())) bad('recorded is not a time');
  if (Date.parse(index.recorded) > Date.now() + 5 * 60_000) bad('recorded is in the future');
  if (!Array.isArray(index.tags) || !index.tags.every((t) => isObject(t) && typeof t.reference === 'string' && typeof t.access === 'string' && typeof t.digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(t.digest))) bad('tags must be a list of {reference, access, digest: sha256:…}');
  if (!Array.isArray(index.lookups)) bad('lookups must be a list');
  for (const l of index.lookups) {
    if (!isObject(l) || typeof l.store !== 'string' || typeof l.cosign !== 'string' || typeof l.repository !== 'string' || typeof l.digest !== 'string' || typeof l.access !== 'string' || typeof l.settings !== 'string' || typeof l.searched !== 'string') bad('a lookup lacks its store, repository, digest, access, settings or searched');
    if (l.ok === true) {
      const texts = (v: unknown) => v === undefined || (isObject(v) && Object.values(v).every((x) => typeof x === 'string'));
      const blobOk = (b: unknown) => isObject(b) && FORMATS.has(b.format as BlobFormat) && typeof b.location === 'string' && isHash(b.sha256) && (b.mediaType === undefined || typeof b.mediaType === 'string') && texts(b.annotations);
      if (!Array.isArray(l.blobs) || !l.blobs.every(blobOk) || (l.note !== undefined && typeof l.note !== 'string') || (l.unconfigured !== undefined && typeof l.unconfigured !== 'string')) bad(`a lookup of ${l.repository}@${l.digest} is malformed`);
    } else if (l.ok !== false || !isObject(l.failure) || !FAILURES.has(l.failure.kind as string) || typeof l.failure.message !== 'string' || (l.failure.hint !== undefined && typeof l.failure.hint !== 'string')) bad('a failed lookup lacks its failure');
  }
  if (!Array.isArray(index.notary)) bad('notary must be a list');
  for (const n of index.notary) {
    if (!isObject(n) || typeof n.server !== 'string' || typeof n.gun !== 'string' || typeof n.access !== 'string' || !isObject(n.files) || !Object.values(n.files).every((h) => h === null || isHash(h))) bad('a notary entry is malformed');
  }
  return index;
}
