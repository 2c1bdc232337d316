# Hookflow's worker and API. Built for docker-compose.yml; not built or run in this repository's CI
# (no Docker engine there).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY workflows workflows
COPY activities activities
COPY bench bench
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOOKFLOW_HOST=0.0.0.0
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/workflows workflows
# The dashboard's page and scripts, served as they are (src/api/routes/dashboard.ts reads them at start).
COPY --from=build /app/src/report/dashboard src/report/dashboard
COPY package.json ./
USER node
# The worker's V8 flags: src/worker/node-flags.ts says why.
CMD ["node", "--max-old-space-size=256", "--max-semi-space-size=8", "dist/src/bin/worker.js"]
