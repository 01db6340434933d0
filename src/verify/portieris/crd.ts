// The requirement entry of Portieris' CRD (simple.requirements[]): one struct with the
// fields of signedBy, shared by every Portieris requirement type.

import type { PathSegment } from '../../manifests/document.js';
import type { Origin, StrictReader } from '../../manifests/strict.js';

export const PORTIERIS_REQUIREMENT_FIELDS = ['type', 'keySecret', 'keySecretNamespace', 'signedIdentity'];

/** insecureAcceptAnything and reject take no field but `type`. */
export function parseFieldless<T extends string>(v: StrictReader, path: PathSegment[], type: T): { type: T; origin: Origin } {
  v.fields(path, PORTIERIS_REQUIREMENT_FIELDS, true);
  for (const field of PORTIERIS_REQUIREMENT_FIELDS.slice(1)) {
    if (v.at([...path, field]) !== undefined) v.fail([...path, field], `${field} only applies to signedBy requirements, not ${type}`);
  }
  return { type, origin: v.origin(path) };
}
