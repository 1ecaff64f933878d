# portrait-graph: the GraphQL service (and, with another command, the standalone Tencent emulator).
#
#   docker build -t portrait-graph .
#   docker run -p 4000:4000 -e AUTH_JWT_SECRET=… -e TIM_SDKAPPID=… -e TIM_SECRET_KEY=… portrait-graph
#
# Two stages: `build` compiles TypeScript and bundles the explorer with every dependency; the
# runtime stage installs production dependencies only and takes the compiled output from `build`.
ARG NODE_VERSION=20.20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc, then esbuild bundles GraphiQL into dist/explorer (served by the service itself).
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: no production dependency needs one (protobufjs' only checks versions).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# What `node dist/src/main.js` loads and reads: the compiled code, and the explorer bundle it serves
# from dist/explorer (found from package.json's directory). Files stay root-owned: the service
# cannot change its own code.
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/explorer ./dist/explorer
# The image's `node` user, by number so that Kubernetes' runAsNonRoot can check it.
USER 1000:1000
ENV PORT=4000
EXPOSE 4000
# The service drains on SIGTERM (readiness 503, in-flight requests answered) and exits 0 within
# SHUTDOWN_TIMEOUT_MS (default 10 s): give it longer than that (`docker stop -t 15`).
STOPSIGNAL SIGTERM
# Liveness: the process answers. No curl in slim images; Node 20's fetch does it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The telemetry preload does nothing unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
CMD ["node", "--import", "./dist/src/telemetry/preload.js", "dist/src/main.js"]
