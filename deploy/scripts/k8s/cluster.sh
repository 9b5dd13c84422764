# A real single-node Kubernetes cluster for the tests, built from Go modules
# and run inside a sealed network namespace. Sourced after lib.sh and netns.sh.
#
#   cluster_build   the binaries, cached in $CACHE_DIR/k8s-cluster-<version>:
#                   kube-apiserver, kube-controller-manager, kube-scheduler,
#                   kubelet, kube-proxy and kubectl from k8s.io/kubernetes, etcd
#                   at the version Kubernetes requires (deploy/k8s/cluster),
#                   CoreDNS, kube-router (its NetworkPolicy controller only) and
#                   Helm, each from its own Go module
#   cluster_up      the node: network namespace logistics-k8s (loopback, a
#                   bridge holding the node address, the pod bridge;
#                   no route off this machine), etcd, the control plane,
#                   containerd (Debian's, CRI) with runc and the CNI bridge
#                   plugin, kubelet, kube-proxy (iptables), kube-router
#                   enforcing NetworkPolicies, CoreDNS serving cluster.local
#                   (a Deployment, k8s/coredns.yaml)
#   cluster_down    stops everything cluster_up started, by pid, removes the
#                   pods' containers and the namespace
#   kc ...          kubectl against it (run inside the namespace)
#
# Everything the node keeps lives in $K8S_RUN (a fresh directory for each
# cluster_up) apart from containerd's image store, which is cached, and the
# logs, in $K8S_LOGS.

K8S_VERSION=1.36.3
K8S_NETNS=logistics-k8s
K8S_NODE_IP=192.0.2.10 # TEST-NET-1: an address that exists nowhere but in the namespace
K8S_NODE_NAME=logistics-node
K8S_POD_CIDR=10.244.0.0/24
K8S_SERVICE_CIDR=10.96.0.0/16
K8S_API_SERVICE_IP=10.96.0.1
K8S_DNS_IP=10.96.0.10
K8S_BIN="$CACHE_DIR/k8s-cluster-v$K8S_VERSION/bin"
K8S_TOOLS="$CACHE_DIR/k8s-cluster-v$K8S_VERSION/tools"
K8S_RUN=/run/logistics-k8s
K8S_LOGS="${K8S_LOGS:-$ROOT_DIR/.dapr/k8s/logs}"
K8S_IMAGES="$CACHE_DIR/k8s-node/containerd"
HELM_VERSION=3.22.0
COREDNS_VERSION=1.15.0
KUBE_ROUTER_VERSION=2.1.0

k8s_say() { printf '[k8s] %s\n' "$*" >&2; }

# What the binaries are built from: a change to deploy/k8s/cluster rebuilds.
cluster_source_stamp() {
  cat "$ROOT_DIR/deploy/k8s/cluster/go.mod" "$ROOT_DIR/deploy/k8s/cluster/go.sum" \
    "$ROOT_DIR/deploy/k8s/cluster/etcd/main.go" | sha256sum | cut -d' ' -f1
  echo "helm $HELM_VERSION coredns $COREDNS_VERSION kube-router $KUBE_ROUTER_VERSION"
}

# One build at a time (.ci/run starts one ahead, in the background): a second
# caller waits for the first and finds the binaries built.
cluster_build() {
  local stamp; stamp="$(cluster_source_stamp)"
  [ "$(cat "$K8S_BIN/.source" 2>/dev/null)" = "$stamp" ] && return 0
  mkdir -p "$CACHE_DIR/k8s-cluster-v$K8S_VERSION"
  (
    flock 9
    [ "$(cat "$K8S_BIN/.source" 2>/dev/null)" = "$stamp" ] || cluster_build_now "$stamp"
  ) 9>"$CACHE_DIR/k8s-cluster-v$K8S_VERSION/build.lock"
}

cluster_build_now() {
  local stamp="$1"
  need_go_toolchain
  local started=$SECONDS work="$CACHE_DIR/k8s-cluster-v$K8S_VERSION/module"
  k8s_say "building Kubernetes $K8S_VERSION and etcd from their Go modules (first time: 15-20 minutes on 2 cores)"
  rm -rf "$work" && mkdir -p "$work" "$K8S_BIN" "$K8S_TOOLS"
  cp -R "$ROOT_DIR/deploy/k8s/cluster/." "$work/"
  # kubectl and the components parse their own version: stamp it as
  # Kubernetes' release build does.
  local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=${K8S_VERSION%%.*}"
  ldflags+=" -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$K8S_VERSION") -X k8s.io/component-base/version.gitTreeState=clean"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION"
  (cd "$work" && go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$K8S_BIN/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy \
    k8s.io/kubernetes/cmd/kubectl ./etcd) || die "building Kubernetes failed"
  k8s_say "  Kubernetes and etcd built in $((SECONDS - started))s"
  local module
  for module in "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION" "github.com/coredns/coredns@v$COREDNS_VERSION" \
    "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@v$KUBE_ROUTER_VERSION"; do
    GOBIN="$K8S_TOOLS" go install -trimpath -ldflags "-s -w" "$module" || die "building $module failed"
  done
  echo "$stamp" >"$K8S_BIN/.source"
  k8s_say "built the cluster's binaries in $((SECONDS - started))s"
}

