package gateway

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/shared/humantime"
	"gatepass.dev/shared/wgkey"
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
			var key wgkey.Key
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

// DevicePeers returns the peers on the device as it reports them (added by
// the Runtime or not); nil without a device.
func (r *Runtime) DevicePeers() map[string]PeerStat {
	r.mu.Lock()
	dev := r.dev
	r.mu.Unlock()
	if dev == nil {
		return nil
	}
	dump, err := dev.IpcGet()
	if err != nil {
		return nil
	}
	return parseIpcGet(dump)
}

// Stats returns the peers the Runtime added, as the device sees them, by
// public key.
func (r *Runtime) Stats() []PeerStat {
	stats := r.DevicePeers()
	keys := r.managedKeys()
	out := make([]PeerStat, 0, len(keys))
	for _, k := range keys {
		if s, ok := stats[k]; ok {
			out = append(out, s)
		}
	}
	return out
}

// IpcSetForTest configures the device directly, bypassing the reconcile
// (to add a peer Gatepass does not manage).
func (r *Runtime) IpcSetForTest(uapi string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dev == nil {
		return fmt.Errorf("no device")
	}
	return r.dev.IpcSet(uapi)
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
// who you are, which network, time left, from the peer's entry in the
// held state. Only peers reach it.
func (r *Runtime) statusHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		host, _, _ := net.SplitHostPort(req.RemoteAddr)
		addr, err := netip.ParseAddr(host)
		if err != nil {
			http.Error(w, "unknown peer", http.StatusForbidden)
			return
		}
		p, exp, ok := r.peerOf(addr.Unmap())
		if !ok {
			http.Error(w, "unknown peer", http.StatusForbidden)
			return
		}
		r.mu.Lock()
		network, gw, now := r.spec.Name, r.spec.Address.String(), r.serverNowLocked()
		r.mu.Unlock()
		if req.URL.Query().Get("format") == "json" || strings.Contains(req.Header.Get("Accept"), "application/json") {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{"network": network, "user": p.UserEmail, "device": p.DeviceName,
				"address": addr.String(), "expires_at": formatOpt(exp)})
			return
		}
		accessText := "standing access"
		if !exp.IsZero() {
			accessText = fmt.Sprintf("expires in %s (%s)", humantime.Countdown(exp.Sub(now)), exp.UTC().Format(time.RFC1123))
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		_ = statusPage.Execute(w, map[string]string{"Network": network, "User": p.UserEmail, "Device": p.DeviceName,
			"Address": addr.String(), "Access": accessText, "Gateway": gw})
	})
}

func formatOpt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
