// Which digest a Notary v1 repository signs for a tag, as Portieris reads it (pkg/verifier/
// trust/trust.go getDigest over notary's GetAllTargetMetadataByName): every valid role that
// holds the tag within its paths, in breadth-first order; the released digest is the sha256
// of the last such entry whose role is `targets` or `targets/releases` (docker pull reads only
// those two). Pure: a verified repository in, a digest or why not out.

import type { Repository, RoleView } from './repository.js';

export interface SignedTag {
  role: string;
  /** sha256 of the manifest the role signs, hex; absent when the entry has only sha512. */
  digest?: string;
  length: number;
}

export type TagLookup =
  | { ok: true; digest: string; released: string; entries: SignedTag[] }
  | { ok: false; reason: 'not-signed' | 'no-released-role'; message: string; entries: SignedTag[] };

export function lookupTag(repository: Repository, tag: string): TagLookup {
  const entries: SignedTag[] = [];
  for (const role of repository.roles) {
    const entry = role.targets.get(tag);
    if (!entry || !withinPaths(role, tag)) continue;
    entries.push({ role: role.name, length: entry.length, ...(entry.sha256 ? { digest: entry.sha256.toString('hex') } : {}) });
  }
  if (entries.length === 0) return { ok: false, reason: 'not-signed', message: `No valid trust data for ${tag}`, entries };
  // The last released entry decides, whatever its hashes: one without sha256 names no digest (Portieris: an empty one).
  const released = entries.filter((e) => e.role === 'targets' || e.role === 'targets/releases').at(-1);
  if (released && released.digest === undefined) {
    return { ok: false, reason: 'no-released-role', message: `${released.role} signs ${tag} without a sha256 digest, so it names no image digest`, entries };
  }
  if (!released?.digest) {
    return {
      ok: false,
      reason: 'no-released-role',
      message: `${tag} is signed only by ${entries.map((e) => e.role).join(', ')}, and only targets and targets/releases choose the digest a tag stands for (Portieris would admit it without one)`,
      entries,
    };
  }
  return { ok: true, digest: `sha256:${released.digest}`, released: released.role, entries };
}

/** A delegation signs only names under its paths (string prefixes; "" is every name). */
function withinPaths(role: RoleView, tag: string): boolean {
  return role.paths.some((prefix) => tag.startsWith(prefix));
}
