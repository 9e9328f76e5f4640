package gatewayhub

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/backend/internal/wgconf"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// The writes of the gateways: each in one transaction with its audit row,
// published on the bus after the commit.

// DefaultStateDir is the state directory the enrollment command names.
const DefaultStateDir = "/var/lib/gatepass-gateway"

// MaxReportPeers bounds a report.
const MaxReportPeers = 100000

// Token prefixes: an enroll token and a credential are told apart at a
// glance (and from login tokens).
const (
	enrollPrefix     = "gpe_"
	credentialPrefix = "gpg_"
)

func newSecret(prefix string) (secret, hash string) {
	s, _ := auth.NewToken()
	s = prefix + s
	return s, auth.HashToken(s)
}

// AddGateway adds a remote gateway to a network: a gateway waiting for its
// enrollment, its one-time enroll token (shown this once) and the command
// to run on the gateway's host. The network keeps its current gateway
// until the new one enrolls.
func (h *Hub) AddGateway(ctx context.Context, by actor.Actor, networkID string, in api.GatewayInput) (api.NewGatewayResponse, error) {
	now := h.opt.Clock.Now().UTC()
	ttl := DefaultEnrollTTL
	if in.EnrollTTLSeconds != nil {
		ttl = time.Duration(*in.EnrollTTLSeconds) * time.Second
		if ttl < time.Minute || ttl > MaxEnrollTTL {
			return api.NewGatewayResponse{}, fault.Field("enroll_ttl_seconds", "must be from 60 seconds to %s", humantime.Span(MaxEnrollTTL))
		}
	}
	token, hash := newSecret(enrollPrefix)
	var g store.Gateway
	err := h.opt.DB.Tx(ctx, func(tx *sql.Tx) error {
		n, err := store.NetworkByID(ctx, tx, networkID)
		if errors.Is(err, store.ErrNotFound) {
			return fault.NotFoundf("no network %q", networkID)
		}
		if err != nil {
			return err
		}
		endpoint := n.Endpoint
		if in.Endpoint != nil {
			if endpoint, err = wgconf.ValidEndpoint(strings.TrimSpace(*in.Endpoint)); err != nil {
				return fault.Field("endpoint", "%v: give the host name or IP address clients dial to reach the gateway, and its UDP port, e.g. gw.office.example.com:51820", err)
			}
		}
		g = store.Gateway{ID: store.NewID("gw"), NetworkID: n.ID, NetworkName: n.Name, Kind: api.GatewayRemote, Endpoint: endpoint,
			ListenPort: endpointPort(endpoint), EnrollExpiresAt: now.Add(ttl), CreatedAt: now, CreatedBy: by.Email}
		if err := store.CreateGateway(ctx, tx, g, hash); errors.Is(err, store.ErrConflict) {
			return fault.Conflictf("network %s already has a remote gateway (enrolled or waiting for its enrollment): revoke it first", n.Name)
		} else if err != nil {
			return err
		}
		return store.InsertAudit(ctx, tx, audit(by, "gateway.add", g, now, map[string]string{
			"endpoint": endpoint, "enroll_expires_at": g.EnrollExpiresAt.Format(time.RFC3339)}))
	})
	if err != nil {
		return api.NewGatewayResponse{}, err
	}
	h.opt.Bus.Publish(events.Change{NetworkID: g.NetworkID})
	return api.NewGatewayResponse{Gateway: h.view(g, now), EnrollToken: token, EnrollExpiresAt: g.EnrollExpiresAt,
		Command: EnrollCommand(h.opt.PublicURL(), token), ServerTime: now}, nil
}

// EnrollCommand is the line that enrolls and runs a gateway on its host.
func EnrollCommand(publicURL, token string) string {
	return "gatepass-gateway up --server " + shellWord(publicURL) + " --enroll-token " + shellWord(token) +
		" --state-dir " + DefaultStateDir + " --mode netstack"
}

