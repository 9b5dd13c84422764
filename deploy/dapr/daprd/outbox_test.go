package components

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	contribpubsub "github.com/dapr/components-contrib/pubsub"
	pubsubinmemory "github.com/dapr/components-contrib/pubsub/in-memory"
	"github.com/dapr/components-contrib/state"
	statepgv1 "github.com/dapr/components-contrib/state/postgresql/v1"
	stateredis "github.com/dapr/components-contrib/state/redis"
	"github.com/dapr/dapr/pkg/apis/common"
	"github.com/dapr/dapr/pkg/apis/components/v1alpha1"
	"github.com/dapr/dapr/pkg/outbox"
	rtpubsub "github.com/dapr/dapr/pkg/runtime/pubsub"
	"github.com/dapr/kit/logger"
)

// The transactional outbox of this daprd (pkg/runtime/pubsub/outbox.go with
// deploy/dapr/patches/outbox-relay.patch), built with NewOutbox as daprd's
// runtime builds it, against real state stores. Needs Redis and PostgreSQL:
//   REDIS_ADDR=127.0.0.1:6479
//   POSTGRES_URL=postgres://postgres@127.0.0.1:5532/postgres?sslmode=disable
// (deploy/scripts/test-daprd-components.sh starts both and runs this). The
// outbox's internal topic and the topic it publishes to are on the in-memory
// pub/sub.
//
// What the relay must do: publish a transaction's message once the state
// transaction has committed, never before, and never for one that was rolled
// back. With the patch it also does so without Dapr's fixed 1 s wait
// (dapr/dapr#8233), gives a missing marker up after Dapr's 11 s, where
// Dapr's relay keeps reading the store in a tight loop, and waits for a store
// that does not answer instead of dropping the message after those 11 s.

const (
	outboxTable = "outbox_test_state"
	// Commit to delivery: Dapr's relay takes more than a second, ours a few ms.
	latencyBound = 300 * time.Millisecond
)

var outboxTestLog = func() logger.Logger {
	l := logger.NewLogger("outbox-test")
	l.SetOutputLevel(logger.FatalLevel)
	return l
}()

func needEnv(t *testing.T, name string) string {
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run deploy/scripts/test-daprd-components.sh, which starts Redis and PostgreSQL", name)
	}
	return v
}

