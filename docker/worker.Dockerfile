# syntax=docker/dockerfile:1
# A CPU worker: trains and decomposes. Training uses @tensorflow/tfjs-node (native TensorFlow on
# CPU) when its install could download libtensorflow during the build, else the WebAssembly backend.
# Scale with `docker compose up --scale worker=N`, or run it on other hosts with the same
# DATABASE_URL and REDIS_URL (docs/deploy.md).
#   docker build -f docker/worker.Dockerfile -t bilinear-lab/worker .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS builder
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY packages ./packages
COPY apps ./apps
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
RUN npx turbo run build --filter=@bilinear-lab/worker...
# The GPU build of TensorFlow has no use without CUDA, nor Dawn (webgpu, ~130 MB) without a GPU
# driver: both are worker-gpu.Dockerfile's. TensorFlow's would be tried first by the backend selection.
RUN npm prune --omit=dev --no-audit --no-fund \
  && rm -rf apps/api apps/web node_modules/@tensorflow/tfjs-node-gpu node_modules/webgpu \
    node_modules/@tensorflow/tfjs-backend-webgpu

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=builder /app /app
USER node
CMD ["node", "apps/worker/dist/main.js"]
