# shellcheck shell=bash
# scripts/cluster's real node: containerd (its own socket, root and state, not
# Docker's), runc with seccomp, CNI (bridge, host-local, loopback, portmap,
# firewall), kubelet (cgroupfs, cgroup v1 allowed) and kube-proxy (iptables,
# NodePorts on 127.0.0.1). Sourced by scripts/cluster, which starts the
# control plane first; its functions are node_* and a few helpers.
#
# Addresses: the node is NODE_IP, a /32 on the loopback interface (no dummy
# interfaces on this kernel), which is also what the API server advertises:
# pods reach it through the `kubernetes` Service and kube-proxy. Pods get
# addresses of POD_SUBNET on the bridge berth-cni0.
#
# What the node adds to the host, and what node_cleanup takes away again:
# the address on lo, the bridge, iptables chains CNI-* and KUBE-* (kube-router's
# too) and kube-router's ipsets, the policy-routing rule and table
# SERVICE_ROUTE_TABLE, the mounts under its folders, network namespaces under
# its state, the kubepods cgroups.

NODE_NAME=berth-node
NODE_IP=10.1.0.1
POD_CIDR=10.244.0.0/16     # the cluster's pod range (kube-proxy's clusterCIDR)
SERVICE_ROUTE_TABLE=4242   # policy routing: the Service range unreachable from the pods' bridge (node_start_runtime)
POD_SUBNET=10.244.0.0/24   # this node's pods (host-local)
CLUSTER_DNS=10.0.0.10      # CoreDNS' Service address, in SERVICE_CIDR
CNI_BRIDGE=berth-cni0
NODE_DIR=$BERTH_CACHE/cluster/node         # kubelet root, containerd root, CNI config, pod logs
CTD_STATE=/run/berth-containerd            # containerd's state (tmpfs): tasks, netns, shim sockets
CTD_SOCK=$CTD_STATE/containerd.sock
VOLUMES_DIR=$BERTH_CACHE/cluster/volumes   # the storage provisioner's volumes (hostPath)
RUNC=${BERTH_RUNC:-$(command -v runc || echo /usr/sbin/runc)}
# Images of the cluster's own pods: built here (no registry is reachable),
# pushed to the local registry at every start (start empties it).
SYSTEM_REPO=127.0.0.1:${REGISTRY_PORT}/berth-system
PAUSE_IMAGE=$SYSTEM_REPO/pause:$PAUSE_VERSION
COREDNS_IMAGE=$SYSTEM_REPO/coredns:$COREDNS_VERSION
LOCAL_PATH_IMAGE=$SYSTEM_REPO/local-path-provisioner:$LOCAL_PATH_VERSION
METRICS_SERVER_IMAGE=$SYSTEM_REPO/metrics-server:$METRICS_SERVER_VERSION
HELPER_IMAGE=$SYSTEM_REPO/volume-helper:bookworm
HELPER_BASE=berth/debian-root:bookworm    # made by `npm run setup`: sh, mkdir, rm for the volume helper

# --- what the host needs ----------------------------------------------------
node_prerequisites() {
  local missing=() c
  # (ipset: kube-router keeps the pods a NetworkPolicy selects in ipsets)
  for c in iptables iptables-save iptables-restore ip mount umount ipset; do command -v "$c" >/dev/null || missing+=("$c"); done
  [ -x "$RUNC" ] || missing+=(runc)
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || fail "real node" "missing: ${missing[*]}" "install them (Debian: apt-get install runc iptables iproute2 mount ipset)"
    step "apt-get install runc iptables iproute2 ipset" "install runc, iptables and ipset yourself" \
      bash -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends runc iptables iproute2 mount ipset'
    RUNC=$(command -v runc)
  fi
  "$RUNC" --version | grep -q '^libseccomp' || fail "real node" "$RUNC is built without seccomp (berth's pods run the RuntimeDefault profile)" \
    "install a runc with seccomp (Debian's runc has it), or set BERTH_RUNC to one"
  [ "$(id -u)" = 0 ] || fail "real node" "the kubelet and containerd need root" "run scripts/cluster as root"
  modprobe br_netfilter 2>/dev/null || true
  [ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)" = 1 ] ||
    sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null ||
    fail "real node" "bridged pod traffic does not pass iptables (net.bridge.bridge-nf-call-iptables)" "load br_netfilter (modprobe br_netfilter)"
  sysctl -qw net.ipv4.ip_forward=1
}

