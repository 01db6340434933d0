// Independent judges of gate's report formats: the official SARIF 2.1.0 JSON schema
// (test/fixtures/schemas, validated with Ajv) and a real JUnit XML parser (junit2json).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { parse as parseJunitXml, type TestSuites } from 'junit2json';
import { PROJECT_ROOT } from './gate.js';

const SARIF_SCHEMA = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'test/fixtures/schemas/sarif-schema-2.1.0.json'), 'utf8')) as object;

type Validator = ((data: unknown) => boolean) & { errors?: unknown };
let sarifValidator: Validator | undefined;

/** Throws with Ajv's errors when `text` is not valid SARIF 2.1.0; returns the parsed log. */
export function assertValidSarif(text: string): SarifLog {
  const validate = (sarifValidator ??= compileDraft04(SARIF_SCHEMA));
  const log = JSON.parse(text) as SarifLog;
  if (!validate(log)) throw new Error(`not valid SARIF 2.1.0: ${JSON.stringify(validate.errors, null, 2)}`);
  return log;
}

function compileDraft04(schema: object): Validator {
  // CommonJS modules seen from ESM: the classes are on `default`.
  const Ajv = AjvDraft04.default;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

/** Parses JUnit XML the way CI systems' parsers do; throws on XML that is not well-formed. */
export async function parseJunit(text: string): Promise<TestSuites> {
  const parsed = await parseJunitXml(text);
  if (!parsed || !('testsuite' in parsed)) throw new Error('not a JUnit <testsuites> document');
  return parsed as TestSuites;
}

export interface SarifLog {
  version: string;
  runs: Array<{
    tool: { driver: { name: string; rules: Array<{ id: string; help: { text: string } }> } };
    invocations: Array<{ executionSuccessful: boolean; exitCode: number; toolExecutionNotifications?: Array<{ level: string; message: { text: string } }> }>;
    originalUriBaseIds: Record<string, { uri: string }>;
    results: Array<{
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: Array<{ physicalLocation?: { artifactLocation: { uri: string; uriBaseId?: string }; region: { startLine: number } } }>;
      partialFingerprints: Record<string, string>;
    }>;
  }>;
}
