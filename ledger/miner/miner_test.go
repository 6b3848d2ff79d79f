package miner

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/mempool"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

type poolHook struct{ p *mempool.Pool }

func (h poolHook) BlockConnected(b *types.Block, v state.Reader)      { h.p.RemoveBlock(b, v) }
func (h poolHook) BlocksDisconnected(txs []*types.Tx, v state.Reader) { h.p.Readd(txs, v) }

// fastGenesis is the dev genesis with a trivial, fixed target (2^246,
// about 1000 hashes per block).
func fastGenesis(t testing.TB) *consensus.Genesis {
	t.Helper()
	c := corpus.Embedded()
	g, err := consensus.NewDevGenesis(c.Root(), model.GenesisRoot())
	if err != nil {
		t.Fatal(err)
	}
	g.Params.NoRetarget = true
	g.Params.GenesisTarget = types.TargetPow2(246)
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	return g
}

func openChain(t testing.TB) (*chain.Chain, *mempool.Pool, *consensus.Genesis) {
	t.Helper()
	g := fastGenesis(t)
	pool := mempool.New(&g.Params, mempool.Config{})
	ch, err := chain.Open(chain.Config{Genesis: g, Corpus: corpus.Embedded(), Store: store.NewMemory(), Pool: poolHook{pool}})
	if err != nil {
		t.Fatal(err)
	}
	return ch, pool, g
}

func minerKey(name string) *keys.PrivateKey {
	seed := make([]byte, 32)
	copy(seed, name)
	k, err := keys.FromSeed(seed)
	if err != nil {
		panic(err)
	}
	return k
}

// runMiner starts m.Run and returns a function that stops it and waits.
func runMiner(t *testing.T, m *Miner) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after its context was cancelled")
		}
	}
	t.Cleanup(stop)
	return stop
}

