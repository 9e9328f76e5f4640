// Package gateway is the enforcement of Gatepass: the WireGuard gateway of
// one network, as a Runtime that holds a desired State and keeps a
// wireguard-go device equal to it. It has no database: the same Runtime
// runs inside gatepass-server (the embedded gateway, fed in-process by the
// server's gateway hub) and in gatepass-gateway at the site it guards (fed
// by the server's watch stream). It builds with CGO_ENABLED=0 for Linux,
// Windows and macOS.
//
// # The State
//
// A State (api.GatewayState) is everything the server wants of a network's
// gateway at one instant: the network (range, the gateway's address,
// routes, listen port), its peers (public key, allowed IPs, expires_at, and
// the user's email and device name for the status page), the server time
// and the lease. The server sends a full State on connect and after every
// change; the Runtime applies it as a diff:
//
//   - a new peer is added, a changed one (allowed IPs) updated in place, a
//     peer no longer wanted removed;
//   - an unchanged peer is never touched: no replace_peers, no
//     remove-and-re-add (either stalls its client 11–15 s);
//   - peers the Runtime did not add are left alone;
//   - a peer whose allowed IPs leave the network's range is refused (a
//     route such as 0.0.0.0/0 on a peer would capture the gateway's
//     traffic), as is a key that is not one;
//   - a change of the network's range, address, routes or listen port
//     reopens the device.
//
// # Time
//
// Each peer goes at its expires_at by the Runtime's own timer, whether or
// not the server says so. expires_at is on the server's clock: the Runtime
// measures the offset of its own clock from the server_time of every State
// and ping (server time minus local time of receipt) and uses the highest
// of the last four samples — a message delayed on its way only ever lowers
// a sample, so the highest is the closest; a server clock stepped back is
// followed after four samples, removing peers early (never late) meanwhile.
// Clocks are injected (clockwork).
//
// # Lease: fail closed
//
// When the Runtime has heard nothing from its server (no State, no ping) for
// the lease (the State's lease_seconds, capped by Options.Lease), it drops
// every peer that has an expires_at — every JIT peer — and keeps standing
// peers (no expiry: access that no grant gives). A fresh State restores
// them; so does any later message of the same stream (the stream is in
// order: what the server said before it has been applied). The embedded
// Runtime has no lease (Options.NoLease): it cannot lose its server.
//
// # Restarts
//
// The peers' last UDP endpoints are kept through an EndpointStore (the
// server's database for the embedded gateway, a file in the state
// directory for gatepass-gateway). A peer added with a known endpoint is
// "kicked": the gateway sends it a keepalive at once, which starts a
// handshake, so sessions are back within a round trip of the first State
// instead of waiting for the clients' retries; the keepalive stops once a
// handshake completed.
//
// # Backends
//
// Two device backends behind one small interface (Backend): Netstack, a
// userspace subnet router (gVisor; no root) that forwards to the network's
// routes from the host's own stack and serves the status page on the
// gateway's address; and TUN (Linux, root), a kernel interface with IP
// forwarding. Off keeps peers in memory only (a server that enforces
// nothing itself).
package gateway
