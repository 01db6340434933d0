// cosign figures for `npm run bench`: the requests one image costs in each storage mode
// (counted by the loopback front before the real registry, which also serves the
// referrers API, or answers 404 for it as distribution 2.8 does), and a cold `gate check`
// of N images signed with cosign 3 bundles, per image. The signatures are made as the
// tests make them (test/helpers/cosign.ts). Figures, never pass/fail.

import { performance } from 'node:perf_hooks';
import { bundle, cosignPayload, keyPair, legacyWithKey, pushBundle, pushLegacy, referrersFront, Sigstore, statement } from '../test/helpers/cosign.js';
import { gate } from '../test/helpers/gate.js';
import { deployment, makeRepo } from '../test/helpers/repo.js';
import { startRegistry } from '../test/helpers/registry.js';
import { ociImage, skopeoPush } from '../test/helpers/oci.js';

type Row = [figure: string, gate: string, baseline: string, ratio: string, goal: string];

const POLICY = (host: string) => `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: cosign}
spec:
  repositories:
  - name: "${host}/*"
    policy:
      simple:
        requirements:
        - type: sigstoreSigned
          keyPath: keys/cosign.pub
          trustedRootPath: trust/trusted_root.json
`;

export async function cosignScenarios(count: number): Promise<Row[]> {
  const registry = await startRegistry();
  const front = await referrersFront(registry.url);
  const sigstore = await Sigstore.create();
  const key = keyPair('p256');
  const rows: Row[] = [];
  try {
    const push = async (name: string) => {
      const layout = await ociImage(`cosign-bench:${name}`);
      return skopeoPush(layout, { destination: `${front.host}/cosign/${name}:1` });
    };
    const legacy = await push('legacy');
    await pushLegacy(registry.url, 'cosign/legacy', legacy, [await legacyWithKey(sigstore, key, cosignPayload(`${front.host}/cosign/legacy`, legacy))]);
    const bundled = await push('bundle');
    await pushBundle(registry.url, 'cosign/bundle', bundled, await bundle(sigstore, { key }, statement(bundled)));
    const unsigned = await push('unsigned');
    const many: string[] = [];
    for (let i = 0; i < count; i++) {
      const digest = await push(`many${i}`);
      await pushBundle(registry.url, `cosign/many${i}`, digest, await bundle(sigstore, { key }, statement(digest)));
      many.push(`${front.host}/cosign/many${i}@${digest}`);
    }
    const files = { '.gate/policies/cosign.yaml': POLICY(front.host), '.gate/keys/cosign.pub': key.pem, '.gate/trust/trusted_root.json': sigstore.trustedRoot(), '.gate/config.yaml': 'webhook: none\n' };
    const requests = async (image: string, noApi: boolean): Promise<string> => {
      front.control.noApi = noApi;
      const repo = await makeRepo({ ...files, 'apps/app.yaml': deployment('app', [image]) });
      try {
        const before = front.requests.length;
        await gate(['check', 'apps', '--insecure-registry', front.host], { cwd: repo.dir });
        const seen = front.requests.slice(before).filter((r) => r.path !== '/v2/');
        return `${seen.length} (${seen.map((r) => `${r.method} ${r.path.replace(/^\/v2\/cosign\/\w+\//, '').replace(/sha256[:-][0-9a-f]{64}/g, 'D').replace(/\?.*$/, '')}`).join(', ')})`;
      } finally {
        await repo.dispose();
      }
    };
    // The baseline is what cosign verify (v3) asks for the same image, from the request sequences measured for
    // shared/reference/cosign.md §1 (no cosign binary runs here): bundles first, the .sig only when no bundle is
    // found. gate reads both formats always: one GET more for a bundle-signed image.
    const row = async (label: string, image: string, noApi: boolean, cosign: number): Promise<Row> => {
      const counted = await requests(image, noApi);
      return [`  ${label}`, counted, `cosign verify: ${cosign}`, (Number(counted.split(' ')[0]) / cosign).toFixed(2), 'both formats read, nothing more'];
    };
    rows.push(['cosign: requests per pinned image', '', '', '', '']);
    rows.push(await row('.sig (1 layer), referrers API', `${front.host}/cosign/legacy@${legacy}`, false, 3));
    rows.push(await row('bundle, referrers API', `${front.host}/cosign/bundle@${bundled}`, false, 3));
    rows.push(await row('bundle, fallback tag (no API)', `${front.host}/cosign/bundle@${bundled}`, true, 4));
    rows.push(await row('unsigned, referrers API', `${front.host}/cosign/unsigned@${unsigned}`, false, 2));
    rows.push(await row('unsigned, no API', `${front.host}/cosign/unsigned@${unsigned}`, true, 3));
    front.control.noApi = false;
    const repo = await makeRepo({ ...files, 'apps/app.yaml': deployment('app', many) });
    try {
      const start = performance.now();
      const result = await gate(['check', 'apps', '--insecure-registry', front.host, '-o', 'json'], { cwd: repo.dir });
      const elapsed = performance.now() - start;
      if (result.code !== 0) throw new Error(`gate check of ${count} cosign images failed (${result.code}): ${result.stderr}${result.stdout.slice(0, 400)}`);
      rows.push([`  cold check, ${count} bundle-signed images (plain HTTP)`, `${elapsed.toFixed(0)} ms (${(elapsed / count).toFixed(1)} ms/image)`, '-', '-', '-']);
    } finally {
      await repo.dispose();
    }
  } finally {
    await front.close();
    await registry.stop();
  }
  return rows;
}
