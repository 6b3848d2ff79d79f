package p2p_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/sketchwork/sketchwork/ledger/p2p/p2ptest"
)

// Closing the nodes (and the mock network) stops every goroutine they
// started: sync, discovery, gossip, publication and stream goroutines.
func TestNoGoroutineLeak(t *testing.T) {
	cycle := func() {
		tn := p2ptest.New(t, 3, p2ptest.Options{})
		for i := 0; i < 3; i++ {
			tn.Peers[i%2].Mine(t)
		}
		p2ptest.WaitFor(t, 10*time.Second, "convergence", func() bool { return p2ptest.Converged(tn.Peers...) })
		for _, x := range tn.Peers {
			_ = x.Node.Close()
		}
		_ = tn.MN.Close()
	}
	cycle() // warm up package-level goroutines of the dependencies
	before := settled()
	cycle()
	deadline := time.Now().Add(10 * time.Second)
	for {
		after := runtime.NumGoroutine()
		if after <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines before, %d after closing\n%s", before, after, buf[:n])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// settled waits until the goroutine count has been stable for half a
// second (goroutines of closed connections wind down asynchronously) and
// returns it.
func settled() int {
	last, stable := runtime.NumGoroutine(), 0
	for i := 0; i < 100 && stable < 5; i++ {
		time.Sleep(100 * time.Millisecond)
		if n := runtime.NumGoroutine(); n == last {
			stable++
		} else {
			last, stable = n, 0
		}
	}
	return last
}
