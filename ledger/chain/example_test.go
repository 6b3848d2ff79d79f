package chain_test

import (
	"context"
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/store"
)

// Open a dev chain, mine three blocks on the tip snapshot as a miner would,
// and hand them to ProcessBlock as the network would.
func Example() {
	c := corpus.Embedded()
	g, _ := consensus.NewDevGenesis(c.Root(), model.GenesisRoot())
	// A node passes boltstore.Open(path, boltstore.Options{}) instead.
	ch, err := chain.Open(chain.Config{Genesis: g, Corpus: c, Store: store.NewMemory(),
		Now: func() int64 { return g.Time + 60_000 }})
	if err != nil {
		panic(err)
	}
	sub := ch.Subscribe(8)
	defer sub.Close()

	miner := keys.Address{7}
	for i := 0; i < 3; i++ {
		tip := ch.Snapshot()
		now := func() int64 { return tip.Header.Time + 1000 }
		m, err := ch.Engine().Mine(context.Background(), tip.Template(miner, nil), pogw.MineOptions{Now: now})
		if err != nil {
			panic(err)
		}
		res, err := ch.ProcessBlock(m.Block)
		fmt.Println(res.Status, res.MainChain, err)
	}
	ev := <-sub.C
	fmt.Println("first event:", len(ev.Connected), "block connected; height now", ch.Snapshot().Height)
	fmt.Println("miner balance:", ch.Snapshot().State.Account(miner).Balance)
	fmt.Println("locator length:", len(ch.Locator()))
	// Output:
	// accepted true <nil>
	// accepted true <nil>
	// accepted true <nil>
	// first event: 1 block connected; height now 3
	// miner balance: 15000000000
	// locator length: 4
}
