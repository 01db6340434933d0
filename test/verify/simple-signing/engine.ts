// The simple-signing functions the tests under test/verify/simple-signing/ drive, from one
// place: when src/verify/{openpgp,packets,payload}.ts move to src/verify/simple-signing/,
// only these lines change.

export { parseArmoredPublicKeys, verifySignedMessage, type TrustedKeys } from '../../../src/verify/openpgp.js';
export { parseSimpleSigningPayload } from '../../../src/verify/payload.js';
export { identityMatches } from '../../../src/verify/identity.js';
export type { SignedIdentity } from '../../../src/policy/types.js';
export {
  checkSignature,
  evaluateSignatures,
  evaluateSignedBy,
  type ResolvedSignedBy,
  type UntrustedSignature,
} from '../../../src/verify/evaluate.js';
