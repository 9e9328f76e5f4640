package gateway

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// PeerStat is what the device knows of one peer.
type PeerStat struct {
	PublicKey     string // base64
	Endpoint      string // ip:port, "" before the first handshake
	AllowedIPs    []string
	LastHandshake time.Time
	RxBytes       int64
	TxBytes       int64
}

// parseIpcGet reads the peers of a UAPI "get" dump.
func parseIpcGet(dump string) map[string]PeerStat {
	out := map[string]PeerStat{}
	var cur *PeerStat
	var sec, nsec int64
	flush := func() {
		if cur != nil {
			if sec != 0 || nsec != 0 {
				cur.LastHandshake = time.Unix(sec, nsec).UTC()
			}
			out[cur.PublicKey] = *cur
		}
		sec, nsec = 0, 0
	}
	sc := bufio.NewScanner(strings.NewReader(dump))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch k {
		case "public_key":
			flush()
			var key Key
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != 32 {
				cur = nil
				continue
			}
			copy(key[:], b)
			cur = &PeerStat{PublicKey: key.String()}
		case "endpoint":
			if cur != nil {
				cur.Endpoint = v
			}
		case "allowed_ip":
			if cur != nil {
				cur.AllowedIPs = append(cur.AllowedIPs, v)
			}
		case "last_handshake_time_sec":
			sec, _ = strconv.ParseInt(v, 10, 64)
		case "last_handshake_time_nsec":
			nsec, _ = strconv.ParseInt(v, 10, 64)
		case "rx_bytes":
			if cur != nil {
				cur.RxBytes, _ = strconv.ParseInt(v, 10, 64)
			}
		case "tx_bytes":
			if cur != nil {
				cur.TxBytes, _ = strconv.ParseInt(v, 10, 64)
			}
		}
	}
	flush()
	return out
}

// DevicePeers returns the peers on a network's device, as the device
// reports them (managed or not); nil when the network has no device.
func (m *Manager) DevicePeers(networkID string) map[string]PeerStat {
	m.mu.Lock()
	g := m.nets[networkID]
	m.mu.Unlock()
	if g == nil || g.dev == nil {
		return nil
	}
	dump, err := g.dev.IpcGet()
	if err != nil {
		return nil
	}
	return parseIpcGet(dump)
}

// Peers returns the connection state of every managed peer of a network,
// for the admin API.
func (m *Manager) Peers(networkID string) []api.PeerStatus {
	stats := m.DevicePeers(networkID)
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.nets[networkID]
	if g == nil {
		return []api.PeerStatus{}
	}
	out := make([]api.PeerStatus, 0, len(g.managed))
	for key, p := range g.managed {
		ps := api.PeerStatus{PublicKey: key, DeviceID: p.DeviceID, DeviceName: p.DeviceName, UserID: p.UserID, UserEmail: p.UserEmail, Address: p.Address}
		if !p.ExpiresAt.IsZero() {
			t := p.ExpiresAt
			ps.ExpiresAt = &t
		}
		if s, ok := stats[key]; ok {
			if !s.LastHandshake.IsZero() {
				t := s.LastHandshake
				ps.LastHandshake = &t
			}
			ps.RxBytes, ps.TxBytes = s.RxBytes, s.TxBytes
		}
		out = append(out, ps)
	}
	return out
}

// Status is a network's gateway as the API reports it.
type Status struct {
	Up         bool
	Error      string
	ListenPort int
	PublicKey  string
	Address    string
}

// NetworkStatus reports whether a network's device is up.
func (m *Manager) NetworkStatus(networkID string) Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.nets[networkID]
	if g == nil {
		return Status{Error: "not started"}
	}
	s := Status{Up: g.dev != nil, ListenPort: g.spec.ListenPort, PublicKey: g.spec.PrivateKey.Public().String(), Address: g.spec.Address.String()}
	if g.openErr != nil {
		s.Error = g.openErr.Error()
	}
	return s
}

var statusPage = template.Must(template.New("status").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gatepass · {{.Network}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1f2933}
h1{font-size:1.3rem}.ok{color:#0f7b3f}dt{color:#52606d;font-size:.85rem}dd{margin:0 0 .8rem}</style></head>
<body><h1><span class="ok">✔</span> You are on {{.Network}}</h1><dl>
<dt>Signed in as</dt><dd>{{.User}}</dd><dt>Device</dt><dd>{{.Device}} ({{.Address}})</dd>
<dt>Access</dt><dd>{{.Access}}</dd></dl><p>Gatepass gateway · {{.Gateway}}</p></body></html>
`))

// statusHandler serves the status page on the gateway's tunnel address:
// who you are, which network, time left. Only peers reach it.
func (m *Manager) statusHandler(networkID string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		addr, err := netip.ParseAddr(host)
		if err != nil {
			http.Error(w, "unknown peer", http.StatusForbidden)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		bits := 32
		if addr.Is6() {
			bits = 128
		}
		n, err := store.NetworkByID(ctx, m.db, networkID)
		if err != nil {
			http.Error(w, "network not found", http.StatusNotFound)
			return
		}
		dev, u, err := store.DeviceAddressOwner(ctx, m.db, networkID, netip.PrefixFrom(addr, bits).String())
		if err != nil {
			http.Error(w, "unknown peer", http.StatusForbidden)
			return
		}
		accessText := "standing access"
		m.mu.Lock()
		var exp time.Time
		if g := m.nets[networkID]; g != nil {
			exp = g.managed[dev.PublicKey].ExpiresAt
		}
		gw := ""
		if g := m.nets[networkID]; g != nil {
			gw = g.spec.Address.String()
		}
		m.mu.Unlock()
		if !exp.IsZero() {
			accessText = fmt.Sprintf("expires in %s (%s)", humantime.Countdown(exp.Sub(m.clock.Now())), exp.UTC().Format(time.RFC1123))
		}
		if r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json") {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"network":%q,"user":%q,"device":%q,"address":%q,"expires_at":%q}`+"\n", n.Name, u.Email, dev.Name, addr.String(), formatOpt(exp))
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		_ = statusPage.Execute(w, map[string]string{"Network": n.Name, "User": u.Email, "Device": dev.Name, "Address": addr.String(), "Access": accessText, "Gateway": gw})
	})
}

func formatOpt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