need_go_toolchain() {
  have go || die "Go is needed to build the test cluster: install Go >= 1.26"
  export GOTOOLCHAIN="${GOTOOLCHAIN_OVERRIDE:-auto}" GOFLAGS="-buildvcs=false"
}

# kubectl inside the namespace, as the cluster's administrator.
kc() { ip netns exec "$K8S_NETNS" "$K8S_BIN/kubectl" --kubeconfig "$K8S_RUN/pki/admin.kubeconfig" "$@"; }

# A process of the node, in the namespace, in the background; its pid is kept
# for cluster_down and its output goes to $K8S_LOGS/<name>.log.
k8s_start() {
  local name="$1"; shift
  netns_cmd "$K8S_NETNS"
  "${NETNS_CMD[@]}" "$@" >"$K8S_LOGS/$name.log" 2>&1 </dev/null &
  echo "$!" >>"$K8S_RUN/pids"
}

# Waits up to $2 seconds for command $3... to succeed; names it $1 when not.
k8s_wait() {
  local what="$1" limit="$2" waited=0; shift 2
  until "$@" >/dev/null 2>&1; do
    waited=$((waited + 1))
    [ "$waited" -le "$limit" ] || die "$what not ready within ${limit}s (logs in $K8S_LOGS)"
    sleep 1
  done
}

# The cluster's certificate authority and the certificates signed by it: the
# API server's serving certificate, one client certificate for the
# administrator and the components (group system:masters), a client
# certificate for the kubelet (system:node:<name>, group system:nodes), and
# the key that signs service account tokens.
k8s_pki() {
  local pki="$K8S_RUN/pki"
  mkdir -p "$pki" && chmod 700 "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=logistics-test-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    sign() { # name subject [extensions]
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
      printf '%s\n' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 2 -extfile "$1.ext" 2>/dev/null
    }
    sign apiserver "/CN=kube-apiserver" "subjectAltName=IP:$K8S_NODE_IP,IP:$K8S_API_SERVICE_IP,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth"
    sign admin "/O=system:masters/CN=logistics-admin" "extendedKeyUsage=clientAuth"
    sign kubelet "/O=system:nodes/CN=system:node:$K8S_NODE_NAME" "subjectAltName=IP:$K8S_NODE_IP,DNS:$K8S_NODE_NAME
extendedKeyUsage=clientAuth,serverAuth"
    openssl genrsa -out sa.key 2048 2>/dev/null && openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    # The test's mail relay on the node (STARTTLS; the binding skips
    # verifying it, as a development relay's).
    sign mailbox "/CN=$K8S_NODE_IP" "subjectAltName=IP:$K8S_NODE_IP
extendedKeyUsage=serverAuth"
    kubeconfig() { # file cert
      cat >"$1" <<YAML
apiVersion: v1
kind: Config
clusters:
  - name: logistics
    cluster: {server: "https://$K8S_NODE_IP:6443", certificate-authority: "$pki/ca.crt"}
users:
  - name: user
    user: {client-certificate: "$pki/$2.crt", client-key: "$pki/$2.key"}
contexts:
  - name: logistics
    context: {cluster: logistics, user: user}
current-context: logistics
YAML
    }
    kubeconfig admin.kubeconfig admin
    kubeconfig kubelet.kubeconfig kubelet
  )
}