func waitHeight(t *testing.T, ch *chain.Chain, h uint64, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for ch.Snapshot().Height < h {
		if time.Now().After(deadline) {
			t.Fatalf("height %d after %v, want %d", ch.Snapshot().Height, d, h)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestMinesBlocksWithTransfers: the miner extends the chain, pays itself
// subsidy + fees, includes a pending transfer, and its statistics match
// the chain.
func TestMinesBlocksWithTransfers(t *testing.T) {
	ch, pool, g := openChain(t)
	addr := minerKey("miner").Address()
	m, err := New(Config{Chain: ch, Pool: pool, Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	faucet := consensus.DevFaucetKey()
	to := minerKey("bob").Address()
	tx := &types.Tx{Version: 1, ChainID: g.Params.ChainID, From: faucet.Address(), To: to, Amount: 12345, Fee: 7, Nonce: 0}
	if err := tx.Sign(faucet); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Add(tx, ch.Snapshot().State); err != nil {
		t.Fatal(err)
	}
	stop := runMiner(t, m)
	if ch.Snapshot().Height != 0 {
		t.Fatal("mined before Start")
	}
	m.Start()
	waitHeight(t, ch, 5, 60*time.Second)
	m.Stop()
	stop()

	snap := ch.Snapshot()
	st := m.Stats()
	if st.Blocks != snap.Height {
		t.Errorf("Stats.Blocks = %d, chain height %d (a lone miner mines every block)", st.Blocks, snap.Height)
	}
	if st.Tries < st.Blocks || st.Hashes < st.Blocks {
		t.Errorf("tries %d, hashes %d for %d blocks: every block needs at least one of each", st.Tries, st.Hashes, st.Blocks)
	}
	if st.Last.Height != snap.Height || st.Last.Hash != snap.Hash {
		t.Errorf("Last = %d %s, tip %d %s", st.Last.Height, st.Last.Hash, snap.Height, snap.Hash)
	}
	var want uint64
	for h := uint64(1); h <= snap.Height; h++ {
		want += consensus.Subsidy(&g.Params, h)
	}
	want += tx.Fee
	if got := snap.State.Account(addr).Balance; got != want {
		t.Errorf("miner balance %d, want subsidies + fee %d", got, want)
	}
	if got := snap.State.Account(to).Balance; got != tx.Amount {
		t.Errorf("recipient balance %d, want %d", got, tx.Amount)
	}
	if pool.Len() != 0 {
		t.Errorf("mempool still holds %d transactions", pool.Len())
	}
	loc, ok, err := ch.TxLocation(tx.ID())
	if err != nil || !ok {
		t.Fatalf("transfer not located: %v %v", ok, err)
	}
	if info, _ := ch.BlockInfo(loc.Block); !info.MainChain {
		t.Error("transfer's block is not on the main chain")
	}
	if err := ch.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

// hardGrind replaces the miner's grind with the real pogw.Grind on a
// target nobody can meet (2^200), so a job grinds until its context is
// cancelled. It reports when grinding started and how it ended.
type hardGrind struct {
	started chan *types.Header
	ended   chan error
	easy    atomic.Bool // once set, grind normally
}

func newHardGrind(m *Miner) *hardGrind {
	hg := &hardGrind{started: make(chan *types.Header, 16), ended: make(chan error, 16)}
	m.grind = func(ctx context.Context, h *types.Header, now func() int64, minTime int64, refresh uint64) (uint64, error) {
		if hg.easy.Load() {
			return pogw.Grind(ctx, h, now, minTime, refresh)
		}
		hard := *h
		hard.Target = types.TargetPow2(200)
		hg.started <- h
		n, err := pogw.Grind(ctx, &hard, now, minTime, refresh)
		hg.ended <- err
		return n, err
	}
	return hg
}

// TestAbandonsStaleTip: while the miner grinds on the tip, a competing
// block for the same height arrives (as from the network); the miner's
// grind is cancelled at once, counted stale, and the next block builds on
// the new tip.
func TestAbandonsStaleTip(t *testing.T) {
	ch, pool, _ := openChain(t)
	m, err := New(Config{Chain: ch, Pool: pool, Address: minerKey("miner").Address()})
	if err != nil {
		t.Fatal(err)
	}
	hg := newHardGrind(m)
	runMiner(t, m)
	m.Start()

	var h0 *types.Header
	select {
	case h0 = <-hg.started:
	case <-time.After(30 * time.Second):
		t.Fatal("miner did not start grinding")
	}
	parent := ch.Snapshot()
	if h0.PrevHash != parent.Hash {
		t.Fatalf("grinding on %s, tip is %s", h0.PrevHash, parent.Hash)
	}
	// A competing block from another miner on the same parent.
	other := minerKey("other").Address()
	mined, err := ch.Engine().Mine(context.Background(), parent.Template(other, nil), pogw.MineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hg.easy.Store(true)
	t0 := time.Now()
	if res, err := ch.ProcessBlock(mined.Block); err != nil || !res.MainChain {
		t.Fatalf("competing block: %+v %v", res, err)
	}
	select {
	case err := <-hg.ended:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("grind ended with %v, want context.Canceled", err)
		}
		if d := time.Since(t0); d > 2*time.Second {
			t.Errorf("stale job abandoned after %v", d)
		} else {
			t.Logf("stale job abandoned %v after the competing block was submitted", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("grind on the stale tip was not cancelled")
	}
	waitHeight(t, ch, 2, 30*time.Second)
	m.Stop()
	b2, err := ch.BlockByHeight(2)
	if err != nil {
		t.Fatal(err)
	}
	if b2.Header.PrevHash != mined.Block.Hash() {
		t.Errorf("height 2 builds on %s, want the competing block %s", b2.Header.PrevHash, mined.Block.Hash())
	}
	st := m.Stats()
	if st.Stale != 1 {
		t.Errorf("Stats.Stale = %d, want 1", st.Stale)
	}
	if b1, _ := ch.BlockByHeight(1); b1.Header.Miner != other {
		t.Error("height 1 is not the competing block")
	}
}

// TestStopAbandonsJob: Stop cancels the grind at once, no block is mined
// while stopped, and Start resumes.
func TestStopAbandonsJob(t *testing.T) {
	ch, pool, _ := openChain(t)
	m, err := New(Config{Chain: ch, Pool: pool, Address: minerKey("miner").Address()})
	if err != nil {
		t.Fatal(err)
	}
	hg := newHardGrind(m)
	runMiner(t, m)
	m.Start()
	select {
	case <-hg.started:
	case <-time.After(30 * time.Second):
		t.Fatal("miner did not start grinding")
	}
	t0 := time.Now()
	m.Stop()
	select {
	case err := <-hg.ended:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("grind ended with %v", err)
		}
		if d := time.Since(t0); d > 2*time.Second {
			t.Errorf("Stop took %v to abandon the job", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not cancel the grind")
	}
	if m.Mining() {
		t.Error("Mining() after Stop")
	}
	select {
	case <-hg.started:
		t.Fatal("a new job started while stopped")
	case <-time.After(100 * time.Millisecond):
	}
	if st := m.Stats(); st.Stopped != 1 || st.Blocks != 0 {
		t.Errorf("stats after Stop: %+v", st)
	}
	hg.easy.Store(true)
	m.Start()
	waitHeight(t, ch, 2, 30*time.Second)
	if ch.Snapshot().Height < 2 {
		t.Fatal("no blocks after Start")
	}
}

// TestRunTwiceAndConfig: misuse and bad configuration are errors.
func TestRunTwiceAndConfig(t *testing.T) {
	ch, _, _ := openChain(t)
	if _, err := New(Config{Chain: ch}); err == nil {
		t.Error("zero address accepted")
	}
	if _, err := New(Config{Address: keys.Address{1}}); err == nil {
		t.Error("nil chain accepted")
	}
	if _, err := New(Config{Chain: ch, Address: keys.Address{1}, CoinbaseMemo: make([]byte, 65)}); err == nil {
		t.Error("oversized memo accepted")
	}
	m, err := New(Config{Chain: ch, Address: keys.Address{1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = m.Run(ctx) }()
	for {
		m.mu.Lock()
		r := m.running
		m.mu.Unlock()
		if r {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := m.Run(ctx); err == nil {
		t.Error("second Run accepted")
	}
	cancel()
	wg.Wait()
}
