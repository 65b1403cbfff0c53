# Nagare task queue: production image.
#
#   docker build -t nagare .
#   docker run --init -p 8080:8080 \
#     -e JWT_SECRET="$(openssl rand -hex 32)" -e REDIS_ADDR=redis-host:6379 \
#     -v nagare-data:/app/data nagare
#
# The same image runs every role: NAGARE_ROLE=all (default), api or worker. See docker-compose.yml.
# Build with a plain `docker build`; no BuildKit-only syntax is used.
#
# Node 24, the active LTS, by default. Any supported line builds the same image (package.json's engines; CI tests
# 20 and 24), e.g. `docker build --build-arg NODE_IMAGE=node:22-bookworm-slim -t nagare .`

ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------------------------------------------------------
# build: full toolchain, dev dependencies, TypeScript compile, then drop the dev dependencies.
# ---------------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build

# better-sqlite3 first tries prebuild-install (downloads a prebuilt binary from GitHub); when that fails
# (no matching prebuilt, or no access to GitHub) it compiles SQLite and the addon with node-gyp, which needs
# python3, make and g++.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*

# Node 20 and 22 images ship npm 10, which ignores package.json's `allowScripts` and would run every dependency's
# install script (including the ones the project denies, e.g. @scarf/scarf's telemetry). npm 11 applies the
# policy: better-sqlite3 and msgpackr-extract run theirs, the rest are skipped. Node 24 images ship an npm 11,
# but not necessarily this one: pinned to the npm that maintains package-lock.json so `npm ci` behaves here as on
# a developer machine, whichever NODE_IMAGE is chosen.
ARG NPM_VERSION=11.19.1
RUN npm install -g "npm@${NPM_VERSION}" --no-audit --no-fund \
    && npm --version

# node-gyp compiles against the headers that ship with the image's Node (/usr/local/include/node) instead of
# downloading them from nodejs.org, so a from-source build of better-sqlite3 needs no network beyond npm's.
ENV npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

WORKDIR /app

# Dependencies first, so this layer is reused while only src/ changes.
COPY package.json package-lock.json ./
RUN npm ci

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src

# Compile and drop dev dependencies. Then remove better-sqlite3's SQLite sources and compiler intermediates
# (about 25 MB after a from-source build; only build/Release/better_sqlite3.node is loaded), and prove the
# native addons load from the pruned tree: a broken better-sqlite3 or a missing @node-rs/argon2 platform
# package fails the build here, not at the container's first start.
RUN npm run build \
    && rm -f dist/.tsbuildinfo \
    && npm prune --omit=dev \
    && (cd node_modules/better-sqlite3 \
        && rm -rf deps src build/deps build/Release/obj build/Release/obj.target build/Release/.deps \
                  build/Release/sqlite3.a build/Release/test_extension.node) \
    && node -e "const db = new (require('better-sqlite3'))(':memory:'); console.log('better-sqlite3 OK, SQLite', db.prepare('select sqlite_version() as v').get().v); db.close(); require('@node-rs/argon2').hashSync('probe'); console.log('@node-rs/argon2 OK')" \
    && test -f dist/main.js

# ---------------------------------------------------------------------------------------------------------------
# runtime: slim Node, no compilers, no npm cache, non-root.
# ---------------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

# Relative defaults (DATABASE_URL=sqlite:data/nagare.sqlite, data/, logs/) resolve against WORKDIR, so the
# default SQLite file is /app/data/nagare.sqlite. Mount a volume on /app/data to keep it (and the JWT secret
# file a non-production run generates there).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/app/data \
    LOG_DIR=/app/logs

WORKDIR /app

# Only data/ and logs/ are writable by the runtime user; the code and node_modules stay root-owned.
# (A new named volume mounted on /app/data takes over this ownership, so the `node` user can write to it.)
RUN mkdir -p /app/data /app/logs \
    && chown node:node /app/data /app/logs

COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist

USER node

# 8080: the API (roles api and all); 8081: a worker's probes (role worker).
EXPOSE 8080 8081

# The app enables Nest shutdown hooks: on SIGTERM it closes the HTTP server, the Bull queues and the Redis and
# database connections, then exits. Because that installs a SIGTERM handler, node stops cleanly even as PID 1
# (which otherwise ignores SIGTERM). Still run it under an init (`docker run --init`, `init: true` in
# Compose) so that any child process is reaped and signals are forwarded by a process built for it.
STOPSIGNAL SIGTERM

# Liveness only (the process and its event loop answer), never Redis/database: /health/ready is for load
# balancers. Node's built-in fetch, as slim images have no curl or wget. A worker-role container answers on its
# probe port (WORKER_PROBE_PORT, 8081); with WORKER_PROBE_PORT=0 it has none, so disable the healthcheck too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "const e = process.env; const port = e.NAGARE_ROLE === 'worker' ? e.WORKER_PROBE_PORT || 8081 : e.PORT || 8080; fetch('http://127.0.0.1:' + port + '/health/live', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "dist/main.js"]
