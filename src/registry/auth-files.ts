// Credentials for CI runs, read the way podman, skopeo and docker read them:
//   --auth-file, else $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json,
//   ~/.config/containers/auth.json, $DOCKER_CONFIG/config.json (or ~/.docker/config.json);
// in each file a credHelpers entry, then an `auths` entry, then credsStore; the first file
// with an answer wins. Credential helpers run as `docker-credential-<name> get` (argv, no
// shell) with the registry on stdin. Nothing read here is ever printed.

import { spawn } from 'node:child_process';
import { readIfPresentOrFail, readOrFail, type ReadFailureWords } from '../input/bounded-read.js';
import { homedir } from 'node:os';
import path from 'node:path';
import { GateError } from '../errors.js';
import { once } from '../memo.js';
import { lookupAuth, parseDockerConfig, specificHelper, type Credential, type DockerConfig } from './credentials.js';

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const HELPER_TIMEOUT_MS = 10_000;
const HELPER_OUTPUT_LIMIT = 64 * 1024;
const FILE_LIMIT = 1024 * 1024;

export interface AuthFileOptions {
  /** --auth-file: the only file read when given. */
  authFile?: string;
  env: NodeJS.ProcessEnv;
  /** Time a credential helper may take (the request timeout, within the run's budget). */
  timeoutMs: () => number;
}

interface LoadedConfig {
  file: string;
  config: DockerConfig;
}

export class CiCredentials {
  private configs?: Promise<LoadedConfig[]>;
  private readonly found = new Map<string, Promise<Credential | undefined>>();

  constructor(private readonly options: AuthFileOptions) {}

  /**
   * A file named by --auth-file or $REGISTRY_AUTH_FILE is read up front: a wrong one stops
   * the run (exit 2) even when no workload needs a CI credential, which under webhook
   * parity is most runs. The default files are still read on first use only.
   */
  async readNamedFile(): Promise<void> {
    if (!this.options.authFile && !this.options.env.REGISTRY_AUTH_FILE) return;
    this.configs ??= this.load();
    await this.configs;
  }

  /** The CI credential for a registry (host[:port]), if any file or helper has one. */
  credentialFor(registry: string): Promise<Credential | undefined> {
    return once(this.found, registry, () => this.lookup(registry));
  }

  private async lookup(registry: string): Promise<Credential | undefined> {
    // Read on first use: a run that needs no registry credential reads no auth file.
    this.configs ??= this.load();
    for (const { file, config } of await this.configs) {
      const helper = specificHelper(config, registry);
      if (helper) return runHelper(helper, registry, file, this.options.timeoutMs());
      const entry = lookupAuth(config, registry);
      if (entry) return { source: file, ...entry };
      if (config.credsStore) {
        const fromStore = await runHelper(config.credsStore, registry, file, this.options.timeoutMs());
        if (fromStore) return fromStore;
      }
    }
    return undefined;
  }

  private async load(): Promise<LoadedConfig[]> {
    const { env } = this.options;
    if (this.options.authFile) return [await readConfig(this.options.authFile, true)].filter((c): c is LoadedConfig => c !== undefined);
    const home = env.HOME || homedir();
    const candidates = [
      env.REGISTRY_AUTH_FILE,
      env.XDG_RUNTIME_DIR && path.join(env.XDG_RUNTIME_DIR, 'containers/auth.json'),
      path.join(home, '.config/containers/auth.json'),
      path.join(env.DOCKER_CONFIG || path.join(home, '.docker'), 'config.json'),
    ].filter((f): f is string => typeof f === 'string' && f !== '');
    const loaded: LoadedConfig[] = [];
    for (const file of candidates) {
      const config = await readConfig(file, file === env.REGISTRY_AUTH_FILE);
      if (config) loaded.push(config);
    }
    return loaded;
  }
}

/** A missing default file is fine; a named file that is missing or malformed stops the run. */
async function readConfig(file: string, required: boolean): Promise<LoadedConfig | undefined> {
  const words: ReadFailureWords = {
    file,
    unreadable: (problem) => `cannot read the auth file: ${problem}`,
    tooLarge: { code: 'INPUT_INVALID', message: `the auth file is larger than ${FILE_LIMIT} bytes` },
  };
  const bytes = required ? await readOrFail(file, FILE_LIMIT, words) : await readIfPresentOrFail(file, FILE_LIMIT, words);
  if (bytes === undefined) return undefined;
  const text = Buffer.from(bytes).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GateError('INPUT_INVALID', 'the auth file is not JSON', { file });
  }
  const config = parseDockerConfig(json);
  if (typeof config === 'string') throw new GateError('INPUT_INVALID', `the auth file is malformed: ${config}`, { file });
  return { file, config };
}

/** `docker-credential-<name> get`; "not found" (non-zero exit) means no credential. */
function runHelper(name: string, registry: string, file: string, budgetMs: number): Promise<Credential | undefined> {
  if (!HELPER_NAME.test(name)) throw new GateError('INPUT_INVALID', `invalid credential helper name "${name}"`, { file });
  const program = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    // Killed (not asked) when it overruns its time or floods its output.
    const child = spawn(program, ['get'], { stdio: ['pipe', 'pipe', 'ignore'], timeout: Math.max(1, Math.min(HELPER_TIMEOUT_MS, budgetMs)), killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    let size = 0;
    child.stdout.on('data', (d: Buffer) => {
      size += d.length;
      if (size > HELPER_OUTPUT_LIMIT) child.kill('SIGKILL');
      else out.push(d);
    });
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(new GateError('INPUT_UNREADABLE', `${file} names the credential helper ${program}, which cannot run: ${e.code ?? e.message}`, { file })),
    );
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') {
        return reject(new GateError('SOURCE_UNAVAILABLE', `the credential helper ${program} ${size > HELPER_OUTPUT_LIMIT ? 'wrote too much' : 'did not answer in time'}`, { file }));
      }
      if (code !== 0) return resolve(undefined);
      try {
        const answer = JSON.parse(Buffer.concat(out).toString('utf8')) as { Username?: unknown; Secret?: unknown };
        if (typeof answer.Username !== 'string' || typeof answer.Secret !== 'string') return resolve(undefined);
        resolve({ source: `credential helper ${program} (from ${file})`, username: answer.Username, password: answer.Secret });
      } catch {
        reject(new GateError('INPUT_INVALID', `the credential helper ${program} did not answer with JSON`, { file }));
      }
    });
    child.stdin.on('error', () => undefined);
    // Docker Hub's entry has always been keyed by its v1 index URL.
    child.stdin.end(['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(registry) ? 'https://index.docker.io/v1/' : registry);
  });
}
