-- Sundial schema, version 2: the server's audit log (sundial.AuditLog), one
-- row per change accepted through its APIs, shared by every node. Written
-- by Sundial only; read it freely. Statements end with a semicolon at the
-- end of a line and can run again after a partial failure.

-- seq is the append order (AuditEntry.Seq), newest first in listings; the
-- filters each have an index in that order, and at serves time bounds and
-- pruning. detail is JSON (in MariaDB a LONGTEXT checked by JSON_VALID).
CREATE TABLE IF NOT EXISTS sundial_audit (
	seq BIGINT NOT NULL AUTO_INCREMENT,
	at DATETIME(6) NOT NULL,
	actor VARCHAR(191) NOT NULL DEFAULT '',
	role VARCHAR(64) NOT NULL DEFAULT '',
	remote VARCHAR(255) NOT NULL DEFAULT '',
	action VARCHAR(191) NOT NULL,
	target VARCHAR(191) NOT NULL DEFAULT '',
	detail JSON NULL DEFAULT NULL,
	PRIMARY KEY (seq),
	KEY sundial_audit_target_seq (target, seq),
	KEY sundial_audit_actor_seq (actor, seq),
	KEY sundial_audit_action_seq (action, seq),
	KEY sundial_audit_at (at)
) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
