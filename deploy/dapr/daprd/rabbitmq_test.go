package components

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/dapr/components-contrib/pubsub"
	"github.com/dapr/kit/logger"
)

// Needs a RabbitMQ broker: RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672
// (deploy/scripts/test-daprd-components.sh starts one and runs this).
func brokerURL(t *testing.T) string {
	url := os.Getenv("RABBITMQ_URL")
	if url == "" {
		t.Fatal("RABBITMQ_URL is not set: run deploy/scripts/test-daprd-components.sh, which starts a broker")
	}
	return url
}

func rabbitMetadata(url, consumerID string) pubsub.Metadata {
	md := pubsub.Metadata{}
	md.Properties = map[string]string{
		"connectionString":  url,
		"consumerID":        consumerID,
		"durable":           "false",
		"deletedWhenUnused": "true",
		"autoAck":           "false",
		"publisherConfirm":  "true",
		"requeueInFailure":  "true",
		"prefetchCount":     "20",
		"concurrencyMode":   "parallel",
	}
	return md
}

// What a daprd does when it starts with a backlog: it subscribes to its topics
// one after the other while its outbox and dead-lettering already publish,
// each first publish to a topic declaring that topic's exchange. Every message
// then published to a subscribed topic must reach its handler; a consumer
// lost in a crossed reply would keep some of them.
func TestEverySubscriptionGetsEveryMessageWhilePublishesDeclareExchanges(t *testing.T) {
	url := brokerURL(t)
	const rounds, topics, perTopic = 4, 8, 60
	log := logger.NewLogger("rabbitmq-test")
	log.SetOutputLevel(logger.FatalLevel)

	for round := range rounds {
		run := fmt.Sprintf("race-%d-%d", time.Now().UnixNano(), round)
		component := newRabbitMQ(log)
		if err := component.Init(context.Background(), rabbitMetadata(url, run)); err != nil {
			t.Fatalf("init: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())

		// Publishes to ever new topics, so that each declares an exchange.
		var noise sync.WaitGroup
		var declared atomic.Int64
		stop := make(chan struct{})
		noise.Add(1)
		go func() {
			defer noise.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				req := &pubsub.PublishRequest{PubsubName: "pubsub", Topic: fmt.Sprintf("%s-noise-%d", run, i), Data: []byte("{}")}
				if err := component.Publish(ctx, req); err == nil {
					declared.Add(1)
				}
			}
		}()

		var mu sync.Mutex
		received := map[string]map[string]bool{}
		for k := range topics {
			topic := fmt.Sprintf("%s-t%d", run, k)
			received[topic] = map[string]bool{}
			err := component.Subscribe(ctx, pubsub.SubscribeRequest{Topic: topic}, func(_ context.Context, msg *pubsub.NewMessage) error {
				mu.Lock()
				defer mu.Unlock()
				received[msg.Topic][string(msg.Data)] = true
				return nil
			})
			if err != nil {
				t.Fatalf("subscribe to %s: %v", topic, err)
			}
		}
		close(stop)
		noise.Wait()
		if declared.Load() == 0 {
			t.Fatalf("round %d: no exchange was declared while subscribing, so the test proved nothing", round)
		}

		for k := range topics {
			topic := fmt.Sprintf("%s-t%d", run, k)
			for i := range perTopic {
				req := &pubsub.PublishRequest{PubsubName: "pubsub", Topic: topic, Data: fmt.Appendf(nil, "m%d", i)}
				if err := component.Publish(ctx, req); err != nil {
					t.Fatalf("publish to %s: %v", topic, err)
				}
			}
		}

		missing := func() map[string]int {
			mu.Lock()
			defer mu.Unlock()
			out := map[string]int{}
			for topic, got := range received {
				if len(got) < perTopic {
					out[topic] = perTopic - len(got)
				}
			}
			return out
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(missing()) > 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if m := missing(); len(m) > 0 {
			t.Errorf("round %d (%d exchanges declared meanwhile): messages never delivered, per topic: %v", round, declared.Load(), m)
		}
		cancel()
		if err := component.Close(); err != nil {
			t.Logf("close: %v", err)
		}
	}
}

// A subscription's own connection goes when the subscription ends, and
// nothing is accepted once the component is closed.
func TestSubscriptionConnectionsCloseWithTheirSubscription(t *testing.T) {
	url := brokerURL(t)
	log := logger.NewLogger("rabbitmq-test")
	log.SetOutputLevel(logger.FatalLevel)
	run := fmt.Sprintf("close-%d", time.Now().UnixNano())
	component := newRabbitMQ(log).(*rabbitMQ)
	if err := component.Init(context.Background(), rabbitMetadata(url, run)); err != nil {
		t.Fatalf("init: %v", err)
	}
	open := func() int {
		component.lock.Lock()
		defer component.lock.Unlock()
		return len(component.subscribers)
	}

	ctx, cancel := context.WithCancel(context.Background())
	handler := func(context.Context, *pubsub.NewMessage) error { return nil }
	for _, topic := range []string{run + "-a", run + "-b"} {
		if err := component.Subscribe(ctx, pubsub.SubscribeRequest{Topic: topic}, handler); err != nil {
			t.Fatalf("subscribe: %v", err)
		}
	}
	if n := open(); n != 2 {
		t.Fatalf("subscriptions open: %d, want 2", n)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for open() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := open(); n != 0 {
		t.Fatalf("subscriptions open after their context ended: %d", n)
	}

	if err := component.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := component.Subscribe(context.Background(), pubsub.SubscribeRequest{Topic: run + "-c"}, handler); err == nil {
		t.Fatal("a closed component accepted a subscription")
	}
}

// With publisher confirms on, a publish the broker does not confirm fails
// (deploy/dapr/patches/contrib/rabbitmq-publisher-confirms.patch): upstream
// reports it published, and an outbox would then drop its event. The broker
// here nacks for sure: the topic's only queue holds one message and rejects
// publishes beyond it. A publish whose context ends while it waits to retry
// fails too.
func TestPublishTheBrokerDoesNotConfirmFails(t *testing.T) {
	url := brokerURL(t)
	log := logger.NewLogger("rabbitmq-test")
	log.SetOutputLevel(logger.FatalLevel)
	run := fmt.Sprintf("nack-%d", time.Now().UnixNano())
	topic, queue := run, run+"-full"

	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("open a channel: %v", err)
	}
	// The topic's exchange as the component declares it with these settings.
	if err := ch.ExchangeDeclare(topic, amqp.ExchangeFanout, true, false, false, false, nil); err != nil {
		t.Fatalf("declare exchange: %v", err)
	}
	defer func() {
		if _, err := ch.QueueDelete(queue, false, false, false); err != nil {
			t.Logf("delete queue: %v", err)
		}
		if err := ch.ExchangeDelete(topic, false, false); err != nil {
			t.Logf("delete exchange: %v", err)
		}
	}()
	args := amqp.Table{"x-max-length": int32(1), "x-overflow": "reject-publish"}
	if _, err := ch.QueueDeclare(queue, false, false, false, false, args); err != nil {
		t.Fatalf("declare queue: %v", err)
	}
	if err := ch.QueueBind(queue, "", topic, false, nil); err != nil {
		t.Fatalf("bind queue: %v", err)
	}

	md := rabbitMetadata(url, run)
	md.Properties["durable"] = "true"
	md.Properties["deletedWhenUnused"] = "false"
	md.Properties["deliveryMode"] = "2"
	component := newRabbitMQ(log)
	if err := component.Init(context.Background(), md); err != nil {
		t.Fatalf("init: %v", err)
	}
	defer component.Close()
	publish := func(ctx context.Context, data string) error {
		return component.Publish(ctx, &pubsub.PublishRequest{PubsubName: "pubsub", Topic: topic, Data: []byte(data)})
	}

	if err := publish(context.Background(), "first"); err != nil {
		t.Fatalf("first publish, which the queue has room for: %v", err)
	}
	if q, err := ch.QueueDeclarePassive(queue, false, false, false, false, args); err != nil || q.Messages != 1 {
		t.Fatalf("the queue holds %d messages (%v), want 1", q.Messages, err)
	}

	started := time.Now()
	err = publish(context.Background(), "second")
	if err == nil {
		t.Fatal("a publish the broker nacked was reported a success")
	}
	t.Logf("nacked publish failed after %s: %v", time.Since(started).Round(time.Millisecond), err)

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = publish(ctx, "third")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a nacked publish whose context ended while it waited to retry returned %v, want %v", err, context.DeadlineExceeded)
	}
}
