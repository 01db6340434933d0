// The simple-signing ("atomic container signature") payload, parsed as paranoidly as
// containers/image's signature/simple.go: exact key sets at every level of
// `critical`, no duplicates, the exact type string, a valid digest. Call this only
// on bytes that an OpenPGP signature check has already accepted.

import { validateDigest } from '../../reference/reference.js';
import { parseStrictJson, StrictJsonError, type JsonObject, type JsonValue } from '../strict-json.js';

export const SIMPLE_SIGNING_TYPE = 'atomic container signature';
/** cosign's legacy payload: the same document with its own type (containers/image's sigstore payload). */
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

export interface SimpleSigningPayload {
  /** The manifest digest the signer claims (`sha256:…`). */
  dockerManifestDigest: string;
  /** The image identity the signer claims (`registry.example.com/team/web:1.4`). */
  dockerReference: string;
  creator?: string;
  timestamp?: number;
}

export type PayloadResult = { ok: true; payload: SimpleSigningPayload } | { ok: false; message: string };

class PayloadError extends Error {}

/**
 * `type`: the one type string accepted. cosign writes `"optional": null` when it has no
 * annotations, which containers/image accepts for its sigstore payloads (a null map).
 */
export function parseSimpleSigningPayload(bytes: Uint8Array, type: string = SIMPLE_SIGNING_TYPE): PayloadResult {
  try {
    // ignoreBOM keeps a byte-order mark in the text, so that JSON parsing refuses it as Go's does.
    return { ok: true, payload: readPayload(parseStrictJson(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes)), type) };
  } catch (e) {
    if (e instanceof PayloadError || e instanceof StrictJsonError) return { ok: false, message: e.message };
    throw e;
  }
}

function readPayload(top: JsonValue, expectedType: string): SimpleSigningPayload {
  const root = exactObject(top, ['critical', 'optional'], 'signature');
  const critical = exactObject(root.get('critical')!, ['type', 'image', 'identity'], 'critical');
  const rawOptional = root.get('optional')!;
  const optional = rawOptional === null && expectedType === COSIGN_SIGNATURE_TYPE ? new Map<string, JsonValue>() : object(rawOptional, 'optional');

  const type = critical.get('type');
  if (type !== expectedType) throw new PayloadError(`Unrecognized signature type ${JSON.stringify(type)}`);

  const image = exactObject(critical.get('image')!, ['docker-manifest-digest'], 'critical.image');
  const digest = string(image.get('docker-manifest-digest')!, 'critical.image.docker-manifest-digest');
  const digestProblem = validateDigest(digest);
  if (digestProblem) throw new PayloadError(`invalid docker-manifest-digest value: ${digestProblem}`);

  const identity = exactObject(critical.get('identity')!, ['docker-reference'], 'critical.identity');
  const dockerReference = string(identity.get('docker-reference')!, 'critical.identity.docker-reference');

  // `optional` may carry anything, but the two keys containers/image reads must be well-typed.
  const payload: SimpleSigningPayload = { dockerManifestDigest: digest, dockerReference };
  const creator = optional.get('creator');
  if (creator !== undefined && creator !== null) payload.creator = string(creator, 'optional.creator');
  const timestamp = optional.get('timestamp');
  if (timestamp !== undefined && timestamp !== null) {
    if (typeof timestamp !== 'number') throw new PayloadError('Field optional.timestamp is not a number');
    // containers/image reads a float64 and requires it to survive conversion to int64.
    if (!Number.isInteger(timestamp) || timestamp < -(2 ** 63) || timestamp >= 2 ** 63) {
      throw new PayloadError('Field optional.timestamp is not an integer');
    }
    payload.timestamp = timestamp;
  }
  return payload;
}

function object(value: JsonValue, where: string): JsonObject {
  if (!(value instanceof Map)) throw new PayloadError(`${where}: JSON object expected`);
  return value;
}

function exactObject(value: JsonValue, keys: string[], where: string): JsonObject {
  const obj = object(value, where);
  for (const key of obj.keys()) {
    if (!keys.includes(key)) throw new PayloadError(`Unknown key "${key}" in ${where}`);
  }
  for (const key of keys) {
    if (!obj.has(key)) throw new PayloadError(`Key "${key}" missing in ${where}`);
  }
  return obj;
}

function string(value: JsonValue, where: string): string {
  if (typeof value !== 'string') throw new PayloadError(`${where} must be a string`);
  return value;
}
