# syntax=docker/dockerfile:1
# The dashboard (Next.js, port 3000), which talks to the API at API_URL. Needs apps/web (the
# dashboard issue).
#   docker build -f docker/web.Dockerfile -t bilinear-lab/web .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS builder
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1 NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY packages ./packages
COPY apps ./apps
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
RUN npx turbo run build --filter=@bilinear-lab/web...
# `next start` may read next.config.ts through TypeScript, so development dependencies stay; the
# native TensorFlow packages do not (the dashboard never trains).
RUN rm -rf apps/api apps/worker node_modules/@tensorflow/tfjs-node node_modules/@tensorflow/tfjs-node-gpu

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 PORT=3000 API_URL=http://api:4000
WORKDIR /app
COPY --from=builder /app /app
# Next.js writes its cache under .next at run time.
COPY --from=builder --chown=node:node /app/apps/web/.next /app/apps/web/.next
USER node
EXPOSE 3000
CMD ["npm", "run", "start", "-w", "@bilinear-lab/web"]
