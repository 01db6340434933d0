// Where a registry is, and which CAs to trust for it.
//  - docker.io is served by registry-1.docker.io;
//  - https always, plain http only for registries declared insecure (--insecure-registry);
//  - trust: the system roots, plus <dir>/<host:port>/*.crt from .gate/certs.d,
//    /etc/containers/certs.d and /etc/docker/certs.d (the layout docker and podman use),
//    plus --ca-file.

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Endpoint } from './client.js';

export function endpointFor(domain: string, insecure: ReadonlySet<string>): Endpoint {
  if (domain === 'docker.io') return { origin: 'https://registry-1.docker.io', insecure: false };
  const plain = insecure.has(domain) || insecure.has(domain.replace(/:\d+$/, ''));
  return { origin: `${plain ? 'http' : 'https'}://${domain}`, insecure: plain };
}

export const SYSTEM_CERTS_DIRS = ['/etc/containers/certs.d', '/etc/docker/certs.d'];

/** Extra trust roots for host[:port]: every *.crt of its certs.d folders, and the --ca-file. */
export async function trustRootsFor(hostPort: string, certsDirs: string[], caFiles: string[]): Promise<string[]> {
  const pems: string[] = [];
  for (const dir of certsDirs) {
    const folder = path.join(dir, hostPort);
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.crt')).sort()) pems.push(await readFile(path.join(folder, name), 'utf8'));
  }
  for (const file of caFiles) pems.push(await readFile(file, 'utf8'));
  return pems;
}
