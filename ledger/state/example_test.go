package state_test

import (
	"bytes"
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Connect a block tentatively on an overlay, commit it, then disconnect it
// with its undo record.
func Example() {
	g, _ := consensus.NewDevGenesis(hashx.Tagged("corpus"), hashx.Tagged("model"))
	p := &g.Params
	tip, _ := state.FromGenesis(g)
	faucet := consensus.DevFaucetKey()
	miner := [32]byte{7}

	tx := &types.Tx{Version: 1, ChainID: p.ChainID, From: faucet.Address(), To: miner, Amount: 5, Fee: 1}
	tx.Sign(faucet)
	blk := &types.Block{Header: types.Header{Version: 1, Height: 1, Miner: miner}}
	blk.Txs = []*types.Tx{types.NewCoinbase(p.ChainID, miner, 1, consensus.Subsidy(p, 1)+tx.Fee), tx}

	o := state.NewOverlay(tip)
	if _, err := o.ApplyBlock(p, blk, state.Options{}); err != nil {
		panic(err)
	}
	blk.Header.StateRoot = o.Root() // a miner fills this in; ConnectBlock checks it
	fmt.Println(tip.Root() == g.StateRoot(), o.Supply()-tip.Supply() == consensus.Subsidy(p, 1))

	ov, err := state.ConnectBlock(p, tip, blk, state.Options{})
	undo, _ := ov.Commit()
	fmt.Println(err, tip.Root() == blk.Header.StateRoot, bytes.Equal(miner[:], tx.To[:]))
	tip.Revert(undo)
	fmt.Println(tip.Root() == g.StateRoot())
	// Output:
	// true true
	// <nil> true true
	// true
}
