// Builds the dapr CLI from its Go module, for machines where it cannot be
// downloaded. The CLI's own replace directives are repeated here, since a
// dependency's replaces do not apply. The module proxy this project builds
// from serves dapr/cli v1.12.0 but no 1.13-1.18 release; the CLI only starts
// and stops processes, and v1.12.0 runs daprd 1.18 with `dapr run -f` as
// later versions do (the scheduler address aside, which this system does not
// use).
module github.com/dapr-logistics/deploy/dapr-cli

go 1.20

require github.com/dapr/cli v1.12.0

replace (
	github.com/Azure/go-autorest => github.com/Azure/go-autorest v14.2.0+incompatible
	github.com/docker/docker => github.com/moby/moby v17.12.0-ce-rc1.0.20200618181300-9dc6525e6118+incompatible
	github.com/russross/blackfriday => github.com/russross/blackfriday v1.5.2
	k8s.io/cli-runtime => k8s.io/cli-runtime v0.25.2
	k8s.io/client => github.com/kubernetes-client/go v0.0.0-20190928040339-c757968c4c36
	k8s.io/client-go => k8s.io/client-go v0.25.2
)
