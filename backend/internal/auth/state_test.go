package auth_test

import (
	"testing"

	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/auth/statetest"
)

// TestMemoryState: the memory state passes every test of a State.
func TestMemoryState(t *testing.T) {
	statetest.Run(t, func(*testing.T) auth.State { return auth.NewMemoryState() })
}
