package tunnel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"syscall"

	"github.com/things-go/go-socks5"
	"github.com/things-go/go-socks5/statute"
)

// socksResolver makes the SOCKS5 server resolve names (socks5h) through
// the tunnels' DNS instead of the host's resolver.
type socksResolver struct{ b *Netstack }

func (r socksResolver) Resolve(ctx context.Context, name string) (context.Context, net.IP, error) {
	ip, _, err := r.b.lookup(ctx, name)
	if err != nil {
		return ctx, nil, err
	}
	return ctx, net.IP(ip.AsSlice()), nil
}

type socksLogger struct{ logf func(string, ...any) }

func (l socksLogger) Errorf(format string, args ...any) { l.logf("socks5 proxy: "+format, args...) }

// socksConnect serves a SOCKS5 CONNECT: dial through the tunnel that
// routes the destination (or refuse), reply, then relay.
func (b *Netstack) socksConnect(ctx context.Context, w io.Writer, req *socks5.Request) error {
	client, ok := w.(net.Conn)
	if !ok {
		socks5.SendReply(w, statute.RepServerFailure, nil) //nolint:errcheck
		return errors.New("socks5: client is not a connection")
	}
	target, t, err := b.dialTunnel(ctx, "tcp", req.DestAddr.String())
	if err != nil {
		socks5.SendReply(w, socksReplyCode(err), nil) //nolint:errcheck
		return fmt.Errorf("connect to %s: %w", req.RawDestAddr.Address(), err)
	}
	if err := socks5.SendReply(w, statute.RepSuccess, target.LocalAddr()); err != nil {
		target.Close()
		return err
	}
	splice(t, client, req.Reader, target)
	return nil
}

func socksReplyCode(err error) uint8 {
	switch {
	case errors.Is(err, ErrNoRoute):
		return statute.RepNetworkUnreachable
	case errors.Is(err, ErrNotFound):
		return statute.RepHostUnreachable
	case errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "refused"):
		return statute.RepConnectionRefused
	}
	return statute.RepHostUnreachable
}

// serveHTTPProxy is the HTTP proxy: CONNECT host:port tunnels a TCP
// stream; an absolute http:// URI (GET, POST, …) is forwarded. Both go
// only through a tunnel that routes the destination.
func (b *Netstack) serveHTTPProxy(w http.ResponseWriter, r *http.Request) {
	if !b.allowHTTP(w, r) {
		return
	}
	switch {
	case r.Method == http.MethodConnect:
		b.httpConnect(w, r)
	case r.URL.IsAbs() && r.URL.Scheme == "http" && r.URL.Host != "":
		rp := &httputil.ReverseProxy{
			Rewrite:       func(*httputil.ProxyRequest) {}, // keep the absolute URL and Host; add no X-Forwarded-*
			Transport:     b.fwd,
			FlushInterval: -1,
			ErrorLog:      newStdLogger(b.logf, "http proxy: "),
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				b.logf("http proxy: %s %s: %v", r.Method, r.URL, err)
				proxyError(w, r.URL.Host, err)
			},
		}
		rp.ServeHTTP(w, r)
	default:
		w.Header().Set("Allow", "CONNECT, GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
		http.Error(w, "gatepass proxy: send CONNECT host:port, or a request with an absolute http:// URL", http.StatusMethodNotAllowed)
	}
}

// allowHTTP answers a request that may not use the proxy and returns
// false: 403 when the owner check refuses its connection, 407 without the
// credentials (when the proxy demands them).
func (b *Netstack) allowHTTP(w http.ResponseWriter, r *http.Request) bool {
	c, ok := r.Context().Value(clientConnKey{}).(*clientConn)
	if !ok {
		w.Header().Set("Connection", "close")
		http.Error(w, "gatepass proxy: unknown connection", http.StatusForbidden)
		return false
	}
	if err := b.admit(c); err != nil {
		w.Header().Set("Connection", "close")
		http.Error(w, err.Error(), http.StatusForbidden)
		return false
	}
	if b.auth != nil && !b.auth.validProxyAuthorization(r.Header) {
		w.Header().Set("Proxy-Authenticate", `Basic realm="gatepass"`)
		http.Error(w, "gatepass proxy: proxy credentials required (user name and password: see `gatepassd status` or the app's Details)", http.StatusProxyAuthRequired)
		return false
	}
	return true
}

func (b *Netstack) httpConnect(w http.ResponseWriter, r *http.Request) {
	addr := r.Host
	if _, _, err := net.SplitHostPort(addr); err != nil {
		http.Error(w, "gatepass proxy: CONNECT needs host:port", http.StatusBadRequest)
		return
	}
	target, t, err := b.dialTunnel(r.Context(), "tcp", addr)
	if err != nil {
		b.logf("http proxy: CONNECT %s: %v", addr, err)
		proxyError(w, addr, err)
		return
	}
	client, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		target.Close()
		http.Error(w, "gatepass proxy: cannot hijack the connection", http.StatusInternalServerError)
		return
	}
	if _, err := io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		client.Close()
		target.Close()
		return
	}
	splice(t, client, brw.Reader, target)
}

// proxyError answers 502 (504 on a timeout) with a plain-text reason.
func proxyError(w http.ResponseWriter, dest string, err error) {
	code := http.StatusBadGateway
	var msg string
	switch {
	case errors.Is(err, ErrNoRoute):
		msg = fmt.Sprintf("gatepass: %s is not inside any connected network (%v); refusing to connect outside the tunnel", dest, err)
	case errors.Is(err, ErrNotFound):
		msg = fmt.Sprintf("gatepass: cannot resolve %s with the DNS of the connected networks (%v)", dest, err)
	case errors.Is(err, context.DeadlineExceeded):
		code = http.StatusGatewayTimeout
		msg = fmt.Sprintf("gatepass: %s did not answer through the tunnel (%v)", dest, err)
	default:
		msg = fmt.Sprintf("gatepass: cannot reach %s through the tunnel: %v", dest, err)
	}
	http.Error(w, msg, code)
}

// newStdLogger adapts logf to a *log.Logger (for http.Server.ErrorLog).
func newStdLogger(logf func(string, ...any), prefix string) *log.Logger {
	return log.New(logfWriter{logf, prefix}, "", 0)
}

type logfWriter struct {
	logf   func(string, ...any)
	prefix string
}

func (w logfWriter) Write(p []byte) (int, error) {
	w.logf("%s%s", w.prefix, strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