# --- images of the cluster's own pods ----------------------------------------
# Each is a scratch image around one binary (the volume helper: Debian from
# setup), built once into the local Docker engine and pushed at every start.
system_image() { # image binary
  local image=$1 bin=$2 ctx id
  id=$(sha256sum "$BIN/$bin" | cut -c1-16)
  if [ "$(docker image inspect --format '{{index .Config.Labels "berth.dev/binary"}}' "$image" 2>/dev/null)" != "$id" ]; then
    ctx=$(mktemp -d "$BERTH_CACHE/image.XXXXXX")
    cp "$BIN/$bin" "$ctx/$bin"
    printf 'FROM scratch\nCOPY %s /%s\nLABEL berth.dev/binary=%s\nENTRYPOINT ["/%s"]\n' "$bin" "$bin" "$id" "$bin" >"$ctx/Dockerfile"
    # (the classic builder: the docker CLI here may lack buildx; it warns that it is deprecated)
    if ! DOCKER_BUILDKIT=0 docker build --quiet --tag "$image" "$ctx" >"$ctx/build.log" 2>&1; then
      cat "$ctx/build.log" >&2; rm -rf "$ctx"
      fail "build image $image" "docker build failed" "check that Docker answers (npm run setup)"
    fi
    rm -rf "$ctx"
  fi
  docker push --quiet "$image" >/dev/null || fail "push $image" "docker push to the local registry failed" "check 127.0.0.1:$REGISTRY_PORT (scripts/cluster status)"
}
push_system_images() {
  docker image inspect "$HELPER_BASE" >/dev/null 2>&1 || fail "push system images" "the base image $HELPER_BASE is missing" "run npm run setup (it makes it)"
  system_image "$PAUSE_IMAGE" pause
  system_image "$COREDNS_IMAGE" coredns
  system_image "$LOCAL_PATH_IMAGE" local-path-provisioner
  system_image "$METRICS_SERVER_IMAGE" metrics-server
  docker tag "$HELPER_BASE" "$HELPER_IMAGE"
  docker push --quiet "$HELPER_IMAGE" >/dev/null || fail "push $HELPER_IMAGE" "docker push failed" "check 127.0.0.1:$REGISTRY_PORT"
}

# --- configuration -------------------------------------------------------------
write_node_config() {
  mkdir -p "$NODE_DIR/containerd/certs.d/127.0.0.1:$REGISTRY_PORT" "$NODE_DIR/cni/net.d" "$NODE_DIR/kubelet" "$NODE_DIR/pod-logs"
  cat >"$NODE_DIR/containerd/config.toml" <<EOF
# containerd $CONTAINERD_VERSION of berth's node (scripts/cluster.d/node.sh): its own socket, root and state.
version = 3
root = '$NODE_DIR/containerd/root'
state = '$CTD_STATE'
imports = []
[grpc]
  address = '$CTD_SOCK'
[ttrpc]
  address = '$CTD_SOCK.ttrpc'
[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = '$PAUSE_IMAGE'
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = '$NODE_DIR/containerd/certs.d'
[plugins.'io.containerd.cri.v1.runtime']
  netns_mounts_under_state_dir = true
  # never below containerd's own: without CAP_SYS_RESOURCE (as on this machine)
  # runc cannot lower a pod's oom_score_adj and every pod would fail to start
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
    runtime_type = 'io.containerd.runc.v2'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
      BinaryName = '$RUNC'
      Root = '$CTD_STATE/runc'
      SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ['$BIN/cni']
    conf_dir = '$NODE_DIR/cni/net.d'
[plugins.'io.containerd.nri.v1.nri']
  disable = true
[plugins.'io.containerd.internal.v1.opt']
  path = '$NODE_DIR/containerd/opt'
EOF
  # the local registry speaks plain HTTP
  cat >"$NODE_DIR/containerd/certs.d/127.0.0.1:$REGISTRY_PORT/hosts.toml" <<EOF
server = "http://127.0.0.1:$REGISTRY_PORT"
[host."http://127.0.0.1:$REGISTRY_PORT"]
  capabilities = ["pull", "resolve"]
EOF
  # firewall: pod traffic passes the FORWARD chain, whose policy Docker sets to DROP
  cat >"$NODE_DIR/cni/net.d/10-berth.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "berth",
  "plugins": [
    {
      "type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": true, "ipMasqBackend": "iptables", "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$POD_SUBNET" }]], "routes": [{ "dst": "0.0.0.0/0" }], "dataDir": "$NODE_DIR/cni/ipam" }
    },
    { "type": "portmap", "capabilities": { "portMappings": true }, "backend": "iptables" },
    { "type": "firewall", "backend": "iptables" }
  ]
}
EOF
  cat >"$NODE_DIR/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# this machine has cgroup v1 and no systemd as PID 1
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$CTD_SOCK
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
# its serving certificate, signed by the cluster CA (not self-signed): metrics-server
# and the API server verify it
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
clusterDomain: cluster.local
clusterDNS: [$CLUSTER_DNS]
resolvConf: /etc/resolv.conf
podLogsDir: $NODE_DIR/pod-logs
failSwapOn: false
serializeImagePulls: false
# a busy development machine is not a reason to evict test pods
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}
imageGCHighThresholdPercent: 98
imageGCLowThresholdPercent: 95
EOF
  cat >"$NODE_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: $STATE/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
