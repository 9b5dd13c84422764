package components

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dapr/dapr/pkg/expr"
	"github.com/dapr/dapr/pkg/resiliency"
	"github.com/dapr/dapr/pkg/resiliency/breaker"
	"github.com/dapr/kit/logger"
)

// The circuit breaker of this daprd's resiliency policies
// (pkg/resiliency/policy.go with deploy/dapr/patches/resiliency-breaker.patch),
// in front of a real HTTP server, called the way daprd's service invocation
// calls an app: a non-2xx answer becomes a resiliency.CodeError with its
// status. Upstream counts every such answer as a failure, so a run of 404s or
// of 503s ("busy, come back") opens the breaker and every later call to the
// app fails for the breaker's timeout. Ours counts only what says the app is
// unwell: transport errors, timeouts and 5xx answers other than 503.

// invokeVia calls path on srv through a policy built like daprd's app
// targets: a timeout, no retries, and the breaker under test.
func invokeVia(def *resiliency.PolicyDefinition, baseURL, path string) error {
	runner := resiliency.NewRunner[int](context.Background(), def)
	_, err := runner(func(ctx context.Context) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+path, nil)
		if err != nil {
			return 0, err
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode < 200 || res.StatusCode > 399 {
			return res.StatusCode, resiliency.NewCodeError(int32(res.StatusCode), fmt.Errorf("app answered %d: %s", res.StatusCode, body))
		}
		return res.StatusCode, nil
	})
	return err
}

func newBreakerPolicy(t *testing.T) *resiliency.PolicyDefinition {
	t.Helper()
	log := logger.NewLogger("breaker-test")
	log.SetOutputLevel(logger.FatalLevel)
	trip := &expr.Expr{}
	if err := trip.DecodeString("consecutiveFailures >= 3"); err != nil {
		t.Fatal(err)
	}
	cb := &breaker.CircuitBreaker{Name: "app", MaxRequests: 1, Interval: 10 * time.Second, Timeout: time.Minute, Trip: trip}
	cb.Initialize(log)
	return resiliency.NewPolicyDefinition(log, "app", 200*time.Millisecond, nil, cb)
}

func appServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(http.StatusOK)
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
		case "/invalid":
			w.WriteHeader(http.StatusUnprocessableEntity)
		case "/conflict":
			w.WriteHeader(http.StatusConflict)
		case "/busy":
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/broken":
			w.WriteHeader(http.StatusInternalServerError)
		case "/slow":
			time.Sleep(time.Second)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBreakerIgnoresClientErrorsAndBusyAnswers(t *testing.T) {
	srv := appServer(t)
	def := newBreakerPolicy(t)
	for _, path := range []string{"/missing", "/invalid", "/conflict", "/busy"} {
		for i := 0; i < 10; i++ {
			err := invokeVia(def, srv.URL, path)
			var cErr resiliency.CodeError
			if !errors.As(err, &cErr) {
				t.Fatalf("%s call %d: want the app's answer as a CodeError, got %v", path, i+1, err)
			}
		}
	}
	if err := invokeVia(def, srv.URL, "/ok"); err != nil {
		t.Fatalf("after 40 client errors and busy answers the app must still be called: %v", err)
	}
}

func TestBreakerOpensOnServerErrors(t *testing.T) {
	srv := appServer(t)
	def := newBreakerPolicy(t)
	for i := 0; i < 3; i++ {
		if err := invokeVia(def, srv.URL, "/broken"); breaker.IsErrorPermanent(err) {
			t.Fatalf("call %d: the breaker opened too early: %v", i+1, err)
		}
	}
	if err := invokeVia(def, srv.URL, "/ok"); !errors.Is(err, breaker.ErrOpenState) {
		t.Fatalf("after 3 server errors the breaker must be open, got %v", err)
	}
}

func TestBreakerOpensOnUnreachableApp(t *testing.T) {
	srv := appServer(t)
	def := newBreakerPolicy(t)
	url := srv.URL
	srv.Close() // nothing listens there any more: connections are refused
	for i := 0; i < 3; i++ {
		if err := invokeVia(def, url, "/ok"); err == nil || breaker.IsErrorPermanent(err) {
			t.Fatalf("call %d: want a refused connection, got %v", i+1, err)
		}
	}
	if err := invokeVia(def, url, "/ok"); !errors.Is(err, breaker.ErrOpenState) {
		t.Fatalf("after 3 refused connections the breaker must be open, got %v", err)
	}
}

func TestBreakerOpensOnTimeouts(t *testing.T) {
	srv := appServer(t)
	def := newBreakerPolicy(t)
	for i := 0; i < 3; i++ {
		if err := invokeVia(def, srv.URL, "/slow"); err == nil {
			t.Fatalf("call %d: want the policy's timeout", i+1)
		}
	}
	if err := invokeVia(def, srv.URL, "/ok"); !errors.Is(err, breaker.ErrOpenState) {
		t.Fatalf("after 3 timeouts the breaker must be open, got %v", err)
	}
}
