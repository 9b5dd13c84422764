// etcd for the test cluster: the etcd server of the version Kubernetes itself
// requires, built from its Go module (etcd's own main does no more than this).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
