# shellcheck shell=bash
# The Pulumi toolchain berth needs, at the versions its npm packages ask for:
# the CLI (engine), the Node.js language host, and the resource plugins of
# @pulumi/kubernetes and @pulumi/docker. Where the official installer cannot
# be reached, each part is built from Go modules through the Go module proxy
# into $BERTH_CACHE, in a temp folder renamed only when complete.
#
# What the Go module proxy reachable here serves decides the pins below
# (checked 2026-11-28):
#  - github.com/pulumi/pulumi/pkg/v3 at the SDK's own version (v3.276.0).
#  - The language host lives in its own module since v3.69
#    (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), and
#    the proxy refuses that module at every version (403). Before v3.69 it was a
#    package of github.com/pulumi/pulumi/sdk/v3, which is served: berth builds
#    the host from sdk/v3 v3.68.0. It speaks the same LanguageRuntime protocol
#    and starts the same `@pulumi/pulumi/cmd/run` entry point with the same
#    flags as today's host; the e2e suite is what proves the pairing works.
#  - github.com/pulumi/pulumi-kubernetes/provider/v4 is served only at the
#    pseudo-version of the v4.25.0 release commit, so berth pins
#    @pulumi/kubernetes to 4.25.0 (same major version as 4.34.x).
#  - github.com/pulumi/pulumi-docker/provider/v5 (and v4, v3) is refused at
#    every version (403), so pulumi-resource-docker cannot be built here. See
#    BERTH_DOCKER_PLUGIN_DIR below for how to supply one.

# Go module pseudo-versions of each resource plugin release, by plugin version.
declare -A BERTH_K8S_PROVIDER_MODULE=(
  [4.25.0]="v4.0.0-20260115033456-f47bc2d6f199"
)
BERTH_LANGHOST_SDK_VERSION=v3.68.0

export GOFLAGS=-mod=mod
export CGO_ENABLED=0

toolchain_versions() {
  PULUMI_VERSION=$(json_field "$BERTH_REPO/node_modules/@pulumi/pulumi/package.json" version)
  DOCKER_PLUGIN_VERSION=$(json_field "$BERTH_REPO/node_modules/@pulumi/docker/package.json" pulumi.version)
  K8S_PLUGIN_VERSION=$(json_field "$BERTH_REPO/node_modules/@pulumi/kubernetes/package.json" pulumi.version)
  BERTH_TOOLS="$BERTH_CACHE/pulumi-v$PULUMI_VERSION"
  export PULUMI_VERSION DOCKER_PLUGIN_VERSION K8S_PLUGIN_VERSION BERTH_TOOLS
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
    "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" osusergo,grpcnotrace
}

build_langhost() {
  local v=$BERTH_LANGHOST_SDK_VERSION
  _go_wrapper_build "$1" "module berth.local/toolchain/langhost

go 1.26

require github.com/pulumi/pulumi/sdk/v3 $v" \
    "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs@$v" \
    "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v"
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
  step "build $name $version from Go modules" \
    "check that the Go module proxy answers (go env GOPROXY), or put a $name $version binary at $dest and its version in $dest.version" \
    "$fn" "$dest.partial"
  mv -f "$dest.partial" "$dest"
  echo "$version" >"$dest.version"
}

# A plugin is registered in the CLI's plugin cache at exactly the version
# the npm package asks for, so the engine never tries a download.
ensure_plugin() {
  local name=$1 version=$2 bin=$3
  if [ -x "$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name" ]; then
    say "plugin resource $name $version: registered"
    return 0
  fi
  step "register plugin resource $name $version" "remove $PULUMI_HOME/plugins/resource-$name-v$version* and rerun setup" \
    pulumi plugin install resource "$name" "$version" --file "$bin"
}

