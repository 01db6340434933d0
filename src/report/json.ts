// The JSON report of DESIGN.md §3: the stable, machine-readable form.

import type { Report } from './model.js';

export function renderJson(report: Report): string {
  const { gateVersion, summary, results, warnings } = report;
  return `${JSON.stringify({ gateVersion, summary, results, warnings }, null, 2)}\n`;
}
