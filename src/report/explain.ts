// The text view of `gate explain`: each step of the decision in the order gate takes it.

import { formatWarning } from '../errors.js';
import type { Explanation } from './explanation.js';
import { REASONS } from './reasons.js';
import { safeLines, visible } from './escape.js';

export function renderExplanation(untrusted: Explanation): string {
  const e = visible(untrusted);
  const out: string[] = [`gate explain ${e.image}  (namespace ${e.namespace})`, ''];

  out.push('Reference');
  const r = e.reference;
  if (!r.valid) out.push(`  not a valid image reference: ${r.message}`);
  else {
    out.push(`  registry ${r.registry}, repository ${r.repository}${r.tag ? `, tag ${r.tag}` : ''}${r.digest ? `, digest ${r.digest}` : ''}${r.tag || r.digest ? '' : ' (no tag: latest)'}`);
    if (r.normalised !== e.image) out.push(`  in full: ${r.normalised} — policies match the string as written, not this`);
    if (r.containersImageProblem) out.push(`  containers/image, which verifies signatures for Portieris, cannot read it: ${r.containersImageProblem}`);
  }
  out.push('');

  if (e.exemption) {
    const x = e.exemption;
    out.push(`Exemption (${x.file}:${x.line})`, `  "${x.image}"${x.namespace ? ` in namespace ${x.namespace}` : ''}, owner ${x.owner}: ${x.reason}`, `  ${x.expired ? `expired after ${x.expires}: no longer applies` : `holds until ${x.expires}: the image is not verified`}`, '');
  }

  const scope = e.policy.format === 'policy-controller'
    ? `the ClusterImagePolicies of policy.sigstore.dev that match (every one must pass; any one authority of each)`
    : e.policy.scope === 'namespace'
    ? `namespace ${e.namespace} has an ImagePolicy, so only its ImagePolicies count`
    : e.policy.scope === 'cluster' ? `namespace ${e.namespace} has no ImagePolicy, so the ClusterImagePolicies count` : 'no policy applies';
  out.push(`Policy: ${scope}`);
  if (e.policy.ignored.length > 0) out.push(`  not considered: ${e.policy.ignored.join(', ')}`);
  if (e.policy.candidates.length === 0) out.push('  no repository pattern at all');
  for (const c of e.policy.candidates) {
    const mark = c.chosen ? '→' : c.matches ? '·' : '✗';
    out.push(`  ${mark} ${c.kind}/${c.name}${c.namespace ? ` (${c.namespace})` : ''}  "${c.pattern}"  ${c.why}${c.chosen ? '  ← chosen' : ''}  [${c.file}:${c.line}]`);
  }
  if (e.policy.format !== 'policy-controller') out.push('  (an exact pattern wins at once; otherwise the highest score; a tie goes to the policy first by name)');
  out.push('');

  if (e.requirements.length > 0) {
    out.push(e.policy.format === 'policy-controller' ? 'Authorities that read signatures' : `Requirements (all must be met)`);
    // What each kind shows (verify/kind.types.ts ExplainFields), whatever the kind.
    e.requirements.forEach((q, i) => {
      const keys = q.keySource ? ` — keys from ${q.keySource}: ${(q.fingerprints ?? []).join(', ')}` : '';
      const key = q.keySecret ? ` keySecret ${q.keySecret}${keys}` : keys;
      out.push(`  ${i + 1}. ${q.type}${key}`);
      if (q.identity) out.push(`     identity: ${q.identity}`);
      if (q.trustServer) out.push(`     trust server: ${q.trustServer}`);
      if (q.signerSecrets && q.signerSecrets.length > 0) out.push(`     signer secrets: ${q.signerSecrets.join(', ')}`);
    });
    out.push('');
  }

  if (e.digest) out.push('Digest', `  ${e.digest.value}${e.digest.fromTag ? ' (the tag points to it now, asked of the registry)' : ' (pinned in the reference)'}`, '');

  if (e.signatures) {
    const s = e.signatures;
    out.push(`Signatures: looked in ${s.searched}`);
    if (!s.ok) out.push(`  the lookup failed: ${s.reason}: ${s.message}`);
    else if (s.each.length === 0) out.push(`  none found${s.ignored > 0 ? ` (${s.ignored} blob(s) in formats these requirements do not read)` : ''}`);
    for (const sig of s.each) {
      out.push(`  ${sig.location}`);
      sig.requirements.forEach((q) => out.push(`    requirement ${q.requirement}: ${q.passed ? '✔' : `✗ ${q.reason}:`} ${q.message}`));
    }
    out.push('');
  }

  if (e.trust) {
    const t = e.trust;
    out.push(`Content trust (Notary v1) for ${t.gun}`);
    out.push(`  trust server: ${t.server ? `${t.server.url} (${t.server.from === 'policy' ? "the policy's trustServer" : "Portieris' built-in map"})` : 'none'}${t.via ? `, read ${t.via}` : ''}`);
    out.push(`  root pinned: ${t.pin}`);
    if (t.signers.length > 0) out.push(`  signers: ${t.signers.map((s) => `${s.name} (Secret ${s.secret})`).join(', ')}`);
    if (t.repository) {
      const top = ['root', 'timestamp', 'snapshot'].filter((r) => t.repository!.versions[r] !== undefined);
      out.push(`  ${top.map((r) => `${r} v${t.repository!.versions[r]} (expires ${t.repository!.expiries[r]})`).join(', ')}`);
      for (const role of t.repository.roles) {
        out.push(`  ${role.name} v${role.version} (expires ${role.expires}; threshold ${role.threshold} of ${role.keyIds.length} key${role.keyIds.length === 1 ? '' : 's'})${role.signs ? `: ${role.signs}` : ''}`);
      }
      for (const warning of t.repository.warnings) out.push(`  ${warning}`);
    }
    if (t.floor) out.push(`  no rollback: ${t.floor}`);
    if (t.comparison) out.push(`  compared: ${t.comparison}`);
    out.push('');
  }

  const v = e.verdict;
  out.push(`Verdict: ${v.verdict.toUpperCase()} ${v.reason} — ${v.message}`);
  if (v.hint) out.push(`  fix: ${v.hint}`);
  else if (v.verdict === 'deny') out.push(`  fix: ${REASONS[v.reason].help}`);
  if (v.pin) out.push(`  pin: ${v.pin}`);
  if (e.warnings.length > 0) out.push('', 'warnings:', ...e.warnings.map((w) => `  ${formatWarning(w)}`));
  return `${safeLines(out.join('\n'))}\n`;
}
