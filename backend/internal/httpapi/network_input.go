package httpapi

import (
	"context"

	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// Network defaults (the validation of networks is admin's, shared with the
// web page).
const (
	DefaultGrant    = admin.DefaultGrant
	DefaultMaxGrant = admin.DefaultMaxGrant
	FirstListenPort = admin.FirstListenPort
)

func fieldErr(field, format string, args ...any) *api.Error {
	return admin.FieldErr(field, format, args...)
}

// DefaultEndpoint is the public URL's host with the listen port: where
// clients dial a network's gateway unless the admin sets an endpoint.
func DefaultEndpoint(publicURL string, port int) string {
	return admin.DefaultEndpoint(publicURL, port)
}

// FreeListenPort picks the lowest port from first (0: FirstListenPort) that
// no network uses and that is free on this host.
func FreeListenPort(ctx context.Context, q store.Querier, first int) (int, error) {
	return admin.FreeListenPort(ctx, q, first)
}
