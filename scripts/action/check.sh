#!/usr/bin/env bash
# Step 2 of the gate GitHub Action (action.yml): gate check with annotations (--output github),
# the step summary (Markdown), the SARIF file and any other report asked for; the counts and the
# exit code as step outputs. Inputs come as GATE_* variables; paths and args are split on
# whitespace (spaces or new lines). Exit 1 counts as a denial only when gate wrote its report
# and it denies something: a crash fails the step whatever fail-on-deny says.
set -uo pipefail
gate="${RUNNER_TEMP:?}/gate-action/bin/gate"
for name in GATE_SARIF GATE_JSON GATE_JUNIT; do
  case "${!name:-}" in *$'\n'* | *$'\r'*) echo "::error title=gate::the ${name#GATE_} input must be one file name"; exit 2 ;; esac
done
read -r -d '' -a paths < <(printf '%s\0' "${GATE_PATHS:-.}")
read -r -d '' -a extra < <(printf '%s\0' "${GATE_ARGS:-}")
[ ${#paths[@]} -gt 0 ] || paths=(.)
json="${GATE_JSON:-}"
counts="$json"
if [ -z "$counts" ]; then counts="$(mktemp "${RUNNER_TEMP}/gate-report.XXXXXX.json")"; fi
rm -f "$counts"   # a report from an earlier run must not stand in for this one
outputs=(--output github --output "json=$counts")
[ -n "${GITHUB_STEP_SUMMARY:-}" ] && outputs+=(--output "markdown=$GITHUB_STEP_SUMMARY")
[ -n "${GATE_SARIF:-}" ] && outputs+=(--output "sarif=$GATE_SARIF")
[ -n "${GATE_JUNIT:-}" ] && outputs+=(--output "junit=$GATE_JUNIT")

"$gate" check "${paths[@]}" "${outputs[@]}" "${extra[@]}"
code=$?

images="" denied=""
if [ -s "$counts" ]; then
  read -r images denied < <(node -e 'try { const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")); const s = r.summary ?? {}; console.log(Number.isInteger(s.images) && Number.isInteger(s.denied) ? `${s.images} ${s.denied}` : ""); } catch { console.log(""); }' "$counts")
fi
[ -z "$json" ] && rm -f "$counts"
{
  echo "exit-code=$code"
  echo "images=${images:-}"
  echo "denied=${denied:-}"
  echo "sarif=$([ -n "${GATE_SARIF:-}" ] && [ -f "$GATE_SARIF" ] && echo "$GATE_SARIF")"
} >> "${GITHUB_OUTPUT:?}"

if [ "$code" = 1 ] && [ "${GATE_FAIL_ON_DENY:-true}" = false ]; then
  if [ -n "${denied:-}" ] && [ "$denied" -gt 0 ]; then
    echo "gate: $denied image(s) denied; fail-on-deny is false, so the step passes"
    exit 0
  fi
  echo "::error title=gate::gate check failed without a report of its denials (exit 1): the step fails whatever fail-on-deny says"
fi
exit "$code"
