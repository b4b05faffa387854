package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// leaseCache answers whether nodes hold a lease at one instant, looking
// each node up once: a batch of run updates is nearly always one node's.
type leaseCache struct {
	s    *Store
	t    time.Time
	node string
	ok   bool
	set  bool
}

func (s *Store) leaseCache(t time.Time) leaseCache { return leaseCache{s: s, t: t} }

func (c *leaseCache) live(node string) bool {
	if !c.set || node != c.node {
		c.node, c.ok, c.set = node, c.s.liveLocked(node, c.t), true
	}
	return c.ok
}

// liveLocked reports whether node holds a lease at t.
func (s *Store) liveLocked(node string, t time.Time) bool {
	n, ok := s.nodes[node]
	return ok && n.LeaseUntil.After(t)
}

// NodeHeartbeat registers a node or renews its lease.
func (s *Store) NodeHeartbeat(_ context.Context, node *sundial.Node, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := now()
	node.HeartbeatAt, node.LeaseUntil = t, t.Add(ttl)
	cp := *node
	s.nodes[node.ID] = &cp
	return nil
}

// NodeLeave ends a node's lease and forgets it.
func (s *Store) NodeLeave(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.nodes, id)
	return nil
}

// NodeList returns the registered nodes by id.
func (s *Store) NodeList(_ context.Context, forget time.Duration) ([]*sundial.Node, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := now()
	out := make([]*sundial.Node, 0, len(s.nodes))
	for id, n := range s.nodes {
		if forget > 0 && n.LeaseUntil.Before(t.Add(-forget)) {
			delete(s.nodes, id)
			continue
		}
		cp := *n
		out = append(out, &cp)
	}
	slices.SortFunc(out, func(a, b *sundial.Node) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}
