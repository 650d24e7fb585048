# shellcheck shell=bash
# The Pulumi toolchain berth needs, at the versions its npm packages ask for:
# the CLI (engine), the Node.js language host, and the resource plugins of
# @pulumi/kubernetes and @pulumi/docker. Where the official installer cannot
# be reached, each part is built from source into $BERTH_CACHE, in a temp
# folder renamed only when complete; a cached part is never rebuilt.
#
# Where each part's source comes from (what the Go module proxy reachable here
# serves decides it, checked 2026-11-28):
#  - the CLI: Go module github.com/pulumi/pulumi/pkg/v3 at the SDK's own
#    version (v3.276.0).
#  - pulumi-resource-kubernetes: Go module pulumi-kubernetes/provider/v4, served
#    only at the pseudo-version of the v4.25.0 release commit (so berth pins
#    @pulumi/kubernetes to 4.25.0).
#  - the Node.js language host and pulumi-resource-docker: the proxy refuses
#    their modules at every version, so they are built from the public source
#    archives in the folder BERTH_OFFLINE_SRC names (each checked against the
#    sha256 below before it is unpacked; shared/offline-src/README.md gives
#    their provenance). pulumi-docker 4.11.0 is the newest release whose Go
#    dependencies the proxy serves, so berth pins @pulumi/docker to 4.11.0.

declare -A BERTH_K8S_PROVIDER_MODULE=(
  [4.25.0]="v4.0.0-20260115033456-f47bc2d6f199"
)
# The language host's source release: 3.259.0 speaks RunPlugin, which runs
# policy packs by folder (`--policy-pack policies`).
BERTH_LANGHOST_VERSION=3.259.0
# Offline source archives, by file name: their sha256.
declare -A BERTH_OFFLINE_SHA256=(
  [pulumi-docker-4.11.0.tar.gz]=79fc1ecb628c1f695b7272127e0e45727cd60e37985ababe2515b87dbf5bd2bf
  [terraform-provider-docker-d7d7ff7f.tar.gz]=de4f51693881ed1a8dc3427fd5bcc73b1bbdb378656ee3348f852f6bbe8020e3
  [pulumi-language-nodejs-3.259.0.tar.gz]=34d030232ce9b41f8eee155a8a877f8893427ce594081900d309ee06b0e3470a
)
# The archives that build each plugin version.
declare -A BERTH_DOCKER_PROVIDER_SRC=(
  [4.11.0]="pulumi-docker-4.11.0.tar.gz terraform-provider-docker-d7d7ff7f.tar.gz"
)

export GOFLAGS=-mod=mod
export CGO_ENABLED=0

toolchain_versions() {
  PULUMI_VERSION=$(json_field "$BERTH_REPO/node_modules/@pulumi/pulumi/package.json" version)
  DOCKER_PLUGIN_VERSION=$(json_field "$BERTH_REPO/node_modules/@pulumi/docker/package.json" pulumi.version)
  K8S_PLUGIN_VERSION=$(json_field "$BERTH_REPO/node_modules/@pulumi/kubernetes/package.json" pulumi.version)
  BERTH_TOOLS="$BERTH_CACHE/pulumi-v$PULUMI_VERSION"
  export PULUMI_VERSION DOCKER_PLUGIN_VERSION K8S_PLUGIN_VERSION BERTH_TOOLS
}

# offline_archive FILE: the path of FILE in $BERTH_OFFLINE_SRC, after checking
# its sha256; prints why and returns 1 when it is missing or differs.
offline_archive() {
  local file=$1 want=${BERTH_OFFLINE_SHA256[$1]:-}
  [ -n "${BERTH_OFFLINE_SRC:-}" ] || { echo "BERTH_OFFLINE_SRC is not set: it must name the folder holding $file"; return 1; }
  local f="$BERTH_OFFLINE_SRC/$file"
  [ -f "$f" ] || { echo "$f: no such file (BERTH_OFFLINE_SRC=$BERTH_OFFLINE_SRC)"; return 1; }
  [ -n "$want" ] || { echo "$file: berth knows no sha256 for it (known: ${!BERTH_OFFLINE_SHA256[*]})"; return 1; }
  local got; got=$(sha256sum "$f" | cut -d' ' -f1)
  [ "$got" = "$want" ] || { echo "$f: sha256 $got, expected $want: the archive is not the one berth was checked with"; return 1; }
  echo "$f"
}

