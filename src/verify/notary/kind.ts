// Portieris' `trust` section: Notary v1 / Docker Content Trust. Its schema is read and
// kept (trustServer, signerSecrets), but gate cannot evaluate it yet, so an enabled
// trust policy is denied UNSUPPORTED, never allowed.
//
// When it is evaluated it becomes a kind that needs evidence: the signer keys of
// signerSecrets as its trust, the trust server's signed targets as its blobs (a store
// for them in signatures/), a pure check of that metadata — and, unlike signedBy, its
// claim is the digest of a tag: the decider's digest step then takes the digest from
// this kind instead of the registry, and Portieris compares it with the digest the
// simple-signing requirements verify.

import type { Origin } from '../../manifests/strict.js';
import type { StaticKind } from '../kind.types.js';

export interface NotaryTrustRequirement {
  type: 'trust';
  trustServer?: string;
  signerSecrets: string[];
  origin: Origin;
}

export const notaryTrust: StaticKind<NotaryTrustRequirement> = {
  type: 'trust',
  section: 'trust',
  needs: 'nothing',
  parse(v, path) {
    v.fields(path, ['enabled', 'trustServer', 'signerSecrets'], false);
    v.boolean([...path, 'enabled']);
    const trustServer = v.string([...path, 'trustServer'], false);
    const signerSecrets: string[] = [];
    (v.array([...path, 'signerSecrets'], false) ?? []).forEach((_, i) => {
      v.fields([...path, 'signerSecrets', i], ['name'], true);
      const name = v.string([...path, 'signerSecrets', i, 'name'], false);
      if (name) signerSecrets.push(name);
    });
    return { type: 'trust', ...(trustServer ? { trustServer } : {}), signerSecrets, origin: v.origin(path) };
  },
  deny: (_requirement, pattern) => ({
    reason: 'UNSUPPORTED',
    message: `the policy for "${pattern}" enables Notary v1 content trust (trust.enabled), which gate cannot verify`,
    hint: 'verify these images with simple signing instead, or leave them to the in-cluster webhook and exempt them here',
  }),
  explain: (requirement) => ({ ...(requirement.trustServer ? { trustServer: requirement.trustServer } : {}), signerSecrets: requirement.signerSecrets }),
};
