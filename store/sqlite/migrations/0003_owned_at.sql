-- Sundial schema, version 3: when each run last changed hands (recorded,
-- taken over by a reap, released), by the host clock in Unix microseconds.
-- RunReap takes over a run that a live node has left submitted for longer
-- than the scheduler's staleness bound (a claim whose reply it never got).
-- The unfinished runs are stamped with the migration's time; NULL (a row
-- written by an older Sundial) is never stale. The reap walks the
-- unfinished runs anyway (sundial_runs_unfinished), so no index is needed.
ALTER TABLE sundial_runs ADD COLUMN owned_at INTEGER;
UPDATE sundial_runs SET owned_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000000
	WHERE status IN ('submitted', 'running');
