package chain_test

import (
	"bytes"
	"flag"
	"slices"
	"strconv"
	"testing"

	"pgregory.net/rapid"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/chaintest"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

func defaultRapidChecks(t *testing.T, n int) {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if f := flag.Lookup("rapid.checks"); f != nil && !set {
		old := f.Value.String()
		flag.Set("rapid.checks", strconv.Itoa(n))
		t.Cleanup(func() { flag.Set("rapid.checks", old) })
	}
}

var propKeys = []string{"alice", "bob", "carol"}

// drawTxs draws up to 3 transfers that apply in order on the named block's
// state: from the faucet or the test keys, to the test keys.
func drawTxs(rt *rapid.T, g *chaintest.Generator, parent string) []*types.Tx {
	ov := state.NewOverlay(g.Get(parent).State)
	var txs []*types.Tx
	for i, n := 0, rapid.IntRange(0, 3).Draw(rt, "ntx"); i < n; i++ {
		from := g.Faucet
		if f := rapid.IntRange(-1, len(propKeys)-1).Draw(rt, "from"); f >= 0 {
			from = chaintest.Key(propKeys[f])
		}
		to := chaintest.Key(propKeys[rapid.IntRange(0, len(propKeys)-1).Draw(rt, "to")]).Address()
		a := ov.Account(from.Address())
		if to == from.Address() || a.Balance < 3 {
			continue
		}
		tx := g.Tx(from, to, rapid.Uint64Range(1, min(a.Balance-2, 1<<40)).Draw(rt, "amount"), 1, a.Nonce)
		if ov.ApplyTx(&g.Params, tx, state.Options{}) == nil {
			txs = append(txs, tx)
		}
	}
	return txs
}

func bucketDump(t fataler, st store.Store, b store.Bucket) [][2][]byte {
	var out [][2][]byte
	if err := st.View(func(tx store.Tx) error {
		return tx.ForEach(b, func(k, v []byte) error {
			out = append(out, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

type fataler interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// TestPropReorgEqualsReplay: a node that saw branch A and then reorganised
// to the heavier branch B ends in exactly the state of a node that only
// ever saw B: same tip, accounts, weights, and the same derived store
// contents (accounts, heights, undo records, snapshots, txloc). Both
// supplies equal allocations + Σ subsidies.
func TestPropReorgEqualsReplay(t *testing.T) {
	defaultRapidChecks(t, 20)
	rapid.Check(t, func(rt *rapid.T) {
		g, err := chaintest.NewGenerator(chaintest.Options{})
		if err != nil {
			rt.Fatal(err)
		}
		la := rapid.IntRange(1, 3).Draw(rt, "len A")
		fork := rapid.IntRange(0, la-1).Draw(rt, "fork")
		lb := la + rapid.IntRange(1, 2).Draw(rt, "extra B")
		name := func(br string, h int) string {
			if h == 0 {
				return "genesis"
			}
			if br == "b" && h <= fork {
				br = "a"
			}
			return br + strconv.Itoa(h)
		}
		bMiner := chaintest.WithMiner(chaintest.Key("b-miner").Address())
		for h := 1; h <= la; h++ {
			if _, err := g.NextBlock(name("a", h), name("a", h-1), chaintest.WithTxs(drawTxs(rt, g, name("a", h-1))...)); err != nil {
				rt.Fatal(err)
			}
		}
		for h := fork + 1; h <= lb; h++ {
			if _, err := g.NextBlock(name("b", h), name("b", h-1), bMiner, chaintest.WithTxs(drawTxs(rt, g, name("b", h-1))...)); err != nil {
				rt.Fatal(err)
			}
		}
		process := func(c *chain.Chain, names []string) {
			for _, n := range names {
				if _, err := c.ProcessBlock(g.Get(n).Block); err != nil {
					rt.Fatalf("%s: %v", n, err)
				}
			}
		}
		var aNames, bNames []string
		for h := 1; h <= la; h++ {
			aNames = append(aNames, name("a", h))
		}
		for h := 1; h <= lb; h++ {
			bNames = append(bNames, name("b", h))
		}
		st1, st2 := store.NewMemory(), store.NewMemory()
		c1, err1 := g.OpenChain(st1, nil)
		c2, err2 := g.OpenChain(st2, nil)
		if err1 != nil || err2 != nil {
			rt.Fatal(err1, err2)
		}
		process(c1, aNames)
		process(c1, bNames[fork:])
		process(c2, bNames)
		s1, s2 := c1.Snapshot(), c2.Snapshot()
		if s1.Hash != g.Get(name("b", lb)).Hash() || s2.Hash != s1.Hash {
			rt.Fatalf("tips differ")
		}
		if !slices.Equal(s1.State.Entries(), s2.State.Entries()) || !s1.Weights.Equal(s2.Weights) {
			rt.Fatal("reorganised state differs from the replayed one")
		}
		want := g.Genesis.TotalAlloc()
		for h := 1; h <= lb; h++ {
			want += consensus.Subsidy(&g.Params, uint64(h))
		}
		if s1.State.Supply() != want || s2.State.Supply() != want {
			rt.Fatalf("supply %d / %d, want %d", s1.State.Supply(), s2.State.Supply(), want)
		}
		for _, b := range []store.Bucket{store.Accounts, store.Heights, store.Undo, store.Snapshots, store.TxIndex, store.Meta} {
			d1, d2 := bucketDump(rt, st1, b), bucketDump(rt, st2, b)
			if !slices.EqualFunc(d1, d2, func(x, y [2][]byte) bool { return bytes.Equal(x[0], y[0]) && bytes.Equal(x[1], y[1]) }) {
				rt.Fatalf("bucket %s differs (%d vs %d entries)", b, len(d1), len(d2))
			}
		}
		for _, c := range []*chain.Chain{c1, c2} {
			if err := c.CheckConsistency(); err != nil {
				rt.Fatal(err)
			}
		}
	})
}
