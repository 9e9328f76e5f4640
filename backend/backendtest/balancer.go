package backendtest

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Balancer is a small round-robin TCP proxy on loopback standing in for a
// load balancer in front of server replicas: each connection goes to the
// next backend in turn, and to the one after it when that one refuses (a
// replica that died). A connection lives as long as both its ends: when
// its backend dies, the client's end is closed too.
type Balancer struct {
	URL  string
	Addr string
	ln   net.Listener

	mu       sync.Mutex
	backends []string
	next     int
	conns    map[net.Conn]string // client connections → their backend
	closed   bool
	wg       sync.WaitGroup
}

// NewBalancer listens on 127.0.0.1 with a free port and proxies to the
// backends (host:port, e.g. Server.Addr) until the test ends.
func NewBalancer(tb testing.TB, backends ...string) *Balancer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	b := &Balancer{ln: ln, Addr: ln.Addr().String(), URL: "http://" + ln.Addr().String(), backends: backends, conns: map[net.Conn]string{}}
	b.wg.Add(1)
	go b.serve()
	tb.Cleanup(b.close)
	return b
}

// Add puts a backend into the rotation.
func (b *Balancer) Add(backend string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backends = append(b.backends, backend)
}

// Connections counts the open connections to a backend.
func (b *Balancer) Connections(backend string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, be := range b.conns {
		if be == backend {
			n++
		}
	}
	return n
}

func (b *Balancer) serve() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.proxy(c)
		}()
	}
}

// pick returns the backends in the order to try for a new connection.
func (b *Balancer) pick() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.backends)
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, b.backends[(b.next+i)%n])
	}
	b.next++
	return out
}

func (b *Balancer) proxy(c net.Conn) {
	defer c.Close()
	var up net.Conn
	var backend string
	for _, addr := range b.pick() {
		var err error
		if up, err = net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
			backend = addr
			break
		}
	}
	if up == nil {
		return // every backend refused
	}
	defer up.Close()
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.conns[c] = backend
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.conns, c)
		b.mu.Unlock()
	}()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done // either end is gone: end both
}

func (b *Balancer) close() {
	b.mu.Lock()
	b.closed = true
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.ln.Close()
	b.wg.Wait()
}
