-- Sundial schema, version 1: jobs (a public interface other programs may
-- write with plain SQL), run history and nodes. See SCHEMA.md.

CREATE TABLE sundial_jobs (
    id                 text COLLATE "C" PRIMARY KEY,
    name               text NOT NULL DEFAULT '',
    store              text NOT NULL DEFAULT '',
    task               text NOT NULL,
    args               text NOT NULL DEFAULT '[]'
                       CONSTRAINT sundial_jobs_args_json CHECK (json_typeof(args::json) = 'array'),
    kwargs             text NOT NULL DEFAULT '{}'
                       CONSTRAINT sundial_jobs_kwargs_json CHECK (json_typeof(kwargs::json) = 'object'),
    trigger            text NOT NULL
                       CONSTRAINT sundial_jobs_trigger_json CHECK (json_typeof(trigger::json) = 'object'),
    next_run_time      timestamptz,
    paused             boolean NOT NULL DEFAULT false,
    executor           text NOT NULL DEFAULT '',
    misfire_grace_time double precision,
    "coalesce"         boolean NOT NULL DEFAULT true,
    max_instances      integer NOT NULL DEFAULT 1,
    timeout            double precision NOT NULL DEFAULT 0,
    retry              text NOT NULL DEFAULT '{}'
                       CONSTRAINT sundial_jobs_retry_json CHECK (json_typeof(retry::json) = 'object'),
    recovery           text NOT NULL DEFAULT '',
    description        text NOT NULL DEFAULT '',
    tags               text NOT NULL DEFAULT '[]'
                       CONSTRAINT sundial_jobs_tags_json CHECK (json_typeof(tags::json) = 'array'),
    version            bigint NOT NULL DEFAULT 1,
    created_at         timestamptz,
    updated_at         timestamptz
);

-- The due order of claims and JobNextFireTime: jobs without a next fire
-- time (written by other programs) first, then by time. One ordered range
-- scan finds the due jobs, however many jobs wait in the future.
CREATE INDEX sundial_jobs_due ON sundial_jobs
    (COALESCE(next_run_time, '-infinity'::timestamptz), id) WHERE NOT paused;

-- Every statement that changes jobs wakes the schedulers that LISTEN on
-- sundial_jobs (Store.Watch). Claims set sundial.notify = 'off' for their
-- own transaction: moving a fire time later needs nobody woken.
CREATE FUNCTION sundial_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF COALESCE(current_setting('sundial.notify', true), '') <> 'off' THEN
        PERFORM pg_notify('sundial_jobs', '');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER sundial_jobs_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sundial_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION sundial_jobs_notify();

CREATE TABLE sundial_runs (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           text COLLATE "C" NOT NULL CONSTRAINT sundial_runs_id_key UNIQUE,
    job_id       text COLLATE "C" NOT NULL,
    scheduled_at timestamptz NOT NULL,
    attempt      integer NOT NULL DEFAULT 1,
    status       text NOT NULL,
    reason       text NOT NULL DEFAULT '',
    manual       boolean NOT NULL DEFAULT false,
    coalesced    integer NOT NULL DEFAULT 0,
    node         text COLLATE "C" NOT NULL DEFAULT '',
    recoverable  boolean NOT NULL DEFAULT false,
    created_at   timestamptz,
    started_at   timestamptz,
    finished_at  timestamptz,
    output       text NOT NULL DEFAULT '',
    error        text NOT NULL DEFAULT '',
    -- One run per fire and attempt, whatever nodes race or crash.
    CONSTRAINT sundial_runs_fire_key UNIQUE (job_id, scheduled_at, attempt)
);

CREATE INDEX sundial_runs_job_seq ON sundial_runs (job_id, seq);
-- Unfinished runs (few, however long the history): counted per job for
-- max_instances, and walked in order when reaping the runs of lost nodes.
CREATE INDEX sundial_runs_unfinished ON sundial_runs (job_id)
    WHERE status IN ('submitted', 'running');
CREATE INDEX sundial_runs_unfinished_seq ON sundial_runs (seq)
    WHERE status IN ('submitted', 'running');
CREATE INDEX sundial_runs_node_seq ON sundial_runs (node, seq);
-- Pruning by age: when a finished run ended (or was recorded, for missed
-- and skipped runs, which never start).
CREATE INDEX sundial_runs_finished_at ON sundial_runs (COALESCE(finished_at, created_at))
    WHERE status NOT IN ('submitted', 'running');

CREATE TABLE sundial_nodes (
    id           text COLLATE "C" PRIMARY KEY,
    host         text NOT NULL DEFAULT '',
    pid          integer NOT NULL DEFAULT 0,
    version      text NOT NULL DEFAULT '',
    started_at   timestamptz,
    heartbeat_at timestamptz NOT NULL,
    lease_until  timestamptz NOT NULL
);
