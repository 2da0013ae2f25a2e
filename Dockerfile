# Sluice: one image for API nodes (`sluice serve --no-workers`) and workers (`sluice worker`).
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY web ./web
COPY scripts/write-cl100k-ranks.js ./scripts/
# `npm ci` builds the native modules and, through `prepare`, compiles the TypeScript.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
# A named volume mounted here takes this owner on first use, so the unprivileged user can write raw files.
RUN mkdir -p /blobs && chown node:node /blobs
USER node
ENTRYPOINT ["node", "bin/sluice.js"]
CMD ["serve"]
