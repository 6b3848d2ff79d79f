package p2p_test

import (
	"fmt"
	"testing"

	"github.com/sketchwork/sketchwork/ledger/chaintest"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// BenchmarkValidateBlock splits what a node spends validating a gossiped
// block (section 10.5): proof of work, the context-free checks with the
// transactions' signatures, the state transition, the training update
// (recomputed from the parent's weights), and the whole ProcessBlock on an
// in-memory store, for blocks with 0 and 100 transfers.
//
//	go test ./ledger/p2p -run X -bench ValidateBlock -benchtime 200x
func BenchmarkValidateBlock(b *testing.B) {
	for _, ntx := range []int{0, 100} {
		g, err := chaintest.NewGenerator(chaintest.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := g.Chain("a", "genesis", 3); err != nil {
			b.Fatal(err)
		}
		var txs []*types.Tx
		for i := 0; i < ntx; i++ {
			txs = append(txs, g.Spend("a3", chaintest.Key(fmt.Sprint("r", i)).Address(), consensus.Coin, uint64(i)))
		}
		blk, err := g.NextBlock("x", "a3", chaintest.WithTxs(txs...))
		if err != nil {
			b.Fatal(err)
		}
		parent := g.Get("a3")
		p := g.Params
		b.Run(fmt.Sprintf("txs=%d/pow", ntx), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := consensus.CheckProofOfWork(&p, blk.Hash(), blk.Header.Target); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("txs=%d/sanity+sigs", ntx), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := consensus.CheckBlockSanity(&p, blk); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("txs=%d/state", ntx), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := state.ConnectBlock(&p, parent.State, blk, state.Options{SkipSignatures: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("txs=%d/training", ntx), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := g.Engine.VerifyUpdate(parent.Weights, &blk.Header); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("txs=%d/ProcessBlock", ntx), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				ch, err := g.OpenChain(store.NewMemory(), nil)
				if err != nil {
					b.Fatal(err)
				}
				for _, name := range []string{"a1", "a2", "a3"} {
					if _, err := ch.ProcessBlock(g.Get(name).Block); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if _, err := ch.ProcessBlock(blk); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