# The namespace and its addresses: the node address on an empty bridge,
# forwarding on, bridged traffic through iptables (kube-proxy's rules and
# kube-router's policies see pod-to-pod packets).
k8s_network() {
  netns_create "$K8S_NETNS"
  # A bridge with no ports holds the node address (the kernel here has no
  # dummy interfaces): local to the node, reachable from the pods through
  # their gateway.
  ip -n "$K8S_NETNS" link show node0 >/dev/null 2>&1 || ip -n "$K8S_NETNS" link add node0 type bridge
  ip -n "$K8S_NETNS" addr replace "$K8S_NODE_IP/32" dev node0
  ip -n "$K8S_NETNS" link set node0 up
  # Services' cluster IPs, for the node's own processes (the API server
  # calling a webhook, the tests): a route to the empty bridge, so that the
  # packet exists for kube-proxy's rules to rewrite; without it there is no
  # route at all, and nowhere else for it to go.
  ip -n "$K8S_NETNS" route replace "$K8S_SERVICE_CIDR" dev node0
  ip netns exec "$K8S_NETNS" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.route_localnet=1
  ip netns exec "$K8S_NETNS" sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null \
    || k8s_say "note: net.bridge.bridge-nf-call-iptables is not settable here"
  netns_sealed "$K8S_NETNS"
}

k8s_containerd() {
  mkdir -p "$K8S_RUN/cni/net.d" "$K8S_IMAGES"
  cat >"$K8S_RUN/cni/net.d/10-logistics.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "logistics",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$K8S_POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
  cat >"$K8S_RUN/containerd.toml" <<TOML
version = 2
root = "$K8S_IMAGES"
state = "$K8S_RUN/containerd"
[grpc]
  address = "$K8S_RUN/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "logistics/pause:$K8S_VERSION"
  restrict_oom_score_adj = true
  # The pods' network namespaces under the state directory, so that
  # cluster_down finds every one of them (not in /run/netns, with others').
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$K8S_RUN/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
TOML
  k8s_start containerd containerd --config "$K8S_RUN/containerd.toml" --log-level warn
  k8s_wait containerd 30 ctr_k8s version
}

ctr_k8s() { ip netns exec "$K8S_NETNS" ctr --address "$K8S_RUN/containerd.sock" --namespace k8s.io "$@"; }

# The pod sandbox image: a static program that waits for a signal, built
# with Go; containerd's default would be pulled.
k8s_pause_image() {
  ctr_k8s images inspect "logistics/pause:$K8S_VERSION" >/dev/null 2>&1 && return 0
  local dir="$K8S_RUN/pause"
  mkdir -p "$dir/rootfs"
  cat >"$dir/main.go" <<'GO'
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	<-signals
}
GO
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o rootfs/pause main.go) || die "building the pause program failed"
  tar -C "$dir/rootfs" --owner=0 --group=0 -c pause | docker import -c 'ENTRYPOINT ["/pause"]' -c 'USER 65535:65535' - "logistics/pause:$K8S_VERSION" >/dev/null
  docker save "logistics/pause:$K8S_VERSION" | ctr_k8s images import - >/dev/null
}

# Imports images from the Docker engine into containerd's k8s.io namespace.
k8s_load_images() {
  docker save "$@" | ctr_k8s images import --no-unpack - >/dev/null || die "importing $* into containerd failed"
}

k8s_control_plane() {
  local pki="$K8S_RUN/pki"
  mkdir -p "$K8S_RUN/etcd"
  k8s_start etcd "$K8S_BIN/etcd" --data-dir "$K8S_RUN/etcd" --listen-client-urls http://127.0.0.1:2379 \
    --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
    --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster default=http://127.0.0.1:2380 \
    --listen-metrics-urls http://127.0.0.1:2381 --log-level warn --unsafe-no-fsync
  k8s_wait etcd 30 ip netns exec "$K8S_NETNS" bash -c 'exec 3<>/dev/tcp/127.0.0.1/2379'
  k8s_start kube-apiserver "$K8S_BIN/kube-apiserver" --etcd-servers http://127.0.0.1:2379 \
    --advertise-address "$K8S_NODE_IP" --bind-address 0.0.0.0 --secure-port 6443 \
    --service-cluster-ip-range "$K8S_SERVICE_CIDR" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" --client-ca-file "$pki/ca.crt" \
    --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --kubelet-preferred-address-types InternalIP --allow-privileged=true --profiling=false --v 1
  k8s_wait kube-apiserver 90 kc get --raw /readyz
  k8s_start kube-controller-manager "$K8S_BIN/kube-controller-manager" --kubeconfig "$pki/admin.kubeconfig" \
    --authentication-kubeconfig "$pki/admin.kubeconfig" --authorization-kubeconfig "$pki/admin.kubeconfig" \
    --bind-address 127.0.0.1 --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --use-service-account-credentials --controllers '*,-node-ipam-controller' --leader-elect=false --v 1
  k8s_start kube-scheduler "$K8S_BIN/kube-scheduler" --kubeconfig "$pki/admin.kubeconfig" \
    --authentication-kubeconfig "$pki/admin.kubeconfig" --authorization-kubeconfig "$pki/admin.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --v 1
}

