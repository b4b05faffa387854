package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// checkLease returns ErrLeaseLost unless node holds a live lease by the
// database clock.
func checkLease(ctx context.Context, q execer, node string) error {
	var live bool
	err := q.QueryRowContext(ctx, "SELECT lease_until > UTC_TIMESTAMP(6) FROM sundial_nodes WHERE id = ?", node).Scan(&live)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !live) {
		return fmt.Errorf("node %q: %w", node, sundial.ErrLeaseLost)
	}
	return err
}

// NodeHeartbeat registers a node or renews its lease: HeartbeatAt is the
// database's UTC_TIMESTAMP(6), LeaseUntil that plus ttl.
func (s *Store) NodeHeartbeat(ctx context.Context, node *sundial.Node, ttl time.Duration) error {
	var now time.Time
	err := s.retry(ctx, func() error {
		if err := s.db.QueryRowContext(ctx, "SELECT UTC_TIMESTAMP(6)").Scan(&now); err != nil {
			return err
		}
		now = now.UTC()
		_, err := s.db.ExecContext(ctx, "INSERT INTO sundial_nodes (id, host, pid, version, started_at, heartbeat_at, lease_until) "+
			"VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE host = VALUES(host), pid = VALUES(pid), "+
			"version = VALUES(version), started_at = VALUES(started_at), heartbeat_at = VALUES(heartbeat_at), "+
			"lease_until = VALUES(lease_until)",
			node.ID, node.Host, node.PID, node.Version, dbTime(node.StartedAt), now, dbTime(now.Add(ttl)))
		return err
	})
	if err != nil {
		return fmt.Errorf("heartbeat of node %q: %w", node.ID, err)
	}
	node.HeartbeatAt, node.LeaseUntil = now, now.Add(ttl).Truncate(time.Microsecond)
	return nil
}

// NodeLeave ends a node's lease at once by removing it.
func (s *Store) NodeLeave(ctx context.Context, id string) error {
	err := s.retry(ctx, func() error {
		_, err := s.db.ExecContext(ctx, "DELETE FROM sundial_nodes WHERE id = ?", id)
		return err
	})
	if err != nil {
		return fmt.Errorf("node %q leaves: %w", id, err)
	}
	return nil
}

// NodeList returns the registered nodes by id, after deleting those whose
// lease expired more than forget ago (forget > 0).
func (s *Store) NodeList(ctx context.Context, forget time.Duration) ([]*sundial.Node, error) {
	if forget > 0 {
		err := s.retry(ctx, func() error {
			_, err := s.db.ExecContext(ctx, "DELETE FROM sundial_nodes WHERE lease_until < UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND",
				forget.Microseconds())
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("forget nodes: %w", err)
		}
	}
	rows, err := s.db.QueryContext(ctx, "SELECT id, host, pid, version, started_at, heartbeat_at, lease_until FROM sundial_nodes ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	defer rows.Close()
	var out []*sundial.Node
	for rows.Next() {
		var n sundial.Node
		var started sql.NullTime
		if err := rows.Scan(&n.ID, &n.Host, &n.PID, &n.Version, &started, &n.HeartbeatAt, &n.LeaseUntil); err != nil {
			return nil, fmt.Errorf("list nodes: %w", err)
		}
		n.StartedAt, n.HeartbeatAt, n.LeaseUntil = fromDB(started), n.HeartbeatAt.UTC(), n.LeaseUntil.UTC()
		out = append(out, &n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return out, nil
}
