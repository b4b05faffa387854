-- Sundial schema, version 1. Statements end with a semicolon at the end of
-- a line; Migrate runs them one by one. Every statement can run again after
-- a partial failure (MySQL commits each DDL statement on its own).

-- sundial_jobs is the public interface: other programs may insert, update
-- and delete rows with plain SQL. Every column except id, task and trigger
-- has a default, so INSERT INTO sundial_jobs (id, task, `trigger`) VALUES
-- (...) is a valid job with Sundial's defaults. TEXT columns take their
-- defaults as expressions, DEFAULT (''), which MariaDB 10.2+ and MySQL
-- 8.0.13+ both accept.
CREATE TABLE IF NOT EXISTS sundial_jobs (
	id VARCHAR(191) NOT NULL,
	name TEXT NOT NULL DEFAULT (''),
	store VARCHAR(191) NOT NULL DEFAULT '',
	task VARCHAR(191) NOT NULL,
	args LONGTEXT NOT NULL DEFAULT ('[]'),
	kwargs LONGTEXT NOT NULL DEFAULT ('{}'),
	`trigger` TEXT NOT NULL,
	next_run_time DATETIME(6) NULL DEFAULT NULL,
	paused BOOLEAN NOT NULL DEFAULT FALSE,
	executor VARCHAR(191) NOT NULL DEFAULT '',
	misfire_grace_time DOUBLE NULL DEFAULT NULL,
	`coalesce` BOOLEAN NOT NULL DEFAULT TRUE,
	max_instances INT NOT NULL DEFAULT 1,
	timeout DOUBLE NOT NULL DEFAULT 0,
	retry TEXT NOT NULL DEFAULT ('{}'),
	recovery VARCHAR(32) NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT (''),
	tags TEXT NOT NULL DEFAULT ('[]'),
	version BIGINT NOT NULL DEFAULT 1,
	created_at DATETIME(6) NULL DEFAULT NULL,
	updated_at DATETIME(6) NULL DEFAULT NULL,
	PRIMARY KEY (id),
	-- The due set: claims and the next fire time scan it in order.
	KEY sundial_jobs_due (paused, next_run_time)
) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- sundial_runs is the run history. seq orders runs by insertion (Run.Seq);
-- the fire key (job_id, scheduled_at, attempt) is unique, so no fire is
-- recorded twice whatever the nodes do.
CREATE TABLE IF NOT EXISTS sundial_runs (
	seq BIGINT NOT NULL AUTO_INCREMENT,
	id VARCHAR(191) NOT NULL,
	job_id VARCHAR(191) NOT NULL,
	scheduled_at DATETIME(6) NOT NULL,
	attempt INT NOT NULL DEFAULT 1,
	status VARCHAR(16) NOT NULL,
	reason TEXT NOT NULL DEFAULT (''),
	manual BOOLEAN NOT NULL DEFAULT FALSE,
	coalesced INT NOT NULL DEFAULT 0,
	node VARCHAR(191) NOT NULL DEFAULT '',
	recoverable BOOLEAN NOT NULL DEFAULT FALSE,
	created_at DATETIME(6) NULL DEFAULT NULL,
	started_at DATETIME(6) NULL DEFAULT NULL,
	finished_at DATETIME(6) NULL DEFAULT NULL,
	output LONGTEXT NOT NULL DEFAULT (''),
	error LONGTEXT NOT NULL DEFAULT (''),
	PRIMARY KEY (seq),
	UNIQUE KEY sundial_runs_id (id),
	UNIQUE KEY sundial_runs_fire (job_id, scheduled_at, attempt),
	KEY sundial_runs_job_seq (job_id, seq),
	-- Unfinished runs per job (max_instances) and per status (reaping).
	KEY sundial_runs_job_status (job_id, status),
	KEY sundial_runs_status_node (status, node),
	KEY sundial_runs_node_seq (node, seq),
	KEY sundial_runs_finished (finished_at)
) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- sundial_nodes holds the schedulers sharing the database and their leases,
-- judged by the database clock (UTC_TIMESTAMP(6)).
CREATE TABLE IF NOT EXISTS sundial_nodes (
	id VARCHAR(191) NOT NULL,
	host VARCHAR(255) NOT NULL DEFAULT '',
	pid BIGINT NOT NULL DEFAULT 0,
	version VARCHAR(255) NOT NULL DEFAULT '',
	started_at DATETIME(6) NULL DEFAULT NULL,
	heartbeat_at DATETIME(6) NOT NULL,
	lease_until DATETIME(6) NOT NULL,
	PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- sundial_job_locks has one row per job id that claims or bounded run
-- inserts have locked: counting a job's unfinished runs and recording new
-- ones is one step under that row's lock, even for a job id with no row in
-- sundial_jobs. Internal; rows of jobs that are gone are pruned.
CREATE TABLE IF NOT EXISTS sundial_job_locks (
	job_id VARCHAR(191) NOT NULL,
	PRIMARY KEY (job_id)
) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- sundial_changes is the change counter that Watch polls. The triggers
-- below bump it for every change of sundial_jobs, except an update that
-- only moves a scheduled job's next fire time later (what a claim does):
-- such a change cannot make anything due sooner, and leaving it out keeps
-- concurrent claims from queueing on this one row.
CREATE TABLE IF NOT EXISTS sundial_changes (
	id TINYINT NOT NULL,
	n BIGINT UNSIGNED NOT NULL DEFAULT 0,
	PRIMARY KEY (id)
) ENGINE = InnoDB;

INSERT IGNORE INTO sundial_changes (id, n) VALUES (1, 0);

DROP TRIGGER IF EXISTS sundial_jobs_insert;

CREATE TRIGGER sundial_jobs_insert AFTER INSERT ON sundial_jobs FOR EACH ROW
	UPDATE sundial_changes SET n = n + 1 WHERE id = 1;

DROP TRIGGER IF EXISTS sundial_jobs_delete;

CREATE TRIGGER sundial_jobs_delete AFTER DELETE ON sundial_jobs FOR EACH ROW
	UPDATE sundial_changes SET n = n + 1 WHERE id = 1;

DROP TRIGGER IF EXISTS sundial_jobs_update;

CREATE TRIGGER sundial_jobs_update AFTER UPDATE ON sundial_jobs FOR EACH ROW
	UPDATE sundial_changes SET n = n + 1 WHERE id = 1 AND NOT (
		NEW.paused = 0 AND OLD.paused = 0
		AND OLD.next_run_time IS NOT NULL AND NEW.next_run_time > OLD.next_run_time
		AND NEW.id <=> OLD.id AND NEW.name <=> OLD.name AND NEW.store <=> OLD.store
		AND NEW.task <=> OLD.task AND NEW.args <=> OLD.args AND NEW.kwargs <=> OLD.kwargs
		AND NEW.`trigger` <=> OLD.`trigger` AND NEW.executor <=> OLD.executor
		AND NEW.misfire_grace_time <=> OLD.misfire_grace_time AND NEW.`coalesce` <=> OLD.`coalesce`
		AND NEW.max_instances <=> OLD.max_instances AND NEW.timeout <=> OLD.timeout
		AND NEW.retry <=> OLD.retry AND NEW.recovery <=> OLD.recovery
		AND NEW.description <=> OLD.description AND NEW.tags <=> OLD.tags
		AND NEW.created_at <=> OLD.created_at AND NEW.updated_at <=> OLD.updated_at
	);
