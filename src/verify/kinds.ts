// Every requirement kind gate evaluates, by the `type:` a policy writes. Adding a
// signature format is one folder under verify/ and one line here; a type that is not
// here is a policy error listing these (policy/validate.ts), never an allow.

import type { KindRegistry } from './kind.types.js';
import { notaryTrust } from './notary/kind.js';
import { insecureAcceptAnything } from './portieris/accept-anything.js';
import { reject } from './portieris/reject.js';
import { sigstoreSigned } from './sigstore/kind.js';
import { signedBy } from './simple-signing/kind.js';

export const KINDS = {
  signedBy,
  sigstoreSigned,
  reject,
  insecureAcceptAnything,
  trust: notaryTrust,
} as const satisfies KindRegistry;

/** The kinds that can be written in a section, for "expected one of" messages. */
export function typesIn(kinds: KindRegistry, section: 'simple' | 'trust'): string[] {
  return Object.values(kinds).filter((k) => k.section === section).map((k) => k.type);
}
