package pogw

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/types"
)

func TestSeedsBindParentMinerNonce(t *testing.T) {
	p := hashx.Sum([]byte("parent"))
	a, b := key(1).Address(), key(2).Address()
	s := TrainSeed(p, a, 7)
	// The layout is H_train(parent || miner || u64le(nonce)).
	want := hashx.Tagged(hashx.TagTrain, p[:], a[:], []byte{7, 0, 0, 0, 0, 0, 0, 0})
	if s != want {
		t.Fatalf("TrainSeed = %s, want %s", s, want)
	}
	for _, other := range []hashx.Hash{TrainSeed(p, b, 7), TrainSeed(p, a, 8), TrainSeed(hashx.Sum([]byte("q")), a, 7)} {
		if other == s {
			t.Fatal("seed does not depend on every input")
		}
	}
	if VerifySeed(p) != hashx.Tagged(hashx.TagVerify, p[:]) {
		t.Fatal("VerifySeed layout")
	}
}

func TestMineVerify(t *testing.T) {
	n := newNet(t, 246)
	g := n.genesis(t)
	alice, bob := key(1), key(2)
	txs := []*types.Tx{
		n.transfer(n.faucet, alice.Address(), 5000, 10, 0, []byte("hello")),
		n.transfer(n.faucet, bob.Address(), 7000, 3, 1, nil),
	}
	miner := key(9).Address()
	m, child := n.mine(t, g, miner, txs)
	b := m.Block
	if len(m.Dropped) != 0 || len(b.Txs) != 3 {
		t.Fatalf("dropped %d, block has %d txs", len(m.Dropped), len(b.Txs))
	}
	v, err := n.e.VerifyBlock(g.parent(&n.p), b, n.now)
	if err != nil {
		t.Fatal(err)
	}
	if v.Weights.Root() != b.Header.ModelRoot || !v.Weights.Equal(m.Update.Weights) {
		t.Fatal("verified weights differ from the mined update")
	}
	if v.State.Root() != b.Header.StateRoot || child.st.Root() != b.Header.StateRoot {
		t.Fatal("state root mismatch")
	}
	// The coinbase pays subsidy + fees to the miner.
	if got, want := child.st.Account(miner).Balance, consensus.Subsidy(&n.p, 1)+13; got != want {
		t.Fatalf("miner balance %d, want %d", got, want)
	}
	if b.Header.LossAfter > b.Header.LossBefore {
		t.Fatal("mined update raises the loss")
	}
	// Same inputs, same block (mining is deterministic given the clock).
	m2, _ := n.mine(t, g, miner, txs)
	if m2.Block.Hash() != b.Hash() {
		t.Fatal("mining is not deterministic")
	}
	// A chain of blocks verifies block by block.
	nd := child
	for i := 0; i < 4; i++ {
		tx := n.transfer(alice, bob.Address(), 100, 1, uint64(i), nil)
		mb, next := n.mine(t, nd, miner, []*types.Tx{tx})
		if _, err := n.e.VerifyBlock(nd.parent(&n.p), mb.Block, n.now); err != nil {
			t.Fatalf("block %d: %v", i+2, err)
		}
		nd = next
	}
}

