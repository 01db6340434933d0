// The JSON report of DESIGN.md §3: the stable, machine-readable form.

import type { GateError } from '../errors.js';
import { GATE_VERSION } from '../version.js';
import type { Report } from './model.js';

export function renderJson(report: Report): string {
  const { gateVersion, summary, results, warnings } = report;
  return `${JSON.stringify({ gateVersion, summary, results, warnings }, null, 2)}\n`;
}

/** When the run stops on bad input (exit 2), JSON readers still get JSON. */
export function renderJsonError(error: GateError): string {
  const { file, line } = error.position ?? {};
  return `${JSON.stringify({ gateVersion: GATE_VERSION, error: { code: error.code, message: error.message, file: file ?? null, line: line ?? null } }, null, 2)}\n`;
}
