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

// The vectors are generated once per test binary (about a second of
// mining) and shared by the tests that replay them.
var vectors struct {
	once      sync.Once
	g, rg     *chaintest.Generator
	fast, ret []chaintest.Test
	err       error
}

func loadVectors(t testing.TB) (*chaintest.Generator, []chaintest.Test, *chaintest.Generator, []chaintest.Test) {
	t.Helper()
	vectors.once.Do(func() {
		g, err := chaintest.NewGenerator(chaintest.Options{})
		if err != nil {
			vectors.err = err
			return
		}
		rp := chaintest.RetargetParams()
		rg, err := chaintest.NewGenerator(chaintest.Options{Params: &rp})
		if err != nil {
			vectors.err = err
			return
		}
		vectors.g, vectors.rg = g, rg
		if vectors.fast, vectors.err = chaintest.Vectors(g); vectors.err != nil {
			return
		}
		vectors.ret, vectors.err = chaintest.RetargetVectors(rg)
	})
	if vectors.err != nil {
		t.Fatal(vectors.err)
	}
	return vectors.g, vectors.fast, vectors.rg, vectors.ret
}

// openMem opens a chain of g's network on a fresh memory store whose
// consistency (store and chain) is checked at cleanup.
func openMem(t testing.TB, g *chaintest.Generator, pool chain.TxPool) (*chain.Chain, *store.Memory) {
	t.Helper()
	st := store.NewMemory()
	c, err := g.OpenChain(st, pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		if err := c.CheckConsistency(); err != nil {
			t.Errorf("chain consistency: %v", err)
		}
	})
	return c, st
}

func TestVectors(t *testing.T) {
	g, fast, rg, ret := loadVectors(t)
	for _, v := range fast {
		t.Run(v.Name, func(t *testing.T) {
			c, _ := openMem(t, g, nil)
			chaintest.Run(t, chaintest.ChainNode{Chain: c}, v)
		})
	}
	for _, v := range ret {
		t.Run(v.Name, func(t *testing.T) {
			c, _ := openMem(t, rg, nil)
			chaintest.Run(t, chaintest.ChainNode{Chain: c}, v)
		})
	}
}

// TestRetargetValues checks the retarget vectors' targets against values
// computed by hand: R = 20, T = 1 s, genesis target 2^246; blocks 1-39 at
// 0.5 s halve the target at 40; blocks 41-59 at 10 s are clamped to x4 at 60.
func TestRetargetValues(t *testing.T) {
	_, _, rg, _ := loadVectors(t)
	for _, c := range []struct {
		name string
		bits uint
	}{{"retarget/r20", 246}, {"retarget/r39", 246}, {"retarget/r40", 245}, {"retarget/r59", 245}, {"retarget/r60", 247}} {
		if got := rg.Get(c.name).Block.Header.Target; got != types.TargetPow2(c.bits) {
			t.Errorf("%s: target %s, want 2^%d", c.name, got, c.bits)
		}
	}
}

// TestVectorsBolt replays the vectors on the durable bbolt store (fsync
// on), reopening the chain from the file after each test and checking
// bbolt's page consistency and the chain's.
func TestVectorsBolt(t *testing.T) {
	if testing.Short() {
		t.Skip("fsyncs every block")
	}
	g, fast, _, _ := loadVectors(t)
	for _, v := range fast {
		t.Run(v.Name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "chain.db")
			db, err := boltstore.Open(path, boltstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			c, err := g.OpenChain(db, nil)
			if err != nil {
				t.Fatal(err)
			}
			chaintest.Run(t, chaintest.ChainNode{Chain: c}, v)
			want := c.Snapshot()
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db, err = boltstore.Open(path, boltstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			c2, err := g.OpenChain(db, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c2.Snapshot().Hash != want.Hash {
				t.Fatal("tip changed across a reopen")
			}
			if err := db.Check(); err != nil {
				t.Fatal(err)
			}
			if err := c2.CheckConsistency(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
