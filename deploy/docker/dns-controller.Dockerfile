# The dns-controller image, ghcr.io/nodemesh/dns-controller. Build from the repository root (docs/install.md, "Images"):
#   docker build -f deploy/docker/dns-controller.Dockerfile -t ghcr.io/nodemesh/dns-controller:0.1.0 .
# BuildKit reads deploy/docker/dns-controller.Dockerfile.dockerignore beside this file.
#
# Stage 1 compiles the workspace with pnpm; stage 2 holds Node.js, the compiled @nodemesh/dns-controller and its
# production dependencies only (`pnpm deploy --prod`, less type declarations, source maps and markdown, which
# nothing reads at run time: half the size), with no shell and no package manager, and runs as
# the distroless non-root user 65532. For release builds, pin both images by digest
# (--build-arg BUILD_IMAGE=node:24.22.3-bookworm-slim@sha256:<digest>, likewise RUNTIME_IMAGE). Where no
# registry is reachable, deploy/docker/stand-in-images.sh makes local stand-ins for both (docs/install.md).
ARG BUILD_IMAGE=node:24.22.3-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${BUILD_IMAGE} AS build
ENV CI=true
RUN npm install -g pnpm@10.34.9
WORKDIR /src
# Dependencies first: they are fetched again only when the lockfile changes. The deploy reads the lockfile and
# the store alone (no registry metadata), so it installs exactly the locked versions, offline.
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc ./
RUN pnpm fetch --frozen-lockfile
COPY . .
RUN pnpm install --frozen-lockfile --offline \
  && pnpm exec tsc -b packages/dns-controller \
  && pnpm --filter @nodemesh/dns-controller deploy --prod --offline --config.inject-workspace-packages=true /out \
  && find /out -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' \) -delete

FROM ${RUNTIME_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the process; the manifests also mount the root filesystem read-only.
COPY --from=build /out/package.json ./package.json
COPY --from=build /out/dist ./dist
COPY --from=build /out/node_modules ./node_modules
USER 65532:65532
# The admin port (/healthz, /readyz, /metrics).
EXPOSE 9090
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/bin.js"]
CMD ["run"]
