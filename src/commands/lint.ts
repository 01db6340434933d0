// `gate policy lint`: loads .gate/ as gate check does (so anything invalid stops it the
// same way, exit 2), resolves every key a policy names, and adds what policy/lint.ts
// finds: patterns that never win or never match, exemptions that expired or expire soon,
// key files no policy uses.

import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { prepare, type CheckIO, type CheckOptions } from '../engine/engine.js';
import { GateError, type Warning } from '../errors.js';
import { displayName } from '../input/files.js';
import { lintExemptions, lintMutation, lintPolicies, lintSigstore, lintStores, lintTrust, lintValidity, type Finding } from '../policy/lint.js';
import { sigstoreSigned } from '../verify/sigstore/kind.js';
import { undeployedKey } from '../policy/parity.js';
import { ruleLevel, webhookOf } from '../policy/settings.js';
import { safeLines, visible } from '../report/escape.js';

export interface LintReport {
  findings: Finding[];
  summary: { policies: number; patterns: number; exemptions: number; errors: number; warnings: number };
}

export async function runLint(options: Omit<CheckOptions, 'paths'>, io: CheckIO): Promise<LintReport> {
  const warnings: Warning[] = [];
  const engine = await prepare({ ...options, paths: ['.'], offline: true, cacheDir: undefined, cacheRedis: undefined }, io, [], warnings);
  try {
    const { policies, settings, locations, now } = engine;
    // The mutate-image rule: a warning, as in gate check, unless .gate/config.yaml sets its level.
    const webhook = webhookOf(settings, options.webhook);
    const mutateImage = ruleLevel(settings, webhook, 'mutate-image', 'warn');
    const signatureStore = ruleLevel(settings, webhook, 'signature-store', 'deny');
    const keySecret = ruleLevel(settings, webhook, 'key-secret', 'deny');
    const findings: Finding[] = [
      ...lintPolicies(policies),
      ...lintMutation(policies, mutateImage),
      ...lintStores(policies, engine.registries, settings.signatureStores, signatureStore),
      ...lintExemptions(settings.exemptions, now),
      ...lintSigstore(policies, webhook),
      ...lintTrust(policies, settings.trustPinning ?? [], webhook),
    ];
    const validity: Parameters<typeof lintValidity>[0] = [];
    const used = new Set<string>();
    // Each key is looked up once per namespace: a missing key is reported once, where it is first named.
    const tried = new Set<string>();
    const resources = [...policies.clusterImagePolicies, ...policies.imagePolicies];
    for (const resource of resources) {
      for (const rule of resource.repositories) {
        for (const requirement of [...(rule.policy.trust ? [rule.policy.trust] : []), ...(rule.policy.simple?.requirements ?? [])]) {
          const kind = Object.hasOwn(engine.decider.kinds, requirement.type) ? engine.decider.kinds[requirement.type] : undefined;
          if (kind?.needs !== 'signatures') continue;
          const need = kind.key(requirement, resource.namespace ?? options.namespace);
          used.add(`${need.secret}.${need.extension}`);
          for (const file of need.files ?? []) if (file.path?.startsWith('keys/')) used.add(file.path.slice('keys/'.length));
          const once = JSON.stringify([kind.type, need.secret, need.extension, need.namespace]);
          if (tried.has(once)) continue;
          tried.add(once);
          try {
            const label = `${resource.kind}/${resource.name} (repository "${rule.name}")`;
            const trust = await engine.decider.trusts.resolve(kind, requirement, resource.namespace ?? options.namespace, label);
            for (const v of kind.validity?.(trust.value) ?? []) validity.push({ ...v, origin: requirement.origin, source: trust.source });
            // A ClusterImagePolicy's workloads may be in any namespace: a declaration for some of them is taken as the team's word.
            const declared = settings.keySecrets?.some((k) => k.name === need.secret) === true;
            const divergence = keySecret === 'off' || declared ? undefined : undeployedKey(trust.placement, trust.need, label);
            if (divergence) findings.push({ level: 'warning', file: requirement.origin.file, line: requirement.origin.line, message: `${divergence.message}; fix: ${divergence.hint}` });
          } catch (e) {
            if (!(e instanceof GateError)) throw e;
            findings.push({ level: 'error', file: e.position?.file ?? requirement.origin.file, line: e.position?.line ?? requirement.origin.line, message: `${e.code}: ${e.message}` });
          }
        }
      }
    }
    // policy-controller's ClusterImagePolicies: each authority's keys and trust root, as gate check reads them.
    if (webhook !== 'portieris') {
      for (const policy of policies.sigstore ?? []) {
        for (const authority of policy.authorities) {
          if (authority.kind !== 'signature') continue;
          try {
            const trust = await engine.decider.trusts.resolve(sigstoreSigned, authority.requirement, options.namespace, `ClusterImagePolicy ${policy.name} (authority ${authority.name})`);
            for (const v of sigstoreSigned.validity?.(trust.value as Parameters<NonNullable<typeof sigstoreSigned.validity>>[0]) ?? []) validity.push({ ...v, origin: authority.origin, source: trust.source });
            for (const file of trust.need.files ?? []) if (file.path?.startsWith('keys/')) used.add(file.path.slice('keys/'.length));
          } catch (e) {
            if (!(e instanceof GateError)) throw e;
            findings.push({ level: 'error', file: e.position?.file ?? authority.origin.file, line: e.position?.line ?? authority.origin.line, message: `${e.code}: ${e.message}` });
          }
        }
      }
    }
    const seenValidity = new Set<string>();
    findings.push(...lintValidity(validity.filter((v) => !seenValidity.has(`${v.source}\u0000${v.what}\u0000${v.end.getTime()}`) && seenValidity.add(`${v.source}\u0000${v.what}\u0000${v.end.getTime()}`)), now));
    if (locations.keysDir) {
      // Key files of every kind that reads keys (.asc for signedBy).
      const extensions = new Set(Object.values(engine.decider.kinds).flatMap((k) => (k.needs === 'signatures' ? [`.${k.keyExtension}`] : [])));
      const files = await readdir(locations.keysDir).catch(() => [] as string[]);
      for (const file of files.filter((f) => extensions.has(path.extname(f)) && !used.has(f))) {
        findings.push({ level: 'warning', file: displayName(path.join(locations.keysDir, file), io.cwd), line: 1, message: `no policy names keySecret "${file.slice(0, -path.extname(file).length)}": this key is not used` });
      }
    }
    for (const w of [...warnings, ...engine.decider.warnings]) findings.push({ level: 'warning', file: w.file ?? '.gate', line: w.line ?? 1, message: w.message });
    findings.sort((a, b) => (a.level === b.level ? 0 : a.level === 'error' ? -1 : 1) || a.file.localeCompare(b.file) || a.line - b.line);
    const errors = findings.filter((f) => f.level === 'error').length;
    return {
      findings,
      summary: { policies: resources.length + (policies.sigstore?.length ?? 0), patterns: resources.reduce((n, r) => n + r.repositories.length, 0) + (policies.sigstore ?? []).reduce((n, p) => n + p.globs.length, 0), exemptions: settings.exemptions.length, errors, warnings: findings.length - errors },
    };
  } finally {
    await engine.close();
  }
}

export function renderLint(untrusted: LintReport): string {
  const report = visible(untrusted);
  const { summary } = report;
  const lines = report.findings.map((f) => `${f.level === 'error' ? 'error  ' : 'warning'} ${f.file}:${f.line}: ${f.message}`);
  const counted = `${summary.policies} polic${summary.policies === 1 ? 'y' : 'ies'}, ${summary.patterns} pattern(s), ${summary.exemptions} exemption(s)`;
  lines.push(summary.errors === 0 && summary.warnings === 0 ? `gate policy lint: ${counted}: no findings` : `gate policy lint: ${counted}: ${summary.errors} error(s), ${summary.warnings} warning(s)`);
  return `${safeLines(lines.join('\n'))}\n`;
}
