#!/usr/bin/env bash
# Step 2 of the gate GitHub Action (action.yml): gate check with annotations (--output github),
# the step summary (Markdown), the SARIF file and any other report asked for; the counts and the
# exit code as step outputs. Inputs come as GATE_* variables; paths and args are split on spaces.
set -uo pipefail
gate="${RUNNER_TEMP:?}/gate-action/bin/gate"
read -r -a paths <<< "${GATE_PATHS:-.}"
read -r -a extra <<< "${GATE_ARGS:-}"
[ ${#paths[@]} -gt 0 ] || paths=(.)
json="${GATE_JSON:-}"
counts="$json"
if [ -z "$counts" ]; then counts="$(mktemp "${RUNNER_TEMP}/gate-report.XXXXXX.json")"; fi
outputs=(--output github --output "json=$counts")
[ -n "${GITHUB_STEP_SUMMARY:-}" ] && outputs+=(--output "markdown=$GITHUB_STEP_SUMMARY")
[ -n "${GATE_SARIF:-}" ] && outputs+=(--output "sarif=$GATE_SARIF")
[ -n "${GATE_JUNIT:-}" ] && outputs+=(--output "junit=$GATE_JUNIT")

"$gate" check "${paths[@]}" "${outputs[@]}" "${extra[@]}"
code=$?

images="" denied=""
if [ -s "$counts" ]; then
  read -r images denied < <(node -e 'try { const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")); console.log(`${r.summary?.images ?? ""} ${r.summary?.denied ?? ""}`); } catch { console.log(""); }' "$counts")
fi
[ -z "$json" ] && rm -f "$counts"
{
  echo "exit-code=$code"
  echo "images=${images:-}"
  echo "denied=${denied:-}"
  echo "sarif=$([ -n "${GATE_SARIF:-}" ] && [ -f "$GATE_SARIF" ] && echo "$GATE_SARIF")"
} >> "${GITHUB_OUTPUT:?}"

if [ "$code" = 1 ] && [ "${GATE_FAIL_ON_DENY:-true}" = false ]; then
  echo "gate: ${denied:-some} image(s) denied; fail-on-deny is false, so the step passes"
  exit 0
fi
exit "$code"
