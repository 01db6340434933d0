// gate must read every file of the real-world corpus (test/fixtures/corpus, 397 files
// from 19 projects, sources in SOURCES.md) and find every image in it. The oracle is
// independent of gate's parser: a line-by-line text scan for `image:` keys with a
// scalar value. The few places where the two must differ are listed with the reason.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import fg from 'fast-glob';
import { parseManifestStream } from '../../src/manifests/document.js';
import { extractImages } from '../../src/manifests/extract.js';
import { gateJson, PROJECT_ROOT } from '../helpers/gate.js';

const CORPUS = path.join(PROJECT_ROOT, 'test/fixtures/corpus');
const IMAGE_LINE = /^\s*(?:-\s+)?["']?image["']?\s*:\s*(.*?)\s*$/;

/** Where gate and a text scan rightly disagree. */
const EXPECTED_DIFFERENCES: Record<string, { gateOnly: string[]; textOnly: number; why: string }> = {
  'istio__istio/operator/cmd/mesh/testdata/manifest-generate/output/pilot_default.golden.yaml': {
    gateOnly: [],
    textOnly: 20,
    why: 'the text-only lines are inside a ConfigMap string (the sidecar-injection template), not fields of any object',
  },
  'openshift__origin/test/extended/testdata/deployments/multi-ict-deployment.yaml': {
    gateOnly: ['', ''],
    textOnly: 0,
    why: 'two containers have no image key at all (an ImageChange trigger sets it); gate reports them, a text scan cannot see a missing key',
  },
  'yannh__kubeconform/fixtures/missing_apiversion.yaml': {
    gateOnly: [],
    textOnly: 1,
    why: 'the Deployment has no apiVersion: kubectl and Argo CD refuse it, so its image never runs; gate skips it with a warning',
  },
  'yannh__kubeconform/fixtures/duplicate_property.yaml': {
    gateOnly: [],
    textOnly: 1,
    why: '"containers" appears twice; Kubernetes keeps the last one, so the first list (envoy) never runs; gate warns about the duplicate',
  },
};

function textScan(text: string): string[] {
  const images: string[] = [];
  for (const line of text.split('\n')) {
    const match = IMAGE_LINE.exec(line);
    if (!match) continue;
    let value = match[1].replace(/\s+#.*$/, '').replace(/,$/, '');
    if (value === '' || /^[{|>&*[]/.test(value)) continue;
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    images.push(value);
  }
  return images;
}

function multisetDifference(a: string[], b: string[]): string[] {
  const rest = [...b];
  return a.filter((x) => {
    const i = rest.indexOf(x);
    if (i < 0) return true;
    rest.splice(i, 1);
    return false;
  });
}

describe('real-world manifest corpus', () => {
  const files = fg.sync('**/*', { cwd: CORPUS, onlyFiles: true }).filter((f) => !f.endsWith('.md')).sort();

  it('holds the 397 files of the corpus', () => {
    assert.equal(files.length, 397);
  });

  it('reads every file and finds every image a text scan finds', () => {
    let images = 0;
    const differences: Record<string, { gateOnly: string[]; textOnly: number }> = {};
    for (const file of files) {
      const text = readFileSync(path.join(CORPUS, file), 'utf8');
      const found: string[] = [];
      for (const object of parseManifestStream(text, file).objects) found.push(...extractImages(object, 'default').uses.map((u) => u.image));
      const scanned = textScan(text);
      images += found.length;
      const gateOnly = multisetDifference(found, scanned);
      const textOnly = multisetDifference(scanned, found);
      if (gateOnly.length > 0 || textOnly.length > 0) differences[file] = { gateOnly, textOnly: textOnly.length };
    }
    const expected = Object.fromEntries(Object.entries(EXPECTED_DIFFERENCES).map(([file, d]) => [file, { gateOnly: d.gateOnly, textOnly: d.textOnly }]));
    assert.deepEqual(differences, expected);
    assert.ok(images > 450, `only ${images} images found in the corpus`);
  });

  it('gate check reads the whole corpus folder: a verdict for every image, no input error', async () => {
    const noPolicies = await mkdtemp(path.join(tmpdir(), 'gate-no-policies-'));
    const { code, report, stderr } = await gateJson(['check', CORPUS, '--policies', noPolicies]);
    await rm(noPolicies, { recursive: true });
    assert.equal(code, 1, stderr);
    assert.ok(report.summary.images > 200);
    assert.equal(report.summary.denied, report.summary.images, 'with no policy every image is denied');
    assert.ok(report.results.every((r) => ['NO_POLICY', 'INVALID_REFERENCE', 'UNSUPPORTED'].includes(r.reason)));
  });
});
