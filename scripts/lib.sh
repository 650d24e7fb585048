# shellcheck shell=bash
# Shared helpers for berth's scripts: timed steps that never stay silent for
# more than 20 seconds, and failures that say which step, why, and what to do.

BERTH_REPO=${BERTH_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BERTH_CACHE=${BERTH_CACHE:-$HOME/.cache/berth}
export BERTH_REPO BERTH_CACHE

_berth_t0=$(date +%s)

# go_module_field MODULE@VERSION FIELD: a field (Dir, GoMod) of `go mod download
# -json`, which downloads the module into the module cache when missing. Run
# outside any module, on this machine's Go.
go_module_field() {
  mkdir -p "$BERTH_CACHE"
  (cd "$BERTH_CACHE" && env GOTOOLCHAIN=local GOWORK=off GOFLAGS= go mod download -json "$1") | sed -n "s/^[[:space:]]*\"$2\": \"\(.*\)\",\$/\1/p"
}

say() { printf '[berth %4ss] %s\n' "$(($(date +%s) - _berth_t0))" "$*"; }

# fail STEP WHY HINT: print a failure that a user can act on, and exit non-zero.
fail() {
  printf '\n[berth] FAILED step: %s\n[berth]   why: %s\n[berth]   what you can do: %s\n' "$1" "$2" "$3" >&2
  exit 1
}

# step NAME HINT CMD...: run CMD with its output in a log file, print a line
# every 20 s while it runs and its elapsed time at the end. On failure, show
# the log's tail and fail with HINT.
step() {
  local name=$1 hint=$2; shift 2
  local log="$BERTH_CACHE/logs/$(echo "$name" | tr -c 'a-zA-Z0-9\n' '-').log"
  mkdir -p "$BERTH_CACHE/logs"
  local start; start=$(date +%s)
  say "$name ..."
  ("$@") >"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && say "  still $name ($(($(date +%s) - start))s; log: $log)"
  done
  if ! wait "$pid"; then
    echo "----- last lines of $log -----" >&2
    tail -n 25 "$log" >&2
    fail "$name" "the command failed (full log: $log)" "$hint"
  fi
  say "$name done in $(($(date +%s) - start))s"
}

# json_field FILE EXPR: read a field of a package.json with the project's node.
json_field() {
  node -e 'const p=require(require("path").resolve(process.argv[1])); const v=process.argv[2].split(".").reduce((o,k)=>o&&o[k],p); if(v===undefined)process.exit(3); console.log(v)' "$1" "$2"
}
