# syntax=docker/dockerfile:1
# The API (port 4000). compose.yml also runs this image's migration command as the one-shot
# `migrate` service: `node packages/db/dist/migrations/main.js`.
#   docker build -f docker/api.Dockerfile -t bilinear-lab/api .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS builder
# python3/make/g++ only in case a native optional dependency has no prebuilt binary.
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
RUN npx turbo run build --filter=@bilinear-lab/api...
# Runtime needs: production dependencies, the builds, prisma/migrations. The native TensorFlow
# packages are training-only (the worker's business).
RUN npm prune --omit=dev --no-audit --no-fund \
  && rm -rf apps/worker apps/web node_modules/@tensorflow/tfjs-node node_modules/@tensorflow/tfjs-node-gpu

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
WORKDIR /app
# Owned by root, run as `node`: the app cannot rewrite its own code.
COPY --from=builder /app /app
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "apps/api/dist/server.js"]
