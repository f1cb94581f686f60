# syntax=docker/dockerfile:1.7
# Condense web (portal + API): Next.js standalone output on a slim Node image, run as a non-root user.
# Build from the repository root:  docker build -f infra/docker/web.Dockerfile -t condense-web .
# Needs `output: "standalone"` in next.config.ts.

FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /app
# onnxruntime-node's install script downloads CUDA binaries; the web tier never runs models.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc prisma.config.ts ./
COPY prisma ./prisma
# `prisma generate` (postinstall) needs some DATABASE_URL; nothing connects to it.
RUN DATABASE_URL=postgresql://build:build@127.0.0.1:5432/build npm ci && npm cache clean --force

FROM deps AS build
COPY . .
ENV NEXT_TELEMETRY_DISABLED=1
RUN npm run build

FROM node:20.20.2-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOST=0.0.0.0 \
    HOSTNAME=0.0.0.0
COPY --from=build --chown=1000:1000 /app/.next/standalone ./
COPY --from=build --chown=1000:1000 /app/.next/static ./.next/static
# The `node` user of the base image; numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/api/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server.js"]
