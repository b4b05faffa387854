-- Sundial schema, version 3: when each run last changed hands (recorded,
-- taken over by a reap, released), by the database clock
-- (UTC_TIMESTAMP(6)). RunReap takes over a run that a live node has left
-- submitted for longer than the scheduler's staleness bound (a claim whose
-- reply it never got). Sundial writes it in every statement that records,
-- takes over or releases a run; NULL (a row written before this migration
-- or by an older Sundial) is never stale, and the unfinished runs are
-- stamped with the migration's time. The reap reads the unfinished runs
-- anyway (sundial_runs_status_node), so no index is needed.
--
-- Statements end with a semicolon at the end of a line and can run again
-- after a partial failure: MySQL 8 has no ADD COLUMN IF NOT EXISTS, so the
-- column is added through a statement chosen by looking it up.
SET @sundial_add_owned_at = IF((SELECT COUNT(*) FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sundial_runs' AND COLUMN_NAME = 'owned_at') = 0,
	'ALTER TABLE sundial_runs ADD COLUMN owned_at DATETIME(6) NULL DEFAULT NULL',
	'DO 0');
PREPARE sundial_add_owned_at FROM @sundial_add_owned_at;
EXECUTE sundial_add_owned_at;
DEALLOCATE PREPARE sundial_add_owned_at;
UPDATE sundial_runs SET owned_at = UTC_TIMESTAMP(6) WHERE status IN ('submitted', 'running') AND owned_at IS NULL;
