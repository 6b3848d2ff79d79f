package pogw_test

import (
	"context"
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Mine a block on the dev genesis, then verify it as a receiving node would.
func ExampleEngine_Mine() {
	c := corpus.Embedded()
	g, _ := consensus.NewDevGenesis(c.Root(), model.GenesisRoot())
	e, _ := pogw.New(&g.Params, c)
	st, _ := state.FromGenesis(g)
	w := model.NewGenesis()

	faucet := consensus.DevFaucetKey()
	miner := keys.Address{1}
	tx := &types.Tx{Version: 1, ChainID: g.Params.ChainID, From: faucet.Address(), To: keys.Address{2},
		Amount: 5 * consensus.Coin, Fee: 100, Nonce: 0}
	tx.Sign(faucet)

	parent := g.Hash()
	tmpl := &pogw.Template{Parent: parent, Height: 1, Target: g.Params.GenesisTarget, MinTime: g.Time + 1,
		ParentState: st, ParentWeights: w, Miner: miner, Txs: []*types.Tx{tx}}
	now := func() int64 { return g.Time + 1000 }
	m, err := e.Mine(context.Background(), tmpl, pogw.MineOptions{Now: now})
	if err != nil {
		panic(err)
	}
	h := m.Block.Header
	fmt.Println("txs:", len(m.Block.Txs), "train nonce:", h.TrainNonce)
	fmt.Printf("loss %.4f -> %.4f nats\n", float64(h.LossBefore)/(1<<24), float64(h.LossAfter)/(1<<24))

	info := consensus.ParentInfo{Hash: parent, Height: 0, NextTarget: g.Params.GenesisTarget, MTP: g.Time}
	v, err := e.VerifyBlock(&pogw.Parent{Info: info, State: st, Weights: w}, m.Block, now())
	fmt.Println("verified:", err == nil, v.Weights.Root() == h.ModelRoot)
	fmt.Println("miner balance:", v.State.Account(miner).Balance)
	// Output:
	// txs: 2 train nonce: 0
	// loss 4.5643 -> 4.2519 nats
	// verified: true true
	// miner balance: 5000000100
}
