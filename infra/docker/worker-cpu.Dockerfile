# syntax=docker/dockerfile:1.7
# Condense worker (CPU build of onnxruntime). Also the image of the migrations one-shot (`npx prisma migrate deploy`):
# it carries the Prisma CLI, prisma.config.ts and the migrations.
# Build from the repository root:  docker build -f infra/docker/worker-cpu.Dockerfile -t condense-worker-cpu .

FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /app
# The CPU provider is bundled with onnxruntime-node; skip the CUDA download.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc prisma.config.ts ./
COPY prisma ./prisma
RUN DATABASE_URL=postgresql://build:build@127.0.0.1:5432/build npm ci --omit=dev && npm cache clean --force

FROM node:20.20.2-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    WORKER_EXECUTION_PROVIDER=cpu \
    WORKER_METRICS_PORT=9464 \
    WORKER_METRICS_HOST=0.0.0.0
COPY --from=deps --chown=1000:1000 /app/node_modules ./node_modules
COPY --from=deps --chown=1000:1000 /app/generated ./generated
COPY --chown=1000:1000 package.json tsconfig.json prisma.config.ts ./
COPY --chown=1000:1000 prisma ./prisma
COPY --chown=1000:1000 bin ./bin
COPY --chown=1000:1000 cli ./cli
COPY --chown=1000:1000 contracts ./contracts
COPY --chown=1000:1000 server ./server
COPY --chown=1000:1000 worker ./worker
COPY --chown=1000:1000 client ./client
USER 1000:1000
EXPOSE 9464
# The worker drains on SIGTERM (finish or hand back running jobs); keep the stop timeout above its drain timeout.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/condense.mjs"]
CMD ["worker"]
