#!/usr/bin/env bash
# Interop test of frameseal against the real livekit-client@2.23.0 E2EE worker.
#   tests/interop/livekit-js/run.sh FRAMESEAL_BIN [--only REGEX] [--verbose]
# Installs the pinned npm dependencies (npm ci, from package-lock.json) when node_modules is missing
# or older than the lock file, then runs run-interop.mjs. Exit status 0 only if everything passed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 FRAMESEAL_BIN [--only REGEX] [--verbose]" >&2
  exit 2
fi
bin="$1"; shift
[[ "$bin" == /* ]] || bin="$PWD/$bin"

command -v node >/dev/null || { echo "run.sh: node (>= 20) is required" >&2; exit 2; }
major="$(node -p 'process.versions.node.split(".")[0]')"
if (( major < 20 )); then echo "run.sh: node >= 20 required, found $(node --version)" >&2; exit 2; fi

stamp="$here/node_modules/.package-lock.json"   # written by npm on install
if [[ ! -f "$stamp" || "$here/package-lock.json" -nt "$stamp" || ! -f "$here/node_modules/livekit-client/dist/livekit-client.e2ee.worker.mjs" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || { echo "run.sh: npm ci failed" >&2; exit 2; }
fi

exec node "$here/run-interop.mjs" "$bin" "$@"
