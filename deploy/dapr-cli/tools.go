//go:build tools

// Package tools pins the dapr CLI as a dependency of this module, so that
// go.mod and go.sum record exactly what `go build github.com/dapr/cli` uses.
package tools

import _ "github.com/dapr/cli"