// shellWord quotes s for a POSIX shell unless it needs none.
func shellWord(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Revoke revokes a remote gateway: its stream is told so and ends, its
// credential is refused from then on, and the network has no gateway
// until another enrolls. The embedded gateway cannot be revoked.
func (h *Hub) Revoke(ctx context.Context, by actor.Actor, id string) (store.Gateway, error) {
	now := h.opt.Clock.Now().UTC()
	var g store.Gateway
	err := h.opt.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		g, err = store.GatewayByID(ctx, tx, id)
		if errors.Is(err, store.ErrNotFound) {
			return fault.NotFoundf("no gateway %q", id)
		}
		if err != nil {
			return err
		}
		if g.Revoked() {
			return fault.Conflictf("gateway %s was revoked already (%s)", g.ID, g.RevokedAt.Format(time.RFC3339))
		}
		if g.Kind == api.GatewayEmbedded {
			return fault.Conflictf("the embedded gateway of network %s runs inside gatepass-server and cannot be revoked: add a remote gateway to replace it", g.NetworkName)
		}
		if err := store.RevokeGateway(ctx, tx, g.ID, by.Email, now); err != nil {
			return err
		}
		g.RevokedAt, g.RevokedBy = now, by.Email
		return store.InsertAudit(ctx, tx, audit(by, "gateway.revoke", g, now, map[string]string{
			"enrolled": strconv.FormatBool(g.Enrolled()), "hostname": g.Hostname, "public_key": g.PublicKey}))
	})
	if err != nil {
		return store.Gateway{}, err
	}
	h.opt.Bus.Publish(events.Change{NetworkID: g.NetworkID, Gateway: true})
	return g, nil
}

// Enroll turns an enroll token into a gateway's credential (see the
// package doc): the token works once and expires; the key must be a
// usable Curve25519 key no device or gateway has.
func (h *Hub) Enroll(ctx context.Context, source string, in api.GatewayEnrollRequest) (api.GatewayEnrollResponse, error) {
	now := h.opt.Clock.Now().UTC()
	if strings.TrimSpace(in.EnrollToken) == "" {
		return api.GatewayEnrollResponse{}, fault.Field("enroll_token", "is required: the token shown when the gateway was added")
	}
	key, err := access.ParseDeviceKey(in.PublicKey)
	if err != nil {
		return api.GatewayEnrollResponse{}, err
	}
	version, err := access.CleanText("version", in.Version, 64, false)
	if err != nil {
		return api.GatewayEnrollResponse{}, err
	}
	hostname, err := access.CleanText("hostname", in.Hostname, 253, false)
	if err != nil {
		return api.GatewayEnrollResponse{}, err
	}
	if in.ListenPort < 0 || in.ListenPort > 65535 {
		return api.GatewayEnrollResponse{}, fault.Field("listen_port", "%d is not a port number", in.ListenPort)
	}
	credential, credHash := newSecret(credentialPrefix)
	var g store.Gateway
	err = h.opt.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		g, err = store.GatewayByEnrollHash(ctx, tx, auth.HashToken(strings.TrimSpace(in.EnrollToken)))
		switch {
		case errors.Is(err, store.ErrNotFound):
			return fault.New(fault.Unauthenticated, "unknown enroll token: ask an admin to add the gateway and use the token shown then")
		case err != nil:
			return err
		case g.Revoked():
			return fault.New(fault.Unauthenticated, "this enroll token's gateway was revoked: ask an admin to add the gateway again")
		case g.Enrolled():
			return fault.Conflictf("this enroll token was used already (gateway %s enrolled at %s): each token works once; an admin adds the gateway again for a new one",
				g.ID, g.EnrolledAt.Format(time.RFC3339))
		case !now.Before(g.EnrollExpiresAt):
			return fault.New(fault.Unauthenticated, "this enroll token expired at %s: ask an admin to add the gateway again", g.EnrollExpiresAt.Format(time.RFC3339))
		}
		if taken, err := store.DeviceKeyTaken(ctx, tx, key); err != nil {
			return err
		} else if taken {
			return fault.Field("public_key", "is a device's key: a gateway needs a key pair of its own")
		}
		if gw, err := isGatewayKey(ctx, tx, key); err != nil {
			return err
		} else if gw {
			return fault.Field("public_key", "is another gateway's key: generate a new key pair")
		}
		if err := store.EnrollGateway(ctx, tx, g.ID, key, credHash, hostname, version, in.ListenPort, now); err != nil {
			return err
		}
		details := map[string]string{"hostname": hostname, "version": version, "public_key": key, "listen_port": strconv.Itoa(in.ListenPort)}
		// The network's embedded gateway gives way.
		emb, err := store.RevokeEmbeddedGateway(ctx, tx, g.NetworkID, "gateway:"+g.ID, now)
		if err != nil {
			return err
		}
		if emb != "" {
			details["replaces"] = emb
		}
		a := actor.Actor{Email: "gateway:" + g.ID, Source: source}
		return store.InsertAudit(ctx, tx, audit(a, "gateway.enroll", g, now, details))
	})
	if err != nil {
		return api.GatewayEnrollResponse{}, err
	}
	h.log.Info("gateway: enrolled", "gateway", g.ID, "network", g.NetworkName, "hostname", hostname, "version", version)
	h.opt.Bus.Publish(events.Change{NetworkID: g.NetworkID, Gateway: true})
	return api.GatewayEnrollResponse{GatewayID: g.ID, Credential: credential, NetworkID: g.NetworkID, ServerTime: now}, nil
}

