# shellcheck shell=bash
# Shared by scripts/zabbix-local.sh (6.0, host packages) and scripts/zabbix7-local.sh (7.0, Debian 13 chroot):
# PostgreSQL import, process groups for the PHP server and zabbix_server, the API checks (the configs they write
# are in scripts/zabbix-conf.sh).
# Sourced, not run. The caller sets, before calling anything here:
#   TAG (log prefix), STATE_DIR, DB, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, SQL_DIR (host path of the *.sql.gz),
#   URL, WEB_PORT, TRAPPER_PORT, ROOT_CMD (array: () on the host, (chroot DIR) for the chroot),
#   IMPORT_MARKER, API_VERSION_PATTERN (e.g. '6.0.*').
# Every process started here runs in its own process group (setsid) whose id is kept in a pid file, so `down` stops
# the workers and children too and nothing else.

# shellcheck source=scripts/zabbix-conf.sh
source "$(dirname "${BASH_SOURCE[0]}")/zabbix-conf.sh"

# stdout carries only the env lines (fd 3); everything else, including tool output, goes to stderr.
exec 3>&1 1>&2

log() { printf '[%s] %s\n' "$TAG" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/lock"
  flock 9
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

# psql as the instance's role into its database, so imported objects are owned by it.
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
    # FORCE: the PHP server and zabbix_server may hold connections.
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
  # Fresh tables have no statistics until autovacuum gets to them: meanwhile Zabbix's own queries (linking a template
  # runs trigger queries) took minutes on bad plans while holding its id lock, stalling every other host.create.
  log "ANALYZE $DB"
  psql_zabbix -c "ANALYZE" >/dev/null
  psql_admin -q -d postgres -c "COMMENT ON DATABASE \"$DB\" IS '$IMPORT_MARKER'"
}

ensure_db() {
  if db_imported; then
    log "database $DB already imported"
  else
    import_db
  fi
}

# Writes $2 to $1 (mode $3, group $4) only when it differs; returns 0 when the file changed.
install_if_changed() {
  local path="$1" content="$2" mode="$3" group="$4" tmp
  tmp="$(mktemp)"
  printf '%s\n' "$content" >"$tmp"
  if cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
    return 1
  fi
  log "writing $path"
  install -D -m "$mode" -o root -g "$group" "$tmp" "$path"
  rm -f "$tmp"
}

# ---------------------------------------------------------------- process groups

# Prints the process group id kept in $1 if that group is alive with a process named like $2 (a regex).
group_alive() {
  local pid_file="$1" name="$2" pgid
  [[ -f "$pid_file" ]] || return 1
  pgid="$(cat "$pid_file")"
  [[ "$pgid" =~ ^[0-9]+$ ]] || return 1
  pgrep -g "$pgid" -x "$name" >/dev/null || return 1
  echo "$pgid"
}

# start_group PID_FILE LOG_FILE COMMAND...: runs COMMAND in its own session and process group, detached.
start_group() {
  local pid_file="$1" log_file="$2"
  shift 2
  mkdir -p "$(dirname "$pid_file")"
  rm -f "$pid_file"
  # setsid: own session + process group so `down` can kill the workers too and the process outlives this script.
  # fds 3 (caller's stdout pipe) and 9 (lock) must not leak into it, or `$(... up)` would never return and the
  # lock would never be released.
  # shellcheck disable=SC2016 # $$, $0 and $@ are the inner shell's
  setsid bash -c 'echo $$ >"$0"; shift; exec "$@"' "$pid_file" _ "$@" \
    </dev/null >>"$log_file" 2>&1 3>&- 9>&- &
  disown || true
}

# stop_group PID_FILE NAME-REGEX WHAT: TERM to the whole group, KILL after 10 s.
stop_group() {
  local pid_file="$1" name="$2" what="$3" pgid
  if ! pgid="$(group_alive "$pid_file" "$name")"; then
    rm -f "$pid_file"
    log "$what not running"
    return
  fi
  log "stopping $what (process group $pgid)"
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 -- "-$pgid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 -- "-$pgid" 2>/dev/null; then
    kill -KILL -- "-$pgid" 2>/dev/null || true
  fi
  rm -f "$pid_file"
}

# ---------------------------------------------------------------- PHP server (the API)

PHP_PID_FILE="$STATE_DIR/php-server.pid"
PHP_LOG_FILE="$STATE_DIR/php-server.log"
SERVER_PID_FILE="$STATE_DIR/zabbix-server.pid"
SERVER_LOG_FILE="$STATE_DIR/zabbix-server.log"

# 6.0 answers HTTP 412 with an empty body unless the Content-Type is a JSON one.
# api BODY [CURL-ARGS...]
api() {
  curl -sS --max-time 10 -H 'Content-Type: application/json-rpc' -d "$1" "${@:2}" "$URL/api_jsonrpc.php"
}

json_result_string() { sed -n 's/.*"result":"\([^"]*\)".*/\1/p'; }

api_version() {
  api '{"jsonrpc":"2.0","method":"apiinfo.version","params":{},"id":1}' 2>/dev/null | json_result_string
}

