#!/usr/bin/env bash
# npm run openapi:check: starts the built service (api role) on a free port with the real Redis and a temp SQLite,
# writes its /docs-json to a temp file, lints it with Redocly's recommended rules (0 errors), generates types with
# openapi-typescript, type-checks scripts/openapi-check/client.mts against them and runs it against the service.
# Needs `npm run build` first and Redis on REDIS_URL (default redis://127.0.0.1:6379). No network beyond loopback.
set -euo pipefail
cd "$(dirname "$0")/../.."

work="$(mktemp -d)"
service_pid=""
redis_url="${REDIS_URL:-redis://127.0.0.1:6379}"
prefix="nagare-openapi-check:$$"
cleanup() {
  if [ -n "$service_pid" ]; then
    kill "$service_pid" 2>/dev/null || true
    wait "$service_pid" 2>/dev/null || true
  fi
  # The tasks the client queued (never run: the service is api-only) go with their prefix.
  redis-cli -u "$redis_url" --scan --pattern "$prefix:*" | xargs -r redis-cli -u "$redis_url" del >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Redocly: no usage telemetry, no remote config (the lint extends only the built-in `recommended` ruleset).
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
password="$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')"
env -i PATH="$PATH" PORT="$port" HOST=127.0.0.1 NAGARE_ROLE=api LOG_LEVEL=warn \
  REDIS_URL="$redis_url" DATABASE_URL="sqlite:$work/nagare.sqlite" \
  DATA_DIR="$work/data" LOG_DIR="$work/logs" QUEUE_PREFIX="$prefix" \
  JWT_SECRET="$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')" \
  NAGARE_ADMIN_USERNAME=admin NAGARE_ADMIN_PASSWORD="$password" \
  node dist/main.js >"$work/service.log" 2>&1 &
service_pid=$!

base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -fsS "$base/health/live" >/dev/null 2>&1 && break
  kill -0 "$service_pid" 2>/dev/null || { cat "$work/service.log" >&2; exit 1; }
  sleep 0.3
done
curl -fsS "$base/docs-json" -o "$work/openapi.json"
# OPENAPI_DOCUMENT_OUT=<file> keeps a copy of the document for reading.
[ -z "${OPENAPI_DOCUMENT_OUT:-}" ] || cp "$work/openapi.json" "$OPENAPI_DOCUMENT_OUT"
echo "openapi:check: document written to $work/openapi.json ($(node -p "Object.keys(require('$work/openapi.json').paths).length") paths)"

npx --no-install redocly lint --extends recommended --format stylish "$work/openapi.json"

# Fields with a default are optional in a request; openapi-typescript makes them required unless told.
npx --no-install openapi-typescript --default-non-nullable false "$work/openapi.json" -o "$work/client/api.d.ts"
cp scripts/openapi-check/client.mts scripts/openapi-check/tsconfig.json "$work/client/"
ln -s "$PWD/node_modules" "$work/client/node_modules"
npx --no-install tsc -p "$work/client/tsconfig.json"
NAGARE_URL="$base" NAGARE_USERNAME=admin NAGARE_PASSWORD="$password" node "$work/client/out/client.mjs"
echo "openapi:check: lint clean, generated client compiled and answered as documented"
