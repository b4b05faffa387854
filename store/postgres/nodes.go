package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sundial-scheduler/sundial"
)

// nodeHeartbeatSQL registers or renews a node with one reading of the
// database clock, so lease_until - heartbeat_at is exactly the ttl.
const nodeHeartbeatSQL = `WITH c AS (SELECT clock_timestamp() AS now)
	INSERT INTO sundial_nodes (id, host, pid, version, started_at, heartbeat_at, lease_until)
	SELECT $1::text, $2::text, $3::int, $4::text, $5::timestamptz, c.now, c.now + $6::bigint * interval '1 microsecond'
	FROM c
	ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, version = EXCLUDED.version,
		started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at, lease_until = EXCLUDED.lease_until
	RETURNING heartbeat_at, lease_until`

// NodeHeartbeat registers a node or renews its lease for ttl from the
// database clock, and writes HeartbeatAt and LeaseUntil back into node.
func (s *Store) NodeHeartbeat(ctx context.Context, node *sundial.Node, ttl time.Duration) error {
	var hb, until pgtype.Timestamptz
	err := s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, nodeHeartbeatSQL, node.ID, node.Host, node.PID, node.Version,
			ts(node.StartedAt), micros(ttl)).Scan(&hb, &until)
	})
	if err != nil {
		return fmt.Errorf("heartbeat of node %q: %w", node.ID, err)
	}
	node.HeartbeatAt, node.LeaseUntil = fromTS(hb), fromTS(until)
	return nil
}

// NodeLeave ends a node's lease by deleting it: its unfinished runs can be
// reaped at once.
func (s *Store) NodeLeave(ctx context.Context, id string) error {
	err := s.retry(ctx, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `DELETE FROM sundial_nodes WHERE id = $1`, id)
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
	var out []*sundial.Node
	err := s.retry(ctx, func(ctx context.Context) error {
		out = nil
		b := &pgx.Batch{}
		if forget > 0 {
			b.Queue(`DELETE FROM sundial_nodes WHERE lease_until < clock_timestamp() - $1::bigint * interval '1 microsecond'`, micros(forget))
		}
		b.Queue(`SELECT id, host, pid, version, started_at, heartbeat_at, lease_until FROM sundial_nodes ORDER BY id`)
		br := s.pool.SendBatch(ctx, b)
		defer br.Close()
		if forget > 0 {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		var (
			n                       sundial.Node
			pid                     int32
			started, hb, leaseUntil pgtype.Timestamptz
		)
		_, err = pgx.ForEachRow(rows, []any{&n.ID, &n.Host, &pid, &n.Version, &started, &hb, &leaseUntil}, func() error {
			m := n
			m.PID, m.StartedAt, m.HeartbeatAt, m.LeaseUntil = int(pid), fromTS(started), fromTS(hb), fromTS(leaseUntil)
			out = append(out, &m)
			return nil
		})
		if err != nil {
			return err
		}
		return br.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return out, nil
}
