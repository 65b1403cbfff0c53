#!/usr/bin/env bash
# Bring up a real Zabbix 7.0 LTS on loopback beside the 6.0 of scripts/zabbix-local.sh: Debian 13 ("trixie")
# packages in a debootstrap chroot cached outside the repository, the machine's PostgreSQL with a role and database
# of its own, the JSON-RPC API served by the chroot's PHP built-in server, and zabbix_server without pollers (see
# scripts/zabbix-lib.sh). Needs root (debootstrap, chroot, mount).
#
# Usage: scripts/zabbix7-local.sh [up|down|status|reset]
#   up      (default) build the chroot if it is not cached (debootstrap + apt-get install, about 2 min; the host
#           gets the debootstrap package if missing), create/import the DB if needed, write the configs, start
#           the PHP server and zabbix_server if they are not running, verify apiinfo.version 7.0.x and user.login,
#           then print ZABBIX7_URL / ZABBIX7_USER / ZABBIX7_PASSWORD / ZABBIX7_TRAPPER_PORT on stdout:
#             eval "$(scripts/zabbix7-local.sh up)"
#   down    stop zabbix_server and the PHP server (each by its process group) and unmount the chroot's /proc
#   status  report chroot, database, processes and API state (exit 0 only if the API answers)
#   reset   drop and re-import the database, then do everything `up` does (the chroot is kept)
#
# Environment: ZABBIX7_PORT (18070), ZABBIX7_TRAPPER_PORT (10061), ZABBIX7_DB (zabbix7),
#   ZABBIX7_CACHE_DIR (/var/cache/nagare-zabbix7: the chroot), ZABBIX7_STATE_DIR (/tmp/nagare-zabbix7: pid files
#   and logs), ZABBIX7_DB_HOST (127.0.0.1), ZABBIX7_DB_PORT (5432), ZABBIX7_DB_USER (zabbix7),
#   ZABBIX7_DB_PASSWORD (zabbix7), ZABBIX7_MIRROR (the Debian mirror apt already uses).
set -euo pipefail

TAG=zabbix7-local
WEB_PORT="${ZABBIX7_PORT:-18070}"
TRAPPER_PORT="${ZABBIX7_TRAPPER_PORT:-10061}"
DB="${ZABBIX7_DB:-zabbix7}"
CACHE_DIR="${ZABBIX7_CACHE_DIR:-/var/cache/nagare-zabbix7}"
STATE_DIR="${ZABBIX7_STATE_DIR:-/tmp/nagare-zabbix7}"
DB_HOST="${ZABBIX7_DB_HOST:-127.0.0.1}"
DB_PORT="${ZABBIX7_DB_PORT:-5432}"
DB_USER="${ZABBIX7_DB_USER:-zabbix7}"
DB_PASSWORD="${ZABBIX7_DB_PASSWORD:-zabbix7}"

URL="http://127.0.0.1:${WEB_PORT}"
ROOT="$CACHE_DIR/chroot"
PARTIAL="$CACHE_DIR/chroot.partial"
# In a chroot that is complete: debootstrap finished and the packages are in. `up` trusts nothing else.
READY_MARKER=.nagare-zabbix7-ready
DEBOOTSTRAPPED_MARKER=.nagare-debootstrapped
SQL_DIR="$ROOT/usr/share/zabbix-server-pgsql"
ROOT_CMD=(chroot "$ROOT")
API_VERSION_PATTERN='7.0.*'
# Paths as the processes in the chroot see them.
SERVER_CONF=/etc/zabbix/nagare_server.conf
SERVER_RUN_DIR=/run/zabbix-nagare
PACKAGES=(zabbix-server-pgsql zabbix-frontend-php php8.4-cli php8.4-fpm php8.4-pgsql)
IMPORT_MARKER="nagare: zabbix 7.0 schema+images+data imported"

# shellcheck source=scripts/zabbix-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/zabbix-lib.sh"

# ---------------------------------------------------------------- chroot

# The first Debian mirror in apt's sources (deb822 `URIs:` or one-line `deb`), not the security archive.
debian_mirror() {
  if [[ -n "${ZABBIX7_MIRROR:-}" ]]; then
    echo "$ZABBIX7_MIRROR"
    return
  fi
  local mirror
  mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    sed -n -E 's#^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)(https?://[^[:space:]]+/debian/?)([[:space:]].*)?$#\3#p' |
    head -n 1)"
  echo "${mirror:-http://deb.debian.org/debian}"
}

mount_proc() {
  local dir="$1"
  mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
}

umount_proc() {
  local dir="$1"
  if mountpoint -q "$dir/proc"; then umount "$dir/proc" || umount -l "$dir/proc"; fi
}

# Unmounts whatever an interrupted debootstrap or apt-get left mounted under $1 (proc, sys, ...), deepest first,
# so that removing $1 cannot reach into them.
umount_under() {
  local dir="$1" target
  findmnt -rn -o TARGET | grep -F "$dir/" | sort -r | while read -r target; do
    umount "$target" || umount -l "$target"
  done
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null && return
  log "installing debootstrap on the host"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 debootstrap ||
    { apt-get update -q -o DPkg::Lock::Timeout=300 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 debootstrap; } ||
    die "cannot install debootstrap"
}

