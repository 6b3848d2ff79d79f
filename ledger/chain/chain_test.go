package chain_test

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/chaintest"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/mempool"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

func vector(t *testing.T, name string) (*chaintest.Generator, chaintest.Test) {
	g, fast, _, _ := loadVectors(t)
	for _, v := range fast {
		if v.Name == name {
			return g, v
		}
	}
	t.Fatalf("no vector %s", name)
	return nil, chaintest.Test{}
}

func submit(t *testing.T, c *chain.Chain, b *types.Block, want chain.Status) chain.Result {
	t.Helper()
	res, err := c.ProcessBlock(b)
	if res.Status != want {
		t.Fatalf("block %d %s: status %v (%v), want %v", b.Header.Height, b.Hash(), res.Status, err, want)
	}
	return res
}

// TestFailedReorgWritesNothing: when the heavier branch fails before its
// valid prefix beats the tip, the only write is the invalid mark: no
// disconnect, no connect, no tip event.
func TestFailedReorgWritesNothing(t *testing.T) {
	g, v := vector(t, "invaliddeep")
	c, st := openMem(t, g, nil)
	sub := c.Subscribe(16)
	defer sub.Close()
	var x6 chaintest.Instance
	for _, inst := range v.Instances {
		if strings.HasSuffix(inst.Label(), "invaliddeep/x6 (ErrInvalidParent)") {
			x6 = inst
			break
		}
		if err := chaintest.Step(chaintest.ChainNode{Chain: c}, inst); err != nil {
			t.Fatal(err)
		}
	}
	for len(sub.C) > 0 {
		<-sub.C
	}
	before, tip := st.Commits(), c.Snapshot()
	if err := chaintest.Step(chaintest.ChainNode{Chain: c}, x6); err != nil {
		t.Fatal(err)
	}
	if d := st.Commits() - before; d != 1 {
		t.Fatalf("failed reorg attempt made %d store commits, want 1 (the invalid marks)", d)
	}
	if c.Snapshot() != tip || len(sub.C) != 0 {
		t.Fatal("failed reorg attempt changed the published tip")
	}
	for _, name := range []string{"x4", "x5", "x6"} {
		info, ok := c.BlockInfo(g.Get("invaliddeep/" + name).Hash())
		if !ok || info.Status&store.StatusInvalid == 0 {
			t.Fatalf("%s not marked invalid: %+v", name, info)
		}
	}
	if info, _ := c.BlockInfo(g.Get("invaliddeep/x3").Hash()); info.Status&store.StatusInvalid != 0 {
		t.Fatal("valid ancestor x3 marked invalid")
	}
}

type poolHook struct{ p *mempool.Pool }

func (h poolHook) BlockConnected(b *types.Block, v state.Reader)      { h.p.RemoveBlock(b, v) }
func (h poolHook) BlocksDisconnected(txs []*types.Tx, v state.Reader) { h.p.Readd(txs, v) }

