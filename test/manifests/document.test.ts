import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseManifestStream } from '../../src/manifests/document.js';
import { throwsGateError } from '../helpers/assert.js';

/** The value as JSON sees it: positions ride on parsed values under symbols. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

function refused(text: string, pattern: RegExp): void {
  throwsGateError(() => parseManifestStream(text, 'm.yaml'), ['INPUT_INVALID', 'LIMIT_EXCEEDED'], { message: pattern });
}

describe('reading manifest streams', () => {
  it('keeps file and line for every object and path, across documents and lists', () => {
    const text = '# comment\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    containers:\n    - name: c\n      image: x:1\n---\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n';
    const { objects } = parseManifestStream(text, 'm.yaml');
    assert.deepEqual(objects.map((o) => [plain(o.value.metadata), o.line]), [[{ name: 'a' }, 6], [{ name: 'b' }, 15]]);
    assert.equal(objects[0].lineOf(['spec', 'containers', 0, 'image']), 12);
    assert.equal(objects[0].lineOf(['spec', 'nothing', 'here']), 6, 'the start of the nearest enclosing object with a known line');
  });

  it('reads image strings as go-yaml does: no YAML 1.1 sexagesimal numbers', () => {
    const { objects } = parseManifestStream('apiVersion: v1\nkind: Pod\nspec:\n  containers: [{image: 1:20}]\n', 'm.yaml');
    assert.deepEqual(plain(objects[0].value.spec), { containers: [{ image: '1:20' }] });
  });

  it('merges YAML anchors and keys', () => {
    const { objects } = parseManifestStream('apiVersion: v1\nkind: Pod\nx: &base {image: a:1}\nspec:\n  containers:\n  - <<: *base\n    name: c\n', 'm.yaml');
    assert.deepEqual(plain(objects[0].value.spec), { containers: [{ image: 'a:1', name: 'c' }] });
  });

  it('warns about a duplicate key and keeps the last value', () => {
    const { objects, warnings } = parseManifestStream('apiVersion: v1\nkind: Pod\nspec:\n  a: 1\n  a: 2\n', 'm.yaml');
    assert.deepEqual(plain(objects[0].value.spec), { a: 2 });
    assert.deepEqual(warnings, [{ file: 'm.yaml', line: 5, message: 'duplicate key "a"; Kubernetes keeps the last value, and so does gate' }]);
  });

  it('skips documents that are not Kubernetes objects, with a warning', () => {
    const { objects, warnings } = parseManifestStream('services:\n  db: {image: postgres}\n---\nkind: Pod\n', 'compose.yml');
    assert.equal(objects.length, 0);
    assert.deepEqual(warnings.map((w) => [w.line, /no (kind|apiVersion)/.exec(w.message)?.[0]]), [[1, 'no kind'], [4, 'no apiVersion']]);
  });

  it('reads what go-yaml accepts and the YAML spec does not (a quoted scalar whose closing line is not indented)', () => {
    const text = 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: a:1\n    args: ["\n      echo hi\n    "]\n';
    const { objects } = parseManifestStream(text, 'm.yaml');
    assert.equal(objects.length, 1);
    assert.equal(objects[0].lineOf(['spec', 'containers', 0, 'image']), 5);
  });

  it('refuses what no reader accepts, a sequence where an object belongs, alias bombs and deep nesting', () => {
    refused('apiVersion: v1\nkind: Pod\nspec: [unclosed\n', /not valid YAML/);
    refused('image: {{ .Values.image }\n', /Helm or Go template/);
    refused('- a\n- b\n', /expected a Kubernetes object/);
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    refused(`${bomb.join('\n')}\n`, /alias|Excessive|not valid YAML/i);
    refused(`${'['.repeat(300)}${']'.repeat(300)}\n`, /nested deeper|not valid YAML/);
  });

  it('points at the line of each image key: block, flow, JSON, after a merge, in a List', () => {
    const image = ['spec', 'containers', 0, 'image'];
    const block = parseManifestStream('apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n    image: x:1\n', 'm.yaml');
    assert.equal(block.objects[0].lineOf(image), 7);
    const flow = parseManifestStream('apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [\n  {name: c,\n   image: x:1}]}\n', 'm.yaml');
    assert.equal(flow.objects[0].lineOf(image), 6);
    const json = parseManifestStream('{"apiVersion": "v1", "kind": "Pod",\n "metadata": {"name": "a"},\n "spec": {"containers": [\n   {"name": "c",\n    "image": "x:1"}]}}\n{"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"image": "y:1"}]}}\n', 'm.json');
    assert.deepEqual(json.objects.map((o) => o.lineOf(image)), [5, 6]);
    // The merged image comes from the anchor, and its line is the anchor's.
    const merged = parseManifestStream('apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nx: &base\n  image: x:1\nspec:\n  containers:\n  - name: c\n    <<: *base\n', 'm.yaml');
    assert.equal(merged.objects[0].value.spec && (merged.objects[0].value.spec as { containers: Array<{ image: string }> }).containers[0].image, 'x:1');
    assert.equal(merged.objects[0].lineOf(image), 5);
    const list = parseManifestStream('apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  spec:\n    containers:\n    - image: x:1\n- apiVersion: v1\n  kind: Pod\n  spec: {containers: [{image: y:1}]}\n', 'm.yaml');
    assert.deepEqual(list.objects.map((o) => [o.line, o.lineOf(image)]), [[4, 8], [9, 11]]);
  });

  it('gives the exact line of any field on demand (an invalid policy among the manifests), not only of image keys', () => {
    const { objects } = parseManifestStream('apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels:\n    tier: web\n', 'm.yaml');
    assert.equal(objects[0].lineOf(['metadata', 'labels', 'tier']), 6);
    assert.equal(objects[0].lineOf(['metadata', 'name']), 4);
  });
});
