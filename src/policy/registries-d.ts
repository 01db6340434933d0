// containers-registries.d(5): where simple-signing signatures of an image live.
// Parsing is strict (a misspelt `lookaside` would silently mean "no signatures");
// the lookup follows containers/image docker/registries_d.go: the image's full
// identity first, then ever shorter namespaces, then `*.domain` wildcards, then
// `default-docker`; a matching scope without a lookaside passes on to the next.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { GateError } from '../errors.js';
import { isPlainObject, readYamlDocuments, type PathSegment, type YamlDocument } from '../manifests/document.js';
import { referenceString, repositoryName, type ImageReference } from '../reference/reference.js';
import type { Origin } from './types.js';

export interface ScopeConfig {
  /** Absolute URL (file:, http:, https:) of the lookaside base. */
  lookaside?: string;
  useSigstoreAttachments?: boolean;
  origin: Origin;
}

export interface RegistriesConfig {
  defaultDocker?: ScopeConfig;
  docker: Map<string, ScopeConfig>;
}

export interface LookasideChoice {
  base: string;
  /** The registries.d key that chose it (`default-docker` for the default). */
  scope: string;
  origin: Origin;
}

const SCOPE_FIELDS = ['lookaside', 'lookaside-staging', 'sigstore', 'sigstore-staging', 'use-sigstore-attachments'];

export function emptyRegistriesConfig(): RegistriesConfig {
  return { docker: new Map() };
}

/**
 * Parses one registries.d file and merges it into `into`; a scope defined twice is an
 * error. `file` names it in messages; `absolute` is where it is, for relative lookasides.
 */
export function addRegistriesFile(into: RegistriesConfig, text: string, file: string, absolute: string = file): void {
  const { documents } = readYamlDocuments(text, file);
  if (documents.length === 0) return;
  if (documents.length > 1) throw new GateError('REGISTRIES_D_INVALID', 'a registries.d file holds one YAML document', { file, line: documents[1].locate([]) });
  const doc = documents[0];
  const fail = (at: PathSegment[], message: string): never => {
    const where = at.map((segment) => (/[.:/*]/.test(String(segment)) ? JSON.stringify(segment) : String(segment))).join('.');
    throw new GateError('REGISTRIES_D_INVALID', `${where || 'file'}: ${message}`, { file, line: doc.locate(at) });
  };
  const root = doc.value;
  if (!isPlainObject(root)) return fail([], 'must be a mapping with "default-docker" and/or "docker"');
  for (const key of Object.keys(root)) {
    if (key !== 'default-docker' && key !== 'docker') fail([key], `unknown key "${key}"; allowed: default-docker, docker`);
  }
  if (root['default-docker'] !== undefined && root['default-docker'] !== null) {
    if (into.defaultDocker) {
      fail(['default-docker'], `"default-docker" is already defined in ${into.defaultDocker.origin.file}:${into.defaultDocker.origin.line}`);
    }
    into.defaultDocker = readScope(doc, ['default-docker'], file, path.dirname(path.resolve(absolute)), fail);
  }
  const docker = root.docker;
  if (docker === undefined || docker === null) return;
  if (!isPlainObject(docker)) return fail(['docker'], 'must be a mapping of scopes');
  for (const scope of Object.keys(docker)) {
    const existing = into.docker.get(scope);
    if (existing) fail(['docker', scope], `scope "${scope}" is already defined in ${existing.origin.file}:${existing.origin.line}`);
    into.docker.set(scope, readScope(doc, ['docker', scope], file, path.dirname(path.resolve(absolute)), fail));
  }
}

function readScope(doc: YamlDocument, at: PathSegment[], file: string, dir: string, fail: (at: PathSegment[], message: string) => never): ScopeConfig {
  let value: unknown = doc.value;
  for (const segment of at) value = (value as Record<string, unknown>)[segment as string];
  const origin = { file, line: doc.locate(at) };
  if (value === null || value === undefined) return { origin };
  if (!isPlainObject(value)) return fail(at, 'must be a mapping');
  for (const key of Object.keys(value)) {
    if (!SCOPE_FIELDS.includes(key)) fail([...at, key], `unknown key "${key}"; allowed: ${SCOPE_FIELDS.join(', ')}`);
  }
  for (const key of SCOPE_FIELDS.slice(0, 4)) {
    if (value[key] !== undefined && typeof value[key] !== 'string') fail([...at, key], 'must be a URL string');
  }
  const attachments = value['use-sigstore-attachments'];
  if (attachments !== undefined && typeof attachments !== 'boolean') fail([...at, 'use-sigstore-attachments'], 'must be true or false');
  // `sigstore` is the legacy spelling of `lookaside`; the staging keys are for writers only.
  const raw = (value.lookaside as string | undefined) || (value.sigstore as string | undefined) || undefined;
  const keyUsed = value.lookaside ? 'lookaside' : 'sigstore';
  return {
    lookaside: raw === undefined ? undefined : absoluteLookaside(raw, dir, (m) => fail([...at, keyUsed], m)),
    useSigstoreAttachments: attachments as boolean | undefined,
    origin,
  };
}

/**
 * `file:///abs`, `http://` and `https://` are containers/image's schemes. gate also
 * accepts a relative `file:sigstore` (no `//`), resolved against the registries.d
 * folder, so a lookaside committed with the repository works wherever it is cloned;
 * skopeo and podman do not understand that form.
 */
function absoluteLookaside(raw: string, relativeTo: string, fail: (message: string) => never): string {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(raw)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') return raw;
  if (scheme !== 'file') return fail(`unsupported lookaside URL "${raw}": use file://, http:// or https://`);
  if (raw.startsWith('file://')) {
    if (!raw.startsWith('file:///')) fail(`file URL "${raw}" must have an absolute path (file:///…) or be relative (file:dir)`);
    return raw;
  }
  const relative = decodeURIComponent(raw.slice('file:'.length));
  return pathToFileURL(path.resolve(relativeTo, relative)).href;
}

/** The lookaside base for an image, or undefined when nothing is configured for it. */
export function lookasideFor(config: RegistriesConfig, ref: ImageReference): LookasideChoice | undefined {
  for (const scope of scopesFor(ref)) {
    const entry = config.docker.get(scope);
    if (entry?.lookaside) return { base: entry.lookaside, scope, origin: entry.origin };
  }
  if (config.defaultDocker?.lookaside) {
    return { base: config.defaultDocker.lookaside, scope: 'default-docker', origin: config.defaultDocker.origin };
  }
  return undefined;
}

/** use-sigstore-attachments for an image: the first scope that sets it, then default-docker; false otherwise. */
export function sigstoreAttachmentsFor(config: RegistriesConfig, ref: ImageReference): boolean {
  for (const scope of scopesFor(ref)) {
    const value = config.docker.get(scope)?.useSigstoreAttachments;
    if (value !== undefined) return value;
  }
  return config.defaultDocker?.useSigstoreAttachments ?? false;
}

/** containers/image's search order: full identity, repository, namespaces, host, `*.domain`. */
export function scopesFor(ref: ImageReference): string[] {
  const scopes = [referenceString(ref)];
  let name = repositoryName(ref);
  for (;;) {
    scopes.push(name);
    const slash = name.lastIndexOf('/');
    if (slash < 0) break;
    name = name.slice(0, slash);
  }
  const colon = name.indexOf(':');
  if (colon >= 0) name = name.slice(0, colon);
  for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.')) {
    name = name.slice(dot + 1);
    scopes.push(`*.${name}`);
  }
  return scopes;
}
