package components

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/dapr/dapr/pkg/healthz"
	healthzserver "github.com/dapr/dapr/pkg/healthz/server"
	"github.com/dapr/kit/logger"
)

// The control plane's healthz server (placement, scheduler and sentry run it)
// with deploy/dapr/patches/healthz-listen-address.patch: started for
// 127.0.0.1, it serves /healthz there and leaves the same port free on every
// other address (127.0.0.2 stands for them: a wildcard bind takes the port on
// all of them, and the second bind fails).
func TestHealthzServerBindsItsListenAddress(t *testing.T) {
	port := freePort(t)
	h := healthz.New()
	server := healthzserver.New(healthzserver.Options{
		Log:           logger.NewLogger("listen-test"),
		ListenAddress: "127.0.0.1",
		Port:          port,
		Healthz:       h,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
	deadline := time.Now().Add(5 * time.Second)
	var status int
	for time.Now().Before(deadline) {
		res, err := http.Get(url)
		if err == nil {
			status = res.StatusCode
			res.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Its own target (healthz-server) reports ready once it listens.
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", url, status)
	}

	other, err := net.Listen("tcp", net.JoinHostPort("127.0.0.2", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("port %d is taken on 127.0.0.2 too: the healthz server bound every interface (%v)", port, err)
	}
	other.Close()
}

// A port nothing listens on at the moment, on loopback.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
