#!/usr/bin/env bash
# Bring up a real Zabbix 6.0 JSON-RPC API on loopback from Debian 12's own packages
# (no systemd, no Docker): PostgreSQL database + zabbix-frontend-php served by PHP's built-in server.
# The zabbix_server daemon is not started: the API works without it (see /work/shared/zabbix/NOTES.md).
#
# Usage: scripts/zabbix-local.sh [up|down|status|reset]
#   up      (default) install if missing, create/import the DB if needed, write the frontend config,
#           start the PHP server if the API is not answering, verify apiinfo.version and user.login,
#           then print ZABBIX_URL / ZABBIX_USER / ZABBIX_PASSWORD on stdout:
#             eval "$(scripts/zabbix-local.sh up)"
#   down    stop the PHP server (whole process group, from the pid file)
#   status  report packages, database, server and API state (exit 0 only if the API answers)
#   reset   drop and re-import the database, then do everything `up` does (clean contract-test run)
#
# Environment: ZABBIX_PORT (18080), ZABBIX_DB (zabbix), ZABBIX_STATE_DIR (/tmp/nagare-zabbix),
#   ZABBIX_DB_HOST (127.0.0.1), ZABBIX_DB_PORT (5432), ZABBIX_DB_USER (zabbix), ZABBIX_DB_PASSWORD (zabbix).
# Debian's frontend always reads /etc/zabbix/zabbix.conf.php, so one machine serves one database at a
# time: `up` with another ZABBIX_DB repoints every running instance.
set -euo pipefail

PORT="${ZABBIX_PORT:-18080}"
DB="${ZABBIX_DB:-zabbix}"
STATE_DIR="${ZABBIX_STATE_DIR:-/tmp/nagare-zabbix}"
DB_HOST="${ZABBIX_DB_HOST:-127.0.0.1}"
DB_PORT="${ZABBIX_DB_PORT:-5432}"
DB_USER="${ZABBIX_DB_USER:-zabbix}"
DB_PASSWORD="${ZABBIX_DB_PASSWORD:-zabbix}"

URL="http://127.0.0.1:${PORT}"
PID_FILE="${STATE_DIR}/php-server.pid"
LOG_FILE="${STATE_DIR}/php-server.log"
WEB_ROOT=/usr/share/zabbix
SQL_DIR=/usr/share/zabbix-server-pgsql
FRONTEND_CONF=/etc/zabbix/zabbix.conf.php
PACKAGES=(zabbix-server-pgsql zabbix-frontend-php php8.2-cli php8.2-fpm php8.2-pgsql)
# Set as the database comment once all three SQL files are in: a half-finished import has no marker.
IMPORT_MARKER="nagare: zabbix schema+images+data imported"

# stdout carries only the env lines (fd 3); everything else, including tool output, goes to stderr.
exec 3>&1 1>&2

