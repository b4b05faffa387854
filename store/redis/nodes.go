package redis

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// NodeHeartbeat registers node or renews its lease: HeartbeatAt is the
// Redis server's TIME and LeaseUntil that plus ttl, both written back into
// node.
func (s *Store) NodeHeartbeat(ctx context.Context, node *sundial.Node, ttl time.Duration) error {
	v, err := s.run(ctx, scNodeHB, "", node.ID, strconv.FormatInt(ttl.Microseconds(), 10),
		"host", node.Host, "pid", strconv.Itoa(node.PID), "version", node.Version, "started_at", encTime(node.StartedAt))
	if err != nil {
		return fmt.Errorf("heartbeat of node %s: %w", node.ID, err)
	}
	res, err := strs(v)
	if err != nil || len(res) != 2 {
		return fmt.Errorf("heartbeat of node %s: unexpected reply %v", node.ID, v)
	}
	hb, err1 := decTime(res[0])
	lease, err2 := decTime(res[1])
	if err1 != nil || err2 != nil {
		return fmt.Errorf("heartbeat of node %s: unexpected reply %q", node.ID, res)
	}
	node.HeartbeatAt, node.LeaseUntil = hb, lease
	return nil
}

// NodeLeave ends a node's lease at once and forgets it.
func (s *Store) NodeLeave(ctx context.Context, id string) error {
	if _, err := s.run(ctx, scNodeLeave, "", id); err != nil {
		return fmt.Errorf("leave node %s: %w", id, err)
	}
	return nil
}

// NodeList returns the registered nodes by id, after deleting those whose
// lease expired more than forget ago by the Redis clock (forget <= 0 keeps
// them all).
func (s *Store) NodeList(ctx context.Context, forget time.Duration) ([]*sundial.Node, error) {
	v, err := s.run(ctx, scNodeList, "", strconv.FormatInt(max(forget, 0).Microseconds(), 10))
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("list nodes: unexpected reply %T", v)
	}
	out := make([]*sundial.Node, 0, len(arr))
	for _, e := range arr {
		h, err := fieldMap(e)
		if err != nil {
			return nil, fmt.Errorf("list nodes: %w", err)
		}
		n, err := decodeNode(h)
		if err != nil {
			return nil, fmt.Errorf("list nodes: %w", err)
		}
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b *sundial.Node) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}
