package gatewayhub

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/store"
)

// dbEndpoints keeps an embedded gateway's peer endpoints in the database
// (gateway_endpoints). The saved ones are read by the hub before the
// runtime starts (never under the hub's lock).
type dbEndpoints struct {
	db        *store.DB
	clock     clockwork.Clock
	networkID string
	loaded    map[string]string
}

func (e *dbEndpoints) Load() (map[string]string, error) { return e.loaded, nil }

func (e *dbEndpoints) Save(changed map[string]string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := e.clock.Now()
	for k, v := range changed {
		if err := store.PutGatewayEndpoint(ctx, e.db, e.networkID, k, v, now); err != nil {
			return err
		}
	}
	return nil
}