log() { printf '[zabbix-local] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

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

# ---------------------------------------------------------------- database

PSQL_ADMIN=()
detect_psql_admin() {
  [[ ${#PSQL_ADMIN[@]} -eq 0 ]] || return 0
  local candidate
  for candidate in "psql -h $DB_HOST -p $DB_PORT -U postgres" "psql -p $DB_PORT -U postgres"; do
    # shellcheck disable=SC2086
    if $candidate -XAtq -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
      read -r -a PSQL_ADMIN <<<"$candidate"
      return
    fi
  done
  if su postgres -s /bin/sh -c "psql -p $DB_PORT -XAtq -d postgres -c 'SELECT 1'" >/dev/null 2>&1; then
    PSQL_ADMIN=(su_postgres)
    return
  fi
  die "cannot connect to PostgreSQL as postgres (tried TCP $DB_HOST:$DB_PORT, local socket, su postgres)"
}

export PGOPTIONS="-c client_min_messages=warning"

# psql as the postgres superuser; extra args are passed to psql.
psql_admin() {
  detect_psql_admin
  if [[ "${PSQL_ADMIN[0]}" == su_postgres ]]; then
    su postgres -s /bin/sh -c "$(printf '%q ' psql -p "$DB_PORT" -X -v ON_ERROR_STOP=1 "$@")"
  else
    "${PSQL_ADMIN[@]}" -X -v ON_ERROR_STOP=1 "$@"
  fi
}

# psql as the zabbix role into the zabbix database, so imported objects are owned by it.
psql_zabbix() {
  PGPASSWORD="$DB_PASSWORD" psql -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d "$DB" -X -q -v ON_ERROR_STOP=1 "$@"
}

db_imported() {
  detect_psql_admin
  [[ "$(psql_admin -Atq -d postgres -c \
    "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$DB'")" == "$IMPORT_MARKER" ]]
}

drop_db() {
  if [[ -n "$(psql_admin -Atq -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]]; then
    log "dropping database $DB"
    # FORCE: the PHP server may hold connections.
    psql_admin -q -d postgres -c "DROP DATABASE \"$DB\" WITH (FORCE)"
  fi
}

import_db() {
  psql_admin -q -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE "$DB_USER" LOGIN PASSWORD '$DB_PASSWORD';
  END IF;
END \$\$;
SQL
  # Anything left without the marker is a half-finished import: start over.
  drop_db
  log "creating database $DB (owner $DB_USER)"
  psql_admin -q -d postgres -c \
    "CREATE DATABASE \"$DB\" OWNER \"$DB_USER\" ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
  local f
  for f in schema images data; do
    log "importing $f.sql.gz"
    zcat "$SQL_DIR/$f.sql.gz" | psql_zabbix >/dev/null
  done
  [[ "$(psql_zabbix -Atc "SELECT 1 FROM users WHERE username = 'Admin'")" == 1 ]] || die "import finished but user Admin is missing"
  psql_admin -q -d postgres -c "COMMENT ON DATABASE \"$DB\" IS '$IMPORT_MARKER'"
}

ensure_db() {
  if db_imported; then
    log "database $DB already imported"
  else
    import_db
  fi
}

# ---------------------------------------------------------------- frontend config

ensure_frontend_conf() {
  local tmp
  tmp="$(mktemp)"
  cat >"$tmp" <<PHP
<?php
// Written by scripts/zabbix-local.sh
global \$DB;

\$DB['TYPE']     = 'POSTGRESQL';
\$DB['SERVER']   = '$DB_HOST';
\$DB['PORT']     = '$DB_PORT';
\$DB['DATABASE'] = '$DB';
\$DB['USER']     = '$DB_USER';
\$DB['PASSWORD'] = '$DB_PASSWORD';
\$DB['SCHEMA']   = '';

\$DB['ENCRYPTION']  = false;
\$DB['KEY_FILE']    = '';
\$DB['CERT_FILE']   = '';
\$DB['CA_FILE']     = '';
\$DB['VERIFY_HOST'] = false;
\$DB['CIPHER_LIST'] = '';

\$DB['VAULT_URL']        = '';
\$DB['VAULT_DB_PATH']    = '';
\$DB['VAULT_TOKEN']      = '';
\$DB['DOUBLE_IEEE754']   = true;

\$ZBX_SERVER      = '127.0.0.1';
\$ZBX_SERVER_PORT = '10051';
\$ZBX_SERVER_NAME = 'nagare-local';

\$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;
PHP
  if cmp -s "$tmp" "$FRONTEND_CONF"; then
    rm -f "$tmp"
    return
  fi
  log "writing $FRONTEND_CONF"
  install -D -m 0640 -o root -g www-data "$tmp" "$FRONTEND_CONF"
  rm -f "$tmp"
}

# ---------------------------------------------------------------- API

# 6.0 answers HTTP 412 with an empty body unless the Content-Type is a JSON one.
api() {
  curl -sS --max-time 10 -H 'Content-Type: application/json-rpc' -d "$1" "$URL/api_jsonrpc.php"
}

json_result_string() { sed -n 's/.*"result":"\([^"]*\)".*/\1/p'; }

api_version() {
  api '{"jsonrpc":"2.0","method":"apiinfo.version","params":{},"id":1}' 2>/dev/null | json_result_string
}

verify_login() {
  local response token
  response="$(api '{"jsonrpc":"2.0","method":"user.login","params":{"username":"Admin","password":"zabbix"},"id":1}')" \
    || die "user.login request to $URL failed"
  token="$(json_result_string <<<"$response")"
  [[ "$token" =~ ^[0-9a-f]{32}$ ]] \
    || die "user.login as Admin/zabbix returned no token: $response (blocked or changed password? try: $0 reset)"
  api "{\"jsonrpc\":\"2.0\",\"method\":\"user.logout\",\"params\":[],\"auth\":\"$token\",\"id\":2}" >/dev/null || true
  log "user.login as Admin works"
}

# ---------------------------------------------------------------- PHP server

# Prints the pid (= process group id) of our server if that group is alive and is a PHP server.
server_pgid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pgid
  pgid="$(cat "$PID_FILE")"
  [[ "$pgid" =~ ^[0-9]+$ ]] || return 1
  pgrep -g "$pgid" -x 'php|php8.2' >/dev/null || return 1
  echo "$pgid"
}

start_server() {
  mkdir -p "$STATE_DIR"
  rm -f "$PID_FILE"
  log "starting PHP server on 127.0.0.1:$PORT (log: $LOG_FILE)"
  # setsid: own session + process group so `down` can kill the workers too and the server
  # outlives this script. fds 3 (caller's stdout pipe) and 9 (lock) must not leak into it,
  # or `$(zabbix-local.sh up)` would never return and the lock would never be released.
  PHP_CLI_SERVER_WORKERS=4 setsid bash -c 'echo $$ >"$0"; exec php -d memory_limit=256M -d date.timezone=UTC -S "127.0.0.1:$1" -t "$2"' \
    "$PID_FILE" "$PORT" "$WEB_ROOT" \
    </dev/null >>"$LOG_FILE" 2>&1 3>&- 9>&- &
  disown || true
}

wait_for_api() {
  local deadline=$((SECONDS + 60)) version
  while ((SECONDS < deadline)); do
    version="$(api_version || true)"
    if [[ -n "$version" ]]; then
      echo "$version"
      return
    fi
    # Group liveness, not server_pgid: the group leader is still bash until it execs php.
    if [[ -s "$PID_FILE" ]] && ! kill -0 -- "-$(cat "$PID_FILE")" 2>/dev/null; then
      tail -n 20 "$LOG_FILE" >&2 || true
      die "PHP server exited (port $PORT in use?); see $LOG_FILE"
    fi
    sleep 0.5
  done
  tail -n 20 "$LOG_FILE" >&2 || true
  die "apiinfo.version did not answer at $URL within 60 s"
}

stop_server() {
  local pgid i
  if ! pgid="$(server_pgid)"; then
    rm -f "$PID_FILE"
    log "PHP server not running"
    return
  fi
  log "stopping PHP server (process group $pgid)"
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for i in $(seq 1 50); do
    kill -0 -- "-$pgid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 -- "-$pgid" 2>/dev/null; then
    kill -KILL -- "-$pgid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
}

# ---------------------------------------------------------------- commands

lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/lock"
  flock 9
}

print_env() {
  printf 'ZABBIX_URL=%s\nZABBIX_USER=Admin\nZABBIX_PASSWORD=zabbix\n' "$URL" >&3
}

cmd_up() {
  local version
  ensure_packages
  ensure_db
  ensure_frontend_conf
  version="$(api_version || true)"
  if [[ -n "$version" ]]; then
    log "API already answering at $URL"
  else
    server_pgid >/dev/null && stop_server  # alive but not answering: restart it
    start_server
    version="$(wait_for_api)"
  fi
  [[ "$version" == 6.0.* ]] || die "expected Zabbix 6.0.x at $URL, apiinfo.version says '$version'"
  log "Zabbix API $version answering at $URL"
  verify_login
  print_env
}

cmd_status() {
  local rc=0 version pgid
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
  if pgid="$(server_pgid)"; then
    echo "server: running (process group $pgid, log $LOG_FILE)" >&3
  else
    echo "server: not running from $PID_FILE" >&3
  fi
  version="$(api_version || true)"
  if [[ -n "$version" ]]; then
    echo "api: Zabbix $version at $URL" >&3
  else
    echo "api: not answering at $URL" >&3
    rc=3
  fi
  return "$rc"
}

main() {
  local cmd="${1:-up}"
  case "$cmd" in
    up)     lock; cmd_up ;;
    down)   lock; stop_server ;;
    status) cmd_status ;;
    reset)  lock; ensure_packages; drop_db; cmd_up ;;
    -h|--help|help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&3 ;;
    *) die "unknown command '$cmd' (expected up, down, status or reset)" ;;
  esac
}

main "$@"