// Authenticate resolves a gateway's credential: an enrolled gateway that
// is not revoked, else Unauthenticated.
func (h *Hub) Authenticate(ctx context.Context, credential string) (store.Gateway, error) {
	if credential == "" {
		return store.Gateway{}, fault.New(fault.Unauthenticated, "this endpoint is for gateways: send Authorization: Bearer <gateway credential>")
	}
	g, err := store.GatewayByCredential(ctx, h.opt.DB, auth.HashToken(credential))
	if errors.Is(err, store.ErrNotFound) {
		return g, fault.New(fault.Unauthenticated, "the gateway credential is unknown or was revoked: an admin adds the gateway again")
	}
	return g, err
}

// Report keeps a gateway's status report (the latest replaces the one
// before). Its values are checked: they are shown on the admin page.
func (h *Hub) Report(ctx context.Context, g store.Gateway, in api.GatewayReport) error {
	now := h.opt.Clock.Now().UTC()
	version, err := access.CleanText("version", in.Version, 64, false)
	if err != nil {
		return err
	}
	endpoint := strings.TrimSpace(in.Endpoint)
	if endpoint != "" {
		if endpoint, err = wgconf.ValidEndpoint(endpoint); err != nil {
			return fault.Field("endpoint", "%v", err)
		}
	}
	if len(in.Peers) > MaxReportPeers {
		return fault.Field("peers", "at most %d", MaxReportPeers)
	}
	peers := make([]api.GatewayPeerReport, 0, len(in.Peers))
	for i, p := range in.Peers {
		key, err := access.ParseDeviceKey(p.PublicKey)
		if err != nil {
			return fault.Field("peers["+strconv.Itoa(i)+"].public_key", "must be a WireGuard public key")
		}
		if p.Endpoint != "" {
			if _, err := netip.ParseAddrPort(p.Endpoint); err != nil {
				return fault.Field("peers["+strconv.Itoa(i)+"].endpoint", "%q is not ip:port", p.Endpoint)
			}
		}
		if p.RxBytes < 0 || p.TxBytes < 0 {
			return fault.Field("peers["+strconv.Itoa(i)+"]", "byte counts cannot be negative")
		}
		p.PublicKey = key
		if p.LastHandshake != nil {
			t := p.LastHandshake.UTC()
			p.LastHandshake = &t
		}
		peers = append(peers, p)
	}
	b, err := json.Marshal(peers)
	if err != nil {
		return err
	}
	return h.opt.DB.Tx(ctx, func(tx *sql.Tx) error {
		return store.SaveGatewayReport(ctx, tx, g.ID, version, endpoint, in.Revision, string(b), now)
	})
}

func audit(a actor.Actor, action string, g store.Gateway, now time.Time, details map[string]string) store.AuditEntry {
	if details == nil {
		details = map[string]string{}
	}
	details["network"] = g.NetworkName
	details["kind"] = string(g.Kind)
	return store.AuditEntry{At: now, ActorID: a.ID, ActorEmail: a.Email, Action: action, TargetType: "gateway", TargetID: g.ID,
		NetworkID: g.NetworkID, Source: a.Source, Details: details}
}
