package p2p_test

import (
	"context"
	"fmt"
	"time"

	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"

	"github.com/sketchwork/sketchwork/ledger/chaintest"
	"github.com/sketchwork/sketchwork/ledger/p2p"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/store"
)

// Two nodes on an in-memory libp2p network: a block accepted by one
// node's chain reaches the other through gossip, validated before relay.
// A real node uses p2p.Open with listen addresses and bootstrap peers.
func Example() {
	gen, _ := chaintest.NewGenerator(chaintest.Options{})
	mn := mocknet.New()
	defer mn.Close()
	var nodes []*p2p.Node
	for i := 0; i < 2; i++ {
		h, _ := mn.GenPeer()
		ch, _ := gen.OpenChain(store.NewMemory(), nil)
		n, err := p2p.New(p2p.Config{Chain: ch}, h)
		if err != nil {
			panic(err)
		}
		defer n.Close()
		nodes = append(nodes, n)
	}
	_ = mn.LinkAll()
	_ = mn.ConnectAllButSelf()
	for _, n := range nodes {
		if err := n.Start(); err != nil {
			panic(err)
		}
	}

	// Node 0 mines a block on its own chain; it gossips the block once a
	// topic peer is there.
	a := nodes[0].Chain()
	snap := a.Snapshot()
	now := func() int64 { return snap.Header.Time + 1000 }
	m, _ := a.Engine().Mine(context.Background(), snap.Template(chaintest.Key("miner").Address(), nil), pogw.MineOptions{Now: now})
	res, err := a.ProcessBlock(m.Block)
	fmt.Println("node 0:", res.Status, err)

	b := nodes[1].Chain()
	for deadline := time.Now().Add(10 * time.Second); b.Snapshot().Hash != m.Block.Hash() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("node 1 height:", b.Snapshot().Height, "same tip:", b.Snapshot().Hash == m.Block.Hash())
	// Output:
	// node 0: accepted <nil>
	// node 1 height: 1 same tip: true
}
