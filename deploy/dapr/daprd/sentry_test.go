package components

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	configv1alpha1 "github.com/dapr/dapr/pkg/apis/configuration/v1alpha1"
	"github.com/dapr/dapr/pkg/healthz"
	sentryv1pb "github.com/dapr/dapr/pkg/proto/sentry/v1"
	sentrykubernetes "github.com/dapr/dapr/pkg/sentry/server/validator/kubernetes"
)

// Sentry's Kubernetes validator with deploy/dapr/patches/sentry-read-through.patch,
// against a real API server and etcd (the test cluster's binaries, in
// $KUBE_ASSETS): a Configuration the validator's informer cache does not
// hold yet is read from the API server, so a sidecar started with it gets
// its identity instead of "failed to get configuration"; one that exists
// nowhere is still refused; and a cache that does not answer (an informer
// not synced yet) leaves time for the API server.
//
// The cache is a real controller-runtime cache, synced, whose Configuration
// informer only takes objects labelled stale=no: the Configuration created
// without that label stands for one whose watch event has not arrived yet.
func TestSentryReadsThroughItsCache(t *testing.T) {
	cfg := startAPIServer(t)

	scheme := runtime.NewScheme()
	if err := configv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	live, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)

	namespace := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "logistics"}}
	if err := live.Create(ctx, namespace); err != nil {
		t.Fatal(err)
	}
	seen := &configv1alpha1.Configuration{ObjectMeta: metav1.ObjectMeta{Namespace: "logistics", Name: "seen", Labels: map[string]string{"stale": "no"}}}
	if err := live.Create(ctx, seen); err != nil {
		t.Fatalf("creating Configuration seen: %v", err)
	}

	cached, err := cache.New(cfg, cache.Options{
		Scheme: scheme,
		ByObject: map[client.Object]cache.ByObject{
			&configv1alpha1.Configuration{}: {Label: labels.SelectorFromSet(labels.Set{"stale": "no"})},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cached.GetInformer(ctx, &configv1alpha1.Configuration{}); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cached.Start(ctx) }()
	if !cached.WaitForCacheSync(ctx) {
		t.Fatal("the cache did not sync")
	}

	// Created after the cache synced, and not in it.
	trust := "logistics.example"
	late := &configv1alpha1.Configuration{
		ObjectMeta: metav1.ObjectMeta{Namespace: "logistics", Name: "late"},
		Spec:       configv1alpha1.ConfigurationSpec{AccessControlSpec: &configv1alpha1.AccessControlSpec{TrustDomain: trust}},
	}
	if err := live.Create(ctx, late); err != nil {
		t.Fatalf("creating Configuration late: %v", err)
	}
	lateKey := types.NamespacedName{Namespace: "logistics", Name: "late"}

	// What sentry's validator met: the cache alone does not know it.
	if err := cached.Get(ctx, lateKey, &configv1alpha1.Configuration{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the cache alone: want NotFound for logistics/late, got %v", err)
	}

	t.Run("a Configuration the cache holds comes from the cache", func(t *testing.T) {
		var got configv1alpha1.Configuration
		if err := sentrykubernetes.ReadThrough(ctx, cached, nil, types.NamespacedName{Namespace: "logistics", Name: "seen"}, &got); err != nil {
			t.Fatalf("ReadThrough(seen) without an API server client: %v", err)
		}
	})

	t.Run("a Configuration not in the cache yet is read from the API server", func(t *testing.T) {
		var got configv1alpha1.Configuration
		if err := sentrykubernetes.ReadThrough(ctx, cached, live, lateKey, &got); err != nil {
			t.Fatalf("ReadThrough(late): %v", err)
		}
		if got.Spec.AccessControlSpec == nil || got.Spec.AccessControlSpec.TrustDomain != trust {
			t.Fatalf("ReadThrough(late): spec %+v, want trust domain %q", got.Spec, trust)
		}
	})

	t.Run("a cache that does not answer leaves the API server the rest of a sidecar's 3 s", func(t *testing.T) {
		// What an informer that has not synced does: Get waits for it, until
		// the context ends. Upstream waited for the whole request's time and
		// had none left for the API server ("context canceled").
		request, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		started := time.Now()
		var got configv1alpha1.Configuration
		if err := sentrykubernetes.ReadThrough(request, unsynced{}, live, lateKey, &got); err != nil {
			t.Fatalf("ReadThrough(late) past a cache that does not answer, after %v: %v", time.Since(started), err)
		}
		if got.Spec.AccessControlSpec == nil || got.Spec.AccessControlSpec.TrustDomain != trust {
			t.Fatalf("ReadThrough(late): spec %+v, want trust domain %q", got.Spec, trust)
		}
		if took := time.Since(started); took > sentrykubernetes.CacheWait+time.Second {
			t.Fatalf("ReadThrough(late) took %v past a cache that does not answer; CacheWait is %v", took, sentrykubernetes.CacheWait)
		}
	})

	t.Run("a Configuration that exists nowhere is still refused", func(t *testing.T) {
		err := sentrykubernetes.ReadThrough(ctx, cached, live, types.NamespacedName{Namespace: "logistics", Name: "missing"}, &configv1alpha1.Configuration{})
		if !apierrors.IsNotFound(err) {
			t.Fatalf("ReadThrough(missing): want NotFound, got %v", err)
		}
	})
}

// unsynced is a cache whose informer never syncs: every Get waits for the
// caller's context to end, as controller-runtime's cache does meanwhile.
type unsynced struct{}

func (unsynced) Get(ctx context.Context, _ client.ObjectKey, _ client.Object, _ ...client.GetOption) error {
	<-ctx.Done()
	return ctx.Err()
}

func (unsynced) List(ctx context.Context, _ client.ObjectList, _ ...client.ListOption) error {
	<-ctx.Done()
	return ctx.Err()
}

// Sentry's Kubernetes validator with deploy/dapr/patches/sentry-token-review-rate.patch,
// against a real API server: every sidecar that starts asks sentry for its
// identity, and sentry asks the API server to review the sidecar's token.
// Sentry's configuration is the in-cluster one (no QPS set), for which
// client-go allows 5 requests a second after a burst of 10; upstream lifted
// that limit for the validator's cache but not for the client that reviews
// tokens. 40 sidecars at once, each giving up after 3 s as daprd's every try
// does, then had their reviews wait for the limiter past their deadline
// ("client rate limiter Wait returned an error"). Here every one is answered.
func TestSentryReviewsManySidecarsTokensAtOnce(t *testing.T) {
	cfg := startAPIServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	admin, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}

	// 40 pods of app "order", each with a token bound to it for sentry's audience.
	const sidecars = 40
	const namespace = "logistics"
	sentryID := spiffeid.RequireFromString("spiffe://cluster.local/ns/dapr-system/dapr-sentry")
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().ServiceAccounts(namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "order"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tokens := make([]string, sidecars)
	for i := range tokens {
		pod, err := admin.CoreV1().Pods(namespace).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("order-%d", i), Annotations: map[string]string{"dapr.io/app-id": "order"}},
			Spec: corev1.PodSpec{
				ServiceAccountName:           "order",
				AutomountServiceAccountToken: new(false),
				Containers:                   []corev1.Container{{Name: "app", Image: "logistics/order:dev"}},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("creating pod %d: %v", i, err)
		}
		token, err := admin.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, "order", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
			Audiences:      []string{sentryID.String()},
			BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
		}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("a token for pod %s: %v", pod.Name, err)
		}
		tokens[i] = token.Status.Token
	}

	// Sentry's configuration as rest.InClusterConfig gives it: no QPS, no burst.
	inCluster := rest.CopyConfig(cfg)
	inCluster.QPS, inCluster.Burst, inCluster.RateLimiter = 0, 0, nil
	v, err := sentrykubernetes.New(sentrykubernetes.Options{RestConfig: inCluster, SentryID: sentryID, ControlPlaneNS: "dapr-system", Healthz: healthz.New()})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = v.Start(ctx) }()

	// Once the validator is ready, every sidecar at once.
	ready, cancelReady := context.WithTimeout(ctx, time.Minute)
	defer cancelReady()
	if _, err := v.Validate(ready, &sentryv1pb.SignCertificateRequest{Id: "order", Namespace: namespace, Token: tokens[0], CertificateSigningRequest: []byte("csr")}); err != nil {
		t.Fatalf("the first sidecar alone: %v", err)
	}
	started := time.Now()
	errs := make([]error, sidecars)
	var wg sync.WaitGroup
	for i, token := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			try, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			_, errs[i] = v.Validate(try, &sentryv1pb.SignCertificateRequest{Id: "order", Namespace: namespace, Token: token, CertificateSigningRequest: []byte("csr")})
		}()
	}
	wg.Wait()
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			t.Errorf("sidecar %d: %v", i, err)
		}
	}
	t.Logf("%d sidecars at once, each with 3 s: %d refused, all answered within %v", sidecars, failed, time.Since(started).Round(time.Millisecond))
}

// startAPIServer starts a real API server and etcd (the test cluster's
// binaries, in $KUBE_ASSETS) with Dapr's CRDs as its Helm chart installs
// them, stopped when the test ends.
func startAPIServer(t *testing.T) *rest.Config {
	t.Helper()
	assets := os.Getenv("KUBE_ASSETS")
	if assets == "" {
		t.Fatal("KUBE_ASSETS: the directory of kube-apiserver, etcd and kubectl (deploy/scripts/test-daprd-components.sh sets it)")
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		CRDDirectoryPaths:        []string{filepath.Join("..", "..", "..", "charts", "dapr", "crds")},
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: 2 * time.Minute,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting the API server: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping the API server: %v", err)
		}
	})
	return cfg
}
