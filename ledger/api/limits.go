package api

import (
	"sync"
	"time"
)

// limiter is a per-IP token bucket: each IP gets burst tokens, refilled at
// rate per second; a request takes one. Idle entries are swept.
type limiter struct {
	mu        sync.Mutex
	rate      float64
	burst     float64
	now       func() time.Time
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// sweepEvery is how often idle buckets are dropped; a bucket idle long
// enough to be full again carries no information.
const sweepEvery = time.Minute

func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	return &limiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}, lastSweep: now()}
}

// allow takes a token for ip; when none is left it reports how long until
// the next one.
func (l *limiter) allow(ip string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.now()
	if t.Sub(l.lastSweep) >= sweepEvery {
		full := time.Duration(l.burst / l.rate * float64(time.Second))
		for k, b := range l.buckets {
			if t.Sub(b.last) >= full {
				delete(l.buckets, k)
			}
		}
		l.lastSweep = t
	}
	b, ok := l.buckets[ip]
	if !ok {
		b = &bucket{tokens: l.burst, last: t}
		l.buckets[ip] = b
	}
	if dt := t.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(l.burst, b.tokens+dt*l.rate)
		b.last = t
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// size returns the number of tracked IPs (tests).
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
