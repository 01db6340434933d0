// SARIF 2.1.0 for code scanning (GitHub uploads it with github/codeql-action/upload-sarif):
// one rule per reason code, one result per use of an image that was denied or exempted
// (with that use's own reason: another use of the image may have passed), located at the
// line of its image field. Paths are relative to %SRCROOT%, the folder
// gate ran in; run gate from the repository root so that they match the repository.

import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { GateError, Warning } from '../errors.js';
import { objectLabel } from '../manifests/extract.js';
import type { ReasonCode } from '../verify/verdict.js';
import { GATE_VERSION } from '../version.js';
import { exitCodeOf, type ImageResult, type Report, type ReportSource } from './model.js';
import { REASON_CODES, REASONS } from './reasons.js';

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const ROOT = '%SRCROOT%';

export function renderSarif(report: Report, cwd: string): string {
  const results = report.results.flatMap((result) => result.sources.filter((s) => s.verdict === 'deny' || s.reason === 'EXEMPT').map((s) => sarifResult(result, s)));
  const exitCode = exitCodeOf(report);
  return serialise(run(cwd, results, { executionSuccessful: true, exitCode, toolExecutionNotifications: report.warnings.map(notification('warning')) }));
}

/** A run that stopped on bad input (exit 2): no results, and the error as a notification. */
export function renderSarifError(error: GateError, cwd: string, exitCode: number): string {
  const warning: Warning = { ...(error.position ?? {}), message: `${error.code}: ${error.message}` };
  return serialise(run(cwd, [], { executionSuccessful: false, exitCode, toolExecutionNotifications: [notification('error')(warning)] }));
}

function run(cwd: string, results: object[], invocation: object): object {
  return {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'gate', version: GATE_VERSION, semanticVersion: GATE_VERSION, rules: REASON_CODES.map(rule) } },
        originalUriBaseIds: { [ROOT]: { uri: `${pathToFileURL(cwd).href.replace(/\/?$/, '/')}` } },
        invocations: [invocation],
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

function rule(code: ReasonCode): object {
  const { name, summary, help, severity } = REASONS[code];
  return {
    id: code,
    name,
    shortDescription: { text: summary },
    fullDescription: { text: summary },
    help: { text: help, markdown: help },
    defaultConfiguration: { level: code === 'EXEMPT' ? 'note' : 'error' },
    properties: { tags: ['security', 'supply-chain', 'container-image'], precision: 'high', 'security-severity': severity.toFixed(1) },
  };
}

function sarifResult(result: ImageResult, source: ReportSource): object {
  const label = objectLabel(source.kind, source.name);
  const text = [
    sentence(`${result.image || '(no image)'} in ${label} (namespace ${result.namespace}): ${source.message}`),
    source.hint ? sentence(`Fix: ${source.hint}`) : '',
    result.exemption ? sentence(`Exemption: ${result.exemption.reason} (owner ${result.exemption.owner}, ${result.exemption.expired ? 'expired after' : 'until'} ${result.exemption.expires})`) : '',
  ];
  return {
    ruleId: source.reason,
    ruleIndex: REASON_CODES.indexOf(source.reason),
    level: source.reason === 'EXEMPT' ? 'note' : 'error',
    message: { text: text.filter(Boolean).join(' ') },
    locations: [
      {
        ...(isFile(source.file) ? { physicalLocation: { artifactLocation: artifact(source.file), region: { startLine: source.line } } } : {}),
        logicalLocations: [{ name: label, fullyQualifiedName: `${label}/${source.path}`, kind: 'object' }],
      },
    ],
    // Stable across line moves: the same image in the same field of the same object is the same alert.
    partialFingerprints: { 'gateImageUse/v1': fingerprint([source.reason, result.image, result.namespace, source.file, source.kind, source.name ?? '', source.path]) },
    properties: { image: result.image, namespace: result.namespace, digest: source.digest, policy: result.policy },
  };
}

function notification(level: 'warning' | 'error') {
  return (warning: Warning): object => ({
    level,
    message: { text: warning.message },
    ...(warning.file && isFile(warning.file)
      ? { locations: [{ physicalLocation: { artifactLocation: artifact(warning.file), ...(warning.line ? { region: { startLine: warning.line } } : {}) } }] }
      : {}),
  });
}

/** `<stdin>` and renderer outputs (`<kustomize build>`) have no file to point at. */
function isFile(file: string): boolean {
  return !file.startsWith('<');
}

function artifact(file: string): object {
  const absolute = file.startsWith('/');
  const uri = file.split(/[\\/]/).map(encodeURIComponent).join('/');
  return absolute ? { uri: pathToFileURL(file).href } : { uri, uriBaseId: ROOT };
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function fingerprint(parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

function serialise(sarif: object): string {
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
