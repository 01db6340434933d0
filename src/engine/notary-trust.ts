// The I/O of a Portieris `trust` policy, step by step; the rules are in verify/notary/:
//   1. the GUN (the normalised name, port included) and the trust server (server.ts: the
//      policy's trustServer, else Portieris' built-in map; TLS from .gate/certs.d, --ca-file);
//   2. the root of trust: a pin from .gate/config.yaml trustPinning, else whatever root the
//      server gives — said loudly, once per GUN, because a runner without memory protects
//      nothing that way;
//   3. the signers: each signerSecret's Secret (data name, publicKey) in the workload's namespace;
//   4. the repository, read with the workload's pull secrets as Portieris reads it
//      (signatures/notary-server.ts) and verified (repository.ts), once per (server, GUN,
//      credentials) in a run; then compared with the files an earlier run verified (the
//      evidence cache: floors.ts), and kept for the next run when read without a credential;
//   5. the verdict (judge.ts) on the repository, the reference and the registry's digest.

import { GateError, type Warning } from '../errors.js';
import type { EvidenceCache } from '../cache/evidence-cache.js';
import type { EvidenceCacheParts } from '../cache/key.js';
import { untrustedBlob, type NotaryFetch } from '../evidence.js';
import type { KeyStore } from '../policy/keys.js';
import { pinFor, type RuleLevel, type TrustPin } from '../policy/settings.js';
import type { ImageReference } from '../reference/reference.js';
import { credentialKey, type CredentialCandidate } from '../registry/credentials.js';
import type { HttpClient } from '../registry/http.js';
import { openNotary } from '../signatures/notary-server.js';
import { rollbackAgainst } from '../verify/notary/floors.js';
import { failureHint, failureReason, judgeTrust } from '../verify/notary/judge.js';
import type { NotaryTrustRequirement } from '../verify/notary/kind.js';
import { loadRepository, type Repository, type NotaryFailure } from '../verify/notary/repository.js';
import { trustServerFor } from '../verify/notary/server.js';
import type { SignerSecret } from '../verify/notary/signers.js';
import { allow, deny, type Verdict } from '../verify/verdict.js';
import { once } from '../memo.js';
import type { EvidenceTap } from './tap.js';
import type { NotaryReading } from '../report/explanation.js';
import { readBounded } from '../input/bounded-read.js';

export interface NotaryNetwork {
  http: HttpClient;
  cleartextAllowed(hostPort: string): boolean;
  /** The registry's own Bearer realm (registry/client.ts tokenRealm). */
  tokenRealm(domain: string): Promise<string | undefined>;
}

export interface NotaryTrustOptions {
  network?: NotaryNetwork;
  keys: KeyStore;
  pins: readonly TrustPin[];
  cache?: EvidenceCache;
  now: Date;
  /** Predict Portieris (key IDs, digest references read as `latest`), or judge alone. */
  portieris: boolean;
  /** The key-secret rule: a signer Secret Portieris will not find in the workload's namespace denies, warns, or is not looked at. */
  keySecret: RuleLevel;
  /** Where the trust server's files enter (engine/tap.ts): recorded or replayed. */
  tap?: EvidenceTap;
  warn: (warning: Warning) => void;
}

export interface TrustQuery {
  requirement: NotaryTrustRequirement;
  ref: ImageReference;
  namespace: string;
  credentials: readonly CredentialCandidate[];
  /** What the registry serves for the tag (a reference without a digest). */
  registryDigest?: string;
  mutateImageOff: boolean;
  /** Who asks (engine/tap.ts accessKey), for a tap. */
  access: string;
  /** The policy is one of .gate/'s (reviewed), not only in the checked manifests: its trustServer may receive credentials. */
  policyReviewed: boolean;
  /** `ImagePolicy/x (repository "…")`, for messages. */
  label: string;
}

type Loaded = { ok: true; repository: Repository; via: string; floor?: string } | { ok: false; failure: NotaryFailure; via: string };

const TRUST_DATA = 'notary trust data';

export class NotaryTrust {
  private readonly repositories = new Map<string, Promise<Loaded>>();
  private readonly cas = new Map<string, Promise<string>>();
  private readonly warnedUnpinned = new Set<string>();
  private readonly warnedSecrets = new Set<string>();

  constructor(private readonly options: NotaryTrustOptions) {}

