// Parsing speed and memory, one reader per process so that peak RSS is its own:
//   node dist/bench/parse.js js-yaml|gate [RESOURCES]
// prints one JSON line: {"reader", "resources", "bytes", "ms" (fastest of 15), "maxRssMiB"}. `gate` is
// the whole of what `gate check` does with the text: frame, decode, positions and
// image extraction; `js-yaml` is js-yaml's loadAll of the same bytes, the baseline.

import jsYaml from 'js-yaml';
import { parseManifestStream } from '../src/manifests/document.js';
import { extractImages } from '../src/manifests/extract.js';

/** A realistic Deployment: labels, selectors, pull secrets, env, ports, resources. */
export function deploymentStream(count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    parts.push(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i}
  namespace: shop
  labels: {app: app-${i}, tier: "web"}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: app-${i}
  template:
    metadata:
      labels:
        app: app-${i}
    spec:
      serviceAccountName: sa
      imagePullSecrets:
      - name: regcred
      containers:
      - name: web
        image: registry.example.com/shop/app-${i}@sha256:${i.toString(16).padStart(64, '0')}
        ports:
        - containerPort: 8080
        env:
        - name: A
          value: "1"
        resources: {limits: {cpu: 100m, memory: 128Mi}}
`);
  }
  return parts.join('---\n');
}

function main(): void {
  const reader = process.argv[2];
  const resources = Number(process.argv[3] ?? 10_000);
  const text = deploymentStream(resources);
  const read =
    reader === 'js-yaml'
      ? () => void jsYaml.loadAll(text)
      : reader === 'gate'
        ? () => {
            let images = 0;
            for (const object of parseManifestStream(text, 'bench.yaml').objects) images += extractImages(object, 'default').uses.length;
            if (images !== resources) throw new Error(`found ${images} images in ${resources} resources`);
          }
        : undefined;
  if (!read) throw new Error('usage: parse.js js-yaml|gate [RESOURCES]');
  read(); // warm-up, and the peak memory of one read (later runs add only garbage)
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const start = performance.now();
    read();
    times.push(performance.now() - start);
  }
  // The fastest run: what the code costs when nothing else on the machine gets in the way.
  const ms = Math.min(...times);
  console.log(JSON.stringify({ reader, resources, bytes: Buffer.byteLength(text), ms, maxRssMiB: Math.round(maxRssMiB) }));
}

if (process.argv[1]?.endsWith('parse.js')) main();
