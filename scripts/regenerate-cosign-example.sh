#!/usr/bin/env bash
# Regenerates examples/cosign/.gate: a fresh cosign key (the private half is thrown away),
# a legacy .sig signature of images/web.json and a bundle of images/api.json in OCI layout
# folders, with Rekor entries and a trusted root from @sigstore/mock (a dev dependency).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
npm run build --silent
node dist/test/fixtures/make-cosign-example.js
node dist/src/cli/gate.js check examples/cosign --offline