  async decide(query: TrustQuery): Promise<{ verdict: Verdict; reading: NotaryReading }> {
    const { requirement, ref } = query;
    const gun = `${ref.domain}/${ref.path}`;
    const reading: NotaryReading = { gun, pin: 'none', signers: [] };
    const digestOf = ref.digest ?? query.registryDigest;
    const server = trustServerFor(requirement.trustServer, ref.domain);
    if (!server.ok) return { verdict: deny('TRUST_SERVER_UNKNOWN', server.message, server.hint, digestOf), reading };
    reading.server = { url: server.url, from: server.from };

    const pin = pinFor(this.options.pins, gun);
    reading.pin = pin ? `${pin.gun} (${pin.certIds ? `root certificate IDs ${pin.certIds.join(', ')}` : `CA ${pin.ca}`}; ${pin.origin.file}:${pin.origin.line})` : 'none: the root the server gives is trusted';
    if (!pin) this.warnUnpinned(gun, requirement);

    // Portieris keys its signer map by name: a later Secret with the same signer name wins.
    const bySigner = new Map<string, SignerSecret>();
    const undeployed: Array<{ secret: string; name: string; source: string; clusterAsked: boolean }> = [];
    for (const secret of requirement.signerSecrets) {
      const found = await this.options.keys.signerSecret({ secret, namespace: query.namespace, policy: query.label, origin: requirement.origin });
      bySigner.set(found.name, { secret, name: found.name, publicKey: found.publicKey });
      if (!found.deployed) undeployed.push({ secret, name: found.name, source: found.source, clusterAsked: found.clusterAsked });
    }
    const signers = [...bySigner.values()];
    reading.signers = signers.map((s) => ({ secret: s.secret, name: s.name }));

    const network = this.options.network;
    if (!network) {
      return { verdict: deny('UNREACHABLE', `content trust for ${gun} is read from ${server.url}, and this run is offline`, 'run without --offline: a trust policy needs its trust server', digestOf), reading };
    }
    const loaded = await this.load(network, server.url, gun, pin, query, server.from === 'built-in map' || query.policyReviewed);
    reading.via = loaded.via;
    if (!loaded.ok) {
      const message = loaded.failure.kind === 'no-trust-data' && loaded.failure.message.startsWith('does not have') ? `${new URL(server.url).host} ${loaded.failure.message}` : loaded.failure.message;
      return { verdict: deny(failureReason(loaded.failure), `content trust for ${gun} (${server.url}): ${message}`, failureHint(loaded.failure, gun), digestOf), reading };
    }
    const { repository } = loaded;
    reading.repository = {
      roles: repository.roles.map((role) => {
        const tag = ref.tag ?? (ref.digest ? undefined : 'latest');
        const entry = tag !== undefined ? role.targets.get(tag) : undefined;
        const signs = entry ? `${tag} → ${entry.sha256 ? `sha256:${entry.sha256.toString('hex')}` : 'no sha256'}` : undefined;
        return { name: role.name, version: role.version, expires: role.expires.toISOString(), threshold: role.threshold, keyIds: role.keyIds, ...(signs ? { signs } : {}) };
      }),
      versions: repository.versions,
      expiries: Object.fromEntries(Object.entries(repository.expiries).map(([role, date]) => [role, date.toISOString()])),
      warnings: repository.warnings,
    };
    if (loaded.floor) reading.floor = loaded.floor;

    const outcome = judgeTrust({
      repository,
      ...(ref.tag !== undefined || ref.digest === undefined ? { tag: ref.tag ?? 'latest' } : {}),
      ...(ref.digest !== undefined ? { digest: ref.digest } : {}),
      ...(query.registryDigest !== undefined ? { registryDigest: query.registryDigest } : {}),
      signers,
      now: this.options.now,
      portieris: this.options.portieris,
      mutateImageOff: query.mutateImageOff,
    });
    if (outcome.comparison) reading.comparison = outcome.comparison;
    if (!outcome.ok) return { verdict: deny(outcome.reason, `content trust (${server.url}): ${outcome.message}`, outcome.hint, outcome.digest ?? digestOf), reading };
    const verdict = allow('SIGNED', `content trust (${server.url}, read ${loaded.via}): ${outcome.message}`, outcome.digest);
    const notDeployed = this.signerSecretRule(undeployed, query, outcome.digest);
    if (notDeployed) return { verdict: notDeployed, reading };
    return { verdict: { ...verdict, signers: [`notary ${gun}:${outcome.tag}`, ...signers.map((s) => `targets/${s.name}`)] }, reading };
  }

