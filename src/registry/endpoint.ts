// Where a registry is, and which CAs to trust for it.
//  - docker.io is served by registry-1.docker.io;
//  - https always, plain http only for registries declared insecure (--insecure-registry);
//  - trust: Node's roots, the operating system's bundle, NODE_EXTRA_CA_CERTS, the *.crt of
//    .gate/certs.d/<host:port>/, /etc/containers/certs.d/ and /etc/docker/certs.d/ (the
//    layout docker and podman use), and --ca-file.

import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { readBounded } from '../input/bounded-read.js';
import type { Endpoint } from './client.js';

export function endpointFor(domain: string, insecure: ReadonlySet<string>): Endpoint {
  if (domain === 'docker.io') return { origin: 'https://registry-1.docker.io', insecure: false };
  const plain = insecure.has(domain) || insecure.has(domain.replace(/:\d+$/, ''));
  return { origin: `${plain ? 'http' : 'https'}://${domain}`, insecure: plain };
}

export const SYSTEM_CERTS_DIRS = ['/etc/containers/certs.d', '/etc/docker/certs.d'];
/** Where Debian/Ubuntu and RHEL/Fedora keep the system's trusted CAs. */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'];
const PEM_LIMIT = 4 * 1024 * 1024;

async function pemFile(file: string): Promise<string | undefined> {
  const read = await readBounded(file, PEM_LIMIT);
  return read.kind === 'ok' ? Buffer.from(read.bytes).toString('utf8') : undefined;
}

let systemRoots: Promise<string[]> | undefined;

/** Every root a TLS connection of gate trusts before certs.d: what `ca` would otherwise replace. */
function baseRoots(env: NodeJS.ProcessEnv): Promise<string[]> {
  systemRoots ??= (async () => {
    const extra = [...SYSTEM_BUNDLES, ...(env.NODE_EXTRA_CA_CERTS ? [env.NODE_EXTRA_CA_CERTS] : [])];
    const pems = await Promise.all(extra.map(pemFile));
    return [...rootCertificates, ...pems.filter((p): p is string => p !== undefined)];
  })();
  return systemRoots;
}

/**
 * The trust roots for host[:port]. certs.d folders are named by the registry as images
 * name it, so registry-1.docker.io also looks under docker.io.
 */
export async function trustRootsFor(hostPort: string, certsDirs: string[], caFiles: string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const names = hostPort === 'registry-1.docker.io' ? [hostPort, 'docker.io'] : [hostPort];
  const pems: string[] = [...(await baseRoots(env)), ...caFiles];
  for (const dir of certsDirs) {
    for (const name of names) {
      const folder = path.join(dir, name);
      const files = (await readdir(folder).catch(() => [] as string[])).filter((n) => n.endsWith('.crt')).sort();
      for (const file of files) {
        const pem = await pemFile(path.join(folder, file));
        if (pem) pems.push(pem);
      }
    }
  }
  return distinctCertificates(pems);
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Each certificate once, in order of first appearance: the system bundle repeats most of
 * Node's own roots, and each one costs the TLS context a parse. Text that holds no PEM
 * certificate is kept as it is, for OpenSSL to judge.
 */
export function distinctCertificates(pems: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const pem of pems) {
    const certificates = pem.match(CERTIFICATE);
    if (!certificates) {
      out.push(pem);
      continue;
    }
    for (const certificate of certificates) {
      const body = certificate.replace(/-----[A-Z ]+-----|\s+/g, '');
      if (seen.has(body)) continue;
      seen.add(body);
      out.push(certificate);
    }
  }
  return out;
}