# A Go build in a fresh wrapper module. Args: OUT_BIN GOMOD_BODY PKG@VERSION LDFLAGS [TAGS]
_go_wrapper_build() {
  local out=$1 gomod=$2 pkg=$3 ldflags=$4 tags=${5:-}
  local work; work=$(mktemp -d "$BERTH_CACHE/build.XXXXXX")
  printf '%s\n' "$gomod" >"$work/go.mod"
  # go get takes path@version; go build takes the package path the wrapper now requires.
  (cd "$work" && go get "$pkg" && go build -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$work/out" "${pkg%@*}") || { rm -rf "$work"; return 1; }
  mv -f "$work/out" "$out"
  rm -rf "$work"
}

# Build tags of the CLI and the language host.
BERTH_GO_TAGS=osusergo,grpcnotrace

build_cli() {
  local v=v$PULUMI_VERSION
  _go_wrapper_build "$1" "module berth.local/toolchain/pulumi

go 1.26

require (
	github.com/pulumi/pulumi/pkg/v3 $v
	github.com/pulumi/pulumi/sdk/v3 $v
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e" \
    "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$v" \
    "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" "$BERTH_GO_TAGS"
}

# The language host from its source archive. Its go.mod points pkg/v3 and
# sdk/v3 at folders of the monorepo that the archive lacks; berth requires both
# from the module proxy at the host's own release instead. (At the CLI's
# version it does not compile: the host's resource-monitor proxy lacks methods
# that later SDKs added to the interface.)
build_langhost() {
  local out=$1 archive
  archive=$(offline_archive "pulumi-language-nodejs-$BERTH_LANGHOST_VERSION.tar.gz") || { echo "$archive"; return 1; }
  local work; work=$(mktemp -d "$BERTH_CACHE/build.XXXXXX")
  (
    tar xzf "$archive" -C "$work" --strip-components=1 &&
      cd "$work/sdk/nodejs/cmd/pulumi-language-nodejs" &&
      go mod edit -dropreplace github.com/pulumi/pulumi/pkg/v3 -dropreplace github.com/pulumi/pulumi/sdk/v3 \
        -require "github.com/pulumi/pulumi/pkg/v3@v$BERTH_LANGHOST_VERSION" -require "github.com/pulumi/pulumi/sdk/v3@v$BERTH_LANGHOST_VERSION" &&
      go build -trimpath -tags "$BERTH_GO_TAGS" -o "$work/out" \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$BERTH_LANGHOST_VERSION" .
  ) || { rm -rf "$work"; return 1; }
  mv -f "$work/out" "$out"
  rm -rf "$work"
}

# pulumi-resource-docker from its source archives, as pulumi-docker's own
# Makefile does: the upstream Terraform provider in ./upstream with the
# release's patches applied, the schema generated, then the provider built.
build_docker_provider() {
  local out=$1 srcs=${BERTH_DOCKER_PROVIDER_SRC[$DOCKER_PLUGIN_VERSION]:-}
  [ -n "$srcs" ] || { echo "no source archives known for pulumi-resource-docker $DOCKER_PLUGIN_VERSION (known: ${!BERTH_DOCKER_PROVIDER_SRC[*]})"; return 1; }
  local main upstream
  read -r main upstream <<<"$srcs"
  main=$(offline_archive "$main") || { echo "$main"; return 1; }
  upstream=$(offline_archive "$upstream") || { echo "$upstream"; return 1; }
  local work; work=$(mktemp -d "$BERTH_CACHE/build.XXXXXX")
  (
    tar xzf "$main" -C "$work" --strip-components=1 &&
      mkdir "$work/upstream" && tar xzf "$upstream" -C "$work/upstream" --strip-components=1 &&
      cd "$work/upstream" && for p in ../patches/*.patch; do patch -p1 --forward <"$p" || exit 1; done &&
      cd "$work/provider/cmd/pulumi-resource-docker" && VERSION=$DOCKER_PLUGIN_VERSION go run ./generate.go &&
      cd "$work/provider" && go build -trimpath -o "$work/out" \
        -ldflags "-s -w -X github.com/pulumi/pulumi-docker/provider/v4/pkg/version.Version=$DOCKER_PLUGIN_VERSION" ./cmd/pulumi-resource-docker
  ) || { rm -rf "$work"; return 1; }
  mv -f "$work/out" "$out"
  rm -rf "$work"
}

# The provider's main package embeds a schema that its generate.go writes, so
# it is built from a copy of its module rather than as a dependency.
build_k8s_provider() {
  local out=$1 pseudo=${BERTH_K8S_PROVIDER_MODULE[$K8S_PLUGIN_VERSION]:-}
  local mod=github.com/pulumi/pulumi-kubernetes/provider/v4
  [ -n "$pseudo" ] || { echo "no Go module pin for pulumi-resource-kubernetes $K8S_PLUGIN_VERSION (known: ${!BERTH_K8S_PROVIDER_MODULE[*]})"; return 1; }
  local dir; dir=$(go_module_field "$mod@$pseudo" Dir)
  [ -d "$dir" ] || { echo "go mod download of $mod@$pseudo gave no folder"; return 1; }
  local work; work=$(mktemp -d "$BERTH_CACHE/build.XXXXXX")
  cp -r "$dir" "$work/provider" && chmod -R u+w "$work/provider"
  (
    cd "$work/provider" &&
      go mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4 &&
      cd cmd/pulumi-resource-kubernetes && VERSION=$K8S_PLUGIN_VERSION go run generate.go &&
      go build -trimpath -ldflags "-s -w -X $mod/pkg/version.Version=$K8S_PLUGIN_VERSION" -o "$work/out" .
  ) || { rm -rf "$work"; return 1; }
  mv -f "$work/out" "$out"
  rm -rf "$work"
}

# ensure_bin NAME VERSION BUILD_FN [DIR]: DIR/NAME exists (default DIR:
# $BERTH_TOOLS/bin, which scripts/env puts on PATH), else build it.
ensure_bin() {
  local name=$1 version=$2 fn=$3 dir=${4:-$BERTH_TOOLS/bin}
  local dest="$dir/$name"
  if [ -x "$dest" ] && [ "$(cat "$dest.version" 2>/dev/null)" = "$version" ]; then
    say "$name $version: cached at $dest"
    return 0
  fi
  command -v go >/dev/null || fail "build $name" "Go is not installed" "install Go >= 1.26, or put a $name $version binary at $dest"
  mkdir -p "$dir"
  step "build $name $version from source" \
    "check that the Go module proxy answers (go env GOPROXY) and, for the parts built from archives, that BERTH_OFFLINE_SRC names the folder holding them; or put a $name $version binary at $dest and its version in $dest.version" \
    "$fn" "$dest.partial"
  mv -f "$dest.partial" "$dest"
  echo "$version" >"$dest.version"
}

# A plugin is registered in the CLI's plugin cache at exactly the version
# the npm package asks for, so the engine never tries a download.
plugin_registered() { [ -x "$PULUMI_HOME/plugins/resource-$1-v$2/pulumi-resource-$1" ]; }
ensure_plugin() {
  local name=$1 version=$2 bin=$3
  if plugin_registered "$name" "$version"; then
    say "plugin resource $name $version: registered"
    return 0
  fi
  step "register plugin resource $name $version" "remove $PULUMI_HOME/plugins/resource-$name-v$version* and rerun setup" \
    pulumi plugin install resource "$name" "$version" --file "$bin"
}

# pulumi-resource-pulumi-nodejs, the shell script that the official CLI ships
# beside its binaries to run Pulumi dynamic providers (berth's image pushes to
# a cluster's registry), taken from the CLI's own sdk/v3 module (nodejs/dist)
# and put beside the CLI, where the engine looks for it.
ensure_node_scripts() {
  local dist
  dist=$(go_module_field "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" Dir)/nodejs/dist
  [ -f "$dist/pulumi-resource-pulumi-nodejs" ] || fail "find the dynamic provider script" "$dist has no pulumi-resource-pulumi-nodejs" \
    "check that go mod download github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION works"
  if ! cmp -s "$dist/pulumi-resource-pulumi-nodejs" "$BERTH_TOOLS/bin/pulumi-resource-pulumi-nodejs"; then
    install -m 0755 "$dist/pulumi-resource-pulumi-nodejs" "$BERTH_TOOLS/bin/pulumi-resource-pulumi-nodejs"
  fi
  say "dynamic provider host: $BERTH_TOOLS/bin/pulumi-resource-pulumi-nodejs"
}

# Where the docker plugin comes from: "registered" already; a binary in
# BERTH_DOCKER_PLUGIN_DIR ("dir"); the official "download" (BERTH_OFFLINE_SRC
# unset and nothing cached); else "build" from the offline archives.
docker_plugin_source() {
  if plugin_registered docker "$DOCKER_PLUGIN_VERSION"; then echo registered
  elif [ -n "${BERTH_DOCKER_PLUGIN_DIR:-}" ]; then echo dir
  elif [ -z "${BERTH_OFFLINE_SRC:-}" ] && [ ! -x "$BERTH_CACHE/providers/pulumi-resource-docker" ]; then echo download
  else echo build
  fi
}

ensure_docker_plugin() {
  local v=$DOCKER_PLUGIN_VERSION
  case $(docker_plugin_source) in
    registered) say "plugin resource docker $v: registered" ;;
    dir) ensure_plugin docker "$v" "$BERTH_DOCKER_PLUGIN_DIR/pulumi-resource-docker" ;;
    download)
      say "plugin resource docker $v: trying the official download (BERTH_OFFLINE_SRC is not set)"
      timeout 300 pulumi plugin install resource docker "$v" >"$BERTH_CACHE/logs/docker-plugin-download.log" 2>&1 ||
        fail "install plugin resource docker $v" "the official download failed ($(tail -n1 "$BERTH_CACHE/logs/docker-plugin-download.log"))" \
          "set BERTH_OFFLINE_SRC to a folder holding ${BERTH_DOCKER_PROVIDER_SRC[$v]:-its source archives} (this project's CI uses ../shared/offline-src) and rerun setup"
      say "plugin resource docker $v: downloaded" ;;
    build)
      ensure_bin pulumi-resource-docker "$v" build_docker_provider "$BERTH_CACHE/providers"
      ensure_plugin docker "$v" "$BERTH_CACHE/providers/pulumi-resource-docker" ;;
  esac
}

# in_parallel 'CMD' 'CMD'...: runs each in a subshell at once and waits for
# all; fails when any failed (each failure has printed its own reason). Go
# builds of different modules share no compiled package, so two at a time
# overlap one's downloads with the other's compiles.
in_parallel() {
  local pids=() c rc=0
  for c in "$@"; do (eval "$c") & pids+=($!); done
  for c in "${pids[@]}"; do wait "$c" || rc=1; done
  [ "$rc" = 0 ] || exit 1
}

ensure_toolchain() {
  toolchain_versions
  export PULUMI_HOME=${PULUMI_HOME:-$BERTH_CACHE/pulumi-home}
  mkdir -p "$BERTH_CACHE/logs"
  # An official CLI already on PATH at the same version is used as it is, with
  # the language host installed beside it.
  local onpath; onpath=$(command -v pulumi 2>/dev/null || true)
  if [ -n "$onpath" ] && [ "$onpath" != "$BERTH_REPO/scripts/bin/pulumi" ] &&
    [ "$("$onpath" version 2>/dev/null)" = "v$PULUMI_VERSION" ] && [ ! -x "$BERTH_TOOLS/bin/pulumi" ]; then
    mkdir -p "$BERTH_TOOLS/bin" && ln -sf "$onpath" "$BERTH_TOOLS/bin/pulumi" && echo "v$PULUMI_VERSION" >"$BERTH_TOOLS/bin/pulumi.version"
    local lh; lh=$(dirname "$onpath")/pulumi-language-nodejs
    [ -x "$lh" ] && ln -sf "$lh" "$BERTH_TOOLS/bin/pulumi-language-nodejs" && echo "$BERTH_LANGHOST_VERSION" >"$BERTH_TOOLS/bin/pulumi-language-nodejs.version"
  fi
  # Two builds at a time (2 cores): the CLI beside the docker provider, then
  # the language host beside the kubernetes provider. Provider binaries stay
  # off PATH: the engine takes them from its plugin cache only.
  local docker_build=:
  [ "$(docker_plugin_source)" = build ] && docker_build='ensure_bin pulumi-resource-docker "$DOCKER_PLUGIN_VERSION" build_docker_provider "$BERTH_CACHE/providers"'
  in_parallel 'ensure_bin pulumi "v$PULUMI_VERSION" build_cli' "$docker_build"
  in_parallel 'ensure_bin pulumi-language-nodejs "$BERTH_LANGHOST_VERSION" build_langhost' \
    'ensure_bin pulumi-resource-kubernetes "$K8S_PLUGIN_VERSION" build_k8s_provider "$BERTH_CACHE/providers"'
  PATH="$BERTH_TOOLS/bin:$PATH"
  ensure_plugin kubernetes "$K8S_PLUGIN_VERSION" "$BERTH_CACHE/providers/pulumi-resource-kubernetes"
  ensure_docker_plugin
  ensure_node_scripts
}
