# syntax=docker/dockerfile:1.7
# Condense GPU worker: CUDA 12 + cuDNN 9 runtime, onnxruntime-node with its CUDA 12 provider, one job per GPU.
# Build from the repository root:  docker build -f infra/docker/worker-gpu.Dockerfile -t condense-worker-gpu .
# Run with the NVIDIA container toolkit (`--gpus all`, or nvidia.com/gpu in Kubernetes).

FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /app
# Downloads onnxruntime's CUDA 12 provider libraries at install time (needs network during the build).
ENV ONNXRUNTIME_NODE_INSTALL=cuda12
COPY package.json package-lock.json .npmrc prisma.config.ts ./
COPY prisma ./prisma
# .npmrc says `onnxruntime-node-install=skip` for development machines; the environment must win here.
RUN sed -i '/onnxruntime-node-install/d' .npmrc \
 && DATABASE_URL=postgresql://build:build@127.0.0.1:5432/build npm ci --omit=dev \
 && npm cache clean --force \
 && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so

FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 AS runtime
WORKDIR /app
# Node from the official image (same version as the build stage, so native addons match its ABI).
COPY --from=node:20.20.2-bookworm-slim /usr/local/bin/node /usr/local/bin/node
ENV NODE_ENV=production \
    WORKER_EXECUTION_PROVIDER=cuda \
    WORKER_CONCURRENCY=1 \
    WORKER_METRICS_PORT=9464 \
    WORKER_METRICS_HOST=0.0.0.0 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
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
# uid 1000 is the image's `ubuntu` user; numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 9464
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/condense.mjs"]
CMD ["worker", "--concurrency", "1"]
