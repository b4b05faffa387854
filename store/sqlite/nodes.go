package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sundial-scheduler/sundial"
)

const qHeartbeat = `INSERT INTO sundial_nodes (id, host, pid, version, started_at, heartbeat_at, lease_until)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version,
				started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, lease_until = excluded.lease_until`

// NodeHeartbeat registers the node or renews its lease: HeartbeatAt is
// the host clock now (to the microsecond) and LeaseUntil now + ttl; both
// are written back into node.
func (s *Store) NodeHeartbeat(ctx context.Context, node *sundial.Node, ttl time.Duration) error {
	var hb, until time.Time
	err := s.write(ctx, false, func(t *wtx) error {
		hb = time.Now().UTC().Truncate(time.Microsecond)
		until = hb.Add(ttl).Truncate(time.Microsecond)
		_, err := t.exec(qHeartbeat,
			node.ID, node.Host, node.PID, node.Version, micros(node.StartedAt), hb.UnixMicro(), until.UnixMicro())
		return err
	})
	if err != nil {
		return fmt.Errorf("heartbeat of node %s: %w", node.ID, err)
	}
	node.HeartbeatAt, node.LeaseUntil = hb, until
	return nil
}

// NodeLeave ends the node's lease at once by forgetting the node; its
// unfinished runs can be reaped without waiting.
func (s *Store) NodeLeave(ctx context.Context, id string) error {
	err := s.write(ctx, false, func(t *wtx) error {
		_, err := t.exec(`DELETE FROM sundial_nodes WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("leave as node %s: %w", id, err)
	}
	return nil
}

// NodeList returns the registered nodes by id, after deleting those whose
// lease expired more than forget ago (forget > 0).
func (s *Store) NodeList(ctx context.Context, forget time.Duration) ([]*sundial.Node, error) {
	if forget > 0 {
		err := s.write(ctx, false, func(t *wtx) error {
			_, err := t.exec(`DELETE FROM sundial_nodes WHERE lease_until < ?`, time.Now().Add(-forget).UnixMicro())
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("forget nodes: %w", err)
		}
	}
	var out []*sundial.Node
	err := s.read(ctx, func(db *sql.DB) error {
		out = out[:0]
		rows, err := db.QueryContext(ctx, `SELECT id, host, pid, version, started_at, heartbeat_at, lease_until
			FROM sundial_nodes ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n sundial.Node
			var started, hb sql.NullInt64
			var until int64
			if err := rows.Scan(&n.ID, &n.Host, &n.PID, &n.Version, &started, &hb, &until); err != nil {
				return err
			}
			n.StartedAt, n.HeartbeatAt, n.LeaseUntil = fromMicros(started), fromMicros(hb), time.UnixMicro(until).UTC()
			out = append(out, &n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return out, nil
}
