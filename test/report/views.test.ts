// The report views on hand-made reports: exact GitHub workflow commands, and text from a
// hostile repository (markup, control characters, @mentions) that no view may let through.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderGithub } from '../../src/report/github.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import type { ImageResult, Report, ReportSource, UseVerdict } from '../../src/report/model.js';
import { renderSarif } from '../../src/report/sarif.js';
import { renderText } from '../../src/report/text.js';
import { assertValidSarif, parseJunit } from '../helpers/formats.js';
import { mustRun, requireTool } from '../helpers/tools.js';

/** A use as written by hand: without a verdict of its own, it takes its result's. */
type SourceDraft = Omit<ReportSource, keyof UseVerdict> & Partial<UseVerdict>;

function source(overrides: Partial<ReportSource> = {}): SourceDraft {
  return { file: 'apps/web.yaml', line: 12, kind: 'Deployment', name: 'web', namespace: 'shop', path: 'spec.template.spec.containers[0].image', generic: false, pullSecrets: [], ...overrides };
}

function result(overrides: Omit<Partial<ImageResult>, 'sources'> & { sources?: SourceDraft[] } = {}): ImageResult {
  const whole: Omit<ImageResult, 'sources'> = {
    image: 'registry.example.com/shop/web:1.4',
    digest: null,
    namespace: 'shop',
    verdict: 'deny',
    reason: 'NO_SIGNATURE',
    message: 'A signature was required, but no signature exists',
    policy: null,
    ...overrides,
  };
  const { verdict, reason, message, hint, digest } = whole;
  const sources = (overrides.sources ?? [source()]).map((s) => ({ verdict, reason, message, ...(hint ? { hint } : {}), digest, ...s }));
  return { ...whole, sources };
}

function report(results: ImageResult[], warnings: Report['warnings'] = []): Report {
  const denied = results.filter((r) => r.verdict === 'deny').length;
  return { gateVersion: '0.0.0-test', summary: { images: results.length, allowed: results.length - denied, denied }, results, warnings, scanned: { files: 1, objects: results.length } };
}

const EXEMPTION = { image: 'legacy.example.com/*', namespace: null, reason: 'vendor image, unsigned (TICKET-12)', owner: 'platform@example.com', expires: '2027-01-31', expired: false, file: '.gate/config.yaml', line: 4 };

describe('github workflow commands', () => {
  it('one exact line per denied use, notices for exemptions, warnings; % : , and line breaks encoded', () => {
    const out = renderGithub(report([
      result({ message: '100% sure: no,\r\nsignature', hint: 'sign it', sources: [source(), source({ file: 'apps/a,b:c.yaml', line: 3, kind: 'Job', name: 'once' })] }),
      result({ image: 'legacy.example.com/tool:1', verdict: 'allow', reason: 'EXEMPT', message: 'exempt', exemption: EXEMPTION, sources: [source({ line: 30 })] }),
      result({ image: 'ok.example.com/x@sha256:' + 'a'.repeat(64), verdict: 'allow', reason: 'SIGNED', message: 'signed' }),
      result({ image: 'from-stdin:1', sources: [source({ file: '<stdin>', line: 2 })] }),
    ], [{ file: '.gate/policies/p.yaml', line: 7, message: 'no storeURL' }, { message: 'general' }]));
    assert.deepEqual(out.split('\n'), [
      '::error file=apps/web.yaml,line=12,title=gate%3A NO_SIGNATURE::registry.example.com/shop/web:1.4 in Deployment/web (namespace shop): 100%25 sure: no,%0D%0Asignature%0AFix: sign it',
      '::error file=apps/a%2Cb%3Ac.yaml,line=3,title=gate%3A NO_SIGNATURE::registry.example.com/shop/web:1.4 in Job/once (namespace shop): 100%25 sure: no,%0D%0Asignature%0AFix: sign it',
      '::notice file=apps/web.yaml,line=30,title=gate%3A legacy.example.com/tool%3A1 is exempt until 2027-01-31::vendor image, unsigned (TICKET-12) (owner platform@example.com); not verified',
      '::error title=gate%3A NO_SIGNATURE::from-stdin:1 in Deployment/web (namespace shop): A signature was required, but no signature exists',
      '::warning file=.gate/policies/p.yaml,line=7,title=gate warning::no storeURL',
      '::warning title=gate warning::general',
      '',
    ]);
  });

  it('nothing at all when every image is allowed and there is no warning', () => {
    assert.equal(renderGithub(report([result({ verdict: 'allow', reason: 'SIGNED' })])), '');
  });
});

