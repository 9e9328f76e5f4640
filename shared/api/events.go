package api

import "time"

// EventType names a message of the GET /api/v1/me/events SSE stream. It is
// sent as the SSE "event:" field; the "data:" field is an Event as JSON.
type EventType string

const (
	// EventSnapshot is always first: every network of the user.
	EventSnapshot EventType = "snapshot"
	// EventNetwork carries one network whose state, request or settings changed.
	EventNetwork EventType = "network"
	// EventNetworkRemoved says a network is gone or no longer the user's.
	EventNetworkRemoved EventType = "network_removed"
	// EventPing is a keep-alive carrying the server time.
	EventPing EventType = "ping"
)

// Event is the data of one SSE message.
type Event struct {
	Type       EventType   `json:"type"`
	Networks   []MyNetwork `json:"networks,omitempty"`   // snapshot
	Network    *MyNetwork  `json:"network,omitempty"`    // network
	NetworkID  string      `json:"network_id,omitempty"` // network_removed
	ServerTime time.Time   `json:"server_time"`
}
