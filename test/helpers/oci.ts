// Images to push: OCI image layouts written by hand (oci-layout, index.json, blobs),
// pushed and signed by the real `skopeo copy --sign-by`.

import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GpgHome } from './gpg.js';
import { mustRun, requireTool } from './tools.js';

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function writeBlob(layout: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const hex = sha256(bytes);
  await mkdir(path.join(layout, 'blobs/sha256'), { recursive: true });
  await writeFile(path.join(layout, 'blobs/sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

async function imageManifest(layout: string, seed: string, platform = { architecture: 'amd64', os: 'linux' }): Promise<{ digest: string; size: number }> {
  const config = await writeBlob(layout, Buffer.from(JSON.stringify({ ...platform, rootfs: { type: 'layers', diff_ids: [] }, config: { Labels: { seed } } })));
  const layer = await writeBlob(layout, Buffer.from(`layer ${seed} ${platform.architecture}`));
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    }),
  );
  return writeBlob(layout, bytes);
}

export interface Layout {
  dir: string;
}

/**
 * A one-image OCI layout tagged `latest`; `seed` makes its bytes unique. (skopeo
 * compresses the layers when it pushes, so the registry's digest is not the layout's:
 * skopeoPush returns it.)
 */
export async function ociImage(seed: string, multiArch = false): Promise<Layout> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gate-oci-'));
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  let top: { digest: string; size: number; mediaType: string };
  if (multiArch) {
    const manifests = [];
    for (const architecture of ['amd64', 'arm64']) {
      const m = await imageManifest(dir, seed, { architecture, os: 'linux' });
      manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: m.digest, size: m.size, platform: { architecture, os: 'linux' } });
    }
    const index = await writeBlob(dir, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests })));
    top = { ...index, mediaType: 'application/vnd.oci.image.index.v1+json' };
  } else {
    const m = await imageManifest(dir, seed);
    top = { digest: m.digest, size: m.size, mediaType: 'application/vnd.oci.image.manifest.v1+json' };
  }
  await writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ ...top, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }),
  );
  return { dir };
}

export interface PushOptions {
  /** docker://… destination without the scheme: 127.0.0.1:5000/team/app:1 */
  destination: string;
  gpg?: GpgHome;
  /** Sign with this key fingerprint (skopeo --sign-by). */
  signBy?: string;
  /** Sign for this identity instead of the destination (skopeo --sign-identity). */
  signIdentity?: string;
  /** A registries.d folder whose lookaside-staging receives the signatures. */
  registriesD?: string;
  /** Folder with ca.crt for a TLS registry; omitted means plain HTTP. */
  certDir?: string;
  creds?: string;
  all?: boolean;
}

/** Pushes (and signs) the image; returns the digest of the manifest the registry now holds. */
export async function skopeoPush(layout: Layout, options: PushOptions): Promise<string> {
  requireTool('skopeo');
  const digestFile = path.join(layout.dir, 'pushed-digest');
  const args = ['copy', '--retry-times', '0', '--digestfile', digestFile];
  if (options.registriesD) args.push('--registries.d', options.registriesD);
  args.push(options.certDir ? `--dest-cert-dir=${options.certDir}` : '--dest-tls-verify=false');
  if (options.creds) args.push('--dest-creds', options.creds);
  if (options.signBy) args.push('--sign-by', options.signBy);
  if (options.signIdentity) args.push('--sign-identity', options.signIdentity);
  if (options.all) args.push('--all');
  args.push(`oci:${layout.dir}:latest`, `docker://${options.destination}`);
  await mustRun('skopeo', args, { env: options.gpg?.env ?? {} });
  return (await readFile(digestFile, 'utf8')).trim();
}

/**
 * Pushes a manifest and its blobs with plain registry API calls (for artifacts skopeo
 * would rewrite, such as a sigstore attachment). Returns the manifest digest.
 */
export async function pushRaw(registryUrl: string, repository: string, tag: string, manifest: Buffer, mediaType: string, blobs: Buffer[]): Promise<string> {
  for (const blob of blobs) {
    const digest = `sha256:${sha256(blob)}`;
    const start = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
    const location = start.headers.get('location');
    if (start.status !== 202 || !location) throw new Error(`blob upload to ${repository} answered ${start.status}`);
    const target = new URL(location, registryUrl);
    target.searchParams.set('digest', digest);
    const upload = await fetch(target, { method: 'PUT', body: blob, headers: { 'content-type': 'application/octet-stream' } });
    if (upload.status !== 201) throw new Error(`blob upload to ${repository} answered ${upload.status}: ${await upload.text()}`);
  }
  const put = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'content-type': mediaType } });
  if (put.status !== 201) throw new Error(`manifest upload to ${repository}:${tag} answered ${put.status}: ${await put.text()}`);
  return `sha256:${sha256(manifest)}`;
}
