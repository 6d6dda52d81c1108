# syntax=docker/dockerfile:1
# A GPU worker with both GPU paths (docs/deploy.md, "GPU workers", says which to pick on which host):
# - tensorflow-gpu: @tensorflow/tfjs-node-gpu on NVIDIA's CUDA runtime. tfjs-node-gpu 4.22 links
#   libtensorflow 2.9 (built for CUDA 11.2 / cuDNN 8.1); CUDA 11.8 with cuDNN 8 runs it. Its install
#   downloads libtensorflow, so the build needs that network access.
# - webgpu: Dawn for Node (the `webgpu` package, its binary shipped in the package) on any Vulkan
#   driver, with Debian/Ubuntu's Vulkan loader; the NVIDIA Container Toolkit mounts the driver's
#   Vulkan ICD when the `graphics` capability is asked for (NVIDIA_DRIVER_CAPABILITIES below).
# BILINEAR_GPU_BACKEND (build argument, default tensorflow-gpu) sets the image's BILINEAR_BACKEND and
# which path the build insists on: a worker that finds no GPU fails at start instead of training on
# the CPU unnoticed. Needs the NVIDIA Container Toolkit on the host:
#   docker build -f docker/worker-gpu.Dockerfile -t bilinear-lab/worker-gpu .
#   docker build -f docker/worker-gpu.Dockerfile --build-arg BILINEAR_GPU_BACKEND=webgpu -t bilinear-lab/worker-webgpu .
#   docker run --gpus all -e DATABASE_URL=… -e REDIS_URL=… bilinear-lab/worker-gpu
# Check a host with `docker run --gpus all --rm bilinear-lab/worker-gpu node bench/gpu-check.mjs`: the
# adapter, agreement with wasm and the speeds (bench/gpu-check.sh does the same outside Docker).
# Another CUDA base: --build-arg CUDA_IMAGE=….
ARG NODE_IMAGE=node:20-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04
ARG BILINEAR_GPU_BACKEND=tensorflow-gpu

FROM ${NODE_IMAGE} AS node

# The CUDA runtime with Node 20: the official build's binary and npm, copied from the Node image
# (they need only glibc ≥ 2.28; Ubuntu 22.04 has 2.35).
FROM ${CUDA_IMAGE} AS cuda-node
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
  && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
  && apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates libvulkan1 libglvnd0 \
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
COPY bench/gpu-check.mjs ./bench/gpu-check.mjs
ARG BILINEAR_GPU_BACKEND
# tfjs-node-gpu, webgpu and tfjs-backend-webgpu are optional dependencies of @bilinear-lab/training:
# npm ci installs tfjs-node-gpu when its install script can download libtensorflow, and webgpu from
# the registry alone. Fail the build here, for the path the image selects, rather than ship a worker
# that cannot use the GPU.
RUN npm ci --no-audit --no-fund \
  && case "$BILINEAR_GPU_BACKEND" in \
    tensorflow-gpu) test -n "$(find node_modules/@tensorflow/tfjs-node-gpu/lib -name tfjs_binding.node 2>/dev/null)" \
      || { echo 'worker-gpu: @tensorflow/tfjs-node-gpu did not install (its install downloads libtensorflow: needs network access during the build)' >&2; exit 1; } ;; \
    webgpu) test -d node_modules/webgpu && test -d node_modules/@tensorflow/tfjs-backend-webgpu \
      || { echo 'worker-gpu: webgpu or @tensorflow/tfjs-backend-webgpu did not install' >&2; exit 1; } ;; \
    *) echo "worker-gpu: BILINEAR_GPU_BACKEND=$BILINEAR_GPU_BACKEND: choose tensorflow-gpu or webgpu" >&2; exit 1 ;; \
  esac
RUN npx turbo run build --filter=@bilinear-lab/worker...
# Only one TensorFlow binding may load into a process: keep the GPU one. Of Dawn's binaries, keep
# this platform's (the package ships five, ~130 MB).
RUN npm prune --omit=dev --no-audit --no-fund \
  && rm -rf apps/api apps/web node_modules/@tensorflow/tfjs-node \
  && dawn="linux-$(node -p process.arch)" \
  && find node_modules/webgpu/dist -mindepth 1 -maxdepth 1 ! -name "$dawn" -exec rm -rf {} +

FROM cuda-node AS runtime
ARG BILINEAR_GPU_BACKEND
# `graphics` makes the NVIDIA Container Toolkit mount the driver's Vulkan ICD (nvidia_icd.json and
# libGLX_nvidia) that webgpu needs; CUDA needs only compute and utility. BILINEAR_WEBGPU=1 lets a
# BILINEAR_BACKEND=auto worker try webgpu after tensorflow-gpu.
ENV NODE_ENV=production BILINEAR_BACKEND=${BILINEAR_GPU_BACKEND} \
  NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics
RUN useradd --create-home --uid 10001 --user-group bilinear
WORKDIR /app
COPY --from=builder /app /app
USER bilinear
CMD ["node", "apps/worker/dist/main.js"]
