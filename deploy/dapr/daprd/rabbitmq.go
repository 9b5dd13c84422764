package components

import (
	"context"
	"errors"
	"sync"

	"github.com/dapr/components-contrib/pubsub"
	"github.com/dapr/components-contrib/pubsub/rabbitmq"
	"github.com/dapr/kit/logger"
)

// rabbitMQ is Dapr's RabbitMQ pub/sub with an AMQP connection of its own for
// every subscription, apart from the one it publishes on.
//
// Dapr's component shares one AMQP channel between publishing and all its
// subscriptions, and it sends basic.consume outside the lock that serializes
// the channel's other synchronous methods. When a publish declares its exchange
// (the first publish to a topic on a connection) while a subscription is being
// set up, the two replies cross: the component reads exchange.declare-ok as
// the answer to basic.consume, reports the subscription failed and subscribes
// again. The broker, though, registered the first consumer. Nobody reads it,
// and the broker hands it its share of the queue — up to prefetchCount
// messages — which stay unacknowledged, and undelivered, until the connection
// closes. A subscriber then silently misses events: an order cancelled while
// payment's sidecar was starting never got its refund.
//
// Here each subscription is made by a component instance that does nothing
// else, so a basic.consume never shares its channel with another synchronous
// method, and publishing (the outbox relay, dead-lettering) goes through an
// instance that never consumes. The component's settings and behaviour are
// otherwise unchanged; it costs one connection per subscription.
type rabbitMQ struct {
	logger logger.Logger

	lock        sync.Mutex
	metadata    pubsub.Metadata
	publisher   pubsub.PubSub
	subscribers map[pubsub.PubSub]struct{}
	closed      bool
}

func newRabbitMQ(log logger.Logger) pubsub.PubSub {
	return &rabbitMQ{logger: log, subscribers: map[pubsub.PubSub]struct{}{}}
}

func (r *rabbitMQ) Init(ctx context.Context, md pubsub.Metadata) error {
	publisher := rabbitmq.NewRabbitMQ(r.logger)
	if err := publisher.Init(ctx, md); err != nil {
		return err
	}
	r.lock.Lock()
	defer r.lock.Unlock()
	r.metadata = md
	r.publisher = publisher
	return nil
}

func (r *rabbitMQ) Features() []pubsub.Feature {
	return rabbitmq.NewRabbitMQ(r.logger).Features()
}

func (r *rabbitMQ) Publish(ctx context.Context, req *pubsub.PublishRequest) error {
	r.lock.Lock()
	publisher := r.publisher
	r.lock.Unlock()
	if publisher == nil {
		return errors.New("rabbitmq pub/sub is not initialized")
	}
	return publisher.Publish(ctx, req)
}

// Subscribe connects a component instance for this subscription alone; it is
// closed when the subscription ends (ctx) or the component closes.
func (r *rabbitMQ) Subscribe(ctx context.Context, req pubsub.SubscribeRequest, handler pubsub.Handler) error {
	r.lock.Lock()
	if r.closed {
		r.lock.Unlock()
		return errors.New("component is closed")
	}
	md := r.metadata
	r.lock.Unlock()

	subscriber := rabbitmq.NewRabbitMQ(r.logger)
	if err := subscriber.Init(ctx, md); err != nil {
		return err
	}
	if err := subscriber.Subscribe(ctx, req, handler); err != nil {
		_ = subscriber.Close()
		return err
	}

	r.lock.Lock()
	if r.closed {
		r.lock.Unlock()
		_ = subscriber.Close()
		return errors.New("component is closed")
	}
	r.subscribers[subscriber] = struct{}{}
	r.lock.Unlock()

	go func() {
		<-ctx.Done()
		r.lock.Lock()
		_, open := r.subscribers[subscriber]
		delete(r.subscribers, subscriber)
		r.lock.Unlock()
		if open {
			if err := subscriber.Close(); err != nil {
				r.logger.Warnf("rabbitmq pub/sub: closing the connection of the subscription to %s: %v", req.Topic, err)
			}
		}
	}()
	return nil
}

// Close closes the publishing instance and every subscription's.
func (r *rabbitMQ) Close() error {
	r.lock.Lock()
	r.closed = true
	instances := make([]pubsub.PubSub, 0, len(r.subscribers)+1)
	for subscriber := range r.subscribers {
		instances = append(instances, subscriber)
	}
	r.subscribers = map[pubsub.PubSub]struct{}{}
	if r.publisher != nil {
		instances = append(instances, r.publisher)
	}
	r.lock.Unlock()

	var errs []error
	for _, instance := range instances {
		errs = append(errs, instance.Close())
	}
	return errors.Join(errs...)
}
