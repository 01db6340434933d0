// Portieris' `trust` section: Notary v1 / Docker Content Trust. `trust: {enabled,
// trustServer, signerSecrets: [{name}]}`, read strictly. The requirement names who holds the
// trust data (server.ts) and which signers must sign (signers.ts); the engine reads the
// repository (engine/notary-trust.ts) and the pure rules in this folder judge it
// (judge.ts): its claim is the digest a tag stands for, compared with the registry's.

import type { Origin } from '../../manifests/strict.js';
import type { TrustDataKind } from '../kind.types.js';

export interface NotaryTrustRequirement {
  type: 'trust';
  trustServer?: string;
  /** Names of Secrets in the workload's namespace, each with data `name` and `publicKey`. */
  signerSecrets: string[];
  origin: Origin;
}

export const notaryTrust: TrustDataKind<NotaryTrustRequirement> = {
  type: 'trust',
  section: 'trust',
  needs: 'trust-data',
  parse(v, path) {
    v.fields(path, ['enabled', 'trustServer', 'signerSecrets'], false);
    v.boolean([...path, 'enabled']);
    const trustServer = v.string([...path, 'trustServer'], false);
    const signerSecrets: string[] = [];
    (v.array([...path, 'signerSecrets'], false) ?? []).forEach((_, i) => {
      v.fields([...path, 'signerSecrets', i], ['name'], true);
      const name = v.string([...path, 'signerSecrets', i, 'name'], true);
      // Portieris asks the cluster for it and fails: an empty name must never drop the signer.
      if (!name) return v.fail([...path, 'signerSecrets', i, 'name'], 'a signerSecret needs the name of a Secret in the workload\'s namespace');
      signerSecrets.push(name);
    });
    return { type: 'trust', ...(trustServer ? { trustServer } : {}), signerSecrets, origin: v.origin(path) };
  },
  explain: (requirement) => ({ ...(requirement.trustServer ? { trustServer: requirement.trustServer } : {}), signerSecrets: requirement.signerSecrets }),
};