clusterCIDR: $POD_CIDR
# NodePorts answer on 127.0.0.1 (kube-proxy sets route_localnet) and on the node's address
nodePortAddresses: [127.0.0.0/8, $NODE_IP/32]
# leave the host's conntrack table sizes alone
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
}

# --- start -----------------------------------------------------------------------
node_address_up() {
  ip -4 addr show dev lo | grep -q " $NODE_IP/32 " || ip addr add "$NODE_IP/32" dev lo
}

ctr_() { "$BIN/ctr" --address "$CTD_SOCK" -n k8s.io "$@"; }

# containerd and the node's processes find the runc shim and CNI plugins through PATH.
node_start_runtime() { # t0
  local t0=$1
  node_prerequisites
  node_cleanup quiet   # what a crash left (nothing, after a clean stop)
  node_address_up
  # The CNI firewall plugin accepts its pods' traffic in FORWARD; where it
  # inserts that rule (at the top, at the first pod) it comes before
  # kube-proxy's, which reject a connection to a Service without ready
  # endpoints. Appended here first (the plugin keeps an existing rule), it
  # comes after them: a dependent's wait-for really waits (on this machine an
  # accepted SYN to a Service address leaves by the default route, where
  # something answers every TCP connection).
  iptables -t filter -N CNI-FORWARD 2>/dev/null || true
  iptables -t filter -C FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD 2>/dev/null ||
    iptables -t filter -A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD
  # A pod's connection to a Service address that kube-proxy did not DNAT (a
  # Service without ready endpoints) must fail, as kube-proxy's REJECT makes
  # it. kube-router puts its ACCEPT of policy-compliant traffic at the top of
  # FORWARD, before that REJECT, so such a SYN would leave by the default route
  # (where this machine answers every TCP connection) and a wait-for would
  # pass. Routing decides first, whatever the rule order: from the pods'
  # bridge, the Service range is unreachable ("No route to host" at once);
  # DNATed connections have a pod address by then, and the host's own traffic
  # is untouched.
  ip route replace unreachable "$SERVICE_CIDR" table "$SERVICE_ROUTE_TABLE"
  ip rule show priority "$SERVICE_ROUTE_TABLE" | grep -q . ||
    ip rule add iif "$CNI_BRIDGE" to "$SERVICE_CIDR" lookup "$SERVICE_ROUTE_TABLE" priority "$SERVICE_ROUTE_TABLE"
  [ -f "$STATE/run/route_localnet.before" ] || sysctl -n net.ipv4.conf.all.route_localnet >"$STATE/run/route_localnet.before"
  write_node_config
  mkdir -p "$CTD_STATE"
  PATH="$BIN:$PATH" launch containerd --config "$NODE_DIR/containerd/config.toml" --log-level warn
  wait_for "containerd" 60 containerd ctr_ version
  say "containerd $CONTAINERD_VERSION up on $CTD_SOCK ($(elapsed_since "$t0")s)"
}

node_start_kubelet() { # t0
  local t0=$1
  launch kubelet --config="$NODE_DIR/kubelet/config.yaml" --kubeconfig="$STATE/kubelet.kubeconfig" \
    --root-dir="$NODE_DIR/kubelet" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=1
  launch kube-proxy --config="$NODE_DIR/kube-proxy.yaml" --v=1
  wait_for "node $NODE_NAME Ready" 120 kubelet node_ready "$NODE_NAME"
  say "node $NODE_NAME Ready: kubelet and kube-proxy $K8S_VERSION ($(elapsed_since "$t0")s)"
}

