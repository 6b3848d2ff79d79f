package chain

import (
	"context"
	"crypto/sha256"
	"flag"
	"slices"
	"strconv"
	"testing"

	"pgregory.net/rapid"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// defaultRapidChecks lowers rapid's number of cases for properties that
// mine and validate blocks (~2 ms of training each), unless -rapid.checks
// was given on the command line.
func defaultRapidChecks(t *testing.T, n int) {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if set {
		return
	}
	f := flag.Lookup("rapid.checks")
	if f == nil {
		return
	}
	old := f.Value.String()
	flag.Set("rapid.checks", strconv.Itoa(n))
	t.Cleanup(func() { flag.Set("rapid.checks", old) })
}

type propNet struct {
	g    *consensus.Genesis
	keys []*keys.PrivateKey
}

func newPropNet(t testing.TB) *propNet {
	p := consensus.TestParams()
	p.GenesisTarget = types.TargetPow2(246)
	p.NoRetarget = true
	n := &propNet{}
	var alloc []consensus.Allocation
	for i := 0; i < 4; i++ {
		seed := sha256.Sum256([]byte("prop-key-" + strconv.Itoa(i)))
		k, _ := keys.FromSeed(seed[:])
		n.keys = append(n.keys, k)
		alloc = append(alloc, consensus.Allocation{Address: k.Address(), Amount: 1_000_000})
	}
	n.g = &consensus.Genesis{Version: consensus.GenesisFormatVersion, Params: p, Time: consensus.DevGenesisTime,
		CorpusRoot: corpus.Embedded().Root(), ModelRoot: model.GenesisRoot(), Alloc: alloc}
	if err := n.g.Validate(); err != nil {
		t.Fatal(err)
	}
	return n
}

// fataler is the part of testing.TB and *rapid.T the helpers need.
type fataler interface {
	Helper()
	Fatal(args ...any)
}

func (n *propNet) open(t fataler) (*Chain, *store.Memory) {
	st := store.NewMemory()
	c, err := Open(Config{Genesis: n.g, Corpus: corpus.Embedded(), Store: st, Now: func() int64 { return 1 << 62 }})
	if err != nil {
		t.Fatal(err)
	}
	return c, st
}

// randomTxs draws up to 4 transfers that apply in order on view.
func (n *propNet) randomTxs(rt *rapid.T, view state.Reader) []*types.Tx {
	ov := state.NewOverlay(view)
	var txs []*types.Tx
	for i, k := 0, rapid.IntRange(0, 4).Draw(rt, "ntx"); i < k; i++ {
		from := n.keys[rapid.IntRange(0, len(n.keys)-1).Draw(rt, "from")]
		to := n.keys[rapid.IntRange(0, len(n.keys)-1).Draw(rt, "to")].Address()
		acct := ov.Account(from.Address())
		if to == from.Address() || acct.Balance < 2 {
			continue
		}
		tx := &types.Tx{Version: 1, ChainID: n.g.Params.ChainID, From: from.Address(), To: to,
			Amount: rapid.Uint64Range(1, acct.Balance-1).Draw(rt, "amount"), Fee: 1, Nonce: acct.Nonce}
		tx.Sign(from)
		if ov.ApplyTx(&n.g.Params, tx, state.Options{}) == nil {
			txs = append(txs, tx)
		}
	}
	return txs
}

func (n *propNet) mineOnTip(rt *rapid.T, c *Chain, miner keys.Address) *types.Block {
	s := c.Snapshot()
	tm := s.Header.Time + 1000
	m, err := c.Engine().Mine(context.Background(), s.Template(miner, n.randomTxs(rt, s.State)),
		pogw.MineOptions{Now: func() int64 { return tm }})
	if err != nil {
		rt.Fatal(err)
	}
	if len(m.Dropped) > 0 {
		rt.Fatalf("%d transfers dropped", len(m.Dropped))
	}
	return m.Block
}

type tipRecord struct {
	entries []state.Entry
	root    [32]byte
	weights *model.Weights
	supply  uint64
}

func record(c *Chain) tipRecord {
	return tipRecord{entries: c.state.Entries(), root: c.state.Root(), weights: c.weights, supply: c.state.Supply()}
}

// expectedSupply is allocations + the subsidies of heights 1..h.
func expectedSupply(g *consensus.Genesis, h uint64) uint64 {
	s := g.TotalAlloc()
	for i := uint64(1); i <= h; i++ {
		s += consensus.Subsidy(&g.Params, i)
	}
	return s
}

// TestPropConnectDisconnect: connecting blocks then disconnecting back to
// any height restores exactly the state, StateRoot and weights of that
// height (from undo records and snapshot+replay), reconnecting restores
// the tip, and the supply is always allocations + Σ subsidies.
func TestPropConnectDisconnect(t *testing.T) {
	defaultRapidChecks(t, 25)
	n := newPropNet(t)
	miner := keys.Address{0xaa}
	rapid.Check(t, func(rt *rapid.T) {
		c, st := n.open(rt)
		recs := []tipRecord{record(c)}
		k := rapid.IntRange(1, 4).Draw(rt, "blocks")
		for i := 1; i <= k; i++ {
			b := n.mineOnTip(rt, c, miner)
			if res, err := c.ProcessBlock(b); err != nil || !res.MainChain {
				rt.Fatalf("block %d: %v %v", i, res.Status, err)
			}
			recs = append(recs, record(c))
			if got, want := c.state.Supply(), expectedSupply(n.g, uint64(i)); got != want {
				rt.Fatalf("supply %d at height %d, want %d", got, i, want)
			}
		}
		j := rapid.IntRange(0, k-1).Draw(rt, "rewind to")
		if rapid.Bool().Draw(rt, "cold weights") {
			c.wcache = newWeightCache(1) // force snapshot + replay
		}
		c.mu.Lock()
		err := c.disconnectTo(c.mainChain[j])
		c.mu.Unlock()
		if err != nil {
			rt.Fatal(err)
		}
		r := record(c)
		if !slices.Equal(r.entries, recs[j].entries) || r.root != recs[j].root || r.root != c.tip.header.StateRoot {
			rt.Fatalf("state after disconnecting to %d differs", j)
		}
		if !r.weights.Equal(recs[j].weights) || r.weights.Root() != c.tip.header.ModelRoot {
			rt.Fatalf("weights after disconnecting to %d differ", j)
		}
		if r.supply != expectedSupply(n.g, uint64(j)) {
			rt.Fatalf("supply after disconnect")
		}
		if err := c.CheckConsistency(); err != nil {
			rt.Fatal(err)
		}
		c.mu.Lock()
		err = c.selectBest()
		c.mu.Unlock()
		if err != nil {
			rt.Fatal(err)
		}
		r = record(c)
		if c.tip.height() != uint64(k) || !slices.Equal(r.entries, recs[k].entries) || !r.weights.Equal(recs[k].weights) {
			rt.Fatal("reconnecting did not restore the tip")
		}
		if err := c.CheckConsistency(); err != nil {
			rt.Fatal(err)
		}
		if err := st.Check(); err != nil {
			rt.Fatal(err)
		}
	})
}