func TestSearchTakesFirstImprovingNonce(t *testing.T) {
	n := newNet(t, 246)
	nd := n.genesis(t)
	miner := key(9).Address()
	for i := 0; i < 4; i++ {
		_, nd = n.mine(t, nd, miner, nil)
	}
	parent := nd.b.Hash()
	before := n.e.LossBefore(parent, nd.w)
	if want := model.MeanLoss(nd.w, corpus.Embedded().HeldOutBatch(nil, VerifySeed(parent), 0, 256)); before != want {
		t.Fatalf("LossBefore %d, direct %d", before, want)
	}
	u, err := n.e.SearchUpdate(context.Background(), parent, nd.w, miner, SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if u.Tries != int(u.TrainNonce)+1 || u.LossBefore != before {
		t.Fatalf("tries %d nonce %d", u.Tries, u.TrainNonce)
	}
	batch := n.e.VerifyBatch(parent)
	for k := uint64(0); k <= u.TrainNonce; k++ {
		w := n.e.Replay(nd.w, parent, miner, k)
		after := model.MeanLoss(w, batch)
		if ok := after <= before; ok != (k == u.TrainNonce) {
			t.Fatalf("nonce %d: after %d before %d, search chose %d", k, after, before, u.TrainNonce)
		}
	}
	// An impossible improvement requirement exhausts the search.
	n.e.params.MinImprove = 1 << 40
	defer func() { n.e.params.MinImprove = 0 }()
	if _, err := n.e.SearchUpdate(context.Background(), parent, nd.w, miner, SearchOptions{MaxTries: 3}); !errors.Is(err, ErrNoUpdate) {
		t.Fatalf("got %v, want ErrNoUpdate", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := n.e.SearchUpdate(ctx, parent, nd.w, miner, SearchOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestLossBeforeConcurrent(t *testing.T) {
	n := newNet(t, 246)
	w := model.NewGenesis()
	want := make(map[hashx.Hash]int64)
	var parents []hashx.Hash
	for i := 0; i < 80; i++ { // more than the cache holds
		p := hashx.Sum([]byte{byte(i)})
		parents = append(parents, p)
		want[p] = model.MeanLoss(w, corpus.Embedded().HeldOutBatch(nil, VerifySeed(p), 0, 256))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range parents {
				p := parents[(i*7+g)%len(parents)]
				if got := n.e.LossBefore(p, w); got != want[p] {
					errs <- p.String()
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("wrong cached loss for parent %s", e)
	}
}

func TestGrindAbortAndTimeRefresh(t *testing.T) {
	h := types.Header{Version: 1, Time: 100, Target: types.TargetPow2(0)} // practically unsolvable
	var calls int64
	now := func() int64 { calls++; return 100 + calls }
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	n, err := Grind(ctx, &h, now, 0, 1024)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("abort took %v", d)
	}
	if calls == 0 || h.Time != 100+calls || n/1024 < uint64(calls) {
		t.Fatalf("time refreshed %d times over %d attempts, header time %d", calls, n, h.Time)
	}
	// MinTime wins over a clock that runs behind.
	h2 := types.Header{Version: 1, Time: 5, Target: types.TargetPow2(255)}
	if _, err := Grind(context.Background(), &h2, func() int64 { return 1 }, 50, 1); err != nil {
		t.Fatal(err)
	}
	if !h2.Target.Meets(h2.Hash()) {
		t.Fatal("grind result does not meet the target")
	}
}

// TestRuleCodes: each kind of bad block is rejected with its code.
func TestRuleCodes(t *testing.T) {
	n := newNet(t, 246)
	g := n.genesis(t)
	minerA, minerB := key(9).Address(), key(10).Address()
	nd := n.trained(t, 100)
	tx := n.transfer(n.faucet, key(1).Address(), 5000, 10, 0, nil)
	good, _ := n.mine(t, nd, minerA, []*types.Tx{tx})
	par := nd.parent(&n.p)
	if _, err := n.e.VerifyBlock(par, good.Block, n.now); err != nil {
		t.Fatal(err)
	}
	clone := func() *types.Block {
		b, err := types.DecodeBlock(good.Block.Encode())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	build := func(miner keys.Address, u *Update, txs []*types.Tx) *types.Block {
		tm := n.template(nd, miner, txs)
		b, _, _, err := n.e.BuildBlock(tm, u, good.Block.Header.Time)
		if err != nil {
			t.Fatal(err)
		}
		regrind(t, &b.Header)
		return b
	}
	cases := []struct {
		name string
		b    func() *types.Block
		code consensus.ErrorCode
	}{
		{"wrong model root", func() *types.Block {
			b := clone()
			b.Header.ModelRoot[3] ^= 1
			regrind(t, &b.Header)
			return b
		}, consensus.ErrBadModelRoot},
		{"loss before mismatch", func() *types.Block {
			b := clone()
			b.Header.LossBefore++
			regrind(t, &b.Header)
			return b
		}, consensus.ErrLossMismatch},
		{"loss after mismatch", func() *types.Block {
			b := clone()
			b.Header.LossAfter--
			regrind(t, &b.Header)
			return b
		}, consensus.ErrLossMismatch},
		{"claimed raise", func() *types.Block {
			b := clone()
			b.Header.LossAfter = b.Header.LossBefore + 1
			regrind(t, &b.Header)
			return b
		}, consensus.ErrNoImprovement},
		{"loss-raising update", func() *types.Block {
			before := n.e.LossBefore(par.Info.Hash, nd.w)
			for k := uint64(0); k < 2000; k++ {
				w := n.e.Replay(nd.w, par.Info.Hash, minerA, k)
				if after := model.MeanLoss(w, n.e.VerifyBatch(par.Info.Hash)); after > before {
					u := &Update{Weights: w, Root: w.Root(), TrainNonce: k, LossBefore: before, LossAfter: after}
					return build(minerA, u, []*types.Tx{tx})
				}
			}
			t.Fatal("no loss-raising training nonce in 2000 tries")
			return nil
		}, consensus.ErrNoImprovement},
		{"update copied from another miner", func() *types.Block {
			return build(minerB, good.Update, []*types.Tx{tx})
		}, consensus.ErrBadModelRoot},
		{"header names another parent", func() *types.Block {
			b := clone()
			b.Header.PrevHash = g.b.Hash()
			regrind(t, &b.Header)
			return b
		}, consensus.ErrBadPrevHash},
		{"reward to the wrong address", func() *types.Block {
			b := clone()
			b.Txs[0].To = minerB
			b.Header.TxRoot = types.TxRoot(b.Txs)
			regrind(t, &b.Header)
			return b
		}, consensus.ErrBadCoinbase},
		{"coinbase overpays", func() *types.Block {
			b := clone()
			b.Txs[0].Amount++
			b.Header.TxRoot = types.TxRoot(b.Txs)
			regrind(t, &b.Header)
			return b
		}, consensus.ErrBadCoinbaseAmount},
		{"wrong state root", func() *types.Block {
			b := clone()
			b.Header.StateRoot[0] ^= 0x80
			regrind(t, &b.Header)
			return b
		}, consensus.ErrBadStateRoot},
		{"bad pow", func() *types.Block {
			b := clone()
			for b.Header.Target.Meets(b.Header.Hash()) {
				b.Header.Nonce++
			}
			return b
		}, consensus.ErrBadPoW},
		{"bad signature", func() *types.Block {
			b := clone()
			b.Txs[1].Sig[0] ^= 1
			b.Header.TxRoot = types.TxRoot(b.Txs)
			regrind(t, &b.Header)
			return b
		}, consensus.ErrBadSignature},
		{"double spend of a nonce", func() *types.Block {
			tx2 := n.transfer(n.faucet, key(2).Address(), 6000, 10, 0, nil)
			b := clone()
			b.Txs = append(b.Txs, tx2)
			b.Txs[0].Amount += tx2.Fee
			b.Header.TxRoot = types.TxRoot(b.Txs)
			regrind(t, &b.Header)
			return b
		}, consensus.ErrNonceMismatch},
		{"time not after MTP", func() *types.Block {
			b := clone()
			b.Header.Time = par.Info.MTP
			regrind(t, &b.Header)
			return b
		}, consensus.ErrTimeTooOld},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := n.e.VerifyBlock(par, c.b(), n.now)
			wantCode(t, err, c.code)
		})
	}

	// The update re-based on another parent (genesis, same account state):
	// the losses no longer match, and with LossBefore patched the seed
	// (which binds the parent hash) gives other weights.
	rebase := func(fixLoss bool) *types.Block {
		b := clone()
		b.Header.PrevHash = g.b.Hash()
		b.Header.Height = 1
		b.Txs[0].Nonce = 1
		b.Header.TxRoot = types.TxRoot(b.Txs)
		if fixLoss {
			b.Header.LossBefore = n.e.LossBefore(g.b.Hash(), g.w)
			b.Header.LossAfter = min(b.Header.LossAfter, b.Header.LossBefore)
		}
		regrind(t, &b.Header)
		return b
	}
	_, err := n.e.VerifyBlock(g.parent(&n.p), rebase(false), n.now)
	wantCode(t, err, consensus.ErrLossMismatch)
	_, err = n.e.VerifyBlock(g.parent(&n.p), rebase(true), n.now)
	wantCode(t, err, consensus.ErrBadModelRoot)
}

// headerFreeFields are the header byte ranges a miner chooses freely after
// the update is fixed: Time (196..204) and Nonce (236..244). Flipping a bit
// there gives another header that is valid exactly when its hash also meets
// the target (probability target/2^256 per flip).
func freeHeaderBit(bit int) bool {
	byteIdx := bit / 8
	return byteIdx >= 196 && byteIdx < 204 || byteIdx >= 236 && byteIdx < 244
}

// checkFlip flips one bit of enc and checks that the result is rejected:
// it does not decode, or it fails VerifyBlock. The only exception is a
// flip in a free header field whose new hash happens to meet the target
// again: that is a different, genuinely valid block. It returns whether
// that exception occurred.
// fataler is the part of testing.TB and *rapid.T that checkFlip needs.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

func checkFlip(t fataler, n *net, par *Parent, orig *types.Block, enc []byte, bit int) (alternative bool) {
	t.Helper()
	mut := append([]byte(nil), enc...)
	mut[bit/8] ^= 1 << (bit % 8)
	b, err := types.DecodeBlock(mut)
	if err != nil {
		return false
	}
	_, err = n.e.VerifyBlock(par, b, n.now)
	if err == nil {
		if b.Hash() != orig.Hash() && freeHeaderBit(bit) && b.Header.Target.Meets(b.Hash()) {
			return true
		}
		t.Fatalf("bit %d (byte %d): flipped block accepted (hash changed: %v)", bit, bit/8, b.Hash() != orig.Hash())
	}
	if _, ok := consensus.CodeOf(err); !ok {
		t.Fatalf("bit %d: rejection is not a RuleError: %v", bit, err)
	}
	return false
}

func TestEveryBitFlipRejected(t *testing.T) {
	n := newNet(t, 246)
	g := n.genesis(t)
	txs := []*types.Tx{
		n.transfer(n.faucet, key(1).Address(), 5000, 10, 0, []byte("memo")),
		n.transfer(n.faucet, key(2).Address(), 1, 1, 1, nil),
		n.transfer(n.faucet, key(3).Address(), 99, 2, 2, []byte("x")),
	}
	m, _ := n.mine(t, g, key(9).Address(), txs)
	par := g.parent(&n.p)
	enc := m.Block.Encode()
	alt := 0
	for bit := 0; bit < 8*len(enc); bit++ {
		if checkFlip(t, n, par, m.Block, enc, bit) {
			alt++
		}
	}
	t.Logf("%d bits flipped, %d gave another valid PoW solution in a free field", 8*len(enc), alt)
}

func TestBitFlipProperty(t *testing.T) {
	n := newNet(t, 246)
	g := n.genesis(t)
	par := g.parent(&n.p)
	miner := key(9).Address()
	upd, err := n.e.SearchUpdate(context.Background(), par.Info.Hash, g.w, miner, SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(rt *rapid.T) {
		k := rapid.IntRange(0, 4).Draw(rt, "txs")
		var txs []*types.Tx
		for i := 0; i < k; i++ {
			to := key(byte(rapid.IntRange(1, 50).Draw(rt, "to"))).Address()
			memo := rapid.SliceOfN(rapid.Byte(), 0, types.MaxMemo).Draw(rt, "memo")
			amt := rapid.Uint64Range(1, 1<<40).Draw(rt, "amount")
			txs = append(txs, n.transfer(n.faucet, to, amt, rapid.Uint64Range(1, 1000).Draw(rt, "fee"), uint64(i), memo))
		}
		tm := g.b.Header.Time + int64(rapid.IntRange(1, 100000).Draw(rt, "dt"))
		m, err := n.e.Mine(context.Background(), n.template(g, miner, txs), MineOptions{Now: func() int64 { return tm }, Update: upd})
		if err != nil {
			rt.Fatal(err)
		}
		if _, err := n.e.VerifyBlock(par, m.Block, n.now); err != nil {
			rt.Fatalf("Verify(Mine) failed: %v", err)
		}
		enc := m.Block.Encode()
		bit := rapid.IntRange(0, 8*len(enc)-1).Draw(rt, "bit")
		checkFlip(rt, n, par, m.Block, enc, bit)
	})
}

func TestBuildBlockDropsInapplicable(t *testing.T) {
	n := newNet(t, 246)
	g := n.genesis(t)
	poor := key(5)
	txs := []*types.Tx{
		n.transfer(n.faucet, key(1).Address(), 10, 1, 0, nil),
		n.transfer(poor, key(1).Address(), 10, 1, 0, nil),              // unfunded
		n.transfer(n.faucet, key(2).Address(), 10, 1, 5, nil),          // nonce gap
		n.transfer(n.faucet, key(3).Address(), 10, 1, 1, []byte("ok")), // applies after the first
	}
	m, _ := n.mine(t, g, key(9).Address(), txs)
	if len(m.Block.Txs) != 3 || len(m.Dropped) != 2 || m.Dropped[0] != txs[1] || m.Dropped[1] != txs[2] {
		t.Fatalf("block has %d txs, dropped %d", len(m.Block.Txs), len(m.Dropped))
	}
	if got, want := m.Block.Txs[0].Amount, consensus.Subsidy(&n.p, 1)+2; got != want {
		t.Fatalf("coinbase %d, want %d", got, want)
	}
}
