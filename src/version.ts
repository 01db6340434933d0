// The version printed by `gate --version` and written into every report.
import { readFileSync } from 'node:fs';

function readVersion(): string {
  const manifest = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

export const GATE_VERSION = readVersion();
