package p2p_test

import (
	"testing"
	"time"

	"github.com/sketchwork/sketchwork/ledger/p2p"
	"github.com/sketchwork/sketchwork/ledger/p2p/p2ptest"
)

// Two nodes that know only a bootstrap node find each other through the
// kad-dht (server mode, /gc prefix) and then sync blocks directly.
func TestDHTDiscovery(t *testing.T) {
	tn := p2ptest.New(t, 0, p2ptest.Options{})
	boot := tn.Add("boot", p2ptest.Options{Config: func(i int, c *p2p.Config) { c.DHT = true; c.DHTInterval = 300 * time.Millisecond }})
	tn.Join(boot)
	var others []*p2ptest.Peer
	for _, name := range []string{"a", "b"} {
		x := tn.Add(name, p2ptest.Options{Config: func(i int, c *p2p.Config) {
			c.DHT = true
			c.DHTInterval = 300 * time.Millisecond
			c.Bootstrap = boot.Node.Addrs()
		}})
		tn.Join(x, boot)
		others = append(others, x)
	}
	a, b := others[0], others[1]
	p2ptest.WaitFor(t, 20*time.Second, "a and b connected through the DHT", func() bool {
		for _, pi := range a.Node.PeerList() {
			if pi.ID == b.Node.ID() {
				return true
			}
		}
		return false
	})
}
