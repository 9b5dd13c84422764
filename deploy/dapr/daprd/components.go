// The components this project's daprd registers. The build lays this file over
// github.com/dapr/dapr/cmd/daprd/components/zz_notag.go (go build -overlay), so
// the official cmd/daprd entry point and its app package are used unchanged,
// but only the components that components/ refers to are compiled in.
package components

import (
	"github.com/dapr/components-contrib/bindings/cron"
	"github.com/dapr/components-contrib/bindings/smtp"
	nrkubernetes "github.com/dapr/components-contrib/nameresolution/kubernetes"
	"github.com/dapr/components-contrib/nameresolution/mdns"
	nrsqlite "github.com/dapr/components-contrib/nameresolution/sqlite"
	pubsubinmemory "github.com/dapr/components-contrib/pubsub/in-memory"
	"github.com/dapr/components-contrib/pubsub/jetstream"
	"github.com/dapr/components-contrib/pubsub/kafka"
	mqtt3 "github.com/dapr/components-contrib/pubsub/mqtt3"
	pubsubredis "github.com/dapr/components-contrib/pubsub/redis"
	secretskubernetes "github.com/dapr/components-contrib/secretstores/kubernetes"
	secretsenv "github.com/dapr/components-contrib/secretstores/local/env"
	secretsfile "github.com/dapr/components-contrib/secretstores/local/file"
	stateinmemory "github.com/dapr/components-contrib/state/in-memory"
	statepgv1 "github.com/dapr/components-contrib/state/postgresql/v1"
	statepgv2 "github.com/dapr/components-contrib/state/postgresql/v2"
	stateredis "github.com/dapr/components-contrib/state/redis"

	"github.com/dapr/dapr/pkg/components"
	bindingsLoader "github.com/dapr/dapr/pkg/components/bindings"
	nrLoader "github.com/dapr/dapr/pkg/components/nameresolution"
	pubsubLoader "github.com/dapr/dapr/pkg/components/pubsub"
	secretstoresLoader "github.com/dapr/dapr/pkg/components/secretstores"
	stateLoader "github.com/dapr/dapr/pkg/components/state"
)

func init() {
	// Pub/sub: one per folder under components/pubsub, plus in-memory for unit runs.
	pubsubLoader.DefaultRegistry.RegisterComponent(pubsubredis.NewRedisStreams, "redis")
	// RabbitMQ: Dapr's component with a connection per subscription (rabbitmq.go).
	pubsubLoader.DefaultRegistry.RegisterComponent(newRabbitMQ, "rabbitmq")
	pubsubLoader.DefaultRegistry.RegisterComponent(kafka.NewKafka, "kafka")
	pubsubLoader.DefaultRegistry.RegisterComponent(jetstream.NewJetStream, "jetstream")
	pubsubLoader.DefaultRegistry.RegisterComponent(mqtt3.NewMQTTPubSub, "mqtt3", "mqtt")
	pubsubLoader.DefaultRegistry.RegisterComponent(pubsubinmemory.New, "in-memory")

	// State: Redis and PostgreSQL (v1 is the default, as upstream, v2 on request).
	stateLoader.DefaultRegistry.RegisterComponent(stateredis.NewRedisStateStore, "redis")
	stateLoader.DefaultRegistry.RegisterComponent(stateinmemory.NewInMemoryStateStore, "in-memory")
	postgres := components.Versioning{
		Preferred: components.VersionConstructor{Version: "v2", Constructor: statepgv2.NewPostgreSQLStateStore},
		Others:    []components.VersionConstructor{{Version: "v1", Constructor: statepgv1.NewPostgreSQLStateStore}},
		Default:   "v1",
	}
	stateLoader.DefaultRegistry.RegisterComponentWithVersions("postgres", postgres)
	stateLoader.DefaultRegistry.RegisterComponentWithVersions("postgresql", postgres)

	// Bindings: SMTP for notifications, cron for the shipment simulator.
	bindingsLoader.DefaultRegistry.RegisterOutputBinding(smtp.NewSMTP, "smtp")
	bindingsLoader.DefaultRegistry.RegisterInputBinding(cron.NewCron, "cron")

	// Secrets: a local file in development, the environment, Kubernetes in a cluster.
	secretstoresLoader.DefaultRegistry.RegisterComponent(secretsfile.NewLocalSecretStore, "local.file")
	secretstoresLoader.DefaultRegistry.RegisterComponent(secretsenv.NewEnvSecretStore, "local.env")
	secretstoresLoader.DefaultRegistry.RegisterComponent(secretskubernetes.NewKubernetesSecretStore, "kubernetes")

	// Name resolution: mDNS (the standalone default), SQLite where there is no
	// multicast, Kubernetes DNS in a cluster.
	nrLoader.DefaultRegistry.RegisterComponent(mdns.NewResolver, "mdns")
	nrLoader.DefaultRegistry.RegisterComponent(nrsqlite.NewResolver, "sqlite")
	nrLoader.DefaultRegistry.RegisterComponent(nrkubernetes.NewResolver, "kubernetes")
}
