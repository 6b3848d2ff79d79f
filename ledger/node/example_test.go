package node_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/node"
)

// Run an in-memory node of the dev-fast network with its miner, watch its
// tip events until it has mined three blocks, and stop it. gcoind does the
// same with a data directory, an HTTP address and signal.NotifyContext.
func Example() {
	g, _ := node.FastDevGenesis()
	miner := keys.Address{0x42}
	n, err := node.Open(node.Config{InMemory: true, Genesis: g, MinerAddr: miner, Mine: true,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	sub := n.Chain().Subscribe(8)
	defer sub.Close()
	if err := n.Start(context.Background()); err != nil {
		panic(err)
	}
	for ev := range sub.C {
		if ev.Snapshot.Height >= 3 {
			break
		}
	}
	_ = n.StopMining()
	if err := n.Close(); err != nil {
		panic(err)
	}
	s := n.Chain().Snapshot()
	fmt.Println("mined at least 3 blocks:", s.Height >= 3)
	fmt.Println("miner paid 50 GC per block:", s.State.Account(miner).Balance == s.Height*50_00000000)
	// Output:
	// mined at least 3 blocks: true
	// miner paid 50 GC per block: true
}
