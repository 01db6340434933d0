// Reads one folder of test/fixtures/signatures/ (made by scripts/regenerate-signature-fixtures.sh)
// into the inputs the simple-signing functions take. scenario.json holds inputs only.

import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseReference, withDefaultTag, type ImageReference } from '../../../src/reference/reference.js';
import { PROJECT_ROOT } from '../../helpers/gate.js';
import { parseArmoredPublicKeys, type ResolvedSignedBy, type SignedIdentity, type UntrustedSignature } from './engine.js';

export const SIGNATURE_FIXTURES = path.join(PROJECT_ROOT, 'test/fixtures/signatures');

interface ScenarioFile {
  about: string;
  manifest: string;
  manifestDigest: string;
  intendedReference: string;
  now: string;
  requirements: Array<{ keySecret: string; keyFile: string; signedIdentity: SignedIdentity }>;
  signatures: Array<{ file: string; madeBy: string; signer: string; signedDigest?: string; signedReference?: string }>;
}

export interface Scenario {
  name: string;
  dir: string;
  about: string;
  manifest: Buffer;
  digest: string;
  intended: ImageReference;
  now: Date;
  /** The key files as committed, per requirement, in order. */
  keyFiles: Array<{ file: string; armored: string }>;
  requirements: ResolvedSignedBy[];
  signatures: UntrustedSignature[];
  /** What the signing tool was asked to sign, per signature (the generator's inputs). */
  signed: ScenarioFile['signatures'];
}

export async function scenarioNames(): Promise<string[]> {
  const entries = await readdir(SIGNATURE_FIXTURES, { withFileTypes: true });
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory() && (await readdir(path.join(SIGNATURE_FIXTURES, entry.name))).includes('scenario.json')) names.push(entry.name);
  }
  return names.sort();
}

export async function loadScenario(name: string): Promise<Scenario> {
  const dir = path.join(SIGNATURE_FIXTURES, name);
  const file = JSON.parse(await readFile(path.join(dir, 'scenario.json'), 'utf8')) as ScenarioFile;
  const parsed = parseReference(file.intendedReference, 'containers-image');
  assert.ok(parsed.ok, `${name}: intendedReference ${file.intendedReference} does not parse`);
  const keyFiles: Scenario['keyFiles'] = [];
  const requirements: ResolvedSignedBy[] = [];
  for (const r of file.requirements) {
    const armored = await readFile(path.join(dir, r.keyFile), 'utf8');
    const keys = await parseArmoredPublicKeys(armored);
    assert.ok(keys.ok, `${name}/${r.keyFile}: ${keys.ok ? '' : keys.message}`);
    keyFiles.push({ file: r.keyFile, armored });
    requirements.push({
      requirement: { type: 'signedBy', keySecret: r.keySecret, signedIdentity: r.signedIdentity, origin: { file: `${name}/scenario.json`, line: 1 } },
      trusted: keys.trusted,
      keySource: `${name}/${r.keyFile}`,
    });
  }
  const signatures: UntrustedSignature[] = [];
  for (const s of file.signatures) {
    signatures.push({ bytes: new Uint8Array(await readFile(path.join(dir, s.file))), location: `signatures/${name}/${s.file}` });
  }
  return {
    name,
    dir,
    about: file.about,
    manifest: await readFile(path.join(dir, file.manifest)),
    digest: file.manifestDigest,
    intended: withDefaultTag(parsed.ref),
    now: new Date(file.now),
    keyFiles,
    requirements,
    signatures,
    signed: file.signatures,
  };
}
