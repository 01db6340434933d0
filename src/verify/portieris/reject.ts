// Portieris' `reject`: every image the policy covers is denied, whatever else it requires.

import type { StaticKind } from '../kind.types.js';
import { parseFieldless } from './crd.js';

export const reject: StaticKind<{ type: 'reject'; origin: { file: string; line: number } }> = {
  type: 'reject',
  section: 'simple',
  needs: 'nothing',
  parse: (reader, path) => parseFieldless(reader, path, 'reject'),
  deny: (_requirement, pattern) => ({
    reason: 'REJECTED_BY_POLICY',
    message: `images matching "${pattern}" are rejected by policy (a "reject" requirement)`,
    hint: 'use an image from a repository the policy allows, or change the policy in a reviewed commit',
  }),
  explain: () => ({}),
};