# pulumi-resource-pulumi-nodejs, the shell script that the official CLI ships
# beside its binaries to run Pulumi dynamic providers (berth's image builds),
# taken from the sdk/v3 module of the language host (nodejs/dist) and put beside
# the CLI, where the engine looks for it.
ensure_node_scripts() {
  local dist
  dist=$(go_module_field "github.com/pulumi/pulumi/sdk/v3@$BERTH_LANGHOST_SDK_VERSION" Dir)/nodejs/dist
  [ -f "$dist/pulumi-resource-pulumi-nodejs" ] || fail "find the dynamic provider script" "$dist has no pulumi-resource-pulumi-nodejs" \
    "check that go mod download github.com/pulumi/pulumi/sdk/v3@$BERTH_LANGHOST_SDK_VERSION works"
  if ! cmp -s "$dist/pulumi-resource-pulumi-nodejs" "$BERTH_TOOLS/bin/pulumi-resource-pulumi-nodejs"; then
    install -m 0755 "$dist/pulumi-resource-pulumi-nodejs" "$BERTH_TOOLS/bin/pulumi-resource-pulumi-nodejs"
  fi
  say "dynamic provider host: $BERTH_TOOLS/bin/pulumi-resource-pulumi-nodejs"
}

ensure_toolchain() {
  toolchain_versions
  export PULUMI_HOME=${PULUMI_HOME:-$BERTH_CACHE/pulumi-home}
  # An official CLI already on PATH at the same version is used as it is.
  local onpath; onpath=$(command -v pulumi 2>/dev/null || true)
  if [ -n "$onpath" ] && [ "$onpath" != "$BERTH_REPO/scripts/bin/pulumi" ] &&
    [ "$("$onpath" version 2>/dev/null)" = "v$PULUMI_VERSION" ] && [ ! -x "$BERTH_TOOLS/bin/pulumi" ]; then
    mkdir -p "$BERTH_TOOLS/bin" && ln -sf "$onpath" "$BERTH_TOOLS/bin/pulumi" && echo "v$PULUMI_VERSION" >"$BERTH_TOOLS/bin/pulumi.version"
    local lh; lh=$(dirname "$onpath")/pulumi-language-nodejs
    [ -x "$lh" ] && ln -sf "$lh" "$BERTH_TOOLS/bin/pulumi-language-nodejs" && echo "$BERTH_LANGHOST_SDK_VERSION" >"$BERTH_TOOLS/bin/pulumi-language-nodejs.version"
  fi
  ensure_bin pulumi "v$PULUMI_VERSION" build_cli
  ensure_bin pulumi-language-nodejs "$BERTH_LANGHOST_SDK_VERSION" build_langhost
  # Provider binaries stay off PATH: the engine takes them from its plugin cache only.
  ensure_bin pulumi-resource-kubernetes "$K8S_PLUGIN_VERSION" build_k8s_provider "$BERTH_CACHE/providers"
  PATH="$BERTH_TOOLS/bin:$PATH"
  ensure_plugin kubernetes "$K8S_PLUGIN_VERSION" "$BERTH_CACHE/providers/pulumi-resource-kubernetes"
  ensure_node_scripts

  # pulumi-resource-docker: no Go module of it is served here (see the top of
  # this file). A binary you have (from the official release, or built where
  # GitHub is reachable) is registered from BERTH_DOCKER_PLUGIN_DIR.
  if [ -x "$PULUMI_HOME/plugins/resource-docker-v$DOCKER_PLUGIN_VERSION/pulumi-resource-docker" ]; then
    say "plugin resource docker $DOCKER_PLUGIN_VERSION: registered"
  elif [ -n "${BERTH_DOCKER_PLUGIN_DIR:-}" ]; then
    ensure_plugin docker "$DOCKER_PLUGIN_VERSION" "$BERTH_DOCKER_PLUGIN_DIR"
  else
    say "WARNING: plugin resource docker $DOCKER_PLUGIN_VERSION is NOT installed: the Go module proxy here refuses"
    say "         github.com/pulumi/pulumi-docker/provider/v5 at every version, so it cannot be built offline."
    say "         The docker target (dev stack) cannot deploy until you set BERTH_DOCKER_PLUGIN_DIR to a folder"
    say "         holding pulumi-resource-docker $DOCKER_PLUGIN_VERSION and rerun setup (online: pulumi plugin install resource docker $DOCKER_PLUGIN_VERSION)."
  fi
}
