// Who a Fulcio certificate says signed, and whether that is who a policy requires. The
// certificate's claims are read here from the leaf itself (never from text the signature
// material supplies beside it), after @sigstore/verify has chained it to a trusted CA:
// the subject alternative names by type, the OIDC issuer (1.3.6.1.4.1.57264.1.8, and the
// deprecated .1.1, which must agree when both are present) and the CI workflow claims.
//
// Matching is exact by default. A CIP's `…RegExp` is a Go RE2 expression that cosign and
// policy-controller use unanchored (MatchString); gate anchors it (the whole value must
// match), which is stricter and never looser, and lint flags patterns without ^…$, since
// the cluster would admit more. A pattern gate cannot read as RE2 does is a denial.

import { ASN1Obj, X509Certificate } from '@sigstore/core';

export type Matcher = { exact: string } | { regexp: string };

export interface IdentityRule {
  issuer: Matcher;
  subject: Matcher;
  /** Which SAN type the subject must be (sigstoreSigned's subjectEmail / subjectURI); any when absent. */
  subjectType?: 'email' | 'uri';
  /** The Build Signer URI claim (1.3.6.1.4.1.57264.1.9): the workflow file that ran, for CI signers. */
  buildSignerURI?: Matcher;
}

/** What the leaf certificate claims. */
export interface CertificateIdentity {
  emails: string[];
  uris: string[];
  /** An OtherName SAN (1.3.6.1.4.1.57264.1.7), Fulcio's username identities. */
  others: string[];
  issuer?: string;
  buildSignerURI?: string;
  /** The Build Config URI (.1.18): the calling workflow of a reusable one. */
  buildConfigURI?: string;
  sourceRepositoryURI?: string;
  sourceRepositoryRef?: string;
}

export const OID = {
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  otherNameSAN: '1.3.6.1.4.1.57264.1.7',
  issuerV2: '1.3.6.1.4.1.57264.1.8',
  buildSignerURI: '1.3.6.1.4.1.57264.1.9',
  sourceRepositoryURI: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  buildConfigURI: '1.3.6.1.4.1.57264.1.18',
} as const;

export function exactIdentity(rule: { issuer: string; subject: string; subjectType?: 'email' | 'uri'; buildSignerURI?: string }): IdentityRule {
  return {
    issuer: { exact: rule.issuer },
    subject: { exact: rule.subject },
    ...(rule.subjectType ? { subjectType: rule.subjectType } : {}),
    ...(rule.buildSignerURI ? { buildSignerURI: { exact: rule.buildSignerURI } } : {}),
  };
}

/** The claims of a DER leaf certificate, or why they cannot be read. */
export function certificateIdentity(der: Uint8Array): { ok: true; identity: CertificateIdentity } | { ok: false; message: string } {
  let cert: X509Certificate;
  try {
    cert = X509Certificate.parse(Buffer.from(der));
  } catch (e) {
    return { ok: false, message: `the certificate cannot be parsed: ${(e as Error).message}` };
  }
  const identity: CertificateIdentity = { emails: [], uris: [], others: [] };
  const san = cert.extSubjectAltName;
  const sanExt = cert.extension('2.5.29.17');
  const names = sanExt ? ASN1Obj.parseBuffer(Buffer.from(sanExt.value)).subs : [];
  // IA5String names: 7-bit ASCII only. A byte above 0x7f is refused, never folded into another name.
  for (const name of names) {
    const value = name.value;
    if (!name.tag.isContextSpecific(0x01) && !name.tag.isContextSpecific(0x06)) continue;
    if (value.some((b) => b > 0x7e || b < 0x20)) return { ok: false, message: 'the certificate has a subject alternative name with bytes outside printable ASCII' };
    (name.tag.isContextSpecific(0x01) ? identity.emails : identity.uris).push(value.toString('latin1'));
  }
  const other = san?.otherName(OID.otherNameSAN);
  if (other !== undefined) {
    if ([...other].some((c) => c.charCodeAt(0) > 0x7e || c.charCodeAt(0) < 0x20)) return { ok: false, message: 'the certificate has an OtherName SAN with bytes outside printable ASCII' };
    identity.others.push(other);
  }
  const v1 = cert.extension(OID.issuerV1)?.value.toString('utf8');
  const v2 = utf8Extension(cert, OID.issuerV2);
  if (cert.extension(OID.issuerV2) && v2 === undefined) return { ok: false, message: 'the certificate\'s OIDC issuer extension (1.3.6.1.4.1.57264.1.8) is not a UTF8String' };
  if (v1 !== undefined && v2 !== undefined && v1 !== v2) return { ok: false, message: `the certificate names two OIDC issuers: "${v2}" (1.3.6.1.4.1.57264.1.8) and "${v1}" (1.3.6.1.4.1.57264.1.1)` };
  const issuer = v2 ?? v1;
  if (issuer !== undefined) identity.issuer = issuer;
  const claims = [
    ['buildSignerURI', OID.buildSignerURI],
    ['buildConfigURI', OID.buildConfigURI],
    ['sourceRepositoryURI', OID.sourceRepositoryURI],
    ['sourceRepositoryRef', OID.sourceRepositoryRef],
  ] as const;
  for (const [field, oid] of claims) {
    const value = utf8Extension(cert, oid);
    if (value !== undefined) identity[field] = value;
  }
  return { ok: true, identity };
}

