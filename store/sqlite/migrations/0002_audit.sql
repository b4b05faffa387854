-- Sundial schema 2: the server's audit log (sundial.AuditLog), one row per
-- change accepted through its APIs. Times are INTEGER Unix microseconds
-- (UTC), as in sundial_runs. See SCHEMA.md.

-- seq never goes back, even after pruning (AUTOINCREMENT): pages read
-- before a prune stay valid.
CREATE TABLE sundial_audit (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL CHECK (typeof(at) = 'integer'),
    actor  TEXT    NOT NULL DEFAULT '',
    role   TEXT    NOT NULL DEFAULT '',
    remote TEXT    NOT NULL DEFAULT '',
    action TEXT    NOT NULL,
    target TEXT    NOT NULL DEFAULT '',
    detail TEXT
);
-- Listing is newest first (seq descending, the primary key); these serve
-- the filters, and at serves time bounds and pruning.
CREATE INDEX sundial_audit_target ON sundial_audit (target, seq);
CREATE INDEX sundial_audit_actor ON sundial_audit (actor, seq);
CREATE INDEX sundial_audit_action ON sundial_audit (action, seq);
CREATE INDEX sundial_audit_at ON sundial_audit (at);
