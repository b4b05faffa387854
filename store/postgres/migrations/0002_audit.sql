-- Sundial schema, version 2: the server's audit log (sundial.AuditLog), one
-- row per change accepted through its APIs, shared by every node. Sundial's
-- own; read it freely. See SCHEMA.md.

CREATE TABLE sundial_audit (
    -- Append order (AuditEntry.Seq); an identity never hands a value out
    -- twice, so pages read before a prune stay valid.
    seq    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at     timestamptz NOT NULL,
    actor  text COLLATE "C" NOT NULL DEFAULT '',
    role   text NOT NULL DEFAULT '',
    remote text NOT NULL DEFAULT '',
    action text COLLATE "C" NOT NULL,
    target text COLLATE "C" NOT NULL DEFAULT '',
    -- The change itself: json keeps the text the server wrote.
    detail json
);

-- Listing is newest first by seq (the primary key); each filter has an
-- index in that order. at serves time bounds and pruning.
CREATE INDEX sundial_audit_target_seq ON sundial_audit (target, seq);
CREATE INDEX sundial_audit_actor_seq ON sundial_audit (actor, seq);
CREATE INDEX sundial_audit_action_seq ON sundial_audit (action, seq);
CREATE INDEX sundial_audit_at ON sundial_audit (at);
