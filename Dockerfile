# syntax=docker/dockerfile:1
#
# One image for every Sluice function (and the OpenFaaS event relay):
#
#   docker build -t ghcr.io/sluice-dev/sluice:0.1.0 .
#
#   Knative (knative/): runs the function directly, chosen by SLUICE_FUNCTION:
#     command: ["node", "/app/dist/function.cjs"]      (listens on $PORT, set by Knative)
#   OpenFaaS (openfaas/stack.yml): the default command, of-watchdog in HTTP mode, listens on
#     8080 and forwards to the same function started as its fprocess on $PORT (3000).
#   docker run -e SLUICE_FUNCTION=api -p 8080:8080 <image>   works the OpenFaaS way.
#
# An unknown SLUICE_FUNCTION exits 2 listing the names. The bundle is built by
# scripts/build.ts (esbuild): every dependency is inside dist/, so no node_modules ship.
# dist/function.cjs starts the bundle from V8's code cache, written below (half the cold start).

ARG NODE_VERSION=20
ARG WATCHDOG_VERSION=0.11.5

FROM ghcr.io/openfaas/of-watchdog:${WATCHDOG_VERSION} AS watchdog

FROM node:${NODE_VERSION}-alpine AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY functions ./functions
COPY shared ./shared
COPY scripts/build.ts ./scripts/build.ts
RUN npx tsx scripts/build.ts --outdir /src/dist --no-code-cache

FROM node:${NODE_VERSION}-alpine
# The image's own npm and yarn are not needed at run time (and are most of its CVE surface).
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/bin/npm /usr/local/bin/npx \
      /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg
COPY --from=watchdog /fwatchdog /usr/bin/fwatchdog
WORKDIR /app
COPY --from=build /src/dist ./dist
# V8 sized for a function's container (256Mi limit, 50m CPU requested); `npm run bench`
# measures with these, BENCHMARKS.md has the figures:
#   --max-semi-space-size=2   a 4 MiB young generation; V8's default grows it to 32 MiB under
#                             load (a third of the process). 1 saved another ~2 MB of RSS but
#                             cost a third of the duplicate throughput against a bare server's
#                             in one run (decoding an event makes much short-lived garbage).
#   --max-old-space-size=176  below the container's limit, so V8 collects harder instead of
#                             the kernel OOM-killing it (its default limit is from the host's
#                             memory), leaving ~75 MiB for Node itself (~55 MB measured).
#                             Start-up garbage is also collected sooner.
#   --v8-pool-size=2          two V8 worker threads, not four: each holds malloc arenas.
ENV NODE_OPTIONS="--max-semi-space-size=2 --max-old-space-size=176 --v8-pool-size=2"
ENV NODE_ENV=production \
    PORT=3000 \
    fprocess="node /app/dist/function.cjs" \
    mode=http \
    upstream_url=http://127.0.0.1:3000 \
    exec_timeout=300s \
    read_timeout=300s \
    write_timeout=300s
# V8's code cache of each function's code (bin/start.ts), made by this image's node with its
# NODE_OPTIONS: V8 refuses a cache made by another version or with other flags.
RUN node /app/dist/function.cjs --write-code-cache
# The unprivileged `node` user of the base image, by number so that runAsNonRoot can check it.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT []
CMD ["fwatchdog"]
