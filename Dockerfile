# gate as a container image, for CI jobs: `docker run --rm -v "$PWD:/repo" -w /repo gate check .`
# (The Argo CD sidecar variant, with helm and kustomize, comes with `gate generate`.)
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
RUN npm ci --ignore-scripts && npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:22-bookworm-slim
WORKDIR /opt/gate
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
USER 999
ENTRYPOINT ["node", "/opt/gate/dist/src/cli/main.js"]
