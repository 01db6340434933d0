# The gate sidecar for Argo CD's repo-server, and the CI image for `gate check` (the Tekton
# Task's `image`), built from the npm package (npm pack) on Node.js 24 LTS.
#   docker build -t registry.example.com/platform/gate:0.1.0 .
# helm and kustomize come from the Argo CD image itself, so that gate renders with the
# very versions Argo CD would use: keep ARGOCD_VERSION equal to your Argo CD's.
ARG ARGOCD_VERSION=v3.5.1
ARG NODE_IMAGE=node:24-bookworm-slim

FROM quay.io/argoproj/argocd:${ARGOCD_VERSION} AS argocd

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json README.md ./
COPY src ./src
COPY schemas ./schemas
# The image holds the very npm package users install (npm pack: the CLI, the JSON Schemas, the
# README), with the production dependencies package-lock.json pins.
RUN npm ci --ignore-scripts && npm run build \
 && npm pack --ignore-scripts --pack-destination . \
 && mkdir pkg && tar -xzf gitops-gate-*.tgz -C pkg \
 && cp package-lock.json pkg/package/ && cd pkg/package && npm ci --omit=dev --ignore-scripts && rm package-lock.json

FROM ${NODE_IMAGE}
# git: kustomize remote bases, as in Argo CD's own image.
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=argocd /usr/local/bin/helm /usr/local/bin/kustomize /usr/local/bin/
WORKDIR /opt/gate
# The unpacked package: dist/src, schemas/ (gate init copies the JSON Schemas from here), README.md, node_modules.
COPY --from=build /src/pkg/package ./
COPY plugin/plugin.yaml /home/argocd/cmp-server/config/plugin.yaml
RUN ln -s /opt/gate/dist/src/cli/gate.js /usr/local/bin/gate && chmod 755 /opt/gate/dist/src/cli/gate.js
# Everything writable lives under /tmp, an emptyDir of the sidecar.
ENV HOME=/tmp \
    HELM_CACHE_HOME=/tmp/helm/cache HELM_CONFIG_HOME=/tmp/helm/config HELM_DATA_HOME=/tmp/helm/data \
    GATE_CACHE_DIR=/tmp/gate-cache
# Argo CD runs plugins as user 999. In the repo-server pod the command is
# /var/run/argocd/argocd-cmp-server (manifests/repo-server); for CI, the entrypoint is gate.
USER 999
ENTRYPOINT ["gate"]
