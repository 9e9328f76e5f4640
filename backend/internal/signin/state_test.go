package signin_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/auth/statetest"
	"gatepass.dev/backend/internal/signin"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/backend/internal/store/pgtest"
)

// TestDBStateSQLite and TestDBStatePostgres: the limiter's state in the
// database passes every test of a State, on both stores.
func TestDBStateSQLite(t *testing.T) {
	statetest.Run(t, func(t *testing.T) auth.State {
		db, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "gatepass.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return signin.DBState{DB: db}
	})
}

func TestDBStatePostgres(t *testing.T) {
	statetest.Run(t, func(t *testing.T) auth.State {
		db, err := store.OpenPostgres(t.Context(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return signin.DBState{DB: db}
	})
}

// TestDBStateAcrossReplicas: attempts against one account spread over two
// replicas share one limit: of many at once, exactly the limit's pass.
func TestDBStateAcrossReplicas(t *testing.T) {
	url := pgtest.URL(t)
	clock := clockwork.NewFakeClock()
	k := auth.Key{Name: "account:alice@example.com", Rule: auth.Window{Max: 5, Per: 15 * time.Minute}}
	var limiters []*auth.Limiter
	for range 2 {
		db, err := store.OpenPostgres(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		limiters = append(limiters, auth.NewLimiter(clock, signin.DBState{DB: db}))
	}
	var mu sync.Mutex
	passed := 0
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, ok, err := limiters[i%2].Take(context.Background(), k)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				passed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if passed != 5 {
		t.Fatalf("%d of 24 attempts on two replicas passed a limit of 5", passed)
	}
}
