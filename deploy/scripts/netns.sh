# Network namespaces that cannot reach anything outside this machine, for the
# container engine and the test cluster. Sourced after lib.sh.
#
# A namespace made here holds loopback and whatever its engine adds inside it
# (bridges, veth pairs to its own containers, a dummy node address), never a
# link to the host's network and never a default route: a packet for an
# address that is not in it, a cluster IP that no rule has caught yet, say, has
# nowhere to go and is dropped. netns_sealed checks that before anything starts
# in it, and again before the tests run.

# netns_create NAME: creates the namespace (or reuses it) with loopback up.
netns_create() {
  local name="$1"
  need_package ip iproute2
  ip netns list | grep -qw "^$name" || ip netns add "$name" || die "could not create network namespace $name (needs root)"
  ip -n "$name" link set lo up
  netns_sealed "$name"
}

# netns_sealed NAME: fails unless the namespace has no default route (IPv4
# and IPv6), no route through a gateway, and no interface whose other end is
# in the host's namespace (a veth pair between the two).
netns_sealed() {
  local name="$1" routes links
  routes="$( (ip -n "$name" -4 route show table all; ip -n "$name" -6 route show table all) 2>/dev/null)"
  if grep -Eq '^(default|0\.0\.0\.0/0|::/0)|\svia\s' <<<"$routes"; then
    die "network namespace $name has a route off this machine; refusing to go on:
$(grep -E '^(default|0\.0\.0\.0/0|::/0)|\svia\s' <<<"$routes")"
  fi
  # A veth's other end must not be in the host's namespace.
  if ip -o link show | grep -E "link-netns $name\b" | grep -q .; then
    die "a host interface is linked into network namespace $name; refusing to go on"
  fi
}

# netns_delete NAME: removes the namespace (its interfaces go with it).
netns_delete() {
  ip netns list | grep -qw "^$1" && ip netns delete "$1" || true
}

# netns_cmd NAME: sets NETNS_CMD to the command prefix that runs a program in
# the namespace as the same process (so that `"${NETNS_CMD[@]}" prog &` gives
# prog's pid in $!). Only the network namespace changes (nsenter), not the
# mount namespace as with `ip netns exec`: the engines and the kubelet must
# see each other's mounts (a pod's secret volumes) and the cgroup hierarchies.
netns_cmd() {
  NETNS_CMD=(nsenter "--net=/run/netns/$1" --)
}
