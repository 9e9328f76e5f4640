package netstack

import (
	"context"
	"os"
	"sync"

	"golang.zx2c4.com/wireguard/tun"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// linkQueueLen is how many outbound packets the link queues for wireguard-go
// before the stack's writes are dropped (TCP then backs off).
const linkQueueLen = 4096

// batchSize is the most packets one Read returns.
const batchSize = 64

// tunDevice is the tun.Device between wireguard-go and the gVisor stack: what
// wireguard-go writes (decrypted packets from peers) is injected into the
// stack; what the stack sends out of its NIC is what wireguard-go reads.
type tunDevice struct {
	link   *channel.Endpoint
	mtu    int
	events chan tun.Event

	ctx    context.Context // done once closed: ends a blocked Read
	cancel context.CancelFunc
	once   sync.Once
}

var _ tun.Device = (*tunDevice)(nil)

func newTunDevice(link *channel.Endpoint, mtu int) *tunDevice {
	ctx, cancel := context.WithCancel(context.Background())
	d := &tunDevice{link: link, mtu: mtu, events: make(chan tun.Event, 1), ctx: ctx, cancel: cancel}
	d.events <- tun.EventUp
	return d
}

// Read blocks until the stack sends a packet, then returns it and whatever
// else is already queued, up to len(bufs).
func (d *tunDevice) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	pkt := d.link.ReadContext(d.ctx)
	if pkt == nil {
		return 0, os.ErrClosed
	}
	n := 0
	for {
		sizes[n] = copyPacket(bufs[n][offset:], pkt) // 0 (skipped) if it does not fit
		pkt.DecRef()
		n++
		if n == len(bufs) {
			return n, nil
		}
		if pkt = d.link.Read(); pkt == nil {
			return n, nil
		}
	}
}

func copyPacket(dst []byte, pkt *stack.PacketBuffer) int {
	if pkt.Size() > len(dst) {
		return 0
	}
	n := 0
	for _, s := range pkt.AsSlices() {
		n += copy(dst[n:], s)
	}
	return n
}

// Write injects packets into the stack. The bytes are copied: wireguard-go
// reuses its buffers.
func (d *tunDevice) Write(bufs [][]byte, offset int) (int, error) {
	if d.ctx.Err() != nil {
		return 0, os.ErrClosed
	}
	for _, b := range bufs {
		packet := b[offset:]
		if len(packet) == 0 {
			continue
		}
		var proto = header.IPv4ProtocolNumber
		switch packet[0] >> 4 {
		case 4:
		case 6:
			proto = header.IPv6ProtocolNumber
		default:
			continue // not IP: nothing to deliver it to
		}
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(packet)})
		d.link.InjectInbound(proto, pkt)
		pkt.DecRef()
	}
	return len(bufs), nil
}

func (d *tunDevice) MTU() (int, error)        { return d.mtu, nil }
func (d *tunDevice) Name() (string, error)    { return "gatepass", nil }
func (d *tunDevice) File() *os.File           { return nil }
func (d *tunDevice) Events() <-chan tun.Event { return d.events }
func (d *tunDevice) BatchSize() int           { return batchSize }

// Close ends Read and the event stream. The stack itself lives on until
// Stack.Close.
func (d *tunDevice) Close() error {
	d.once.Do(func() {
		d.cancel()
		close(d.events)
	})
	return nil
}
