package sundial

import "time"

// Node is a scheduler process attached to a store, as registered by its
// heartbeats.
type Node struct {
	ID        string    `json:"id"`
	Host      string    `json:"host"`
	PID       int       `json:"pid"`
	Version   string    `json:"version"`
	StartedAt time.Time `json:"started_at"`
	// HeartbeatAt and LeaseUntil are set by the store, from its own clock.
	HeartbeatAt time.Time `json:"heartbeat_at"`
	LeaseUntil  time.Time `json:"lease_until"`
}

// Live reports whether the node's lease runs past t (by the store's
// clock; callers pass a time read from it).
func (n *Node) Live(t time.Time) bool { return n.LeaseUntil.After(t) }
