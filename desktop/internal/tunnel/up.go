package tunnel

import (
	"errors"
	"fmt"
	"sync"
)

// upNamed is the bookkeeping of Up shared by the backends: it reserves name
// among tunnels (guarded by mu; refused once closed), starts the tunnel
// outside the lock, then records it — or, if starting failed or the backend
// was closed meanwhile, frees the name (and closes the new tunnel).
func upNamed[T interface{ Close() error }](mu *sync.Mutex, tunnels map[string]T, closed *bool, name string, start func() (T, error)) (T, error) {
	var zero T
	if name == "" {
		return zero, errors.New("tunnel: empty name")
	}
	mu.Lock()
	if *closed {
		mu.Unlock()
		return zero, ErrClosed
	}
	if _, ok := tunnels[name]; ok {
		mu.Unlock()
		return zero, fmt.Errorf("tunnel: %q is already up", name)
	}
	tunnels[name] = zero // reserve the name
	mu.Unlock()

	t, err := start()

	mu.Lock()
	defer mu.Unlock()
	if err == nil && *closed {
		delete(tunnels, name)
		t.Close()
		return zero, ErrClosed
	}
	if err != nil {
		delete(tunnels, name)
		return zero, err
	}
	tunnels[name] = t
	return t, nil
}