/** A Fulcio extension whose value is a DER UTF8String (the current OIDs). */
function utf8Extension(cert: X509Certificate, oid: string): string | undefined {
  const ext = cert.extension(oid);
  if (!ext) return undefined;
  try {
    const parsed = ASN1Obj.parseBuffer(Buffer.from(ext.value));
    return parsed.tag.number === 0x0c ? parsed.value.toString('utf8') : undefined;
  } catch {
    return undefined;
  }
}

export type MatchResult = { ok: true } | { ok: false; message: string; unsupported?: boolean };

/** Whether the certificate satisfies one identity rule; the message shows expected against actual. */
export function matchIdentity(rule: IdentityRule, actual: CertificateIdentity): MatchResult {
  const subjects = rule.subjectType === 'email' ? actual.emails : rule.subjectType === 'uri' ? actual.uris : [...actual.emails, ...actual.uris, ...actual.others];
  const checks: Array<[string, Matcher, string[]]> = [
    ['issuer', rule.issuer, actual.issuer !== undefined ? [actual.issuer] : []],
    [rule.subjectType === 'email' ? 'e-mail SAN' : rule.subjectType === 'uri' ? 'URI SAN' : 'subject (SAN)', rule.subject, subjects],
  ];
  if (rule.buildSignerURI) checks.push(['Build Signer URI (1.3.6.1.4.1.57264.1.9)', rule.buildSignerURI, actual.buildSignerURI !== undefined ? [actual.buildSignerURI] : []]);
  for (const [what, matcher, values] of checks) {
    const compiled = compile(matcher);
    if (!compiled.ok) return { ok: false, message: compiled.message, unsupported: true };
    if (!values.some((value) => compiled.test(value))) {
      const got = values.length > 0 ? values.map((x) => `"${x}"`).join(', ') : 'none';
      return { ok: false, message: `certificate ${what} is ${got}, but the policy requires ${describeMatcher(matcher)}` };
    }
  }
  return { ok: true };
}

export function describeMatcher(matcher: Matcher): string {
  if ('exact' in matcher) return `exactly "${matcher.exact}"`;
  return `a whole-value match of the regular expression "${matcher.regexp}"`;
}

/**
 * Whether a pattern says `^…$` around all of it: a top-level alternation (`^a|b$`) anchors
 * only its first and last branches.
 */
export function isAnchored(pattern: string): boolean {
  if (!pattern.startsWith('^') || !pattern.endsWith('$') || pattern.endsWith('\\$')) return false;
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return false;
  }
  return true;
}

/** Go RE2 syntax JavaScript reads differently or not at all. */
const RE2_ONLY = [/\(\?[imsU]+\)/, /\(\?[imsU]*-[imsU]+\)/, /\\z/, /\\A/, /\[\[:[a-z]+:\]\]/, /\\[pP][A-Z](?![a-z{])/, /\\Q/];
/** JavaScript syntax RE2 refuses (policy-controller would reject the policy): lookaround, backreferences. */
const JS_ONLY = [/\(\?<?[=!]/, /\\[1-9]/, /\\k</];
/** A quantified group that holds a quantifier: exponential backtracking in JavaScript (RE2 runs in linear time). */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]/;

export function compile(matcher: Matcher): { ok: true; test(value: string): boolean } | { ok: false; message: string } {
  if ('exact' in matcher) return { ok: true, test: (value) => value === matcher.exact };
  if (RE2_ONLY.some((re) => re.test(matcher.regexp))) return { ok: false, message: `the regular expression "${matcher.regexp}" uses Go RE2 syntax that gate cannot evaluate the same way (flags such as (?i), \\A, \\z, \\Q, [[:class:]]): write it without them` };
  if (JS_ONLY.some((re) => re.test(matcher.regexp))) return { ok: false, message: `the regular expression "${matcher.regexp}" uses lookaround or a backreference, which Go RE2 (policy-controller) refuses: write it without them` };
  if (NESTED_QUANTIFIER.test(matcher.regexp)) return { ok: false, message: `the regular expression "${matcher.regexp}" repeats a group that repeats itself, which JavaScript can take exponential time to match: write it without nested quantifiers` };
  try {
    // Anchored: the whole value must match. cosign and policy-controller match anywhere, so gate
    // is stricter for an unanchored pattern (lint says so); never looser.
    const re = new RegExp(`^(?:${matcher.regexp})$`, 'u');
    return { ok: true, test: (value) => re.test(value) };
  } catch (e) {
    return { ok: false, message: `the regular expression "${matcher.regexp}" does not compile: ${(e as Error).message}` };
  }
}

/** The identity in a sentence, for hints and explain. */
export function describeRule(rule: IdentityRule): string {
  const parts = [`issuer ${describeMatcher(rule.issuer)}`, `subject ${describeMatcher(rule.subject)}`];
  if (rule.buildSignerURI) parts.push(`Build Signer URI ${describeMatcher(rule.buildSignerURI)}`);
  return parts.join(', ');
}

/** Several identities, any one of which may sign. */
export function describeRules(rules: readonly IdentityRule[]): string {
  return rules.length === 1 ? describeRule(rules[0]) : rules.map((r, i) => `(${i + 1}) ${describeRule(r)}`).join(' or ');
}

/** The certificate's claims in a sentence. */
export function describeIdentity(identity: CertificateIdentity): string {
  const subject = [...identity.emails, ...identity.uris, ...identity.others].join(', ') || 'no subject';
  return `${subject} (issuer ${identity.issuer ?? 'none'}${identity.buildSignerURI ? `, Build Signer URI ${identity.buildSignerURI}` : ''})`;
}
