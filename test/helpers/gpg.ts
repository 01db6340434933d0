// A throw-away GnuPG home with real keys, for signatures made by real gpg and skopeo.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mustRun, requireTool, run } from './tools.js';

export interface SignOptions {
  /** gpg --faked-system-time value, e.g. 20200102T000000. */
  fakedTime?: string;
  /** gpg --default-sig-expire value, e.g. 1d. */
  expire?: string;
  /** gpg --digest-algo value, e.g. SHA1. */
  digestAlgo?: string;
  /** gpg -z value: 0 for no compression, 9 for the most. */
  compressLevel?: number;
}

export class GpgHome {
  private constructor(readonly dir: string) {}

  static async create(): Promise<GpgHome> {
    requireTool('gpg');
    return new GpgHome(await mkdtemp(path.join(tmpdir(), 'gate-gnupg-')));
  }

  get env(): NodeJS.ProcessEnv {
    return { GNUPGHOME: this.dir };
  }

  private gpg(args: string[], input?: string | Buffer) {
    return mustRun('gpg', ['--batch', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { env: this.env, input });
  }

  /** A new signing key (RSA 2048 unless said otherwise); returns its primary fingerprint (upper-case hex). */
  async generateKey(uid: string, options: { fakedTime?: string; algorithm?: string } = {}): Promise<string> {
    const faked = options.fakedTime ? ['--faked-system-time', options.fakedTime] : [];
    await this.gpg([...faked, '--quick-gen-key', uid, options.algorithm ?? 'rsa2048', 'sign', 'never']);
    return this.fingerprints(uid).then((f) => f[0]);
  }

  /** Fingerprints of the key with this uid: primary first, then subkeys. */
  async fingerprints(uid: string): Promise<string[]> {
    const listed = await this.gpg(['--with-colons', '--list-keys', uid]);
    return listed.stdout
      .toString('utf8')
      .split('\n')
      .filter((l) => l.startsWith('fpr:'))
      .map((l) => l.split(':')[9]);
  }

  /** Adds a signing subkey (gpg then signs with it by default); returns the subkey fingerprint. */
  async addSigningSubkey(fingerprint: string, uid: string): Promise<string> {
    await this.gpg(['--quick-add-key', fingerprint, 'rsa2048', 'sign', 'never']);
    const all = await this.fingerprints(uid);
    return all[all.length - 1];
  }

  /** Revokes subkey number `index` (1 = first subkey). */
  async revokeSubkey(fingerprint: string, index: number): Promise<void> {
    await this.gpg(['--command-fd', '0', '--edit-key', fingerprint], `key ${index}\nrevkey\ny\n0\n\ny\nsave\n`);
  }

  /** The revocation certificate gpg made with the key (in openpgp-revocs.d), ready to import. */
  async revocationCertificate(fingerprint: string): Promise<string> {
    const text = await readFile(path.join(this.dir, 'openpgp-revocs.d', `${fingerprint}.rev`), 'utf8');
    // gpg prefixes the armour line with ":" so that the file is not imported by accident.
    return text.replace(/^:-----BEGIN/m, '-----BEGIN');
  }

  /** Imports public keys (an armoured block as committed in .gate/keys/). */
  async importKeys(armored: string): Promise<void> {
    await this.gpg(['--import'], armored);
  }

  /** Every key in the keyring as gpg lists it: the primary fingerprint, then the subkeys'. */
  async listKeys(): Promise<Array<{ primary: string; subkeys: string[] }>> {
    const lines = (await this.gpg(['--with-colons', '--list-keys'])).stdout.toString('utf8').split('\n');
    const keys: Array<{ primary: string; subkeys: string[] }> = [];
    let pending: 'pub' | 'sub' | undefined;
    for (const fields of lines.map((l) => l.split(':'))) {
      if (fields[0] === 'pub' || fields[0] === 'sub') pending = fields[0];
      else if (fields[0] === 'fpr' && pending === 'pub') keys.push({ primary: fields[9], subkeys: [] });
      else if (fields[0] === 'fpr' && pending === 'sub') keys[keys.length - 1].subkeys.push(fields[9]);
      if (fields[0] === 'fpr') pending = undefined;
    }
    return keys;
  }

  /** One armoured block holding every key named. */
  async exportPublic(...fingerprints: string[]): Promise<string> {
    return (await this.gpg(['--armor', '--export', ...fingerprints])).stdout.toString('utf8');
  }

  async exportSecret(fingerprint: string): Promise<string> {
    return (await this.gpg(['--armor', '--export-secret-keys', fingerprint])).stdout.toString('utf8');
  }

  /** An OpenPGP literal-data message: the payload without any signature. */
  async literalMessage(payload: string, options: SignOptions = {}): Promise<Buffer> {
    return (await this.gpg([...signFlags(options), '--store'], payload)).stdout;
  }

  /** gpg --sign of arbitrary bytes with exactly this (sub)key: a hand-written simple-signing payload. */
  async signBytes(fingerprint: string, payload: string | Buffer, options: SignOptions = {}): Promise<Buffer> {
    return (await this.gpg([...signFlags(options), '--local-user', `${fingerprint}!`, '--sign'], payload)).stdout;
  }

  /** A detached signature of the bytes (not a simple-signing blob). */
  async detachSign(fingerprint: string, payload: string | Buffer): Promise<Buffer> {
    return (await this.gpg(['--local-user', `${fingerprint}!`, '--detach-sign'], payload)).stdout;
  }

  async dispose(): Promise<void> {
    await run('gpgconf', ['--kill', 'all'], { env: this.env }).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

function signFlags(options: SignOptions): string[] {
  return [
    ...(options.fakedTime ? ['--faked-system-time', options.fakedTime] : []),
    ...(options.expire ? ['--default-sig-expire', options.expire] : []),
    ...(options.digestAlgo ? ['--digest-algo', options.digestAlgo] : []),
    ...(options.compressLevel !== undefined ? ['-z', String(options.compressLevel)] : []),
  ];
}

/** `skopeo standalone-sign`: the signature skopeo/podman/buildah would store. */
export async function skopeoSign(home: GpgHome, manifest: Buffer, reference: string, fingerprint: string): Promise<Buffer> {
  requireTool('skopeo');
  const dir = await mkdtemp(path.join(tmpdir(), 'gate-sign-'));
  try {
    const manifestPath = path.join(dir, 'manifest.json');
    const out = path.join(dir, 'signature');
    await writeFile(manifestPath, manifest);
    await mustRun('skopeo', ['standalone-sign', '-o', out, manifestPath, reference, fingerprint], { env: home.env });
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `skopeo standalone-verify`: the independent oracle. It checks the signer's
 * fingerprint, that the signature covers sha256(manifest), and that the signed
 * identity is exactly `reference`.
 */
export async function skopeoVerify(home: GpgHome, manifest: Buffer, reference: string, fingerprint: string, signature: Buffer): Promise<{ accepted: boolean; message: string }> {
  requireTool('skopeo');
  const dir = await mkdtemp(path.join(tmpdir(), 'gate-verify-'));
  try {
    await writeFile(path.join(dir, 'manifest.json'), manifest);
    await writeFile(path.join(dir, 'signature'), signature);
    const result = await run('skopeo', ['standalone-verify', path.join(dir, 'manifest.json'), reference, fingerprint, path.join(dir, 'signature')], { env: home.env });
    return { accepted: result.code === 0, message: (result.code === 0 ? result.stdout.toString('utf8') : result.stderr).trim() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A GnuPG 1.4 home (`gpg1`) holding copies of a GpgHome's secret keys. gpg 2.2 accepts
 * --force-v3-sigs but ignores it; gpg1 still makes version-3 signature packets.
 */
export class Gpg1Signer {
  private constructor(readonly dir: string) {}

  static async fromHome(home: GpgHome, fingerprints: string[]): Promise<Gpg1Signer> {
    requireTool('gpg1');
    const signer = new Gpg1Signer(await mkdtemp(path.join(tmpdir(), 'gate-gnupg1-')));
    for (const fingerprint of fingerprints) await signer.gpg1(['--import'], await home.exportSecret(fingerprint));
    return signer;
  }

  private gpg1(args: string[], input?: string | Buffer) {
    return mustRun('gpg1', ['--batch', '--no-tty', '--homedir', this.dir, ...args], { env: { GNUPGHOME: this.dir }, input });
  }

  /** A version-3 signed message of the bytes, by exactly this (sub)key. */
  async signV3(fingerprint: string, payload: string | Buffer, options: { digestAlgo?: string; textmode?: boolean; compressLevel?: number } = {}): Promise<Buffer> {
    const flags = [
      ...(options.digestAlgo ? ['--digest-algo', options.digestAlgo] : []),
      ...(options.textmode ? ['--textmode'] : []),
      ...(options.compressLevel !== undefined ? ['-z', String(options.compressLevel)] : []),
    ];
    return (await this.gpg1(['--force-v3-sigs', ...flags, '--local-user', `${fingerprint}!`, '--sign'], payload)).stdout;
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** The signature packets' versions as gpg 2 lists them (an independent reading of the blob). */
export async function signaturePacketVersions(home: GpgHome, blob: Buffer): Promise<number[]> {
  const listed = await run('gpg', ['--batch', '--list-packets'], { env: home.env, input: blob });
  return [...listed.stdout.toString('utf8').matchAll(/^:signature packet:.*\n\s+version (\d+)/gm)].map((m) => Number(m[1]));
}
