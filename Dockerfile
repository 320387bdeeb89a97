# Curta's container image: `curta start` on embedded defaults, or `serve` / `worker`
# against PostgreSQL, Redis and S3 (see compose.yaml and README.md, "Self-hosting").
#
#   docker build -t curta .        (or: podman build --format docker -t curta .)
#   docker run -p 8080:8080 -v curta-data:/data curta
#
# Node.js comes from the npm registry (the `node-linux-<arch>` package that the
# `node` package installs, and the `npm` package), checked against the integrity
# hashes pinned below, so the only things a build reaches are the base image,
# Debian's mirror and the npm registry. BASE_IMAGE may name any Debian bookworm
# image (a mirror, or one made locally with debootstrap).
ARG BASE_IMAGE=debian:bookworm-slim

# ---- Node.js and npm ------------------------------------------------------
FROM ${BASE_IMAGE} AS node
ARG NODE_VERSION=24.22.3
ARG NODE_INTEGRITY_X64=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
ARG NODE_INTEGRITY_ARM64=sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==
ARG NPM_VERSION=11.21.2
ARG NPM_INTEGRITY=sha512-7HPApk+AflMUavSseL1Pm6CnYqMIHk53x+KmuhqmTDqPkjPMgxIpTPcTqsE91EKNw4gFBJV9fnXiSdGm1DXq9A==
ARG NPM_REGISTRY=https://registry.npmjs.org
# Behind a TLS-intercepting proxy, hand its CA to the build stages (never to the final image):
#   docker build --secret id=extra_ca,src=/path/to/proxy-ca.crt .
RUN --mount=type=secret,id=extra_ca,required=false \
    apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && if [ -s /run/secrets/extra_ca ]; then \
      cp /run/secrets/extra_ca /usr/local/share/ca-certificates/extra-ca.crt && update-ca-certificates; \
    fi
# fetch-verified URL INTEGRITY FILE: download, and refuse anything whose sha512 is not the pinned one.
RUN printf '%s\n' '#!/bin/sh' 'set -eu' \
      'curl -fsSL --retry 3 -o "$3" "$1"' \
      'got="sha512-$(openssl dgst -sha512 -binary "$3" | base64 -w0)"' \
      '[ "$got" = "$2" ] || { echo "integrity mismatch for $1: $got" >&2; exit 1; }' \
      > /usr/local/bin/fetch-verified \
 && chmod 0755 /usr/local/bin/fetch-verified
RUN case "$(dpkg --print-architecture)" in \
      amd64) arch=x64; integrity="$NODE_INTEGRITY_X64" ;; \
      arm64) arch=arm64; integrity="$NODE_INTEGRITY_ARM64" ;; \
      *) echo "no Node.js build for $(dpkg --print-architecture)" >&2; exit 1 ;; \
    esac \
 && fetch-verified "$NPM_REGISTRY/node-linux-$arch/-/node-linux-$arch-$NODE_VERSION.tgz" "$integrity" /tmp/node.tgz \
 && tar -xzf /tmp/node.tgz -C /tmp package/bin/node \
 && install -m 0755 /tmp/package/bin/node /usr/local/bin/node \
 && fetch-verified "$NPM_REGISTRY/npm/-/npm-$NPM_VERSION.tgz" "$NPM_INTEGRITY" /tmp/npm.tgz \
 && mkdir -p /usr/local/lib/npm \
 && tar -xzf /tmp/npm.tgz -C /usr/local/lib/npm --strip-components=1 \
 && ln -s /usr/local/lib/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s /usr/local/lib/npm/bin/npx-cli.js /usr/local/bin/npx \
 && rm -rf /tmp/node.tgz /tmp/npm.tgz /tmp/package \
 && node --version && npm --version
# npm trusts the system's CA store (Node's own list would leave out an extra CA added above).
ENV NPM_CONFIG_CAFILE=/etc/ssl/certs/ca-certificates.crt \
    NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false

# ---- Build: TypeScript → dist/, the web app → web/dist/ -------------------
FROM node AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

# ---- Production dependencies only -----------------------------------------
FROM node AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# ---- Runtime ---------------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime
# ffmpeg (with libx264, AAC and zscale) transcodes videos and converts avatar pictures.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg ca-certificates tini \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc/* /usr/share/man/* \
 && useradd --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin curta \
 && mkdir -p /data \
 && chown curta:curta /data
COPY --from=node /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/package.json /src/package-lock.json /src/LICENSE ./
COPY --from=build /src/scripts/prestart.js ./scripts/prestart.js
COPY --from=build /src/dist ./dist
COPY --from=build /src/web/dist ./web/dist
# `curta <command>` on the PATH, e.g. `docker compose exec api curta admin grant alice`.
RUN printf '#!/bin/sh\nexec node /app/dist/src/cli.js "$@"\n' > /usr/local/bin/curta \
 && chmod 0755 /usr/local/bin/curta \
 && curta --version
# MALLOC_ARENA_MAX=2: glibc's per-thread malloc arenas (libuv's pool, argon2, zlib) let a busy
# process's native memory creep; two arenas held the soak bench's native growth to ~10 MB (from ~60-100).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    CURTA_DATA_DIR=/data \
    PORT=8080 \
    HOST=0.0.0.0
USER curta
VOLUME /data
EXPOSE 8080
# Liveness of the HTTP server (`start` and `serve`); a `worker` container sets its own check (compose.yaml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# tini reaps the ffmpeg children and forwards SIGTERM, on which Curta drains.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/cli.js", "start"]
