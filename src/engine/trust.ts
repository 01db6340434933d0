// From a requirement to the trust its kind verifies with: the key store finds the raw
// key material (policy/keys.ts, in its order of sources), the kind reads it in its own
// format, once per (kind, material) in a run. A key the kind cannot read stops the run
// (KEY_INVALID: a configuration error, whatever the registry says); keys the kind leaves
// out, and a Secret in the manifests that holds other keys than the one used, are warned.

import { createHash } from 'node:crypto';
import { GateError, type Warning } from '../errors.js';
import { namespaceOf, type KeyPlacement, type KeyStore } from '../policy/keys.js';
import type { KeyMaterial, KeyNeed, Requirement, SignatureKind, Trust } from '../verify/kind.types.js';
import { once } from '../memo.js';

/** A trust, with what was asked for and whether the webhook will find the key where it reads it. */
export interface PlacedTrust extends Trust {
  need: KeyNeed;
  placement: KeyPlacement;
}

export class TrustStore {
  private readonly resolved = new Map<string, Promise<PlacedTrust>>();
  private readonly built = new Map<string, Promise<Trust>>();
  /** `warnings`: where to say what the kinds left out (the run's list). */
  constructor(
    private readonly keys: KeyStore,
    readonly warnings: Warning[],
  ) {}

  /** `label` names the policy that asks, for messages (`ClusterImagePolicy/x (repository "…")`). */
  resolve(kind: SignatureKind, requirement: Requirement, namespace: string, label: string): Promise<PlacedTrust> {
    const need = kind.key(requirement, namespace);
    return once(this.resolved, [kind.type, need.namespace, need.secret, need.extension, need.namespaceFromPolicy === true].join('\u0000'), async () => {
      const found = await this.keys.resolve({ ...need, policy: label, origin: requirement.origin });
      const trust = await this.build(kind, found.material, need, label);
      if (found.deployed) await this.compare(kind, found.deployed, trust, need);
      return { ...trust, need, placement: found.placement };
    });
  }

  /**
   * Once per (kind, material, source, and the keySecret it was asked as), whatever the
   * number of namespaces that ask: `need` reaches the kind for its messages, so a warning
   * names each keySecret. The trust's hash is the kind's and the material's: what the
   * crypto memo keys on.
   */
  private build(kind: SignatureKind, material: KeyMaterial, need: KeyNeed, label: string): Promise<Trust> {
    return once(this.built, JSON.stringify([kind.type, material.sha256, material.source, need.secret]), async () => {
      const read = await kind.trust(material, need);
      const what = need.files ? material.source : `keySecret "${need.secret}" from ${material.source}`;
      if (!read.ok) throw new GateError('KEY_INVALID', `${what} (used by ${label}): ${read.message}`, material.origin);
      for (const message of read.warnings) this.warnings.push({ ...material.origin, message });
      const sha256 = createHash('sha256').update(`${kind.type}\u0000${material.sha256}`).digest('hex');
      return { value: read.value, ids: read.ids, source: material.source, sha256 };
    });
  }

  /** The Secret the webhook would read, against the key gate used. */
  private async compare(kind: SignatureKind, deployed: KeyMaterial, used: Trust, need: KeyNeed): Promise<void> {
    const other = await kind.trust(deployed, need);
    const same = other.ok && [...other.ids].sort().join() === [...used.ids].sort().join();
    if (!same) {
      this.warnings.push({
        ...deployed.origin,
        message: `Secret "${need.secret}" that the webhook reads (${deployed.source}; ${namespaceOf(need)}) holds other keys than ${used.source}, which gate used; the in-cluster webhook would trust the Secret`,
      });
    }
  }
}
