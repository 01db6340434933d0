// The network floor of a check: a plain Node script making exactly the requests the
// simple-signing format needs, and nothing else (no parsing of manifests, no crypto, no
// policy): per image a HEAD of the tag (none for a digest), then GET signature-1 and
// signature-2 from the lookaside (the 404 that ends the list), at gate's concurrency,
// over keep-alive connections with one TLS context. Run as a process of its own, as gate
// is, so both figures include the start of a Node process.
//   node dist/bench/floor.js IMAGES.json CA.pem CONCURRENCY
// IMAGES.json: [{"registry": "https://host:port", "repository", "reference", "lookaside"}]

import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { Agent } from 'undici';

interface FloorImage {
  registry: string;
  repository: string;
  /** A tag, or a digest (then no HEAD). */
  reference: string;
  digest: string;
  lookaside: string;
}

const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json';

async function main(): Promise<void> {
  const [imagesFile, caFile, concurrencyText] = process.argv.slice(2);
  const images = JSON.parse(readFileSync(imagesFile, 'utf8')) as FloorImage[];
  const secureContext = createSecureContext({ ca: readFileSync(caFile, 'utf8') });
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 16, connect: { secureContext } });
  const get = async (url: string, method: 'GET' | 'HEAD', headers: Record<string, string> = {}) => {
    const u = new URL(url);
    const answer = await agent.request({ origin: u.origin, path: u.pathname, method, headers, reset: false });
    await answer.body.arrayBuffer();
    return answer.statusCode;
  };
  let next = 0;
  let requests = 0;
  const worker = async () => {
    while (next < images.length) {
      const image = images[next++];
      if (!image.reference.startsWith('sha256:')) {
        const status = await get(`${image.registry}/v2/${image.repository}/manifests/${image.reference}`, 'HEAD', { accept: ACCEPT });
        requests++;
        if (status !== 200) throw new Error(`HEAD ${image.repository}:${image.reference} answered ${status}`);
      }
      const folder = `${image.lookaside}/${image.repository}@sha256=${image.digest.slice(7)}`;
      if ((await get(`${folder}/signature-1`, 'GET')) !== 200) throw new Error(`no signature-1 for ${image.repository}`);
      if ((await get(`${folder}/signature-2`, 'GET')) !== 404) throw new Error(`a signature-2 for ${image.repository}`);
      requests += 2;
    }
  };
  await Promise.all(Array.from({ length: Number(concurrencyText) }, worker));
  await agent.close();
  process.stdout.write(`${JSON.stringify({ requests })}\n`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