describe('junit', () => {
  it('carries hostile text intact through a real parser; what XML cannot hold becomes U+FFFD', async () => {
    const hostile = 'evil.example.com/a"b\'c<d>&e]]>\u0001f:1';
    const junit = await parseJunit(renderJunit(report([result({ image: hostile, message: 'line one\nline <two> & "three"' })])));
    const [testcase] = junit.testsuite![0].testcase!;
    assert.equal(testcase.name, `Deployment/web spec.template.spec.containers[0].image: ${hostile.replace('\u0001', '\uFFFD')}`);
    assert.equal(testcase.failure![0].message, 'NO_SIGNATURE: line one\nline <two> & "three"');
    assert.equal(testcase.failure![0].type, 'NO_SIGNATURE');
  });

  it('an unreachable registry is an <error>, an exemption <skipped>, an allowed image passes', async () => {
    const junit = await parseJunit(renderJunit(report([
      result({ reason: 'TIMEOUT', message: 'no answer' }),
      result({ image: 'legacy.example.com/tool:1', verdict: 'allow', reason: 'EXEMPT', message: 'exempt', exemption: EXEMPTION, sources: [source({ line: 30 })] }),
      result({ image: 'ok.example.com/x:1', verdict: 'allow', reason: 'SIGNED', message: 'signed', sources: [source({ line: 40 })] }),
    ])));
    const cases = junit.testsuite![0].testcase!;
    assert.equal(cases[0].error![0].type, 'TIMEOUT');
    assert.equal(cases[0].failure, undefined);
    assert.match(cases[1].skipped![0].message!, /^EXEMPT until 2027-01-31 \(owner platform@example\.com\): vendor image/);
    assert.equal(cases[2].failure ?? cases[2].error ?? cases[2].skipped, undefined);
    assert.deepEqual([junit.tests, junit.failures, junit.errors], [3, 0, 1]);
  });
});

describe('markdown, as GitHub\'s renderer (cmark-gfm) reads it', () => {
  const HOSTILE = '<img src=x onerror=alert(1)> see [here](https://evil.example.com/a) or www.evil.example.com, mail ops@evil.example.com, ping @octocat or (@octocat) or @sha256, *bold* `code`';

  it('renders the summary table and turns nothing from the repository into HTML, a link or a mention', async () => {
    requireTool('cmark-gfm');
    const out = renderMarkdown(report([
      result({ image: 'evil.example.com/x|y:1', message: HOSTILE, hint: 'ask ops@evil.example.com' }),
      result({ image: 'ok.example.com/x@sha256:' + 'a'.repeat(64), verdict: 'allow', reason: 'SIGNED', message: 'signed' }),
    ]));
    const html = (await mustRun('cmark-gfm', ['-e', 'table', '-e', 'autolink', '-e', 'strikethrough', '-e', 'tagfilter'], { input: out })).stdout.toString('utf8');
    assert.doesNotMatch(html, /<a\b/, 'no link, no autolink, no mailto');
    assert.doesNotMatch(html, /<img|<(em|strong)>bold|<code>code/, 'no HTML, emphasis or code from the message');
    assert.doesNotMatch(html, /(^|[^\w\u200b])@(octocat|sha256)/, 'no @mention GitHub would resolve');
    const rows = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<t[dh]>/g)].length);
    assert.deepEqual(rows, [5, 5, 5], 'a header and a row per image, five cells each: the pipe in the image did not split a cell');
    assert.match(html, /evil\.example\.com\/x\|y:1/, 'the image is shown as written');
    assert.match(html, /ok\.example\.com\/x@sha256:a{12}/, 'a digest keeps its @ (no zero-width space to break copying)');
  });
});

describe('text', () => {
  it('writes control characters of repository text as escapes: no forged log lines, no workflow commands', () => {
    const out = renderText(report([
      result({ image: 'evil.example.com/a:1\n::error file=x::forged', message: 'm\r::warning::forged \u001b[8mhidden\u001b[0m', sources: [source({ file: '::error::forged.yaml' })] }),
    ]), { color: false });
    const lines = out.split('\n');
    assert.equal(lines.filter((l) => /^\s*(::|##\[)/.test(l)).length, 0, 'no line the Actions runner would take as a command');
    assert.ok(!out.includes('\u001b') && !out.includes('\r'), 'no escape sequence, no carriage return');
    assert.ok(out.includes('evil.example.com/a:1\\n::error file=x::forged'), 'the newline is shown as \\n');
  });
});

describe('sarif', () => {
  it('a use read from stdin has no file to point at; an exemption is a note; both are valid SARIF', () => {
    const log = assertValidSarif(renderSarif(report([
      result({ sources: [source({ file: '<stdin>', line: 4 })] }),
      result({ image: 'legacy.example.com/tool:1', verdict: 'allow', reason: 'EXEMPT', message: 'exempt', exemption: EXEMPTION }),
      result({ image: 'ok.example.com/x:1', verdict: 'allow', reason: 'SIGNED', message: 'signed' }),
    ]), '/work/some repo'));
    const [run] = log.runs;
    assert.equal(run.results.length, 2, 'allowed images are not results');
    assert.equal(run.results[0].locations[0].physicalLocation, undefined);
    assert.equal(run.results[1].level, 'note');
    assert.match(run.results[1].message.text, /Exemption: vendor image, unsigned \(TICKET-12\) \(owner platform@example\.com, until 2027-01-31\)\./);
    assert.equal(run.originalUriBaseIds['%SRCROOT%'].uri, 'file:///work/some%20repo/');
  });

  it('the fingerprint of a use does not change when lines move', () => {
    const at = (line: number) => assertValidSarif(renderSarif(report([result({ sources: [source({ line })] })]), '/r')).runs[0].results[0].partialFingerprints;
    assert.deepEqual(at(12), at(40));
  });
});