k8s_node() {
  local pki="$K8S_RUN/pki"
  mkdir -p "$K8S_RUN/kubelet" "$K8S_RUN/pods"
  cat >"$K8S_RUN/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $K8S_NODE_IP
port: 10250
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$pki/ca.crt"}
authorization: {mode: Webhook}
tlsCertFile: "$pki/kubelet.crt"
tlsPrivateKeyFile: "$pki/kubelet.key"
cgroupDriver: cgroupfs
failCgroupV1: false
clusterDNS: ["$K8S_DNS_IP"]
clusterDomain: cluster.local
resolvConf: "$K8S_RUN/resolv.conf"
podLogsDir: "$K8S_RUN/pods"
containerRuntimeEndpoint: "unix://$K8S_RUN/containerd.sock"
imageGCHighThresholdPercent: 100
evictionHard: {"memory.available": "200Mi", "nodefs.available": "1%", "imagefs.available": "1%"}
failSwapOn: false
protectKernelDefaults: false
makeIPTablesUtilChains: false
localStorageCapacityIsolation: false
YAML
  # The pods' resolv.conf base: no upstream name servers (nothing outside
  # may be asked); cluster names go to CoreDNS (k8s_dns).
  printf 'nameserver %s\n' "$K8S_DNS_IP" >"$K8S_RUN/resolv.conf"
  k8s_start kubelet "$K8S_BIN/kubelet" --config "$K8S_RUN/kubelet.yaml" --kubeconfig "$pki/kubelet.kubeconfig" \
    --root-dir "$K8S_RUN/kubelet" --hostname-override "$K8S_NODE_NAME" --node-ip "$K8S_NODE_IP" --v 1
  cat >"$K8S_RUN/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "$pki/admin.kubeconfig"}
mode: iptables
clusterCIDR: 10.244.0.0/16
hostnameOverride: $K8S_NODE_NAME
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
conntrack: {maxPerCore: 0}
YAML
  k8s_start kube-proxy "$K8S_BIN/kube-proxy" --config "$K8S_RUN/kube-proxy.yaml" --v 1
  k8s_wait "the node" 120 kc wait --for=condition=Ready "node/$K8S_NODE_NAME" --timeout 1s
  kc patch node "$K8S_NODE_NAME" --type merge -p "{\"spec\":{\"podCIDR\":\"$K8S_POD_CIDR\",\"podCIDRs\":[\"$K8S_POD_CIDR\"]}}" >/dev/null
  # NetworkPolicies: kube-router's firewall only, once the node it runs for
  # is registered (the bridge plugin routes,
  # kube-proxy serves Services).
  k8s_start kube-router "$K8S_TOOLS/kube-router" --kubeconfig "$pki/admin.kubeconfig" \
    --run-firewall=true --run-router=false --run-service-proxy=false --hostname-override "$K8S_NODE_NAME" \
    --health-port 20244 --metrics-port 0 --v 1
}

# Cluster DNS: CoreDNS as a Deployment in kube-system (k8s/coredns.yaml),
# its image the binary cluster_build made on the base image.
k8s_dns() {
  if ! ctr_k8s images inspect logistics/coredns:test >/dev/null 2>&1; then
    local dir="$K8S_RUN/coredns-image"
    mkdir -p "$dir" && cp "$K8S_TOOLS/coredns" "$dir/"
    printf 'FROM logistics/base:bookworm\nCOPY coredns /coredns\nUSER 65532:65532\nENTRYPOINT ["/coredns"]\n' >"$dir/Dockerfile"
    docker build -q -t logistics/coredns:test "$dir" >/dev/null 2>&1 || die "building the CoreDNS image failed"
    k8s_load_images logistics/coredns:test
  fi
  kc apply -f "$ROOT_DIR/deploy/scripts/k8s/coredns.yaml" >/dev/null
  k8s_wait "CoreDNS" 120 kc -n kube-system wait --for=condition=Available deployment/coredns --timeout 1s
}

cluster_up() {
  [ "$(id -u)" = 0 ] || die "the test cluster needs root (network namespace, containers)"
  need_package containerd containerd
  need_package runc runc
  need_package iptables iptables
  need_package ipset ipset
  need_package conntrack conntrack
  [ -x /usr/lib/cni/bridge ] || need_package /usr/lib/cni/bridge containernetworking-plugins
  cluster_down # what an interrupted run left behind (its pid file)
  rm -rf "$K8S_RUN" && mkdir -p "$K8S_RUN" "$K8S_LOGS"
  local started=$SECONDS
  k8s_network
  k8s_pki
  k8s_control_plane
  k8s_containerd
  k8s_pause_image
  k8s_node
  k8s_dns
  netns_sealed "$K8S_NETNS"
  k8s_say "cluster up in $((SECONDS - started))s: node $K8S_NODE_NAME at $K8S_NODE_IP in network namespace $K8S_NETNS"
}

