package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations is the ordered list of schema changes. Append only: never edit
// or reorder a migration that has shipped.
var migrations = []string{
	// 1: the initial schema.
	`
CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	email         TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	role          TEXT NOT NULL CHECK (role IN ('admin', 'user')),
	password_hash TEXT NOT NULL DEFAULT '',
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL
);

CREATE TABLE tokens (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	token_hash   TEXT NOT NULL UNIQUE,
	kind         TEXT NOT NULL CHECK (kind IN ('api', 'invite')),
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	revoked_at   BIGINT
);
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE networks (
	id                       TEXT PRIMARY KEY,
	name                     TEXT NOT NULL UNIQUE,
	description              TEXT NOT NULL DEFAULT '',
	cidr                     TEXT NOT NULL,
	routes                   TEXT NOT NULL DEFAULT '',
	listen_port              INTEGER NOT NULL UNIQUE,
	endpoint                 TEXT NOT NULL DEFAULT '',
	jit_enabled              INTEGER NOT NULL DEFAULT 1,
	default_duration_seconds BIGINT NOT NULL,
	max_duration_seconds     BIGINT NOT NULL,
	all_users                INTEGER NOT NULL DEFAULT 1,
	created_at               BIGINT NOT NULL,
	updated_at               BIGINT NOT NULL
);

CREATE TABLE network_members (
	network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	PRIMARY KEY (network_id, user_id)
);
CREATE INDEX network_members_user ON network_members(user_id);

CREATE TABLE devices (
	id         TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	public_key TEXT NOT NULL UNIQUE,
	created_at BIGINT NOT NULL
);
CREATE INDEX devices_user ON devices(user_id);

CREATE TABLE device_addresses (
	device_id  TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
	network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
	address    TEXT NOT NULL,
	PRIMARY KEY (device_id, network_id),
	UNIQUE (network_id, address)
);

CREATE TABLE requests (
	id              TEXT PRIMARY KEY,
	network_id      TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
	user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	status          TEXT NOT NULL CHECK (status IN ('pending','approved','denied','cancelled','expired','revoked')),
	reason          TEXT NOT NULL,
	wished_seconds  BIGINT NOT NULL DEFAULT 0,
	granted_seconds BIGINT NOT NULL DEFAULT 0,
	requested_at    BIGINT NOT NULL,
	decided_at      BIGINT,
	decided_by      TEXT REFERENCES users(id) ON DELETE SET NULL,
	note            TEXT NOT NULL DEFAULT '',
	expires_at      BIGINT,
	ended_at        BIGINT,
	ended_by        TEXT REFERENCES users(id) ON DELETE SET NULL
);
-- One open request (pending or approved) per user and network.
CREATE UNIQUE INDEX requests_one_open ON requests(user_id, network_id) WHERE status IN ('pending', 'approved');
CREATE INDEX requests_status ON requests(status, requested_at);
CREATE INDEX requests_network ON requests(network_id, status, requested_at);
CREATE INDEX requests_user ON requests(user_id, network_id, requested_at);
CREATE INDEX requests_grant_expiry ON requests(expires_at) WHERE status = 'approved';

CREATE TABLE audit (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	at          BIGINT NOT NULL,
	actor_id    TEXT NOT NULL DEFAULT '',
	actor_email TEXT NOT NULL DEFAULT '',
	action      TEXT NOT NULL,
	target_type TEXT NOT NULL DEFAULT '',
	target_id   TEXT NOT NULL DEFAULT '',
	network_id  TEXT NOT NULL DEFAULT '',
	source_addr TEXT NOT NULL DEFAULT '',
	details     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_at ON audit(at);
CREATE INDEX audit_action ON audit(action, at);
CREATE INDEX audit_target ON audit(target_id);
-- Append-only: the audit log is never changed or deleted.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	kind            TEXT NOT NULL,
	to_addr         TEXT NOT NULL,
	subject         TEXT NOT NULL,
	text_body       TEXT NOT NULL,
	html_body       TEXT NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('pending','sent','failed','undeliverable')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      BIGINT NOT NULL,
	next_attempt_at BIGINT,
	sent_at         BIGINT
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status = 'pending';

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
`,

	// 2: the gateway's WireGuard key of each network.
	`
CREATE TABLE gateway_keys (
	network_id  TEXT PRIMARY KEY REFERENCES networks(id) ON DELETE CASCADE,
	private_key TEXT NOT NULL,
	created_at  BIGINT NOT NULL
);
`,

	// 3: the last UDP endpoint of each gateway peer, so that a restarted
	// gateway can re-establish sessions at once instead of waiting for the
	// clients' handshake retries.
	`
CREATE TABLE gateway_endpoints (
	network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
	public_key TEXT NOT NULL,
	endpoint   TEXT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (network_id, public_key)
);
`,

	// 4: the admin web page's sign-in sessions (only the SHA-256 of the
	// cookie's secret is kept), and indexes for its request list: newest
	// first within a status, with the id as the tie-breaker of the order.
	`
CREATE TABLE web_sessions (
	id              TEXT PRIMARY KEY,
	token_hash      TEXT NOT NULL UNIQUE,
	user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	csrf_token      TEXT NOT NULL,
	flash           TEXT NOT NULL DEFAULT '',
	source_addr     TEXT NOT NULL DEFAULT '',
	user_agent      TEXT NOT NULL DEFAULT '',
	created_at      BIGINT NOT NULL,
	last_seen_at    BIGINT NOT NULL,
	idle_expires_at BIGINT NOT NULL,
	expires_at      BIGINT NOT NULL,
	revoked_at      BIGINT
);
CREATE INDEX web_sessions_user ON web_sessions(user_id);
CREATE INDEX web_sessions_expires ON web_sessions(expires_at);
CREATE INDEX requests_status_order ON requests(status, requested_at DESC, id DESC);
CREATE INDEX requests_network_order ON requests(network_id, status, requested_at DESC, id DESC);
`,

	// 5: devices can be removed (by their owner or an admin): a removed
	// device keeps its row (its key can never be registered again) but
	// loses its addresses; when it was last seen; and the API token a
	// device was registered with, so that removing the device signs it out.
	`
ALTER TABLE devices ADD COLUMN revoked_at BIGINT;
ALTER TABLE devices ADD COLUMN revoked_by TEXT;
ALTER TABLE devices ADD COLUMN last_seen_at BIGINT;
ALTER TABLE tokens ADD COLUMN device_id TEXT REFERENCES devices(id) ON DELETE SET NULL;
CREATE INDEX tokens_device ON tokens(device_id);
`,

	// 6: what an email is about (a request id), so that the admins' email
	// of a request withdrawn at once can be withdrawn with it.
	`
ALTER TABLE outbox ADD COLUMN ref TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_ref ON outbox(ref) WHERE ref <> '';
`,

	// 7: the one row that the health check's write probe rewrites.
	`
CREATE TABLE write_probe (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	at BIGINT NOT NULL
);
`,

	// 8: the outbox's claims: a message is claimed (claim_id, leased until
	// claimed_until) in its own write before it is sent, so that a failing
	// write after sending can never make it go again within the lease.
	`
ALTER TABLE outbox ADD COLUMN claim_id TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT;
`,

	// 9: email bodies stored once by their SHA-256: the expiry emails of a
	// thousand grants ending together share one body (rows before this
	// keep theirs inline).
	`
CREATE TABLE outbox_bodies (
	hash      TEXT PRIMARY KEY,
	text_body TEXT NOT NULL,
	html_body TEXT NOT NULL
);
ALTER TABLE outbox ADD COLUMN body_hash TEXT REFERENCES outbox_bodies(hash);
`,

	// 10: the request indexes for the expiry sweep and the lists: grants by
	// (status, expires_at), which the planner uses for "approved and due,
	// soonest first" (it never chose the partial index on expires_at);
	// two indexes that the ordered ones of migration 4 cover are dropped.
	// Every status change — a thousand grants expiring together — keeps
	// two fewer indexes up to date.
	`
CREATE INDEX requests_status_expiry ON requests(status, expires_at);
DROP INDEX requests_grant_expiry;
DROP INDEX requests_status;
DROP INDEX requests_network;
`,

	// 11: a grant made again by an admin from a closed request (Grant
	// again): the request it was made from.
	`
ALTER TABLE requests ADD COLUMN again_of TEXT NOT NULL DEFAULT '';
`,

	// 12: the gateways of the networks. Each network has an embedded
	// gateway (in gatepass-server, its key in gateway_keys) until a remote
	// one (gatepass-gateway at the site) enrolls and replaces it. A remote
	// gateway's enroll token and credential are kept as SHA-256 hashes; its
	// private key never reaches the server. report holds the latest status
	// report (JSON), so that any replica can show it.
	`
CREATE TABLE gateways (
	id                TEXT PRIMARY KEY,
	network_id        TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
	kind              TEXT NOT NULL CHECK (kind IN ('embedded', 'remote')),
	endpoint          TEXT NOT NULL DEFAULT '',
	listen_port       INTEGER NOT NULL DEFAULT 0,
	public_key        TEXT NOT NULL DEFAULT '',
	enroll_hash       TEXT UNIQUE,
	enroll_expires_at BIGINT,
	credential_hash   TEXT UNIQUE,
	hostname          TEXT NOT NULL DEFAULT '',
	version           TEXT NOT NULL DEFAULT '',
	created_at        BIGINT NOT NULL,
	created_by        TEXT NOT NULL DEFAULT '',
	enrolled_at       BIGINT,
	revoked_at        BIGINT,
	revoked_by        TEXT NOT NULL DEFAULT '',
	last_seen_at      BIGINT,
	reported_endpoint TEXT NOT NULL DEFAULT '',
	revision          BIGINT NOT NULL DEFAULT 0,
	report            TEXT NOT NULL DEFAULT '',
	report_at         BIGINT
);
CREATE INDEX gateways_network ON gateways(network_id);
CREATE INDEX gateways_public_key ON gateways(public_key) WHERE public_key <> '';
-- At most one gateway of each kind per network that is not revoked.
CREATE UNIQUE INDEX gateways_one_live ON gateways(network_id, kind) WHERE revoked_at IS NULL;
INSERT INTO gateways (id, network_id, kind, created_at, created_by, enrolled_at)
	SELECT 'gw_' || id, id, 'embedded', created_at, 'system', created_at FROM networks;
`,

	// 13: policies. Groups of users; a network's members may be groups
	// too, and it names its approvers (users and groups), how many must
	// approve, and who may break the glass; ordered rules per network;
	// service users. A request has a kind (access, extension,
	// break_glass), an optional later start, the approvals it has, the
	// rule that decided it, the grant an extension extends, the review
	// flag of break-glass access, and a revision for the compare-and-set
	// of changes that keep its status (an approval that is not the last,
	// an acknowledgement). "One open request per user and network" now
	// allows one pending extension beside its grant: an approved
	// extension is folded into its grant and holds no access itself.
	`
CREATE TABLE groups (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE TABLE group_members (
	group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
	user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members(user_id);

CREATE TABLE network_groups (
	network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
	role       TEXT NOT NULL CHECK (role IN ('member', 'approver', 'break_glass')),
	group_id   TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
	PRIMARY KEY (network_id, role, group_id)
);
CREATE INDEX network_groups_group ON network_groups(group_id);
CREATE TABLE network_approvers (
	network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	PRIMARY KEY (network_id, user_id)
);
CREATE INDEX network_approvers_user ON network_approvers(user_id);
ALTER TABLE networks ADD COLUMN required_approvals INTEGER NOT NULL DEFAULT 1;
ALTER TABLE networks ADD COLUMN break_glass_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE networks ADD COLUMN break_glass_max_seconds BIGINT NOT NULL DEFAULT 0;

CREATE TABLE rules (
	id                   TEXT PRIMARY KEY,
	network_id           TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
	position             INTEGER NOT NULL,
	name                 TEXT NOT NULL,
	action               TEXT NOT NULL,
	max_duration_seconds BIGINT NOT NULL DEFAULT 0,
	schedule             TEXT NOT NULL DEFAULT '',
	reason_pattern       TEXT NOT NULL DEFAULT '',
	created_at           BIGINT NOT NULL,
	updated_at           BIGINT NOT NULL,
	UNIQUE (network_id, name)
);
CREATE INDEX rules_network ON rules(network_id, position);
CREATE TABLE rule_subjects (
	rule_id  TEXT NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
	user_id  TEXT REFERENCES users(id) ON DELETE CASCADE,
	group_id TEXT REFERENCES groups(id) ON DELETE CASCADE,
	CHECK ((user_id IS NULL) <> (group_id IS NULL))
);
CREATE INDEX rule_subjects_rule ON rule_subjects(rule_id);
CREATE INDEX rule_subjects_user ON rule_subjects(user_id);
CREATE INDEX rule_subjects_group ON rule_subjects(group_id);

ALTER TABLE users ADD COLUMN service INTEGER NOT NULL DEFAULT 0;

ALTER TABLE requests ADD COLUMN kind TEXT NOT NULL DEFAULT 'access';
ALTER TABLE requests ADD COLUMN starts_at BIGINT;
ALTER TABLE requests ADD COLUMN required_approvals INTEGER NOT NULL DEFAULT 1;
ALTER TABLE requests ADD COLUMN rule TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN grant_id TEXT REFERENCES requests(id) ON DELETE CASCADE;
ALTER TABLE requests ADD COLUMN review_required INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN reviewed_at BIGINT;
ALTER TABLE requests ADD COLUMN reviewed_by TEXT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE requests ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
DROP INDEX requests_one_open;
CREATE UNIQUE INDEX requests_one_open ON requests(user_id, network_id, kind = 'extension')
	WHERE status = 'pending' OR (status = 'approved' AND kind <> 'extension');
CREATE INDEX requests_grant ON requests(grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX requests_status_start ON requests(status, starts_at) WHERE starts_at IS NOT NULL;
CREATE INDEX requests_review ON requests(review_required) WHERE review_required = 1;

CREATE TABLE request_approvals (
	request_id       TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
	user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	at               BIGINT NOT NULL,
	duration_seconds BIGINT NOT NULL,
	PRIMARY KEY (request_id, user_id)
);
`,
}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var have int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("migrate: the database is at schema version %d, newer than this binary (%d): upgrade Gatepass", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate to version %d: %w", v, err)
		}
	}
	return nil
}

// SchemaVersion reports the applied schema version.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
