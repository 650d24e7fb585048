#!/usr/bin/env bash
# Docker Compose v2, built once from its Go module into berth's cache, for the
# bench's side-by-side runs (Debian's docker-compose 1.29 has no `up --wait`).
#
#   bash bench/compose.sh path        # build when missing, print the binary's path
#   bash bench/compose.sh [args...]   # build when missing, then run it with args
#
# The module github.com/docker/compose/v2 is served by the Go module proxy;
# its go.mod has no replace directive, so a wrapper module requiring it builds
# with this machine's Go (GOTOOLCHAIN=local: the module asks for go >= 1.24).
# The build goes to a temp folder under the cache, renamed only when complete,
# so a cached binary is never rebuilt and an interrupted build leaves nothing.
# This dockerd is 20.10 (API 1.41): the compose client negotiates the API
# version down by itself; DOCKER_API_VERSION=1.41 pins it when it does not.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

COMPOSE_VERSION=${BERTH_COMPOSE_VERSION:-v2.40.3}
COMPOSE_DIR="$BERTH_CACHE/tools/compose-$COMPOSE_VERSION"
COMPOSE_BIN="$COMPOSE_DIR/docker-compose"

build_compose() {
  mkdir -p "$BERTH_CACHE/tools"
  local work; work=$(mktemp -d "$BERTH_CACHE/tools/build-compose.XXXXXX")
  printf 'module berth.local/bench/compose\n\ngo 1.24.9\n' >"$work/go.mod"
  (
    cd "$work" &&
      GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go get "github.com/docker/compose/v2@$COMPOSE_VERSION" &&
      GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$work/docker-compose" \
        -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" github.com/docker/compose/v2/cmd
  ) || { rm -rf "$work"; return 1; }
  mkdir -p "$work/final" && mv "$work/docker-compose" "$work/final/docker-compose"
  rm -rf "$COMPOSE_DIR.tmp" && mv "$work/final" "$COMPOSE_DIR.tmp" && mv "$COMPOSE_DIR.tmp" "$COMPOSE_DIR"
  rm -rf "$work"
}

if [ ! -x "$COMPOSE_BIN" ]; then
  step "build docker compose $COMPOSE_VERSION (Go module, once)" \
    "check that the Go module proxy answers (go env GOPROXY) and see the log" build_compose
fi

if [ "${1:-}" = path ]; then echo "$COMPOSE_BIN"; exit 0; fi
exec "$COMPOSE_BIN" "$@"