// TestMempoolHooks: included transfers leave the pool; a reorg returns the
// disconnected ones that are still valid.
func TestMempoolHooks(t *testing.T) {
	g, err := chaintest.NewGenerator(chaintest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := chaintest.Key("alice").Address(), chaintest.Key("bob").Address()
	tx1 := g.Tx(g.Faucet, alice, 1000, 5, 0)
	tx2 := g.Tx(g.Faucet, bob, 1000, 5, 1)
	a1, _ := g.NextBlock("a1", "genesis", chaintest.WithTxs(tx1))
	b1, _ := g.NextBlock("b1", "genesis", chaintest.WithMiner(chaintest.Key("other").Address()))
	b2, _ := g.NextBlock("b2", "b1")
	b3, err := g.NextBlock("b3", "b2", chaintest.WithTxs(tx1, tx2))
	if err != nil {
		t.Fatal(err)
	}
	pool := mempool.New(&g.Params, mempool.Config{})
	c, _ := openMem(t, g, poolHook{pool})
	for _, tx := range []*types.Tx{tx1, tx2} {
		if _, err := pool.Add(tx, c.Snapshot().State); err != nil {
			t.Fatal(err)
		}
	}
	submit(t, c, a1, chain.Accepted)
	if pool.Has(tx1.ID()) || !pool.Has(tx2.ID()) {
		t.Fatal("after a1: tx1 should have left the pool, tx2 stayed")
	}
	submit(t, c, b1, chain.Accepted)
	res := submit(t, c, b2, chain.Accepted)
	if res.Disconnected != 1 || res.Connected != 2 {
		t.Fatalf("reorg %d/%d", res.Disconnected, res.Connected)
	}
	if !pool.Has(tx1.ID()) || !pool.Has(tx2.ID()) || pool.Len() != 2 {
		t.Fatal("after the reorg: tx1 should be back in the pool with tx2")
	}
	submit(t, c, b3, chain.Accepted)
	if pool.Len() != 0 {
		t.Fatalf("after b3: %d transfers left in the pool", pool.Len())
	}
}

func TestSubscription(t *testing.T) {
	g, v := vector(t, "reorg1")
	c, _ := openMem(t, g, nil)
	all := c.Subscribe(64)
	tiny := c.Subscribe(1)
	defer all.Close()
	chaintest.Run(t, chaintest.ChainNode{Chain: c}, v)
	tiny.Close()
	var events []chain.TipEvent
	for len(all.C) > 0 {
		events = append(events, <-all.C)
	}
	// reorg1: m1 m2 m3 (3 events), s3 no, s4 reorg (1), m4 no, m5 reorg back (1).
	if len(events) != 5 {
		t.Fatalf("%d events", len(events))
	}
	last := events[4]
	if last.Snapshot.Hash != c.Snapshot().Hash || len(last.Disconnected) != 2 || len(last.Connected) != 3 {
		t.Fatalf("last event: %d disconnected, %d connected", len(last.Disconnected), len(last.Connected))
	}
	for i := 1; i < len(events); i++ {
		if events[i].Snapshot.Seq <= events[i-1].Snapshot.Seq {
			t.Fatal("snapshot sequence not increasing")
		}
	}
	// The one-slot subscriber kept only the newest event and counted the rest.
	e := <-tiny.C
	if e.Snapshot.Hash != last.Snapshot.Hash || e.Missed != 4 {
		t.Fatalf("tiny subscriber: missed %d", e.Missed)
	}
}

func TestLocatorAndHeadersAfter(t *testing.T) {
	g, err := chaintest.NewGenerator(chaintest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Chain("h", "genesis", 40); err != nil {
		t.Fatal(err)
	}
	c, _ := openMem(t, g, nil)
	for i := 1; i <= 40; i++ {
		submit(t, c, g.Get("h"+itoa(i)).Block, chain.Accepted)
	}
	loc := c.Locator()
	wantHeights := []uint64{40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 29, 25, 17, 1, 0}
	if len(loc) != len(wantHeights) {
		t.Fatalf("locator of %d hashes", len(loc))
	}
	for i, h := range wantHeights {
		if got, _ := c.HashAtHeight(h); got != loc[i] {
			t.Fatalf("locator[%d] is not height %d", i, h)
		}
	}
	heights := func(hs []types.Header) (out []uint64) {
		for _, h := range hs {
			out = append(out, h.Height)
		}
		return out
	}
	peer := c.LocatorFrom(g.Get("h10").Hash())
	if hs := c.HeadersAfter(peer, hashx.Hash{}, 0); len(hs) != 30 || hs[0].Height != 11 || hs[29].Height != 40 {
		t.Fatalf("headers after h10: %v", heights(hs))
	}
	if hs := c.HeadersAfter(peer, hashx.Hash{}, 5); len(hs) != 5 || hs[4].Height != 15 {
		t.Fatalf("max 5: %v", heights(hs))
	}
	if hs := c.HeadersAfter(peer, g.Get("h13").Hash(), 0); len(hs) != 3 || hs[2].Height != 13 {
		t.Fatalf("stop at h13: %v", heights(hs))
	}
	unknown := []hashx.Hash{{1}, {2}}
	if hs := c.HeadersAfter(unknown, hashx.Hash{}, 0); len(hs) != 40 || hs[0].Height != 1 {
		t.Fatalf("unknown locator: %d headers", len(hs))
	}
	for i := 1; i < 40; i++ {
		b, err := c.BlockByHeight(uint64(i))
		if err != nil || b.Hash() != g.Get("h"+itoa(i)).Hash() {
			t.Fatalf("BlockByHeight(%d): %v", i, err)
		}
	}
	if _, err := c.BlockByHeight(41); !errors.Is(err, chain.ErrNotFound) {
		t.Fatalf("BlockByHeight(41): %v", err)
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// TestHeadersFirst: a fresh node indexes a peer's headers, learns it is
// behind, downloads the bodies in any order and ends on the peer's tip.
func TestHeadersFirst(t *testing.T) {
	g, err := chaintest.NewGenerator(chaintest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Chain("f", "genesis", 30, chaintest.WithTxs()); err != nil {
		t.Fatal(err)
	}
	a, _ := openMem(t, g, nil)
	for i := 1; i <= 30; i++ {
		submit(t, a, g.Get("f"+itoa(i)).Block, chain.Accepted)
	}
	b, _ := openMem(t, g, nil)
	hs := a.HeadersAfter(b.Locator(), hashx.Hash{}, 0)
	// A bad header stops the run with its code; headers before it stay.
	bad := append([]types.Header(nil), hs...)
	bad[20].Nonce++
	for bad[20].Target.Meets(bad[20].Hash()) {
		bad[20].Nonce++
	}
	res, err := b.ProcessHeaders(bad)
	if code, _ := consensus.CodeOf(err); code != consensus.ErrBadPoW || res.Added != 20 {
		t.Fatalf("bad run: added %d, %v", res.Added, err)
	}
	if _, err := b.ProcessHeaders(hs[25:26]); !consensus.IsCode(err, consensus.ErrUnknownParent) {
		t.Fatalf("unlinked header: %v", err)
	}
	res, err = b.ProcessHeaders(hs)
	if err != nil || res.Added != 10 || !res.MoreWork || res.Best.Hash != a.Snapshot().Hash {
		t.Fatalf("headers: %+v %v", res, err)
	}
	if b.Snapshot().Height != 0 {
		t.Fatal("headers moved the tip")
	}
	missing := b.MissingBlocks(100)
	if len(missing) != 30 || missing[0] != g.Get("f1").Hash() || missing[29] != g.Get("f30").Hash() {
		t.Fatalf("missing %d", len(missing))
	}
	// Bodies 16..30 first: stored, not connectable.
	for i := 16; i <= 30; i++ {
		r := submit(t, b, g.Get("f"+itoa(i)).Block, chain.Accepted)
		if r.MainChain {
			t.Fatal("body above a gap joined the main chain")
		}
	}
	if got := b.MissingBlocks(100); len(got) != 15 || got[14] != g.Get("f15").Hash() {
		t.Fatalf("missing after the upper half: %d", len(got))
	}
	for i := 1; i <= 15; i++ {
		submit(t, b, g.Get("f"+itoa(i)).Block, chain.Accepted)
	}
	if b.Snapshot().Hash != a.Snapshot().Hash || len(b.MissingBlocks(10)) != 0 {
		t.Fatal("sync did not reach the peer's tip")
	}
}

// TestRestartAndCorruption: a second chain on the same store sees the same
// tip; damaged accounts or snapshots make Open refuse, and a reindex
// repairs both.
func TestRestartAndCorruption(t *testing.T) {
	g, v := vector(t, "reorg20")
	c, st := openMem(t, g, nil)
	chaintest.Run(t, chaintest.ChainNode{Chain: c}, v)
	want := c.Snapshot()
	reopen := func(reindex bool) (*chain.Chain, error) {
		return chain.Open(chain.Config{Genesis: g.Genesis, Corpus: g.Engine.Corpus(), Store: st,
			Now: func() int64 { return g.Now }, Reindex: reindex})
	}
	same := func(c2 *chain.Chain) {
		t.Helper()
		s := c2.Snapshot()
		if s.Hash != want.Hash || s.State.Root() != want.State.Root() || !s.Weights.Equal(want.Weights) || s.ChainWork.Cmp(want.ChainWork) != 0 {
			t.Fatal("reopened chain differs")
		}
		if err := c2.CheckConsistency(); err != nil {
			t.Fatal(err)
		}
	}
	c2, err := reopen(false)
	if err != nil {
		t.Fatal(err)
	}
	same(c2)
	// Every side-branch block is still known.
	for _, inst := range v.Instances {
		if a, ok := inst.(chaintest.AcceptedBlock); ok {
			if info, ok := c2.BlockInfo(a.Block.Hash()); !ok || info.Status&store.StatusBody == 0 {
				t.Fatalf("%s lost", a.Name)
			}
		}
	}

	damage := []struct {
		name string
		f    func(tx store.Tx) error
	}{
		{"account", func(tx store.Tx) error {
			addr := chaintest.Key("alice").Address()
			return tx.Put(store.Accounts, addr[:], types.Account{Balance: 1}.Encode())
		}},
		{"snapshot", func(tx store.Tx) error {
			h, hash, w, ok, err := store.ReadSnapshot(tx, want.Height)
			if err != nil || !ok || h == 0 {
				t.Fatalf("no snapshot to damage (%d, %v)", h, err)
			}
			w.Set(5, 5, w.At(5, 5)+1)
			return tx.Put(store.Snapshots, store.HeightKey(h), store.EncodeSnapshot(hash, w))
		}},
		{"height index", func(tx store.Tx) error { return tx.Delete(store.Heights, store.HeightKey(3)) }},
	}
	for _, d := range damage {
		if err := st.Update(d.f); err != nil {
			t.Fatal(err)
		}
		_, err := reopen(false)
		if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "reindex") {
			t.Fatalf("%s damage: Open returned %v", d.name, err)
		}
		c3, err := reopen(true)
		if err != nil {
			t.Fatalf("%s damage: reindex: %v", d.name, err)
		}
		same(c3)
	}
}

func TestOpenChecksGenesisAndCorpus(t *testing.T) {
	g, err := chaintest.NewGenerator(chaintest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := store.NewMemory()
	if _, err := g.OpenChain(st, nil); err != nil {
		t.Fatal(err)
	}
	other := *g.Genesis
	other.Time++
	if _, err := chain.Open(chain.Config{Genesis: &other, Corpus: g.Engine.Corpus(), Store: st}); err == nil || !strings.Contains(err.Error(), "genesis") {
		t.Fatalf("other genesis: %v", err)
	}
	bad := *g.Genesis
	bad.CorpusRoot = hashx.Hash{1}
	if _, err := chain.Open(chain.Config{Genesis: &bad, Corpus: g.Engine.Corpus(), Store: store.NewMemory()}); err == nil {
		t.Fatal("corpus root mismatch accepted")
	}
	bad = *g.Genesis
	w := model.NewGenesis()
	w.Set(0, 0, 1)
	bad.ModelRoot = w.Root()
	if _, err := chain.Open(chain.Config{Genesis: &bad, Corpus: g.Engine.Corpus(), Store: store.NewMemory()}); err == nil {
		t.Fatal("non-zero genesis model accepted")
	}
}

// TestConcurrentReaders reads snapshots, the index and the store while
// blocks are processed (run with -race to check the locking).
func TestConcurrentReaders(t *testing.T) {
	g, v := vector(t, "reorg20")
	c, _ := openMem(t, g, nil)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				s := c.Snapshot()
				if s.State.Root() != s.Header.StateRoot || s.Weights.Root() != s.Header.ModelRoot {
					t.Error("snapshot roots do not match its header")
					return
				}
				c.BlockInfo(s.Hash)
				c.HeadersAfter(c.Locator(), hashx.Hash{}, 10)
				if _, err := c.BlockByHash(s.Hash); err != nil {
					t.Error(err)
					return
				}
				c.MissingBlocks(5)
			}
		}()
	}
	chaintest.Run(t, chaintest.ChainNode{Chain: c}, v)
	stop.Store(true)
	wg.Wait()
}

// TestSnapshotStateConcurrentRoot: many readers computing the root of a
// freshly published state at once (run with -race: the lazy key sort of
// state.State must have happened before publication).
func TestSnapshotStateConcurrentRoot(t *testing.T) {
	g, err := chaintest.NewGenerator(chaintest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var txs []*types.Tx
	for i, k := range []string{"a", "b", "c", "d"} {
		txs = append(txs, g.Spend("genesis", chaintest.Key(k).Address(), 10, uint64(i)))
	}
	b1, err := g.NextBlock("n1", "genesis", chaintest.WithTxs(txs...)) // four new accounts
	if err != nil {
		t.Fatal(err)
	}
	c, _ := openMem(t, g, nil)
	submit(t, c, b1, chain.Accepted)
	s := c.Snapshot()
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.State.Root() != b1.Header.StateRoot || len(s.State.Entries()) != 6 { // faucet, four payees, miner
				t.Error("snapshot state differs")
			}
		}()
	}
	wg.Wait()
}

func TestWeightsAt(t *testing.T) {
	g, err := chaintest.NewGenerator(chaintest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Chain("w", "genesis", 40); err != nil {
		t.Fatal(err)
	}
	c, _ := openMem(t, g, nil)
	for i := 1; i <= 40; i++ {
		submit(t, c, g.Get("w"+itoa(i)).Block, chain.Accepted)
	}
	for _, h := range []int{0, 1, 15, 16, 17, 31, 32, 39, 40} {
		name := "genesis"
		if h > 0 {
			name = "w" + itoa(h)
		}
		w, err := c.WeightsAt(g.Get(name).Hash())
		if err != nil {
			t.Fatalf("height %d: %v", h, err)
		}
		if !w.Equal(g.Get(name).Weights) {
			t.Fatalf("height %d: weights differ", h)
		}
	}
	if _, err := c.WeightsAt(hashx.Hash{9}); !errors.Is(err, chain.ErrNotFound) {
		t.Fatalf("unknown block: %v", err)
	}
}