func initStore(t *testing.T, s state.Store, props map[string]string) state.Store {
	md := state.Metadata{}
	md.Properties = props
	if err := s.Init(context.Background(), md); err != nil {
		t.Fatalf("init state store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func redisStore(t *testing.T) state.Store {
	return initStore(t, stateredis.NewRedisStateStore(outboxTestLog), map[string]string{
		"redisHost": needEnv(t, "REDIS_ADDR"), "redisPassword": "",
	})
}

func postgresStore(t *testing.T) state.Store {
	return initStore(t, statepgv1.NewPostgreSQLStateStore(outboxTestLog), map[string]string{
		"connectionString":  needEnv(t, "POSTGRES_URL"),
		"tableName":         outboxTable,
		"metadataTableName": outboxTable + "_metadata",
	})
}

// What reached the subscriber of the outbox's topic, and what the relay's
// handler of the internal topic returned; both by CloudEvent id (the marker's
// key, see PublishInternal).
type delivery struct {
	id   string
	at   time.Time
	data []byte // the CloudEvent as the subscriber's daprd receives it
}

type handled struct {
	id  string
	err error
	at  time.Time
}

// A look-up of a marker by the relay, and whether it found it.
type look struct {
	at    time.Time
	found bool
}

// The state store as the relay sees it, recording its look-ups of markers.
// Once the test is over it fails every call instead of passing it on to the
// store, which is closed then (a relay still looking would crash on it).
type watchedStore struct {
	state.Store
	mu    sync.Mutex
	looks map[string][]look
	gate  sync.RWMutex // held for reading by every call passed on
	over  bool
}

var errTestOver = errors.New("the test is over")

// Called before the store closes: returns once no call is in the store.
func (s *watchedStore) end() {
	s.gate.Lock()
	s.over = true
	s.gate.Unlock()
}

func (s *watchedStore) Get(ctx context.Context, req *state.GetRequest) (*state.GetResponse, error) {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.over {
		return nil, errTestOver
	}
	resp, err := s.Store.Get(ctx, req)
	if strings.HasPrefix(req.Key, "outbox-") {
		s.mu.Lock()
		s.looks[req.Key] = append(s.looks[req.Key], look{time.Now(), err == nil && resp != nil && len(resp.Data) > 0})
		s.mu.Unlock()
	}
	return resp, err
}

func (s *watchedStore) Delete(ctx context.Context, req *state.DeleteRequest) error {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.over {
		return errTestOver
	}
	return s.Store.Delete(ctx, req)
}

func (s *watchedStore) looksFor(key string) []look {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.looks[key])
}

// The outbox's pub/sub as the relay sees it, reporting what its handler returns.
type watchedPubSub struct {
	contribpubsub.PubSub
	handled chan<- handled
}

func (w watchedPubSub) Subscribe(ctx context.Context, req contribpubsub.SubscribeRequest, handler contribpubsub.Handler) error {
	return w.PubSub.Subscribe(ctx, req, func(ctx context.Context, msg *contribpubsub.NewMessage) error {
		err := handler(ctx, msg)
		w.handled <- handled{cloudEventID(msg.Data), err, time.Now()}
		return err
	})
}

// The outbox's pub/sub with the relay's deliveries held back: the test makes
// them itself, with the deadlines a broker would give them, and again, as a
// broker redelivers.
type heldRelay struct {
	contribpubsub.PubSub
	handler contribpubsub.Handler
	msgs    chan *contribpubsub.NewMessage
}

func (h *heldRelay) Subscribe(ctx context.Context, req contribpubsub.SubscribeRequest, handler contribpubsub.Handler) error {
	h.handler = handler
	return h.PubSub.Subscribe(ctx, req, func(_ context.Context, msg *contribpubsub.NewMessage) error {
		h.msgs <- msg
		return nil
	})
}

// daprd's publisher, reduced to what the outbox uses of it.
type busPublisher struct{ bus contribpubsub.PubSub }

func (p busPublisher) Publish(ctx context.Context, req *contribpubsub.PublishRequest, _ rtpubsub.TransportMode) error {
	return p.bus.Publish(ctx, req)
}

func (p busPublisher) BulkPublish(context.Context, *contribpubsub.BulkPublishRequest, rtpubsub.TransportMode) (contribpubsub.BulkPublishResponse, error) {
	return contribpubsub.BulkPublishResponse{}, errors.New("the outbox does not bulk publish")
}

func cloudEventID(data []byte) string {
	var ce struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(data, &ce)
	return ce.ID
}

// One app's outbox on one state store, with its relay subscribed and a
// subscriber on the topic it publishes to.
type outboxRig struct {
	outbox    outbox.Outbox
	bus       contribpubsub.PubSub // the relay's internal topic and the outbox's topic
	store     *watchedStore
	tx        state.TransactionalStore
	appID     string
	delivered chan delivery
	handled   chan handled
}

const (
	rigStore = "orderstore"
	rigTopic = "orders"
)

// newOutboxRig, with the relay's deliveries watched (handled) or, with held,
// kept for the test to make itself.
func newOutboxRig(t *testing.T, store state.Store, storeType string, held ...*heldRelay) *outboxRig {
	ctx, cancel := context.WithCancel(context.Background())
	bus := pubsubinmemory.New(outboxTestLog)
	if err := bus.Init(ctx, contribpubsub.Metadata{}); err != nil {
		t.Fatalf("init pub/sub: %v", err)
	}
	r := &outboxRig{
		bus:       bus,
		store:     &watchedStore{Store: store, looks: map[string][]look{}},
		tx:        store.(state.TransactionalStore),
		appID:     fmt.Sprintf("outbox-test-%d", time.Now().UnixNano()),
		delivered: make(chan delivery, 100),
		handled:   make(chan handled, 100),
	}
	// Cleanups run last first: the store, made before, closes after this.
	t.Cleanup(func() { r.store.end(); cancel(); bus.Close() })
	var watched contribpubsub.PubSub = watchedPubSub{PubSub: bus, handled: r.handled}
	if len(held) > 0 {
		held[0].PubSub = bus
		watched = held[0]
	}
	r.outbox = rtpubsub.NewOutbox(rtpubsub.OptionsOutbox{
		Publisher:             busPublisher{bus},
		GetPubsubFn:           func(name string) (contribpubsub.PubSub, bool) { return watched, name == "pubsub" },
		GetStateFn:            func(name string) (state.Store, bool) { return r.store, name == rigStore },
		CloudEventExtractorFn: rtpubsub.ExtractCloudEventProperty,
	})
	// As components/state/*/orderstore.yaml configure it.
	var md []common.NameValuePair
	for _, kv := range [][2]string{{"outboxPublishPubsub", "pubsub"}, {"outboxPublishTopic", rigTopic}, {"outboxDiscardWhenMissingState", "true"}} {
		md = append(md, common.NameValuePair{Name: kv[0], Value: common.DynamicValue{JSON: apiextensionsv1.JSON{Raw: []byte(kv[1])}}})
	}
	r.outbox.AddOrUpdateOutbox(v1alpha1.Component{
		ObjectMeta: metav1.ObjectMeta{Name: rigStore},
		Spec:       v1alpha1.ComponentSpec{Type: storeType, Version: "v1", Metadata: md},
	})
	if !r.outbox.Enabled(rigStore) {
		t.Fatal("outbox not enabled on the store")
	}
	err := bus.Subscribe(ctx, contribpubsub.SubscribeRequest{Topic: rigTopic}, func(_ context.Context, msg *contribpubsub.NewMessage) error {
		r.delivered <- delivery{cloudEventID(msg.Data), time.Now(), msg.Data}
		return nil
	})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	if err := r.outbox.SubscribeToInternalTopics(ctx, r.appID); err != nil {
		t.Fatalf("subscribe the relay: %v", err)
	}
	return r
}

// What daprd's state transaction API does before it commits: the outbox
// publishes the message to its relay and returns the operations with the
// transaction's marker appended (its key is the message's id).
func (r *outboxRig) begin(t *testing.T, key string) ([]state.TransactionalStateOperation, string) {
	return r.beginTraced(context.Background(), t, key, "", "")
}

// begin for a request with a trace context: traceID and traceState as
// daprd's API takes them from its span for the request
// (diag.TraceIDAndStateFromSpan).
func (r *outboxRig) beginTraced(ctx context.Context, t *testing.T, key, traceID, traceState string) ([]state.TransactionalStateOperation, string) {
	contentType := "application/json"
	ops := []state.TransactionalStateOperation{state.SetRequest{
		Key: r.appID + "||" + key, Value: []byte(`{"order":"` + key + `"}`), ContentType: &contentType,
	}}
	ops, err := r.outbox.PublishInternal(ctx, rigStore, ops, r.appID, traceID, traceState)
	if err != nil {
		t.Fatalf("publish internal: %v", err)
	}
	marker := ops[len(ops)-1].GetKey()
	if !strings.HasPrefix(marker, "outbox-") {
		t.Fatalf("no marker appended: %v", ops)
	}
	return ops, marker
}

func (r *outboxRig) commit(ops []state.TransactionalStateOperation) error {
	return r.tx.Multi(context.Background(), &state.TransactionalStateRequest{Operations: ops})
}

func (r *outboxRig) waitDelivery(t *testing.T, id string, limit time.Duration) delivery {
	t.Helper()
	select {
	case d := <-r.delivered:
		if d.id != id {
			t.Fatalf("delivered %s, expected %s", d.id, id)
		}
		return d
	case <-time.After(limit):
		t.Fatalf("%s not delivered within %v", id, limit)
	}
	return delivery{}
}

func (r *outboxRig) waitHandled(t *testing.T, id string, limit time.Duration) handled {
	t.Helper()
	select {
	case h := <-r.handled:
		if h.id != id {
			t.Fatalf("the relay handled %s, expected %s", h.id, id)
		}
		return h
	case <-time.After(limit):
		t.Fatalf("the relay did not finish with %s within %v", id, limit)
	}
	return handled{}
}

func (r *outboxRig) expectNoDelivery(t *testing.T, when string) {
	t.Helper()
	select {
	case d := <-r.delivered:
		t.Fatalf("%s delivered %s", when, d.id)
	default:
	}
}

// The relay looked for the marker while the transaction was not committed,
// and found nothing.
func (r *outboxRig) expectLooksMissed(t *testing.T, marker string) int {
	t.Helper()
	looks := r.store.looksFor(marker)
	if len(looks) == 0 {
		t.Fatal("the relay has not looked for the marker yet")
	}
	for _, l := range looks {
		if l.found {
			t.Fatal("the relay found the marker of an uncommitted transaction")
		}
	}
	return len(looks)
}

// A PostgreSQL transaction held open: another connection's transaction locks
// a row that ours writes after its marker, so ours has written the marker and
// waits, uncommitted, until the other commits. With write, the other one also
// changes the row (as a concurrent writer would), so that an ETag read
// before is stale once it commits.
type pgHold struct {
	locker, observer *pgx.Conn
	tx               pgx.Tx
	key, etag        string
}

func holdRow(t *testing.T, store state.Store, key string, write bool) *pgHold {
	ctx := context.Background()
	if err := store.Set(ctx, &state.SetRequest{Key: key, Value: "0"}); err != nil {
		t.Fatalf("set %s: %v", key, err)
	}
	got, err := store.Get(ctx, &state.GetRequest{Key: key})
	if err != nil || got.ETag == nil {
		t.Fatalf("get %s: %v", key, err)
	}
	h := &pgHold{key: key, etag: *got.ETag}
	for _, c := range []**pgx.Conn{&h.locker, &h.observer} {
		if *c, err = pgx.Connect(ctx, needEnv(t, "POSTGRES_URL")); err != nil {
			t.Fatalf("connect: %v", err)
		}
		conn := *c
		t.Cleanup(func() { conn.Close(context.Background()) })
	}
	if h.tx, err = h.locker.Begin(ctx); err != nil {
		t.Fatalf("begin: %v", err)
	}
	lock := "SELECT key FROM " + outboxTable + " WHERE key = $1 FOR UPDATE"
	if write {
		lock = "UPDATE " + outboxTable + " SET value = value WHERE key = $1"
	}
	if _, err = h.tx.Exec(ctx, lock, key); err != nil {
		t.Fatalf("lock %s: %v", key, err)
	}
	return h
}

// Waits until a transaction is blocked on the held row.
func (h *pgHold) waitBlocked(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		err := h.observer.QueryRow(context.Background(),
			"SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", int32(h.locker.PgConn().PID())).Scan(&n)
		if err != nil {
			t.Fatalf("pg_stat_activity: %v", err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the transaction did not reach the held row")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *pgHold) release(t *testing.T) {
	if err := h.tx.Commit(context.Background()); err != nil {
		t.Fatalf("release: %v", err)
	}
}

// (a) Nothing is delivered while the transaction is open; it is delivered
// once it has committed.
func TestOutboxRelayPublishesOnlyAfterTheCommit(t *testing.T) {
	t.Parallel()
	// Longer than Dapr's fixed wait, so that its relay looks too.
	const open = 1200 * time.Millisecond

	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		r := newOutboxRig(t, redisStore(t), "state.redis")
		ops, marker := r.begin(t, "a")
		// Redis runs a transaction (MULTI/EXEC) at once: it commits when sent.
		time.Sleep(open)
		r.expectNoDelivery(t, "before the commit")
		looks := r.expectLooksMissed(t, marker)
		committing := time.Now()
		if err := r.commit(ops); err != nil {
			t.Fatalf("commit: %v", err)
		}
		committed := time.Now()
		d := r.waitDelivery(t, marker, 15*time.Second)
		if d.at.Before(committing) {
			t.Fatal("delivered before the commit")
		}
		r.waitHandled(t, marker, 15*time.Second)
		t.Logf("redis: before the commit (%v), look-ups of the marker: %d, none found; delivered %v after it",
			open, looks, d.at.Sub(committed).Round(time.Millisecond))
	})

	t.Run("postgresql", func(t *testing.T) {
		t.Parallel()
		store := postgresStore(t)
		r := newOutboxRig(t, store, "state.postgresql")
		hold := holdRow(t, store, r.appID+"||held", false)
		ops, marker := r.begin(t, "a")
		ops = append(ops, state.SetRequest{Key: hold.key, Value: "1"})
		begun := time.Now()
		result := make(chan error, 1)
		var committed time.Time
		go func() {
			err := r.commit(ops)
			committed = time.Now()
			result <- err
		}()
		hold.waitBlocked(t) // marker written, transaction open
		time.Sleep(open - time.Since(begun))
		r.expectNoDelivery(t, "while the transaction was open")
		looks := r.expectLooksMissed(t, marker)
		released := time.Now()
		hold.release(t)
		if err := <-result; err != nil {
			t.Fatalf("commit: %v", err)
		}
		d := r.waitDelivery(t, marker, 15*time.Second)
		if d.at.Before(released) {
			t.Fatal("delivered before the commit")
		}
		r.waitHandled(t, marker, 15*time.Second)
		t.Logf("postgresql: while the transaction was open (%v), look-ups of the marker: %d, none found; delivered %v after the commit",
			open, looks, d.at.Sub(committed).Round(time.Millisecond))
	})
}

// (b) A transaction that PostgreSQL rolled back (its ETag went stale while
// it waited, after it had written the marker) is never published: the relay
// looks for the marker for as long as Dapr's meant to (1 s + 10 s), then drops
// the message (outboxDiscardWhenMissingState). Dapr's relay never stops
// looking (see the patch).
func TestOutboxRelayNeverPublishesARolledBackTransaction(t *testing.T) {
	t.Parallel()
	store := postgresStore(t)
	r := newOutboxRig(t, store, "state.postgresql")
	hold := holdRow(t, store, r.appID+"||held", true)
	ops, marker := r.begin(t, "b")
	published := time.Now()
	ops = append(ops, state.SetRequest{Key: hold.key, Value: "1", ETag: &hold.etag})
	result := make(chan error, 1)
	go func() { result <- r.commit(ops) }()
	hold.waitBlocked(t)
	time.Sleep(300 * time.Millisecond)
	hold.release(t)
	if err := <-result; err == nil {
		t.Fatal("the transaction committed with a stale ETag")
	}
	order, err := store.Get(context.Background(), &state.GetRequest{Key: r.appID + "||b"})
	if err != nil || len(order.Data) != 0 {
		t.Fatalf("the rolled back transaction left its data: %v %s", err, order.Data)
	}

	var h handled
	select {
	case h = <-r.handled:
	case <-time.After(30 * time.Second):
		looks := r.store.looksFor(marker)
		recent := 0
		for _, l := range looks {
			if time.Since(l.at) < time.Second {
				recent++
			}
		}
		t.Fatalf("the relay was still looking for the marker after 30 s: %d look-ups, %d of them in the last second", len(looks), recent)
	}
	if h.id != marker {
		t.Fatalf("the relay handled %s, expected %s", h.id, marker)
	}
	if h.err != nil {
		t.Fatalf("the relay rejected the message instead of dropping it: %v", h.err)
	}
	time.Sleep(200 * time.Millisecond)
	r.expectNoDelivery(t, "after a rollback")
	looks := r.expectLooksMissed(t, marker)
	// Paced: 5 ms doubling to 1 s apart is some 20 look-ups in 11 s.
	if looks > 100 {
		t.Fatalf("the relay read the store %d times in a loop", looks)
	}
	patience := h.at.Sub(published)
	// Dapr's relay meant to give up 9 to 11 s after the message came.
	if patience < 9*time.Second || patience > 14*time.Second {
		t.Fatalf("the relay gave up after %v", patience)
	}
	t.Logf("postgresql: rolled back; look-ups of the marker: %d, none found; the relay dropped the message after %v and published nothing",
		looks, patience.Round(time.Millisecond))
}

// (c) Commit to delivery, with the transaction committed right after the
// outbox published, as daprd does: a few milliseconds here, more than a
// second with Dapr's relay. Measured from the start of the commit (the call
// to Multi), so the commit's own time is included.
func TestOutboxRelayDeliversSoonAfterTheCommit(t *testing.T) {
	t.Parallel()
	const transactions = 10
	for _, c := range []struct {
		name, storeType string
		store           func(*testing.T) state.Store
	}{{"redis", "state.redis", redisStore}, {"postgresql", "state.postgresql", postgresStore}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newOutboxRig(t, c.store(t), c.storeType)
			var latencies []time.Duration
			for i := range transactions {
				ops, marker := r.begin(t, fmt.Sprintf("c-%d", i))
				committing := time.Now()
				if err := r.commit(ops); err != nil {
					t.Fatalf("commit: %v", err)
				}
				d := r.waitDelivery(t, marker, 15*time.Second)
				if d.at.Before(committing) {
					t.Fatal("delivered before the commit")
				}
				latencies = append(latencies, d.at.Sub(committing))
				r.waitHandled(t, marker, 15*time.Second)
			}
			slices.Sort(latencies)
			t.Logf("%s: commit to delivery over %d transactions: min %v, median %v, max %v", c.name, transactions,
				latencies[0].Round(100*time.Microsecond), latencies[transactions/2].Round(100*time.Microsecond),
				latencies[transactions-1].Round(100*time.Microsecond))
			if latencies[transactions-1] >= latencyBound {
				t.Fatalf("commit to delivery took up to %v (bound %v)", latencies[transactions-1], latencyBound)
			}
		})
	}
}