  /**
   * Portieris reads each signerSecret from the workload's namespace and fails without it. A
   * Secret gate found only in .gate/ without a namespace says nothing about that: denied
   * (KEY_NOT_DEPLOYED) or warned once per Secret and namespace, as the key-secret rule says.
   */
  private signerSecretRule(undeployed: ReadonlyArray<{ secret: string; name: string; source: string; clusterAsked: boolean }>, query: TrustQuery, digest: string): Verdict | undefined {
    const level = this.options.keySecret;
    for (const secret of level === 'off' ? [] : undeployed) {
      const where = `Secret "${secret.secret}" in namespace "${query.namespace}"`;
      const message = `${query.label} needs signerSecret "${secret.secret}": gate found it only in ${secret.source}, and ${secret.clusterAsked ? `the cluster has no ${where}` : `nothing says the cluster holds ${where}`}, which is all Portieris reads, so it would deny the pod`;
      const hint = `kubectl create secret generic ${secret.secret} --from-literal=name=${secret.name} --from-file=publicKey=<${secret.name}'s certificate or key> -n ${query.namespace}; then add the Secret to the manifests, declare it in .gate/config.yaml keySecrets, or check with --cluster`;
      if (level === 'deny') return deny('KEY_NOT_DEPLOYED', message, hint, digest);
      const key = `${secret.secret}\u0000${query.namespace}`;
      if (!this.warnedSecrets.has(key)) {
        this.warnedSecrets.add(key);
        this.options.warn({ ...query.requirement.origin, message: `${message}; fix: ${hint}` });
      }
    }
    return undefined;
  }

  /** Once per (server, GUN, credentials) in a run; a transport failure is thrown (TransportError). */
  private load(network: NotaryNetwork, url: string, gun: string, pin: TrustPin | undefined, query: TrustQuery, originTrusted: boolean): Promise<Loaded> {
    return once(this.repositories, JSON.stringify([url, gun, credentialKey([...query.credentials]), originTrusted]), async () => {
      const open = async () => {
        const realm = await network.tokenRealm(query.ref.domain);
        return openNotary({
          http: network.http,
          url,
          gun,
          credentials: query.credentials.flatMap((c) => (c.anonymous ? [] : [{ source: c.source, username: c.username, password: c.password }])),
          cleartextAllowed: (host) => network.cleartextAllowed(host),
          ...(realm ? { credentialRealms: [realm] } : {}),
          originTrusted,
        });
      };
      const access = this.options.tap ? await this.options.tap.notary(url, gun, query.access, open) : await open();
      const files = new Map<string, Uint8Array>();
      const recording: NotaryFetch = async (name, maxBytes) => {
        const bytes = await access.fetch(name, maxBytes);
        if (bytes) files.set(name, bytes);
        return bytes;
      };
      const pinning = { ...(pin?.certIds ? { pinnedRootIds: pin.certIds } : {}), ...(pin?.ca ? { pinnedCa: await this.ca(pin.ca) } : {}) };
      const loaded = await loadRepository(recording, { gun, now: this.options.now, ...pinning });
      if (!loaded.ok) return { ok: false, failure: loaded.failure, via: access.via };

      const cache = this.options.cache;
      const parts: EvidenceCacheParts = { store: `notary:${url}`, repository: gun, digest: TRUST_DATA, attachments: false };
      let floor: string | undefined;
      const earlier = await cache?.get(parts);
      if (earlier) {
        const stored = new Map(earlier.blobs.map((b) => [b.location, b.bytes]));
        const replay: NotaryFetch = async (name, maxBytes) => {
          const bytes = stored.get(name);
          return bytes && bytes.length <= maxBytes ? bytes : undefined;
        };
        const seen = await loadRepository(replay, { gun, now: new Date(earlier.fetched), ...pinning });
        if (seen.ok) {
          const rollback = rollbackAgainst(loaded.repository, seen.repository);
          if (rollback) return { ok: false, failure: rollback, via: access.via };
          floor = `versions seen on ${new Date(earlier.fetched).toISOString()}: ${Object.entries(seen.repository.versions).map(([r, v]) => `${r} ${v}`).join(', ')}`;
        }
      }
      // Trust data read with a pull secret stays in this run: the cache is shared by every workload.
      if (cache && !access.authenticated) {
        cache.put(parts, { searched: `${url} (${gun})`, blobs: [...files].map(([name, bytes]) => untrustedBlob({ format: 'notary-metadata', bytes, location: name })) });
      }
      return { ok: true, repository: loaded.repository, via: access.via, ...(floor ? { floor } : {}) };
    });
  }

  private ca(file: string): Promise<string> {
    return once(this.cas, file, async () => {
      const read = await readBounded(file, 1024 * 1024);
      if (read.kind !== 'ok') throw new GateError('KEY_INVALID', `cannot read the trustPinning CA ${file}: ${read.kind === 'too-large' ? 'larger than 1 MiB' : read.kind === 'absent' ? 'it does not exist' : read.message}`, { file });
      return Buffer.from(read.bytes).toString('utf8');
    });
  }

  private warnUnpinned(gun: string, requirement: NotaryTrustRequirement): void {
    if (this.warnedUnpinned.has(gun)) return;
    this.warnedUnpinned.add(gun);
    this.options.warn({
      ...requirement.origin,
      message: `content trust for ${gun} is not pinned: gate trusts whatever root the trust server gives, and a run has no memory of the last one, so whoever controls that server (or the way to it) can sign anything — pin it in .gate/config.yaml trustPinning (gate init --trust-server <url> --gun ${gun} prints the entry)`,
    });
  }
}
