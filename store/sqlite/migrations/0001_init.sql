-- Sundial schema 1: jobs, their run history, the nodes sharing the file and
-- a change counter for Watch. Times are INTEGER Unix microseconds (UTC);
-- NULL stands for "no time". See SCHEMA.md.

-- The jobs table is a public interface: other programs may insert, update
-- and delete rows with plain SQL. Every column but id, task and trigger has a
-- default, so INSERT INTO sundial_jobs (id, task, trigger) VALUES (...) makes
-- a valid job; a NULL next_run_time asks the scheduler to compute it.
CREATE TABLE sundial_jobs (
    id                 TEXT    NOT NULL PRIMARY KEY,
    name               TEXT    NOT NULL DEFAULT '',
    store              TEXT    NOT NULL DEFAULT '',
    task               TEXT    NOT NULL,
    args               TEXT    NOT NULL DEFAULT '[]',
    kwargs             TEXT    NOT NULL DEFAULT '{}',
    "trigger"          TEXT    NOT NULL,
    next_run_time      INTEGER CHECK (next_run_time IS NULL OR typeof(next_run_time) = 'integer'),
    paused             INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    executor           TEXT    NOT NULL DEFAULT '',
    misfire_grace_time REAL,
    "coalesce"         INTEGER NOT NULL DEFAULT 1 CHECK ("coalesce" IN (0, 1)),
    max_instances      INTEGER NOT NULL DEFAULT 1,
    timeout            REAL    NOT NULL DEFAULT 0,
    retry              TEXT    NOT NULL DEFAULT '{}',
    recovery           TEXT    NOT NULL DEFAULT '',
    description        TEXT    NOT NULL DEFAULT '',
    tags               TEXT    NOT NULL DEFAULT '[]',
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         INTEGER,
    updated_at         INTEGER
);

-- Due jobs in claim order; jobs without a next fire time sort first.
CREATE INDEX sundial_jobs_due ON sundial_jobs (next_run_time, id) WHERE paused = 0;

-- One row whose n grows with every change to sundial_jobs, by whatever
-- program makes it; Watch polls it.
CREATE TABLE sundial_changes (
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO sundial_changes (id, n) VALUES (1, 0);

CREATE TRIGGER sundial_jobs_inserted AFTER INSERT ON sundial_jobs
BEGIN
    UPDATE sundial_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER sundial_jobs_updated AFTER UPDATE ON sundial_jobs
BEGIN
    UPDATE sundial_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER sundial_jobs_deleted AFTER DELETE ON sundial_jobs
BEGIN
    UPDATE sundial_changes SET n = n + 1 WHERE id = 1;
END;

-- Run history: one row per fire (and per retry attempt or manual run).
-- seq never goes back, even after pruning (AUTOINCREMENT).
CREATE TABLE sundial_runs (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    job_id       TEXT    NOT NULL,
    scheduled_at INTEGER NOT NULL,
    attempt      INTEGER NOT NULL DEFAULT 1,
    status       TEXT    NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    manual       INTEGER NOT NULL DEFAULT 0,
    coalesced    INTEGER NOT NULL DEFAULT 0,
    node         TEXT    NOT NULL DEFAULT '',
    recoverable  INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER,
    started_at   INTEGER,
    finished_at  INTEGER,
    output       TEXT    NOT NULL DEFAULT '',
    error        TEXT    NOT NULL DEFAULT '',
    UNIQUE (job_id, scheduled_at, attempt)
);
CREATE INDEX sundial_runs_job ON sundial_runs (job_id, seq);
CREATE INDEX sundial_runs_unfinished ON sundial_runs (job_id) WHERE status IN ('submitted', 'running');
CREATE INDEX sundial_runs_node ON sundial_runs (node, seq);
CREATE INDEX sundial_runs_finished ON sundial_runs (finished_at);

-- Schedulers sharing the file, with leases judged by the host clock.
CREATE TABLE sundial_nodes (
    id           TEXT    NOT NULL PRIMARY KEY,
    host         TEXT    NOT NULL DEFAULT '',
    pid          INTEGER NOT NULL DEFAULT 0,
    version      TEXT    NOT NULL DEFAULT '',
    started_at   INTEGER,
    heartbeat_at INTEGER,
    lease_until  INTEGER NOT NULL
);
