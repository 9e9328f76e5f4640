package admin

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/backend/internal/wgconf"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// Network defaults.
const (
	DefaultGrant    = 8 * time.Hour
	DefaultMaxGrant = 30 * 24 * time.Hour
	FirstListenPort = 51820
)

var networkName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// applyNetworkInput merges in over n (a new network's defaults, or the
// stored one for an update) and validates the result. It returns the names
// of the fields given.
func (s *Service) applyNetworkInput(ctx context.Context, q store.Querier, n store.Network, in api.NetworkInput, create bool) (store.Network, []string, error) {
	var changed []string
	mark := func(f string) { changed = append(changed, f) }
	if in.Name != nil {
		if !networkName.MatchString(*in.Name) {
			return n, nil, fault.Field("name", "must be 1–63 letters, digits, '.', '_' or '-', starting with a letter or digit")
		}
		n.Name = *in.Name
		mark("name")
	} else if create {
		return n, nil, fault.Field("name", "is required")
	}
	if in.Description != nil {
		d, err := access.CleanText("description", *in.Description, 500, false)
		if err != nil {
			return n, nil, err
		}
		n.Description = d
		mark("description")
	}
	if in.CIDR != nil {
		p, err := netip.ParsePrefix(*in.CIDR)
		if err != nil {
			return n, nil, fault.Field("cidr", "%q is not an address range like 10.77.0.0/24", *in.CIDR)
		}
		p = p.Masked()
		if (p.Addr().Is4() && p.Bits() > 29) || (p.Addr().Is6() && p.Bits() > 125) || p.Bits() < 8 {
			return n, nil, fault.Field("cidr", "%s is too small or too large for a network (use /8 to /29)", p)
		}
		n.CIDR = p.String()
		mark("cidr")
	} else if create {
		return n, nil, fault.Field("cidr", "is required")
	}
	if in.Routes != nil {
		routes := []string{}
		for _, r := range *in.Routes {
			p, err := netip.ParsePrefix(r)
			if err != nil {
				return n, nil, fault.Field("routes", "%q is not an address range like 192.168.10.0/24", r)
			}
			routes = append(routes, p.Masked().String())
		}
		if len(routes) > 64 {
			return n, nil, fault.Field("routes", "at most 64 routes")
		}
		n.Routes = routes
		mark("routes")
	}
	if in.ListenPort != nil {
		if *in.ListenPort < 1 || *in.ListenPort > 65535 {
			return n, nil, fault.Field("listen_port", "%d is not a port number", *in.ListenPort)
		}
		n.ListenPort = *in.ListenPort
		mark("listen_port")
	} else if create {
		port, err := FreeListenPort(ctx, q, s.FirstListenPort)
		if err != nil {
			return n, nil, err
		}
		n.ListenPort = port
	}
	if in.Endpoint != nil {
		ep, err := wgconf.ValidEndpoint(*in.Endpoint)
		if err != nil {
			return n, nil, fault.Field("endpoint", "%v: give the host name or IP address clients dial and the UDP port, e.g. gateway.example.com:51820", err)
		}
		n.Endpoint = ep
		mark("endpoint")
	} else if create || (in.ListenPort != nil && n.Endpoint == s.DefaultEndpoint(n.ListenPort)) {
		n.Endpoint = s.DefaultEndpoint(n.ListenPort)
	}
	if in.JITEnabled != nil {
		n.JITEnabled = *in.JITEnabled
		mark("jit_enabled")
	} else if create {
		n.JITEnabled = true
	}
	if in.MaxDurationSeconds != nil {
		if *in.MaxDurationSeconds <= 0 || *in.MaxDurationSeconds > int64(access.MaxGrant/time.Second) {
			return n, nil, fault.Field("max_duration_seconds", "must be from 1 second to %s", humantime.Span(access.MaxGrant))
		}
		n.MaxDuration = time.Duration(*in.MaxDurationSeconds) * time.Second
		mark("max_duration_seconds")
	} else if create {
		n.MaxDuration = DefaultMaxGrant
	}
	if in.DefaultDurationSeconds != nil {
		if *in.DefaultDurationSeconds <= 0 || *in.DefaultDurationSeconds > int64(access.MaxGrant/time.Second) {
			return n, nil, fault.Field("default_duration_seconds", "must be from 1 second to %s", humantime.Span(access.MaxGrant))
		}
		n.DefaultDuration = time.Duration(*in.DefaultDurationSeconds) * time.Second
		mark("default_duration_seconds")
	} else if create {
		n.DefaultDuration = min(DefaultGrant, n.MaxDuration)
	}
	if n.DefaultDuration > n.MaxDuration {
		return n, nil, fault.Field("default_duration_seconds", "the default (%s) is longer than the maximum (%s)", humantime.Span(n.DefaultDuration), humantime.Span(n.MaxDuration))
	}
	if in.MemberIDs != nil {
		ids, err := userIDs(ctx, q, "member_ids", *in.MemberIDs, false)
		if err != nil {
			return n, nil, err
		}
		n.MemberIDs = ids
		n.AllUsers = false
		mark("member_ids")
	}
	if in.MemberGroupIDs != nil {
		ids, err := groupIDs(ctx, q, "member_group_ids", *in.MemberGroupIDs)
		if err != nil {
			return n, nil, err
		}
		n.MemberGroupIDs = ids
		n.AllUsers = false
		mark("member_group_ids")
	}
	if create && in.MemberIDs == nil && in.MemberGroupIDs == nil {
		n.AllUsers = true
	}
	if in.AllUsers != nil {
		n.AllUsers = *in.AllUsers
		mark("all_users")
	}
	if err := applyPolicyInput(ctx, q, &n, in, create, mark); err != nil {
		return n, nil, err
	}
	return n, changed, nil
}

// DefaultEndpoint is where clients dial a network's gateway on port unless
// the admin sets an endpoint: the current public URL's host.
func (s *Service) DefaultEndpoint(port int) string {
	return DefaultEndpoint(s.Settings.PublicURL(), port)
}

// DefaultEndpoint is the public URL's host with the listen port: where
// clients dial a network's gateway unless the admin sets an endpoint.
func DefaultEndpoint(publicURL string, port int) string {
	host := "localhost"
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// FreeListenPort picks the lowest port from first (0: FirstListenPort) that
// no network uses and that is free on this host.
func FreeListenPort(ctx context.Context, q store.Querier, first int) (int, error) {
	if first == 0 {
		first = FirstListenPort
	}
	used, err := store.UsedListenPorts(ctx, q)
	if err != nil {
		return 0, err
	}
	for p := first; p < first+1000 && p < 65536; p++ {
		if used[p] {
			continue
		}
		c, err := net.ListenPacket("udp", ":"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		c.Close()
		return p, nil
	}
	return 0, fault.Conflictf("no free UDP port from %d: set listen_port", first)
}
