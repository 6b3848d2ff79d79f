package miner_test

import (
	"context"
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/miner"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Mine two blocks on a fresh dev chain with an easy fixed target, then
// stop the loop. A node passes its mempool and its SubmitBlock as well.
func Example() {
	c := corpus.Embedded()
	g, _ := consensus.NewDevGenesis(c.Root(), model.GenesisRoot())
	g.Params.NoRetarget, g.Params.GenesisTarget = true, types.TargetPow2(246)
	ch, err := chain.Open(chain.Config{Genesis: g, Corpus: c, Store: store.NewMemory()})
	if err != nil {
		panic(err)
	}
	m, err := miner.New(miner.Config{Chain: ch, Address: keys.Address{0x42}})
	if err != nil {
		panic(err)
	}
	sub := ch.Subscribe(4)
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	m.Start()
	for ev := range sub.C {
		if ev.Snapshot.Height >= 2 {
			break
		}
	}
	m.Stop()
	cancel()
	<-done
	st := m.Stats()
	fmt.Println("mined:", st.Blocks >= 2, "tries >= blocks:", st.Tries >= st.Blocks, "hashes > 0:", st.Hashes > 0)
	// Output:
	// mined: true tries >= blocks: true hashes > 0: true
}
