package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gatepass.dev/shared/api"
)

// Gateway is a row of gateways: a network's embedded gateway, or a remote
// one (enrolled or waiting for its enrollment).
type Gateway struct {
	ID              string
	NetworkID       string
	NetworkName     string // joined
	NetworkEndpoint string // joined: an embedded gateway's endpoint
	Kind            api.GatewayKind
	Endpoint        string // remote: where clients dial; embedded: "" (the network's)
	ListenPort      int    // remote: the UDP port it listens on
	PublicKey       string // remote, once enrolled
	EnrollExpiresAt time.Time
	Hostname        string
	Version         string
	CreatedAt       time.Time
	CreatedBy       string
	EnrolledAt      time.Time // zero: not enrolled yet
	RevokedAt       time.Time
	RevokedBy       string
	LastSeenAt      time.Time
	// The latest status report.
	ReportedEndpoint string
	Revision         uint64
	Report           string // JSON: []api.GatewayPeerReport
	ReportAt         time.Time
}

// Enrolled reports whether the gateway has enrolled (an embedded one always
// has).
func (g Gateway) Enrolled() bool { return !g.EnrolledAt.IsZero() }

// Revoked reports whether the gateway was revoked (or replaced).
func (g Gateway) Revoked() bool { return !g.RevokedAt.IsZero() }

const gatewayCols = `g.id, g.network_id, n.name, n.endpoint, g.kind, g.endpoint, g.listen_port, g.public_key, g.enroll_expires_at, g.hostname, g.version,
	g.created_at, g.created_by, g.enrolled_at, g.revoked_at, g.revoked_by, g.last_seen_at, g.reported_endpoint, g.revision, g.report, g.report_at`

const gatewayFrom = ` FROM gateways g JOIN networks n ON n.id = g.network_id `

func scanGateway(row interface{ Scan(...any) error }) (Gateway, error) {
	var g Gateway
	var enrollExp, created, enrolled, revoked, seen, reportAt sql.NullInt64
	var rev int64
	err := row.Scan(&g.ID, &g.NetworkID, &g.NetworkName, &g.NetworkEndpoint, &g.Kind, &g.Endpoint, &g.ListenPort, &g.PublicKey, &enrollExp, &g.Hostname, &g.Version,
		&created, &g.CreatedBy, &enrolled, &revoked, &g.RevokedBy, &seen, &g.ReportedEndpoint, &rev, &g.Report, &reportAt)
	if errors.Is(err, sql.ErrNoRows) {
		return g, ErrNotFound
	}
	if err != nil {
		return g, err
	}
	g.EnrollExpiresAt, g.CreatedAt, g.EnrolledAt, g.RevokedAt = fromMS(enrollExp), fromMS(created), fromMS(enrolled), fromMS(revoked)
	g.LastSeenAt, g.ReportAt, g.Revision = fromMS(seen), fromMS(reportAt), uint64(rev)
	return g, nil
}

