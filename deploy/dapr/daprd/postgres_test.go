package components

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dapr/components-contrib/state"
	statepgv1 "github.com/dapr/components-contrib/state/postgresql/v1"
	"github.com/dapr/kit/logger"
)

// Sidecars starting at once against a fresh PostgreSQL: two replicas of a
// service, each with a state.postgresql component naming the same tables.
// With deploy/dapr/patches/contrib/postgres-metadata-table-race.patch every
// one of them initialises; upstream, the one that loses the race to create
// the metadata table can fail with 42710 or 42P07 ("type ... already
// exists"), and its sidecar exits. Needs PostgreSQL:
//   POSTGRES_URL=postgres://postgres@127.0.0.1:5532/postgres?sslmode=disable
// (deploy/scripts/test-daprd-components.sh starts it and runs this).

const (
	raceRounds   = 100
	raceSidecars = 8
)

// raceLog counts the retries the patched migration logs, to say how often a
// round really raced.
type raceLog struct {
	mu      sync.Mutex
	retries int
}

func (r *raceLog) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "was created concurrently") {
		r.mu.Lock()
		r.retries++
		r.mu.Unlock()
	}
	return len(p), nil
}

func TestPostgresSidecarsCreateTheirTablesAtOnce(t *testing.T) {
	url := needEnv(t, "POSTGRES_URL")
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer admin.Close(ctx)

	retries := &raceLog{}
	log := logger.NewLogger("postgres-race-test")
	log.SetOutput(retries)
	log.SetOutputLevel(logger.DebugLevel)

	failed := 0
	for round := 1; round <= raceRounds; round++ {
		table := fmt.Sprintf("race_test_%d_%d", os.Getpid(), round)
		drop := func() {
			for _, name := range []string{table, table + "_metadata"} {
				if _, err := admin.Exec(ctx, "DROP TABLE IF EXISTS "+name); err != nil {
					t.Fatalf("drop %s: %v", name, err)
				}
			}
		}
		drop()

		stores := make([]state.Store, raceSidecars)
		errs := make([]error, raceSidecars)
		start := make(chan struct{})
		var done sync.WaitGroup
		for i := range stores {
			stores[i] = statepgv1.NewPostgreSQLStateStore(log)
			md := state.Metadata{}
			md.Properties = map[string]string{
				"connectionString":  url,
				"tableName":         table,
				"metadataTableName": table + "_metadata",
			}
			done.Add(1)
			go func() {
				defer done.Done()
				<-start
				errs[i] = stores[i].Init(ctx, md)
			}()
		}
		close(start)
		done.Wait()

		for i, err := range errs {
			if err != nil {
				failed++
				t.Errorf("round %d: sidecar %d of %d failed to initialise: %v", round, i+1, raceSidecars, err)
				continue
			}
			// Initialised means usable: each writes and reads back a key.
			key := fmt.Sprintf("sidecar-%d", i)
			opCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := stores[i].Set(opCtx, &state.SetRequest{Key: key, Value: []byte(`"here"`)}); err != nil {
				t.Errorf("round %d: sidecar %d writes: %v", round, i+1, err)
			} else if got, err := stores[i].Get(opCtx, &state.GetRequest{Key: key}); err != nil || string(got.Data) != `"here"` {
				t.Errorf("round %d: sidecar %d reads back %q, %v", round, i+1, got.Data, err)
			}
			cancel()
		}
		for _, s := range stores {
			s.Close()
		}
		drop()
	}
	t.Logf("%d rounds of %d sidecars initialising at once: %d failed, %d creations of the metadata table lost the race and were retried",
		raceRounds, raceSidecars, failed, retries.retries)
}
