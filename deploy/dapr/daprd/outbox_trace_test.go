package components

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/dapr/components-contrib/state"
	"github.com/dapr/dapr/pkg/config"
	"github.com/dapr/dapr/pkg/config/protocol"
	diag "github.com/dapr/dapr/pkg/diagnostics"
	diagutils "github.com/dapr/dapr/pkg/diagnostics/utils"
	"github.com/dapr/dapr/pkg/resiliency"
	"github.com/dapr/dapr/pkg/runtime/channels"
	"github.com/dapr/dapr/pkg/runtime/compstore"
	rtpubsub "github.com/dapr/dapr/pkg/runtime/pubsub"
	"github.com/dapr/dapr/pkg/runtime/registry"
	"github.com/dapr/dapr/pkg/runtime/subscription"
	postmanhttp "github.com/dapr/dapr/pkg/runtime/subscription/postman/http"
)

// The W3C trace context through the transactional outbox (pkg/runtime/pubsub/
// outbox.go with deploy/dapr/patches/outbox-traceparent.patch), from the
// request that commits the state transaction to the app the event is
// delivered to. Needs Redis (REDIS_ADDR, see outbox_test.go), for the state.
//
// Both sides are daprd's own code: the producer's HTTP API tracing
// (diag.HTTPTraceMiddleware) and what its state transaction API hands the
// outbox (the traceparent and tracestate of its span for the request); the
// outbox's relay on the in-memory pub/sub (outboxRig); and the subscriber's
// daprd: its subscription to the topic (pkg/runtime/subscription), its HTTP
// postman, which starts the delivery's span, and its HTTP app channel, which
// sends the event to an app listening on 127.0.0.1. Spans go to an
// OpenTelemetry SDK tracer provider that records them.
//
// The delivered CloudEvent must carry the committing request's context in
// traceparent (the subscriber's daprd reads that field first and its
// traceid only when traceparent is absent), and tracestate; the subscriber's
// delivery span and the traceparent the app receives must be in the
// producer's trace. Dapr's outbox left traceparent empty, so the delivery
// started a trace of its own.

// The tracer provider of the test binary, recording every span. daprd's
// tracer (diag) is taken from the global provider once, so it is set once.
var (
	spanRecorderOnce sync.Once
	spanRecorder     *tracetest.SpanRecorder
)

func recordSpans() *tracetest.SpanRecorder {
	spanRecorderOnce.Do(func() {
		spanRecorder = tracetest.NewSpanRecorder()
		otel.SetTracerProvider(sdktrace.NewTracerProvider(
			sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithSpanProcessor(spanRecorder)))
	})
	return spanRecorder
}

// What an app receives from its daprd for one event.
type appDelivery struct {
	traceparent, tracestate string
	event                   map[string]any
}