# Builds the chroot in $PARTIAL and renames it to $ROOT only when complete, so an interrupted build is redone.
build_chroot() {
  [[ "$(id -u)" == 0 ]] || die "building the chroot needs root"
  mkdir -p "$CACHE_DIR"
  if [[ -d "$PARTIAL" && ! -e "$PARTIAL/$DEBOOTSTRAPPED_MARKER" ]]; then
    log "removing an unfinished debootstrap in $PARTIAL"
    umount_under "$PARTIAL"
    rm -rf --one-file-system "$PARTIAL"
  fi
  if [[ ! -d "$PARTIAL" ]]; then
    ensure_debootstrap
    local mirror
    mirror="$(debian_mirror)"
    log "debootstrap trixie from $mirror into $PARTIAL (about 90 s)"
    debootstrap --variant=minbase --include=ca-certificates trixie "$PARTIAL" "$mirror" >&2 ||
      die "debootstrap failed (see above)"
    touch "$PARTIAL/$DEBOOTSTRAPPED_MARKER"
  fi
  # Package scripts must not try to start daemons: there is no init system in the chroot.
  printf '#!/bin/sh\nexit 101\n' >"$PARTIAL/usr/sbin/policy-rc.d"
  chmod 755 "$PARTIAL/usr/sbin/policy-rc.d"
  mount_proc "$PARTIAL"
  log "apt-get install ${PACKAGES[*]} in the chroot (about 35 s)"
  if ! { chroot "$PARTIAL" apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive chroot "$PARTIAL" apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"; } >&2; then
    umount_proc "$PARTIAL"
    die "apt-get install in the chroot failed (see above)"
  fi
  chroot "$PARTIAL" apt-get clean
  umount_proc "$PARTIAL"
  chroot "$PARTIAL" getent passwd zabbix >/dev/null ||
    chroot "$PARTIAL" useradd --system --home-dir /var/lib/zabbix --shell /usr/sbin/nologin zabbix
  touch "$PARTIAL/$READY_MARKER"
  if [[ -e "$ROOT" ]]; then
    log "replacing $ROOT, which is not a complete chroot"
    umount_under "$ROOT"
    rm -rf --one-file-system "$ROOT"
  fi
  mv -T "$PARTIAL" "$ROOT"
}

ensure_chroot() {
  if [[ -e "$ROOT/$READY_MARKER" ]]; then
    log "chroot cached in $ROOT"
  else
    build_chroot
  fi
  mount_proc "$ROOT"
}

# ---------------------------------------------------------------- config

ensure_conf() {
  # PHP and zabbix_server read their configs as root: root-only files keep the database password in.
  install_if_changed "$ROOT/etc/zabbix/zabbix.conf.php" "$(frontend_conf)" 0600 root || true
  chroot "$ROOT" install -d -m 0750 -o zabbix -g zabbix "$SERVER_RUN_DIR"
  if install_if_changed "$ROOT$SERVER_CONF" "$(server_conf "$SERVER_RUN_DIR" \
    StartAgentPollers=0 StartHTTPAgentPollers=0 StartSNMPPollers=0 StartBrowserPollers=0 StartConnectors=0)" 0600 root; then
    stop_server # a running server keeps its old settings
  fi
}

# ---------------------------------------------------------------- commands

print_env() {
  printf 'ZABBIX7_URL=%s\nZABBIX7_USER=Admin\nZABBIX7_PASSWORD=zabbix\nZABBIX7_TRAPPER_PORT=%s\n' "$URL" "$TRAPPER_PORT" >&3
}

cmd_up() {
  ensure_chroot
  ensure_db
  ensure_conf
  ensure_api
  ensure_server "$SERVER_CONF"
  print_env
}

cmd_down() {
  stop_server
  stop_php
  umount_proc "$ROOT"
}

cmd_status() {
  if [[ -e "$ROOT/$READY_MARKER" ]]; then
    # shellcheck disable=SC2016 # ${Version} is dpkg-query's field, not a shell variable
    echo "chroot: $ROOT ($(chroot "$ROOT" dpkg-query -W -f='${Version}' zabbix-frontend-php))" >&3
  else
    echo "chroot: not built ($ROOT)" >&3
  fi
  if db_imported; then
    echo "database: $DB imported" >&3
  else
    echo "database: $DB not imported" >&3
  fi
  status_processes
}

main() {
  local cmd="${1:-up}"
  case "$cmd" in
    # `;`, not `&&`: set -e does not apply inside a function called on the left of `&&`.
    up) lock; cmd_up ;;
    down) lock; cmd_down ;;
    status) cmd_status ;;
    reset) lock; ensure_chroot; stop_server; drop_db; cmd_up ;;
    -h | --help | help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0" >&3 ;;
    *) die "unknown command '$cmd' (expected up, down, status or reset)" ;;
  esac
}

main "$@"
