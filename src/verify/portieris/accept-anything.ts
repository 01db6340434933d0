// Portieris' `insecureAcceptAnything`: the requirement is met without any evidence.
// With reject, the only kind whose outcome is an allow without a signature.

import type { StaticKind } from '../kind.types.js';
import { parseFieldless } from './crd.js';

export const insecureAcceptAnything: StaticKind<{ type: 'insecureAcceptAnything'; origin: { file: string; line: number } }> = {
  type: 'insecureAcceptAnything',
  section: 'simple',
  needs: 'nothing',
  parse: (reader, path) => parseFieldless(reader, path, 'insecureAcceptAnything'),
  decide: (_requirement, pattern) => ({ accept: true, message: `the policy for "${pattern}" accepts any image (insecureAcceptAnything)` }),
  explain: () => ({}),
};
