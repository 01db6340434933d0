// Portieris' `insecureAcceptAnything`: the requirement is met without any evidence.
// The only kind whose outcome is an allow without a signature.

import type { AcceptAnythingKind } from '../kind.types.js';
import { parseFieldless } from './crd.js';

export const insecureAcceptAnything: AcceptAnythingKind<{ type: 'insecureAcceptAnything'; origin: { file: string; line: number } }> = {
  type: 'insecureAcceptAnything',
  section: 'simple',
  needs: 'no-evidence-accepted',
  parse: (reader, path) => parseFieldless(reader, path, 'insecureAcceptAnything'),
  message: (pattern) => `the policy for "${pattern}" accepts any image (insecureAcceptAnything)`,
  explain: () => ({}),
};
