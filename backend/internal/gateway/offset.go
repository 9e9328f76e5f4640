package gateway

import "time"

// offsetSamples is how many recent samples the offset is taken from.
const offsetSamples = 4

// offsetEstimator estimates the server clock minus the local clock from
// samples "server time in a message − local time of its receipt". A
// message's delay on its way only lowers its sample, so the estimate is
// the highest of the last few samples.
type offsetEstimator struct {
	samples [offsetSamples]time.Duration
	n, next int
}

func (e *offsetEstimator) add(d time.Duration) {
	e.samples[e.next] = d
	e.next = (e.next + 1) % offsetSamples
	if e.n < offsetSamples {
		e.n++
	}
}

// value is the estimate; 0 before the first sample.
func (e *offsetEstimator) value() time.Duration {
	if e.n == 0 {
		return 0
	}
	v := e.samples[0]
	for _, s := range e.samples[1:e.n] {
		v = max(v, s)
	}
	return v
}