// A Redis server of the test's own, which it kills and starts again on the
// same port and data (a store outage): append-only with every write synced,
// so that what was committed survives the kill.
type ownRedis struct {
	t    *testing.T
	port int
	dir  string
	cmd  *exec.Cmd
}

func startOwnRedis(t *testing.T) *ownRedis {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("a free port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	r := &ownRedis{t: t, port: port, dir: t.TempDir()}
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *ownRedis) addr() string { return fmt.Sprintf("127.0.0.1:%d", r.port) }

func (r *ownRedis) start() {
	r.cmd = exec.Command("redis-server", "--bind", "127.0.0.1", "--port", fmt.Sprint(r.port), "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--loglevel", "warning")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server (deploy/scripts/test-daprd-components.sh installs it): %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if conn, err := net.Dial("tcp", r.addr()); err == nil {
			reply := make([]byte, 7)
			_, _ = conn.Write([]byte("PING\r\n"))
			_ = conn.SetReadDeadline(time.Now().Add(time.Second))
			n, _ := conn.Read(reply)
			conn.Close()
			if string(reply[:n]) == "+PONG\r\n" {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("redis-server on %s did not answer within 10 s", r.addr())
}

func (r *ownRedis) kill() {
	if r.cmd != nil && r.cmd.ProcessState == nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
}

// (d) A store that is away for longer than the relay's patience loses
// nothing. The transaction commits, then the store's server is SIGKILLed:
// a delivery whose deadline ends while the store is away (as Redis Streams'
// processingTimeout ends one) is rejected, not dropped, and the next
// delivery waits for the store, which comes back after more than the 11 s
// the relay gives a missing marker, and then publishes. Dapr's relay took
// the failing look-ups for a missing marker and dropped the message
// (outboxDiscardWhenMissingState), so such an outage lost committed events.
func TestOutboxRelayWaitsForAStoreThatIsAway(t *testing.T) {
	t.Parallel()
	server := startOwnRedis(t)
	store := initStore(t, stateredis.NewRedisStateStore(outboxTestLog), map[string]string{"redisHost": server.addr(), "redisPassword": ""})
	held := &heldRelay{msgs: make(chan *contribpubsub.NewMessage, 10)}
	r := newOutboxRig(t, store, "state.redis", held)
	ops, marker := r.begin(t, "d")
	var msg *contribpubsub.NewMessage
	select {
	case msg = <-held.msgs:
	case <-time.After(5 * time.Second):
		t.Fatal("the relay's message was not published")
	}
	if err := r.commit(ops); err != nil {
		t.Fatalf("commit: %v", err)
	}
	server.kill()
	down := time.Now()

	const deadline = 5 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	err := held.handler(ctx, msg)
	cancel()
	if err == nil {
		t.Fatal("the relay acknowledged the message while the store was away: it was dropped")
	}
	r.expectNoDelivery(t, "while the store was away")
	firstErr := err

	result := make(chan error, 1)
	go func() { result <- held.handler(context.Background(), msg) }()
	const away = 16 * time.Second // more than the relay's patience with a missing marker
	select {
	case err := <-result:
		t.Fatalf("the redelivery ended while the store was away (%v): %v", time.Since(down).Round(time.Second), err)
	case <-time.After(away - time.Since(down)):
	}
	r.expectNoDelivery(t, "while the store was away")
	server.start()
	back := time.Now()
	d := r.waitDelivery(t, marker, 15*time.Second)
	select {
	case err := <-result:
		if err != nil {
			t.Fatalf("the relay failed the redelivery once the store was back: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the redelivery did not end once the store was back")
	}
	left, err := store.Get(context.Background(), &state.GetRequest{Key: marker})
	if err != nil || len(left.Data) != 0 {
		t.Fatalf("the marker is still there after publishing: %v %s", err, left.Data)
	}
	t.Logf("redis: store SIGKILLed after the commit and away %v; a delivery with a %v deadline was rejected (%v); the redelivery waited and published %v after the store was back",
		back.Sub(down).Round(100*time.Millisecond), deadline, firstErr, d.at.Sub(back).Round(time.Millisecond))
}
