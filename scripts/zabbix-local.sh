#!/usr/bin/env bash
# Bring up a real Zabbix 6.0 on loopback from Debian 12's own packages (no systemd, no Docker): a PostgreSQL
# database, the JSON-RPC API (zabbix-frontend-php served by PHP's built-in server) and zabbix_server itself,
# without pollers, so trapper values raise problems and nothing is ever polled (see scripts/zabbix-lib.sh).
# Zabbix 7.0 runs beside it from scripts/zabbix7-local.sh.
#
# Usage: scripts/zabbix-local.sh [up|down|status|reset]
#   up      (default) install if missing, create/import the DB if needed, write the frontend and server config,
#           start the PHP server if the API is not answering and zabbix_server if it is not running, verify
#           apiinfo.version and user.login, then print ZABBIX_URL / ZABBIX_USER / ZABBIX_PASSWORD /
#           ZABBIX_TRAPPER_PORT on stdout:
#             eval "$(scripts/zabbix-local.sh up)"
#   down    stop zabbix_server and the PHP server (each by its whole process group, from its pid file)
#   status  report packages, database, processes and API state (exit 0 only if the API answers)
#   reset   drop and re-import the database, then do everything `up` does (clean contract-test run)
#
# Environment: ZABBIX_PORT (18080), ZABBIX_TRAPPER_PORT (10051), ZABBIX_DB (zabbix),
#   ZABBIX_STATE_DIR (/tmp/nagare-zabbix), ZABBIX_DB_HOST (127.0.0.1), ZABBIX_DB_PORT (5432),
#   ZABBIX_DB_USER (zabbix), ZABBIX_DB_PASSWORD (zabbix).
# Debian's frontend always reads /etc/zabbix/zabbix.conf.php, so one machine serves one database at a
# time: `up` with another ZABBIX_DB repoints every running instance.
set -euo pipefail

TAG=zabbix-local
WEB_PORT="${ZABBIX_PORT:-18080}"
TRAPPER_PORT="${ZABBIX_TRAPPER_PORT:-10051}"
DB="${ZABBIX_DB:-zabbix}"
STATE_DIR="${ZABBIX_STATE_DIR:-/tmp/nagare-zabbix}"
DB_HOST="${ZABBIX_DB_HOST:-127.0.0.1}"
DB_PORT="${ZABBIX_DB_PORT:-5432}"
DB_USER="${ZABBIX_DB_USER:-zabbix}"
DB_PASSWORD="${ZABBIX_DB_PASSWORD:-zabbix}"

URL="http://127.0.0.1:${WEB_PORT}"
SQL_DIR=/usr/share/zabbix-server-pgsql
ROOT_CMD=()
API_VERSION_PATTERN='6.0.*'
FRONTEND_CONF=/etc/zabbix/zabbix.conf.php
SERVER_CONF="$STATE_DIR/zabbix_server.conf"
# zabbix_server's pid file and IPC sockets, owned by the zabbix user it drops to.
SERVER_RUN_DIR="$STATE_DIR/run"
PACKAGES=(zabbix-server-pgsql zabbix-frontend-php php8.2-cli php8.2-fpm php8.2-pgsql)
# Set as the database comment once all three SQL files are in: a half-finished import has no marker.
IMPORT_MARKER="nagare: zabbix schema+images+data imported"

# shellcheck source=scripts/zabbix-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/zabbix-lib.sh"

# ---------------------------------------------------------------- packages

packages_installed() {
  local p
  for p in "${PACKAGES[@]}"; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" == "install ok installed" ]] || return 1
  done
}

packages_installable() {
  local p policy
  for p in "${PACKAGES[@]}"; do
    # Captured first: `apt-cache policy | grep -q` under pipefail fails on SIGPIPE.
    policy="$(apt-cache policy "$p" 2>/dev/null)"
    [[ "$policy" =~ Candidate:\ [^\(] ]] || return 1
  done
}

POLICY_RC=/usr/sbin/policy-rc.d
CREATED_POLICY_RC=0
cleanup_policy_rc() {
  if [[ "$CREATED_POLICY_RC" == 1 ]]; then
    rm -f "$POLICY_RC"
    CREATED_POLICY_RC=0
  fi
}
trap cleanup_policy_rc EXIT

ensure_packages() {
  if packages_installed; then
    return
  fi
  [[ "$(id -u)" == 0 ]] || die "installing packages needs root (run with sudo)"
  export DEBIAN_FRONTEND=noninteractive
  local updated=0
  if ! packages_installable; then
    log "apt-get update (packages not installable yet)"
    apt-get update -q -o DPkg::Lock::Timeout=300
    updated=1
  fi
  # Keep package maintainer scripts from trying to start daemons (no init system here).
  if [[ ! -e "$POLICY_RC" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC"
    chmod 755 "$POLICY_RC"
    CREATED_POLICY_RC=1
  fi
  log "installing ${PACKAGES[*]}"
  local install=(apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "${PACKAGES[@]}")
  if ! "${install[@]}"; then
    [[ "$updated" == 0 ]] || die "apt-get install failed"
    log "install failed; retrying after apt-get update (stale package lists?)"
    apt-get update -q -o DPkg::Lock::Timeout=300
    "${install[@]}" || die "apt-get install failed"
  fi
  cleanup_policy_rc
  packages_installed || die "packages still not installed: ${PACKAGES[*]}"
}

# ---------------------------------------------------------------- config

ensure_conf() {
  install_if_changed "$FRONTEND_CONF" "$(frontend_conf)" 0640 www-data || true
  install -d -m 0750 -o zabbix -g zabbix "$SERVER_RUN_DIR"
  if install_if_changed "$SERVER_CONF" "$(server_conf "$SERVER_RUN_DIR")" 0640 zabbix; then
    stop_server # a running server keeps its old settings
  fi
}

# ---------------------------------------------------------------- commands

print_env() {
  printf 'ZABBIX_URL=%s\nZABBIX_USER=Admin\nZABBIX_PASSWORD=zabbix\nZABBIX_TRAPPER_PORT=%s\n' "$URL" "$TRAPPER_PORT" >&3
}

cmd_up() {
  ensure_packages
  ensure_db
  ensure_conf
  ensure_api
  ensure_server "$SERVER_CONF"
  print_env
}

cmd_down() {
  stop_server
  stop_php
}

cmd_status() {
  if packages_installed; then
    echo "packages: installed ($(dpkg-query -W -f='${Version}' zabbix-frontend-php))" >&3
  else
    echo "packages: missing" >&3
  fi
  if packages_installed && db_imported; then
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
    reset) lock; ensure_packages; stop_server; drop_db; cmd_up ;;
    -h | --help | help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0" >&3 ;;
    *) die "unknown command '$cmd' (expected up, down, status or reset)" ;;
  esac
}

main "$@"
