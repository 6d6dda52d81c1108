# syntax=docker/dockerfile:1
# A GPU worker: the worker on NVIDIA's CUDA runtime with @tensorflow/tfjs-node-gpu, selected by
# BILINEAR_BACKEND=tensorflow-gpu (a worker that finds no CUDA device then fails at start instead of
# training on CPU unnoticed). Needs the NVIDIA Container Toolkit on the host:
#   docker build -f docker/worker-gpu.Dockerfile -t bilinear-lab/worker-gpu .
#   docker run --gpus all -e DATABASE_URL=… -e REDIS_URL=… bilinear-lab/worker-gpu
# tfjs-node-gpu 4.22 links libtensorflow 2.9 (built for CUDA 11.2 / cuDNN 8.1); CUDA 11.8 with
# cuDNN 8 runs it. Another base: --build-arg CUDA_IMAGE=….
ARG NODE_IMAGE=node:20-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04

FROM ${NODE_IMAGE} AS node

# The CUDA runtime with Node 20: the official build's binary and npm, copied from the Node image
# (they need only glibc ≥ 2.28; Ubuntu 22.04 has 2.35).
FROM ${CUDA_IMAGE} AS cuda-node
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
  && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
  && apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && node --version

FROM cuda-node AS builder
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY packages ./packages
COPY apps ./apps
COPY prisma ./prisma
# tfjs-node-gpu is an optional dependency of @bilinear-lab/training: npm ci installs it when its
# install script can download libtensorflow (GPU). Fail the build here rather than ship a worker
# that cannot use the GPU.
RUN npm ci --no-audit --no-fund \
  && test -n "$(find node_modules/@tensorflow/tfjs-node-gpu/lib -name tfjs_binding.node 2>/dev/null)" \
  || { echo 'worker-gpu: @tensorflow/tfjs-node-gpu did not install (its install downloads libtensorflow: needs network access during the build)' >&2; exit 1; }
RUN npx turbo run build --filter=@bilinear-lab/worker...
# Only one TensorFlow binding may load into a process: keep the GPU one.
RUN npm prune --omit=dev --no-audit --no-fund \
  && rm -rf apps/api apps/web node_modules/@tensorflow/tfjs-node

FROM cuda-node AS runtime
ENV NODE_ENV=production BILINEAR_BACKEND=tensorflow-gpu
RUN useradd --create-home --uid 10001 --user-group bilinear
WORKDIR /app
COPY --from=builder /app /app
USER bilinear
CMD ["node", "apps/worker/dist/main.js"]