# verify_login VERSION: Admin/zabbix logs in, and the session is logged out again.
verify_login() {
  local response token
  response="$(api '{"jsonrpc":"2.0","method":"user.login","params":{"username":"Admin","password":"zabbix"},"id":1}')" ||
    die "user.login request to $URL failed"
  token="$(json_result_string <<<"$response")"
  [[ "$token" =~ ^[0-9a-f]{32}$ ]] ||
    die "user.login as Admin/zabbix returned no token: $response (blocked or changed password? try: $0 reset)"
  # 6.0 reads the token from the body's `auth` only; 7.0 deprecates that for `Authorization: Bearer`.
  if [[ "$1" == 6.0.* ]]; then
    api "{\"jsonrpc\":\"2.0\",\"method\":\"user.logout\",\"params\":[],\"auth\":\"$token\",\"id\":2}" >/dev/null || true
  else
    api '{"jsonrpc":"2.0","method":"user.logout","params":[],"id":2}' -H "Authorization: Bearer $token" >/dev/null || true
  fi
  log "user.login as Admin works"
}

start_php() {
  log "starting PHP server on 127.0.0.1:$WEB_PORT (log: $PHP_LOG_FILE)"
  PHP_CLI_SERVER_WORKERS=4 start_group "$PHP_PID_FILE" "$PHP_LOG_FILE" "${ROOT_CMD[@]}" \
    php -d memory_limit=256M -d date.timezone=UTC -S "127.0.0.1:$WEB_PORT" -t /usr/share/zabbix
}

wait_for_api() {
  local deadline=$((SECONDS + 60)) version
  while ((SECONDS < deadline)); do
    version="$(api_version || true)"
    if [[ -n "$version" ]]; then
      echo "$version"
      return
    fi
    # Group liveness, not group_alive: the group leader is still bash until it execs php.
    if [[ -s "$PHP_PID_FILE" ]] && ! kill -0 -- "-$(cat "$PHP_PID_FILE")" 2>/dev/null; then
      tail -n 20 "$PHP_LOG_FILE" >&2 || true
      die "PHP server exited (port $WEB_PORT in use?); see $PHP_LOG_FILE"
    fi
    sleep 0.5
  done
  tail -n 20 "$PHP_LOG_FILE" >&2 || true
  die "apiinfo.version did not answer at $URL within 60 s"
}

ensure_api() {
  local version
  version="$(api_version || true)"
  if [[ -n "$version" ]]; then
    log "API already answering at $URL"
  else
    group_alive "$PHP_PID_FILE" 'php|php8\.[0-9]' >/dev/null && stop_php # alive but not answering: restart it
    start_php
    version="$(wait_for_api)"
  fi
  # shellcheck disable=SC2053
  [[ "$version" == $API_VERSION_PATTERN ]] || die "expected Zabbix $API_VERSION_PATTERN at $URL, apiinfo.version says '$version'"
  log "Zabbix API $version answering at $URL"
  verify_login "$version"
}

stop_php() { stop_group "$PHP_PID_FILE" 'php|php8\.[0-9]' "PHP server"; }

# ---------------------------------------------------------------- zabbix_server

# True once the trapper port accepts connections (bash's /dev/tcp: no extra tool).
trapper_listening() { (exec 2>/dev/null 7<>"/dev/tcp/127.0.0.1/$TRAPPER_PORT") 2>/dev/null; }

# ensure_server CONF_PATH (as zabbix_server sees it): starts zabbix_server in the foreground (-f) in its own group.
ensure_server() {
  local conf="$1" deadline
  if group_alive "$SERVER_PID_FILE" zabbix_server >/dev/null && trapper_listening; then
    log "zabbix_server already running, trapper on 127.0.0.1:$TRAPPER_PORT"
    return
  fi
  stop_server
  trapper_listening && die "127.0.0.1:$TRAPPER_PORT is taken by a process not started from $SERVER_PID_FILE"
  log "starting zabbix_server, trapper on 127.0.0.1:$TRAPPER_PORT (log: $SERVER_LOG_FILE)"
  start_group "$SERVER_PID_FILE" "$SERVER_LOG_FILE" "${ROOT_CMD[@]}" zabbix_server -f -c "$conf"
  deadline=$((SECONDS + 60))
  until trapper_listening; do
    if ((SECONDS >= deadline)) || { [[ -s "$SERVER_PID_FILE" ]] && ! kill -0 -- "-$(cat "$SERVER_PID_FILE")" 2>/dev/null; }; then
      tail -n 30 "$SERVER_LOG_FILE" >&2 || true
      die "zabbix_server did not listen on 127.0.0.1:$TRAPPER_PORT; see $SERVER_LOG_FILE"
    fi
    sleep 0.5
  done
  log "zabbix_server listening on 127.0.0.1:$TRAPPER_PORT"
}

stop_server() { stop_group "$SERVER_PID_FILE" zabbix_server "zabbix_server"; }

# `status`'s lines for the PHP server, zabbix_server and the API; fails (3) when the API does not answer.
status_processes() {
  local rc=0 version pgid
  if pgid="$(group_alive "$PHP_PID_FILE" 'php|php8\.[0-9]')"; then
    echo "php server: running (process group $pgid, log $PHP_LOG_FILE)" >&3
  else
    echo "php server: not running from $PHP_PID_FILE" >&3
  fi
  if pgid="$(group_alive "$SERVER_PID_FILE" zabbix_server)"; then
    echo "zabbix_server: running (process group $pgid, trapper 127.0.0.1:$TRAPPER_PORT, log $SERVER_LOG_FILE)" >&3
  else
    echo "zabbix_server: not running from $SERVER_PID_FILE" >&3
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
