#!/usr/bin/env bash
# Idempotent set-up shared by `npm start`, `npm test` and `npm run bench`:
# OS packages (apt-get, as root), npm dependencies (npm ci when the lock file
# changed), then the TypeScript build. A second run does nothing slow.
set -euo pipefail
cd "$(dirname "$0")/.."

# OS packages the product and its tests need. Extra names may be passed
# (the benchmarks ask for their reference tools this way).
packages=(redis-server libpcap-dev tshark iproute2 iputils-ping chromium "$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "glouglou setup: missing Debian packages: ${missing[*]}" >&2
    echo "glouglou setup: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "glouglou setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer once, non-interactively.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm dependencies: reinstall only when package-lock.json changed.
lockhash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.glouglou-lock
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lockhash" ]; then
  echo "glouglou setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lockhash" > "$stamp"
fi

# The kernel capture counters addon (probe/native): only when missing or older
# than its sources. Before the TypeScript step, whose check sees probe/ change.
# Without it ggprobe still captures, so a failed build is a warning.
addon=probe/native/build/Release/capture_stats.node
if [ ! -f "$addon" ] || [ -n "$(find probe/native -maxdepth 1 -type f -newer "$addon" -print -quit)" ]; then
  gyp=""
  for g in "$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js" \
           "$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js" \
           node_modules/node-gyp/bin/node-gyp.js; do
    if [ -f "$g" ]; then gyp=$g; break; fi
  done
  gyp_args=(rebuild --directory probe/native --loglevel=error)
  # Node's headers as installed here, so node-gyp never downloads them.
  nodedir=$(npm config get nodedir 2>/dev/null || true)
  if [ -n "$nodedir" ] && [ "$nodedir" != undefined ]; then gyp_args+=("--nodedir=$nodedir"); fi
  echo "glouglou setup: building probe/native" >&2
  if [ -z "$gyp" ]; then
    echo "glouglou setup: node-gyp not found; ggprobe will not report kernel drops" >&2
  elif ! node "$gyp" "${gyp_args[@]}" >/dev/null; then
    echo "glouglou setup: probe/native did not build; ggprobe will not report kernel drops" >&2
  fi
fi

# Build: only when a source file is newer than the last build.
built=dist/.glouglou-built
if [ ! -f "$built" ] || [ -n "$(find protocol probe relay glougloud scripts tsconfig.json package-lock.json -newer "$built" -type f -print -quit 2>/dev/null)" ]; then
  echo "glouglou setup: building" >&2
  node_modules/.bin/tsc -p tsconfig.json
  touch "$built"
fi

# The browser client (Vite, into dist/viz-client, which glougloud's viz server
# serves): only when its sources or the dependencies changed. Its stamp is a
# dot file, which the viz server never serves.
vizbuilt=dist/viz-client/.glouglou-built
if [ -f viz-client/vite.config.ts ] && { [ ! -f "$vizbuilt" ] || [ -n "$(find viz-client package-lock.json -newer "$vizbuilt" -type f -print -quit 2>/dev/null)" ]; }; then
  echo "glouglou setup: building viz-client" >&2
  node_modules/.bin/vite build viz-client --logLevel warn
  touch "$vizbuilt"
fi