node_ready() { [ "$(kubectl_ get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; }

# metrics-server's names in metrics.k8s.io (HPAs, kubectl top)
metrics_api_ready() { kubectl_ top pods -n kube-system -l k8s-app=metrics-server --no-headers | grep -q 'metrics-server'; }

# CoreDNS, the storage provisioner and metrics-server, from cluster.d/addons.yaml;
# waits until they run and metrics.k8s.io answers with the pods' usage.
node_start_addons() { # t0
  local t0=$1
  # metrics-server's serving certificate and key (the PKI's): a Secret its pod mounts
  kubectl_ create secret tls metrics-server-tls -n kube-system --cert="$PKI/metrics-server.crt" --key="$PKI/metrics-server.key" \
    --dry-run=client -o yaml | kubectl_ apply -f - >/dev/null
  sed -e "s|@COREDNS_IMAGE@|$COREDNS_IMAGE|g" -e "s|@LOCAL_PATH_IMAGE@|$LOCAL_PATH_IMAGE|g" -e "s|@HELPER_IMAGE@|$HELPER_IMAGE|g" \
    -e "s|@METRICS_SERVER_IMAGE@|$METRICS_SERVER_IMAGE|g" -e "s|@CA_BUNDLE@|$(base64 -w0 "$PKI/ca.crt")|g" \
    -e "s|@CLUSTER_DNS@|$CLUSTER_DNS|g" -e "s|@VOLUMES_DIR@|$VOLUMES_DIR|g" -e "s|@STORAGE_CLASS@|$STORAGE_CLASS|g" \
    "$BERTH_REPO/scripts/cluster.d/addons.yaml" | kubectl_ apply -f - >/dev/null
  wait_for "CoreDNS, the storage provisioner and metrics-server" 180 kubelet \
    kubectl_ wait --for=condition=Available --timeout=5s -n kube-system deployment/coredns deployment/local-path-provisioner deployment/metrics-server
  say "CoreDNS $COREDNS_VERSION, local-path-provisioner $LOCAL_PATH_VERSION and metrics-server $METRICS_SERVER_VERSION running ($(elapsed_since "$t0")s)"
  # Until metrics.k8s.io answers, API discovery is incomplete (a namespace
  # cannot be deleted meanwhile) and an HPA has no metrics.
  wait_for "metrics.k8s.io through the API server (kubectl top)" 120 kubelet metrics_api_ready
  say "metrics.k8s.io answers: kubectl top, HPAs on cpu and memory ($(elapsed_since "$t0")s)"
  # NetworkPolicies: kube-router's policy controller alone (no routing, no
  # service proxy: the bridge CNI and kube-proxy do those), a host process like
  # kube-proxy, with its own identity (addons.yaml gives it read access).
  launch kube-router --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
    --kubeconfig="$STATE/kube-router.kubeconfig" --hostname-override="$NODE_NAME" \
    --service-cluster-ip-range="$SERVICE_CIDR" --health-port=0 --metrics-port=0 --v=1
  wait_for "kube-router's NetworkPolicy rules" 60 kube-router netpol_enforced
  say "kube-router $KUBE_ROUTER_VERSION enforces NetworkPolicies (iptables + ipset) ($(elapsed_since "$t0")s)"
}

# kube-router has synced once: its FORWARD chain exists and FORWARD jumps to it.
netpol_enforced() { iptables -S FORWARD 2>/dev/null | grep -q -- '-j KUBE-ROUTER-FORWARD'; }

# --- stop and cleanup ----------------------------------------------------------------
# Pods go through the kubelet while the API server still answers: it stops
# their containers and runs CNI DEL (which takes away their iptables rules).
node_drain() {
  node_ready "$NODE_NAME" || return 0
  say "removing the pods of node $NODE_NAME"
  kubectl_ cordon "$NODE_NAME" >/dev/null 2>&1 || true
  kubectl_ delete pods --all-namespaces --field-selector "spec.nodeName=$NODE_NAME" \
    --grace-period=5 --wait=true --timeout=90s >/dev/null 2>&1 || say "  some pods did not stop in 90s: removing them by force"
}

mounts_under() { # prefix...: mount points below these folders, deepest first
  local p
  for p in "$@"; do awk -v p="$p/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo; done | sort -r | uniq
}

# Takes away everything the node added to the host (see the top). Safe when
# nothing runs and when nothing was ever started; touches no other runtime's
# containers (Docker's containerd has its own socket, state and namespace).
node_cleanup() { # [quiet]
  local quiet=${1:-} pid exe m n=0
  # the shims and the containers under them (runc's init processes are children of our shims)
  for pid in $(pgrep -f -- "-address $CTD_SOCK" || true); do
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
    case "$exe" in "$BIN/containerd-shim-runc-v2"*) pkill -KILL -P "$pid" 2>/dev/null || true; kill -KILL "$pid" 2>/dev/null || true; n=$((n + 1)) ;; esac
  done
  [ -n "$quiet" ] || [ $n = 0 ] || say "ended $n containerd shim(s)"
  "$RUNC" --root "$CTD_STATE/runc/k8s.io" list -q 2>/dev/null | while read -r c; do "$RUNC" --root "$CTD_STATE/runc/k8s.io" delete -f "$c" 2>/dev/null || true; done
  while read -r m; do [ -n "$m" ] && umount -l "$m" 2>/dev/null || true; done < <(mounts_under "$NODE_DIR" "$CTD_STATE" "$VOLUMES_DIR")
  rm -rf "$CTD_STATE"
  # iptables: kube-proxy's own cleanup, then every chain named KUBE-* (the
  # kubelet's KUBE-FIREWALL and canaries) or CNI-* (bridge ipMasq, portmap,
  # firewall) with the rules that jump to them
  [ -x "$BIN/kube-proxy" ] && "$BIN/kube-proxy" --cleanup --v=0 >/dev/null 2>&1 || true
  local table chain chains
  for table in filter nat mangle; do
    iptables-save -t "$table" 2>/dev/null | sed -n -E '/^-A .* -j (KUBE|CNI)-/s/^-A/-D/p' | while read -r rule; do
      eval "iptables -t $table $rule" 2>/dev/null || true
    done
    chains=$(iptables-save -t "$table" 2>/dev/null | sed -n -E 's/^:((KUBE|CNI)-[^ ]*) .*/\1/p')
    for chain in $chains; do iptables -t "$table" -F "$chain" 2>/dev/null || true; done
    for chain in $chains; do iptables -t "$table" -X "$chain" 2>/dev/null || true; done
  done
  # kube-router's ipsets (KUBE-SRC-*, KUBE-DST-*, ...), free once no rule uses them
  if command -v ipset >/dev/null; then
    for m in $(ipset list -n 2>/dev/null | grep -E '^(KUBE-|kube-router)' || true); do ipset destroy "$m" 2>/dev/null || true; done
  fi
  # kube-proxy turns on route_localnet (NodePorts on 127.0.0.1): back to what it was
  if [ -f "$STATE/run/route_localnet.before" ]; then
    sysctl -qw "net.ipv4.conf.all.route_localnet=$(cat "$STATE/run/route_localnet.before")" || true
    rm -f "$STATE/run/route_localnet.before"
  fi
  ip link show "$CNI_BRIDGE" >/dev/null 2>&1 && ip link del "$CNI_BRIDGE"
  while ip rule show priority "$SERVICE_ROUTE_TABLE" | grep -q .; do ip rule del priority "$SERVICE_ROUTE_TABLE" || break; done
  ip route flush table "$SERVICE_ROUTE_TABLE" 2>/dev/null || true
  ip -4 addr show dev lo | grep -q " $NODE_IP/32 " && ip addr del "$NODE_IP/32" dev lo
  rm -rf "$NODE_DIR/cni/ipam"
  # the kubelet's QoS cgroups, empty once their pods are gone
  for m in /sys/fs/cgroup/*/kubepods; do
    [ -d "$m" ] && find "$m" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  return 0
}

# What runs on the node, for `scripts/cluster status`.
node_status() {
  local ready
  ready=$(kubectl_ get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
  echo "node:      $NODE_NAME ($NODE_IP) Ready=${ready:-unknown}; containerd $CTD_SOCK"
  kubectl_ get pods --all-namespaces --field-selector "spec.nodeName=$NODE_NAME" \
    -o custom-columns='NAMESPACE:.metadata.namespace,POD:.metadata.name,PHASE:.status.phase,IP:.status.podIP,RESTARTS:.status.containerStatuses[*].restartCount' 2>/dev/null | sed 's/^/  /'
}
