package chain_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/chaintest"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/store/boltstore"
	"github.com/sketchwork/sketchwork/ledger/types"
)

var benchChain struct {
	once   sync.Once
	g      *chaintest.Generator
	blocks []*types.Block
	err    error
}

// benchBlocks mines a 1000-block chain once (about 5 s), each block with a
// faucet transfer.
func benchBlocks(b *testing.B) (*chaintest.Generator, []*types.Block) {
	benchChain.once.Do(func() {
		g, err := chaintest.NewGenerator(chaintest.Options{})
		if err != nil {
			benchChain.err = err
			return
		}
		parent := "genesis"
		for i := 1; i <= 1000; i++ {
			name := "b" + itoa(i)
			tx := g.Spend(parent, chaintest.Key("alice").Address(), 1000, 0)
			blk, err := g.NextBlock(name, parent, chaintest.WithTxs(tx))
			if err != nil {
				benchChain.err = err
				return
			}
			benchChain.blocks = append(benchChain.blocks, blk)
			parent = name
		}
		benchChain.g = g
	})
	if benchChain.err != nil {
		b.Fatal(benchChain.err)
	}
	return benchChain.g, benchChain.blocks
}

// BenchmarkProcessBlock: one block through the chain's full pipeline
// (sanity with a signature, context, state transition, training
// verification, store commit, snapshot publication) on the memory store.
func BenchmarkProcessBlock(b *testing.B) {
	g, blocks := benchBlocks(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(blocks) == 0 {
			b.StopTimer()
			c, err := g.OpenChain(store.NewMemory(), nil)
			if err != nil {
				b.Fatal(err)
			}
			benchChainRef = c
			b.StartTimer()
		}
		if _, err := benchChainRef.ProcessBlock(blocks[i%len(blocks)]); err != nil {
			b.Fatal(err)
		}
	}
}

var benchChainRef *chain.Chain

// BenchmarkReplay1000: rebuilding a node's state from 1000 stored blocks
// (Open with Reindex: every block revalidated and re-committed) on the
// memory store and on bbolt with fsync; reported per block.
func BenchmarkReplay1000(b *testing.B) {
	g, blocks := benchBlocks(b)
	for _, kind := range []string{"memory", "bolt"} {
		b.Run(kind, func(b *testing.B) {
			var st store.Store
			if kind == "memory" {
				st = store.NewMemory()
			} else {
				db, err := boltstore.Open(filepath.Join(b.TempDir(), "c.db"), boltstore.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				st = db
			}
			c, err := g.OpenChain(st, nil)
			if err != nil {
				b.Fatal(err)
			}
			for _, blk := range blocks {
				if _, err := c.ProcessBlock(blk); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c2, err := chain.Open(chain.Config{Genesis: g.Genesis, Corpus: g.Engine.Corpus(), Store: st,
					Now: func() int64 { return g.Now }, Reindex: true})
				if err != nil {
					b.Fatal(err)
				}
				if c2.Snapshot().Height != 1000 {
					b.Fatal("reindex did not reach height 1000")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "us/block")
		})
	}
}

// BenchmarkRestart: a plain restart (index load, accounts, newest snapshot
// plus at most 15 replays) of a 1000-block chain.
func BenchmarkRestart(b *testing.B) {
	g, blocks := benchBlocks(b)
	st := store.NewMemory()
	c, err := g.OpenChain(st, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, blk := range blocks[:999] { // tip at 999: 15 blocks above the snapshot at 984
		if _, err := c.ProcessBlock(blk); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := g.OpenChain(st, nil); err != nil {
			b.Fatal(err)
		}
	}
}
