# syntax=docker/dockerfile:1
# Build stage: compile TypeScript (dev dependencies stay here).
FROM node:20-bookworm-slim AS build
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
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY rules ./rules
COPY schemas ./schemas
# Check the ruleset now and keep its snapshot in the image (node_modules/.cache, read-only for
# the runtime user): the container's first start replays it instead of parsing the YAML.
RUN node dist/src/prepare.js
USER node:node
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/main.js"]
