package tunnel

import (
	"net/netip"
	"reflect"
	"sync"

	"golang.zx2c4.com/wireguard/tun"
	"golang.zx2c4.com/wireguard/tun/netstack"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// netstackTUN is wireguard-go's netstack TUN with a Close that cannot
// panic.
//
// Why: at the pinned version, netstack's Close closes the channel that
// its link endpoint writes outgoing packets to without waiting for
// gVisor's goroutines, which may still be sending (a RST to a packet
// arriving from the peer, the FIN of a connection just closed): "send on
// closed channel" panics the whole process. So first stop feeding the
// stack packets from the peer, then close the gVisor stack and wait for
// its goroutines while the device still reads, and only then let the
// netstack close its channels. The stack is a private field of
// netstack.Net; should a new version change that, the wait is skipped
// (and TestNetstackTUNFindsStack fails).
type netstackTUN struct {
	tun.Device
	tnet *netstack.Net

	mu      sync.RWMutex
	closing bool
	once    sync.Once
}

func newNetstackTUN(addrs, dns []netip.Addr, mtu int) (*netstackTUN, *netstack.Net, error) {
	tdev, tnet, err := netstack.CreateNetTUN(addrs, dns, mtu)
	if err != nil {
		return nil, nil, err
	}
	return &netstackTUN{Device: tdev, tnet: tnet}, tnet, nil
}

// Write hands packets from the peer to the stack, until quiesce.
func (d *netstackTUN) Write(bufs [][]byte, offset int) (int, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closing {
		return len(bufs), nil // dropped
	}
	return d.Device.Write(bufs, offset)
}

// quiesce stops the stack and waits until it sends nothing more. Call it
// while the wireguard device still runs (it reads what is left).
func (d *netstackTUN) quiesce() {
	d.once.Do(func() {
		d.mu.Lock() // waits out Writes in progress
		d.closing = true
		d.mu.Unlock()
		if st := netstackStack(d.tnet); st != nil {
			st.Close()
			st.Wait()
		}
	})
}

func (d *netstackTUN) Close() error {
	d.quiesce()
	return d.Device.Close()
}

func netstackStack(tnet *netstack.Net) *stack.Stack {
	if tnet == nil {
		return nil
	}
	f := reflect.ValueOf(tnet).Elem().FieldByName("stack")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*stack.Stack]() {
		return nil
	}
	return (*stack.Stack)(f.UnsafePointer())
}
