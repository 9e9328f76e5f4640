package localapi

import (
	"time"

	"gatepass.dev/shared/api"
)

// HistoryLimit is how many of a network's requests History lists.
const HistoryLimit = 10

// History is GET /localapi/v1/networks/{name}/requests: the signed-in
// user's latest requests on one network, newest first (at most
// HistoryLimit), as the backend lists them (GET /api/v1/me/requests).
type History struct {
	Requests []api.Request `json:"requests"`
	// ServerTime is the agent's clock corrected by the server's offset:
	// what requested_at and the other times compare to.
	ServerTime time.Time `json:"server_time"`
}