func queryGateways(ctx context.Context, q Querier, query string, args ...any) ([]Gateway, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Gateway
	for rows.Next() {
		g, err := scanGateway(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// CreateGateway inserts a gateway; enrollHash is the SHA-256 of a remote
// gateway's enroll token ("" for an embedded one). A second live gateway
// of the same kind on a network is ErrConflict.
func CreateGateway(ctx context.Context, q Querier, g Gateway, enrollHash string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO gateways (id, network_id, kind, endpoint, listen_port, enroll_hash, enroll_expires_at, created_at, created_by, enrolled_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.ID, g.NetworkID, g.Kind, g.Endpoint, g.ListenPort, nullStr(enrollHash), ms(g.EnrollExpiresAt), ms(g.CreatedAt), g.CreatedBy, ms(g.EnrolledAt))
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// CreateEmbeddedGateway gives a new network its embedded gateway.
func CreateEmbeddedGateway(ctx context.Context, q Querier, networkID string, now time.Time) error {
	return CreateGateway(ctx, q, Gateway{ID: "gw_" + networkID, NetworkID: networkID, Kind: api.GatewayEmbedded, CreatedAt: now,
		CreatedBy: "system", EnrolledAt: now}, "")
}

// GatewayByID loads a gateway (revoked ones too).
func GatewayByID(ctx context.Context, q Querier, id string) (Gateway, error) {
	return scanGateway(q.QueryRowContext(ctx, `SELECT `+gatewayCols+gatewayFrom+`WHERE g.id = ?`, id))
}

// GatewayByEnrollHash loads the gateway of an enroll token (in any state).
func GatewayByEnrollHash(ctx context.Context, q Querier, hash string) (Gateway, error) {
	return scanGateway(q.QueryRowContext(ctx, `SELECT `+gatewayCols+gatewayFrom+`WHERE g.enroll_hash = ?`, hash))
}

// GatewayByCredential loads the enrolled, not revoked gateway of a
// credential, or ErrNotFound.
func GatewayByCredential(ctx context.Context, q Querier, hash string) (Gateway, error) {
	return scanGateway(q.QueryRowContext(ctx, `SELECT `+gatewayCols+gatewayFrom+
		`WHERE g.credential_hash = ? AND g.revoked_at IS NULL AND g.enrolled_at IS NOT NULL`, hash))
}

// ListGateways returns the gateways that are not revoked, by network name
// (the embedded one first), with revoked ones too when asked.
func ListGateways(ctx context.Context, q Querier, withRevoked bool) ([]Gateway, error) {
	return queryGateways(ctx, q, `SELECT `+gatewayCols+gatewayFrom+`WHERE (? = 1 OR g.revoked_at IS NULL)
		ORDER BY n.name, g.kind, g.created_at, g.id`, boolInt(withRevoked))
}

// GatewaysOfNetwork returns a network's gateways that are not revoked.
func GatewaysOfNetwork(ctx context.Context, q Querier, networkID string) ([]Gateway, error) {
	return queryGateways(ctx, q, `SELECT `+gatewayCols+gatewayFrom+`WHERE g.network_id = ? AND g.revoked_at IS NULL
		ORDER BY g.kind, g.created_at, g.id`, networkID)
}

// ActiveGateway returns the gateway that serves a network: its enrolled
// remote gateway, else its embedded one; ErrNotFound when it has neither
// (its remote gateway was revoked).
func ActiveGateway(ctx context.Context, q Querier, networkID string) (Gateway, error) {
	return scanGateway(q.QueryRowContext(ctx, `SELECT `+gatewayCols+gatewayFrom+`WHERE g.network_id = ? AND g.revoked_at IS NULL
		AND g.enrolled_at IS NOT NULL ORDER BY g.kind = 'remote' DESC LIMIT 1`, networkID))
}

// EnrollGateway records a remote gateway's enrollment (its key, the hash of
// its credential, what it told of itself), once: ErrConflict when it has
// enrolled or was revoked meanwhile.
func EnrollGateway(ctx context.Context, q Querier, id, publicKey, credentialHash, hostname, version string, listenPort int, now time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE gateways SET public_key = ?, credential_hash = ?, hostname = ?, version = ?,
		listen_port = CASE WHEN ? > 0 THEN ? ELSE listen_port END, enrolled_at = ?, last_seen_at = ?
		WHERE id = ? AND enrolled_at IS NULL AND revoked_at IS NULL`,
		publicKey, credentialHash, hostname, version, listenPort, listenPort, ms(now), ms(now), id)
	if err != nil {
		return err
	}
	if mustAffect(res) != nil {
		return ErrConflict
	}
	return nil
}

// RevokeGateway revokes a gateway: ErrNotFound when there is none that is
// not revoked.
func RevokeGateway(ctx context.Context, q Querier, id, by string, now time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE gateways SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL`, ms(now), by, id)
	if err != nil {
		return err
	}
	return mustAffect(res)
}

// RevokeEmbeddedGateway revokes a network's embedded gateway (replaced by a
// remote one) and returns its id; "" when it had none live.
func RevokeEmbeddedGateway(ctx context.Context, q Querier, networkID, by string, now time.Time) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT id FROM gateways WHERE network_id = ? AND kind = 'embedded' AND revoked_at IS NULL`, networkID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return id, RevokeGateway(ctx, q, id, by, now)
}

// TouchGateway records a gateway's contact.
func TouchGateway(ctx context.Context, q Querier, id string, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE gateways SET last_seen_at = ? WHERE id = ?`, ms(now), id)
	return err
}

// SaveGatewayReport keeps a gateway's latest status report.
func SaveGatewayReport(ctx context.Context, q Querier, id, version, endpoint string, revision uint64, report string, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE gateways SET version = ?, reported_endpoint = ?, revision = ?, report = ?, report_at = ?, last_seen_at = ?
		WHERE id = ? AND revoked_at IS NULL`, version, endpoint, int64(revision), report, ms(now), ms(now), id)
	return err
}

// GatewayKeyTaken reports whether a public key is any gateway's (revoked
// ones included).
func GatewayKeyTaken(ctx context.Context, q Querier, publicKey string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM gateways WHERE public_key = ? LIMIT 1`, publicKey).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// DeviceKeyTaken reports whether a public key is any device's (removed
// ones included).
func DeviceKeyTaken(ctx context.Context, q Querier, publicKey string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM devices WHERE public_key = ? LIMIT 1`, publicKey).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
