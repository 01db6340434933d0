// Test certificates made by the real openssl: a CA and a server certificate for
// 127.0.0.1 (TLS registry tests), and a self-signed key pair that signs registry tokens.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { mustRun, requireTool } from './tools.js';

export interface Pem {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

async function load(certFile: string, keyFile: string): Promise<Pem> {
  return { certFile, keyFile, cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
}

/** A self-signed certificate (a test CA, or a token signer). */
export async function selfSigned(dir: string, name: string, subject: string): Promise<Pem> {
  requireTool('openssl');
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  await mustRun('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', subject, '-keyout', key, '-out', cert,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']);
  return load(cert, key);
}

/** A server certificate for IP 127.0.0.1 and localhost, signed by `ca`. */
export async function serverCertificate(dir: string, ca: Pem): Promise<Pem> {
  const key = path.join(dir, 'server.key');
  const csr = path.join(dir, 'server.csr');
  const cert = path.join(dir, 'server.crt');
  const ext = path.join(dir, 'server.ext');
  await mustRun('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', csr]);
  await mustRun('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth,clientAuth\\n' > "$1"`, 'sh', ext]);
  await mustRun('openssl', ['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', cert]);
  return load(cert, key);
}
