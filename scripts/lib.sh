# shellcheck shell=bash
# Shared helpers for berth's scripts: timed steps that never stay silent for
# more than 20 seconds (a line every 15 s), and failures that say which step, why, and what to do.

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

# passphrase_default STACK: the passphrase a stack gets when the user set none.
# Only dev has one (not a secret: dev's state lives on this machine and holds
# no real secrets); staging, prod and every other stack demand the user's
# PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE. The one
# definition: scripts/bin/pulumi and the review tooling (review/stack.ts) ask it.
passphrase_default() { [ "${1##*/}" = dev ] && echo berth-dev-stack-local-only; return 0; }

# policy_config STACK: the policy pack config that previews and ups of STACK
# use, as a path from the repo's folder: policies/config/<stack>.json when
# there is one; nothing otherwise (every policy advisory, the pack's default).
# scripts/up and the review tooling (review/stack.ts) both ask this function.
policy_config() { [ -f "$BERTH_REPO/policies/config/${1##*/}.json" ] && echo "policies/config/${1##*/}.json"; return 0; }

# check_stack_yaml FILE STEP: fail STEP, naming the file, its line and column,
# when FILE is not valid YAML (the engine's own message names neither the file
# nor its column: "invalid YAML file: yaml: line 3: ...").
check_stack_yaml() {
  local why
  why=$(node -e 'try { require("js-yaml").load(require("fs").readFileSync(process.argv[1], "utf8")); } catch (e) { console.log(e.mark ? `line ${e.mark.line + 1}, column ${e.mark.column + 1}: ${e.reason}` : e.message); process.exit(1); }' "$1" 2>&1) ||
    fail "$2" "$1 is not valid YAML: $why" "fix $1 at that line (a stack file is YAML: indentation and closing brackets matter), then run it again"
}

# require_passphrase STACK STEP: fail STEP, saying what to do, when STACK has
# no passphrase (neither the user's nor a default).
require_passphrase() {
  [ -n "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}$(passphrase_default "$1")" ] && return 0
  fail "$2" "stack $1 keeps its secrets encrypted with a passphrase (Pulumi's passphrase secrets provider), and PULUMI_CONFIG_PASSPHRASE is not set" \
    "export PULUMI_CONFIG_PASSPHRASE='<a passphrase you keep>' (the same one for every later command on this stack; a team shares it like any secret), or PULUMI_CONFIG_PASSPHRASE_FILE=<file holding it>, then rerun"
}

# report_url STACK URL: print where the app answers, only once it has answered
# from this machine (any HTTP status below 400, within BERTH_URL_WAIT_SECONDS,
# default 60); otherwise fail saying so. A URL that cannot answer here (a name
# inside a cluster) is said to be one, never printed as answering.
report_url() {
  local stack=$1 url=$2 code="" last="" deadline=$(($(date +%s) + ${BERTH_URL_WAIT_SECONDS:-60}))
  case "$url" in
    "") say "deployed $stack; the app publishes no port, so there is no URL to check"; return 0 ;;
    *.svc.cluster.local*)
      # berth:kubernetes.serviceType LoadBalancer or ClusterIP: a cluster-internal name.
      say "deployed $stack; $url is a name inside the cluster, not reachable from this machine: reach it with kubectl port-forward, or set berth:kubernetes.serviceType: NodePort"
      return 0 ;;
  esac
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url" 2>/dev/null) || true
    case "$code" in [23]??) say "the app answers at: $url (HTTP $code)"; return 0 ;; esac
    last=$code
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 2
  done
  fail "check $stack" "the deploy finished, but nothing answered at $url within ${BERTH_URL_WAIT_SECONDS:-60} s (last HTTP status: ${last:-none}; 000 is no connection)" \
    "see what runs: docker ps (dev) or kubectl get pods -n <namespace> -o wide (Kubernetes); pods on a simulated node (kwok) run no container, so nothing can answer there"
}

say() { printf '[berth %4ss] %s\n' "$(($(date +%s) - _berth_t0))" "$*"; }

# fail STEP WHY HINT: print a failure that a user can act on, and exit non-zero.
fail() {
  printf '\n[berth] FAILED step: %s\n[berth]   why: %s\n[berth]   what you can do: %s\n' "$1" "$2" "$3" >&2
  exit 1
}

# step NAME HINT CMD...: run CMD with its output in a log file, print a line
# every 15 s while it runs and its elapsed time at the end. On failure, show
# the log's tail and fail with HINT.
step() {
  local name=$1 hint=$2; shift 2
  local log="$BERTH_CACHE/logs/$(echo "$name" | tr -c 'a-zA-Z0-9\n' '-').log"
  mkdir -p "$BERTH_CACHE/logs"
  local start; start=$(date +%s)
  say "$name ..."
  ("$@") >"$log" 2>&1 &
  local pid=$!
  # A line at least every 15 s by the clock (a busy machine stretches sleeps,
  # so the interval is not counted in sleeps).
  local last=$start now
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    now=$(date +%s)
    if [ $((now - last)) -ge 15 ] && kill -0 "$pid" 2>/dev/null; then
      say "  still $name ($((now - start))s; log: $log)"
      last=$now
    fi
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

# recover_stack STACK: after an engine that died mid-deploy (SIGKILL, OOM),
# remove the stack's lock when the process holding it is dead, drop pending
# operations from the state, and remove what berth's labels find on the target
# that the state does not hold (never a retained volume). Silent when there is
# nothing to recover. See scripts/recover.ts.
recover_stack() {
  (cd "$BERTH_REPO" && node -r ts-node/register/transpile-only scripts/recover.ts "$1") ||
    fail "recover $1" "the stack needed recovery after an engine that stopped mid-deploy, and it failed (above)" \
      "see docs/reference.md#recovery-after-a-crash: pulumi stack export, remove pending_operations, pulumi stack import, then remove what is labelled berth.dev/stack=$1 and not in the state"
}
