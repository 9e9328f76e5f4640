package gateway

import (
	"net/http"
	"net/netip"

	"gatepass.dev/shared/wgkey"
)

// Spec is what a network's gateway device needs.
type Spec struct {
	NetworkID  string
	Name       string
	PrivateKey wgkey.Key
	ListenPort int
	Prefix     netip.Prefix   // the network's range
	Address    netip.Addr     // the gateway's address: the range's first
	Routes     []netip.Prefix // forwarded to the host's networks
}

// same reports whether a running device can keep serving s2.
func (s Spec) same(s2 Spec) bool {
	if s.PrivateKey != s2.PrivateKey || s.ListenPort != s2.ListenPort || s.Prefix != s2.Prefix || s.Address != s2.Address || len(s.Routes) != len(s2.Routes) {
		return false
	}
	for i := range s.Routes {
		if s.Routes[i] != s2.Routes[i] {
			return false
		}
	}
	return true
}

// Device is one network's running WireGuard device: wireguard-go's UAPI
// (IpcSet/IpcGet) and teardown.
type Device interface {
	IpcSet(uapi string) error
	IpcGet() (string, error)
	Close() error
}

// Backend opens devices. status serves the status page on the gateway's
// tunnel address, port 80 (a backend that cannot serve it ignores it).
type Backend interface {
	Kind() string
	Open(spec Spec, status http.Handler) (Device, error)
}