// An app on 127.0.0.1 taking the events of one route, and the subscriber's
// daprd subscribed to the outbox's topic for it, with tracing on.
func subscribeApp(t *testing.T, r *outboxRig, spec *config.TracingSpec) <-chan appDelivery {
	const route = "/orders"
	received := make(chan appDelivery, 10)
	app := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.URL.Path != route {
			http.NotFound(w, req)
			return
		}
		d := appDelivery{traceparent: req.Header.Get("traceparent"), tracestate: req.Header.Get("tracestate")}
		if err := json.NewDecoder(req.Body).Decode(&d.event); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		received <- d
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"SUCCESS"}`))
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	app.Listener = l
	app.Start()
	t.Cleanup(app.Close)
	port, _ := strconv.Atoi(app.URL[len("http://127.0.0.1:"):])

	// The app channel as daprd makes it for --app-port with the HTTP protocol.
	ch := channels.New(channels.Options{
		Registry:       registry.New(registry.NewOptions()),
		ComponentStore: compstore.New(),
		AppConnectionConfig: config.AppConnectionConfig{
			ChannelAddress: "127.0.0.1", Port: port, Protocol: protocol.HTTPProtocol,
		},
		GlobalConfig:       &config.Configuration{Spec: config.ConfigurationSpec{TracingSpec: spec}},
		AppMiddleware:      func(next http.Handler) http.Handler { return next },
		MaxRequestBodySize: 4 << 20,
		ReadBufferSize:     4 << 10,
	})
	if err := ch.Refresh(); err != nil {
		t.Fatalf("app channel: %v", err)
	}
	adapter := busPublisher{r.bus}
	sub, err := subscription.New(subscription.Options{
		AppID:      "subscriber",
		PubSubName: "pubsub",
		Topic:      rigTopic,
		PubSub:     &rtpubsub.PubsubItem{Component: r.bus},
		Resiliency: resiliency.New(outboxTestLog),
		TraceSpec:  spec,
		Route:      rtpubsub.Subscription{PubsubName: "pubsub", Topic: rigTopic, Rules: []*rtpubsub.Rule{{Path: route}}},
		Adapter:    adapter,
		Postman:    postmanhttp.New(postmanhttp.Options{Tracing: spec, Channels: ch, Adapter: adapter}),
	})
	if err != nil {
		t.Fatalf("subscribe the app: %v", err)
	}
	t.Cleanup(func() { sub.Stop() })
	return received
}

func traceIDOf(traceparent string) string {
	sc, ok := diag.SpanContextFromW3CString(traceparent)
	if !ok {
		return "(no valid traceparent: " + strconv.Quote(traceparent) + ")"
	}
	return sc.TraceID().String()
}

func TestOutboxEventContinuesTheCommittingRequestsTrace(t *testing.T) {
	t.Parallel()
	recorder := recordSpans()
	spec := &config.TracingSpec{SamplingRate: "1"}
	r := newOutboxRig(t, redisStore(t), "state.redis")
	received := subscribeApp(t, r, spec)

	// The producer app's request to its daprd, in the app's trace.
	const (
		appTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
		appTraceID     = "0af7651916cd43dd8448eb211c80319c"
		appTracestate  = "logistics=outbox,vendor=t61rcWkgMzE"
	)
	// What daprd's state transaction API (pkg/api/http, pkg/api/grpc) does
	// with the outbox on: its span for the request gives the outbox the
	// trace context; then the transaction commits.
	var marker, committed string
	var commitErr error
	api := diag.HTTPTraceMiddleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		traceID, traceState := diag.TraceIDAndStateFromSpan(diagutils.SpanFromContext(req.Context()))
		committed = traceID
		var ops []state.TransactionalStateOperation
		ops, marker = r.beginTraced(req.Context(), t, "trace", traceID, traceState)
		if commitErr = r.commit(ops); commitErr != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}), "producer", *spec)
	req := httptest.NewRequest(http.MethodPost, "/v1.0/state/"+rigStore+"/transaction", nil)
	req.Header.Set("traceparent", appTraceparent)
	req.Header.Set("tracestate", appTracestate)
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	if commitErr != nil || rec.Code != http.StatusNoContent {
		t.Fatalf("commit: %v (status %d)", commitErr, rec.Code)
	}
	if traceIDOf(committed) != appTraceID {
		t.Fatalf("daprd's span for the transaction %s is not in the app's trace %s", committed, appTraceID)
	}

	// The CloudEvent the relay published, as the subscriber's daprd gets it.
	d := r.waitDelivery(t, marker, 15*time.Second)
	var event map[string]any
	if err := json.Unmarshal(d.data, &event); err != nil {
		t.Fatalf("the delivered event: %v", err)
	}
	traceparent, _ := event["traceparent"].(string)
	tracestate, _ := event["tracestate"].(string)
	traceid, _ := event["traceid"].(string)
	t.Logf("committed under %s; the delivered event has traceparent %q, traceid %q, tracestate %q", committed, traceparent, traceid, tracestate)
	if traceparent != committed {
		t.Errorf("the event's traceparent is %q, expected the committing request's %s", traceparent, committed)
	}
	if tracestate != appTracestate {
		t.Errorf("the event's tracestate is %q, expected %q", tracestate, appTracestate)
	}

	// What the app got from its daprd.
	var got appDelivery
	select {
	case got = <-received:
	case <-time.After(15 * time.Second):
		t.Fatal("the subscriber's daprd did not deliver the event to the app")
	}
	if id, _ := got.event["id"].(string); id != marker {
		t.Fatalf("the app got %s, expected %s", id, marker)
	}
	// (daprd's subscriber does not pass an event's tracestate on to the app,
	// whatever published it: its delivery span takes traceparent only.)
	t.Logf("the app got traceparent %q (trace %s), tracestate %q from its daprd", got.traceparent, traceIDOf(got.traceparent), got.tracestate)
	if traceIDOf(got.traceparent) != appTraceID {
		t.Errorf("the subscriber's daprd called the app in trace %s, not in the producer's %s", traceIDOf(got.traceparent), appTraceID)
	}

	// The subscriber daprd's span for the delivery: a child of the
	// producer daprd's span for the transaction.
	var delivery sdktrace.ReadOnlySpan
	for deadline := time.Now().Add(5 * time.Second); delivery == nil && time.Now().Before(deadline); {
		for _, s := range recorder.Ended() {
			if s.Name() == "pubsub/"+rigTopic && s.SpanContext().SpanID().String() == traceparentSpanID(got.traceparent) {
				delivery = s
			}
		}
		if delivery == nil {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if delivery == nil {
		t.Fatal("no span of the subscriber's daprd for the delivery")
	}
	committedSC, _ := diag.SpanContextFromW3CString(committed)
	t.Logf("the subscriber daprd's span %s: trace %s, parent %s", delivery.Name(), delivery.SpanContext().TraceID(), delivery.Parent().SpanID())
	if delivery.SpanContext().TraceID().String() != appTraceID {
		t.Errorf("the delivery's span is in trace %s, not in the producer's %s", delivery.SpanContext().TraceID(), appTraceID)
	}
	if delivery.Parent().SpanID() != committedSC.SpanID() || !delivery.Parent().IsRemote() {
		t.Errorf("the delivery's span has parent %s, expected the producer daprd's span %s", delivery.Parent().SpanID(), committedSC.SpanID())
	}
	r.waitHandled(t, marker, 15*time.Second)
}

func traceparentSpanID(traceparent string) string {
	sc, ok := diag.SpanContextFromW3CString(traceparent)
	if !ok {
		return ""
	}
	return sc.SpanID().String()
}
