// Builds the pinned Dapr runtime (daprd, placement, scheduler) from its Go
// modules, for machines where `dapr init --slim` cannot download releases.
module github.com/dapr-logistics/deploy/dapr

go 1.26.6

require github.com/dapr/dapr v1.18.3

// Repeated from github.com/dapr/dapr v1.18.3's go.mod: replace directives of a
// dependency are ignored, so every module that builds dapr must restate them.
replace (
	dubbo.apache.org/dubbo-go/v3 => dubbo.apache.org/dubbo-go/v3 v3.0.3-0.20230118042253-4f159a2b38f3
	github.com/apache/pulsar-client-go v0.18.0 => github.com/twmb/pulsar-client-go v0.20.1-0.20260624144353-90eefc81f70a
	gopkg.in/couchbaselabs/gocbconnstr.v1 => github.com/couchbaselabs/gocbconnstr v1.0.5
)

replace (
	github.com/chenzhuoyu/iasm => github.com/chenzhuoyu/iasm v0.9.0
	github.com/chzyer/logex => github.com/chzyer/logex v1.2.1
	github.com/gobwas/pool => github.com/gobwas/pool v0.2.1
	github.com/toolkits/concurrent => github.com/niean/gotools v0.0.0-20151221085310-ff3f51fc5c60
)

// durabletask-go v0.12.4, the version dapr v1.18.3 asks for, is not served by
// the module proxy this project builds from; v0.12.1 is, and has the API
// dapr v1.18.3 uses.
replace github.com/dapr/durabletask-go => github.com/dapr/durabletask-go v0.12.1
