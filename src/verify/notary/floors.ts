// Rollback protection without memory of its own: the notary client refuses metadata older
// than what it cached; a CI runner or a sidecar has no such cache, so gate keeps the files it
// verified in the evidence cache and compares the next run's repository with them. A cached
// set counts only when it verifies as a whole (loaded by repository.ts at the time it was
// fetched) under the same root certificates as today's: a planted entry cannot invent a
// floor without the repository's own keys, so it costs a denial only when the server really
// served newer data before. Pure.

import type { NotaryFailure, Repository } from './repository.js';

export function rollbackAgainst(fresh: Repository, seen: Repository): NotaryFailure | undefined {
  const sameRoot = seen.rootCertIds.some((id) => fresh.rootCertIds.includes(id));
  if (!sameRoot) return undefined;
  for (const [role, version] of Object.entries(seen.versions)) {
    const now = fresh.versions[role];
    if (now !== undefined && now < version) return { kind: 'rollback', message: `version ${now} is lower than current version ${version} (${role}, seen by an earlier run)` };
    // A delegation that vanished while the snapshot did not move on: older data, or a server that
    // equivocates (one left out today as expired or under its threshold is told as such instead).
    const leftOut = fresh.leftOut.some((r) => r.name === role);
    if (now === undefined && !leftOut && role.startsWith('targets/') && (fresh.versions.snapshot ?? 0) <= (seen.versions.snapshot ?? 0)) {
      return { kind: 'rollback', message: `${role} was seen at version ${version} by an earlier run and is missing from snapshot version ${fresh.versions.snapshot}` };
    }
  }
  return undefined;
}
