-- Sundial schema, version 3: when each run last changed hands (recorded,
-- taken over by a reap, released), by the database clock. RunReap takes
-- over a run that a live node has left submitted for longer than the
-- scheduler's staleness bound (a claim whose reply it never got).
--
-- The default stamps every new row, whichever statement records it; reaps
-- and releases set it themselves. Adding the column without a default and
-- setting the default afterwards keeps this quick on a long history: the
-- old rows are not rewritten, they keep NULL, which is never stale. The
-- unfinished runs are stamped with the migration's time. The reap walks
-- the unfinished runs anyway (sundial_runs_unfinished_seq), so no index is
-- needed.
ALTER TABLE sundial_runs ADD COLUMN owned_at timestamptz;
ALTER TABLE sundial_runs ALTER COLUMN owned_at SET DEFAULT clock_timestamp();
UPDATE sundial_runs SET owned_at = clock_timestamp() WHERE status IN ('submitted', 'running');