# The pids cluster_up recorded that still run the same program (a pid file
# of an earlier, interrupted run may name pids given to others since): the
# command line of each names this cluster's directory or binaries.
k8s_own_pids() {
  local pid
  for pid in $(tac "$K8S_RUN/pids" 2>/dev/null); do
    { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qE "$K8S_RUN|$K8S_BIN|$K8S_TOOLS" && echo "$pid"
  done
  return 0
}

# Stops what cluster_up started, newest first, and what the pods left.
cluster_down() {
  [ -f "$K8S_RUN/pids" ] || { netns_delete "$K8S_NETNS"; return 0; }
  # The pods' containers first, while containerd still runs: each task
  # killed and deleted, upon which its shim exits.
  if [ -S "$K8S_RUN/containerd.sock" ]; then
    local task
    for task in $(ctr_k8s tasks list -q 2>/dev/null); do ctr_k8s tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true; done
    sleep 1
    for task in $(ctr_k8s tasks list -q 2>/dev/null); do ctr_k8s tasks delete -f "$task" >/dev/null 2>&1 || true; done
  fi
  local pid pids
  pids="$(k8s_own_pids)"
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  local tries=0
  while [ -n "$(k8s_own_pids)" ] && [ "$tries" -lt 20 ]; do sleep 0.5; tries=$((tries + 1)); done
  for pid in $(k8s_own_pids); do kill -9 "$pid" 2>/dev/null || true; done
  # A shim that outlived containerd (by design they may), with whatever it
  # still runs: the shims of this cluster name its containerd's address.
  local shim child
  for shim in $(pgrep -f "containerd-shim-runc-v2 .*-address $K8S_RUN/containerd.sock" || true); do
    for child in $(pgrep -P "$shim" || true); do kill -9 "$child" 2>/dev/null || true; done
    kill -9 "$shim" 2>/dev/null || true
  done
  sleep 1
  { grep -E " $K8S_RUN" /proc/mounts || true; } | awk '{print $2}' | sort -r | while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
  rm -f "$K8S_RUN/pids"
  netns_delete "$K8S_NETNS"
  # The node's state (etcd's data, the kubelet's and containerd's), unless
  # something is still mounted there.
  grep -q " $K8S_RUN" /proc/mounts || rm -rf "$K8S_RUN"
}

# A broker or store of deploy/scripts/servers/ on the node, outside the
# cluster, as a managed one would be: in the namespace, listening on
# loopback and on the node address (SERVER_LISTEN_ADDRESS), with a password
# (FerretDB: on the node address only, without one), fresh data under
# $K8S_RUN. The pods reach it at $K8S_NODE_IP.
K8S_SERVER_PASSWORD=test-only-password
k8s_server_start() {
  local name="$1" out="$2" upper
  upper="$(tr '[:lower:]' '[:upper:]' <<<"$name")"
  server_install "$name"
  mkdir -p "$K8S_RUN/servers"
  netns_cmd "$K8S_NETNS"
  env "${upper}_DATA_DIR=$K8S_RUN/servers/$name" SERVER_LISTEN_ADDRESS="$K8S_NODE_IP" \
    POSTGRES_PASSWORD="$K8S_SERVER_PASSWORD" RABBITMQ_PASSWORD="$K8S_SERVER_PASSWORD" \
    "${NETNS_CMD[@]}" bash "$ROOT_DIR/deploy/scripts/server.sh" "$name" run >"$out/$name.log" 2>&1 </dev/null &
  echo "$!" >"$K8S_RUN/servers/$name.pid"
  k8s_wait "$name on the node" 120 env "${upper}_DATA_DIR=$K8S_RUN/servers/$name" SERVER_LISTEN_ADDRESS="$K8S_NODE_IP" \
    ip netns exec "$K8S_NETNS" bash "$ROOT_DIR/deploy/scripts/server.sh" "$name" ready
  k8s_say "$name listening on $K8S_NODE_IP for the pods"
}

k8s_server_stop() {
  local pid; pid="$(cat "$K8S_RUN/servers/$1.pid" 2>/dev/null)" || return 0
  kill "$pid" 2>/dev/null || true
  local tries=0
  while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 40 ]; do sleep 0.5; tries=$((tries + 1)); done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$K8S_RUN/servers/$1.pid"
}
