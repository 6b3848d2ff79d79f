package mempool

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/types"
)

var actors = func() []*keys.PrivateKey {
	out := make([]*keys.PrivateKey, 6)
	for i := range out {
		k, err := keys.FromSeed(bytes.Repeat([]byte{byte(i + 1)}, 32))
		if err != nil {
			panic(err)
		}
		out[i] = k
	}
	return out
}()

type fataler interface{ Fatal(args ...any) }

func params() consensus.Params { return consensus.TestParams() }

func mkTx(t fataler, p *consensus.Params, from, to int, amount, fee, nonce uint64) *types.Tx {
	tx := &types.Tx{Version: 1, ChainID: p.ChainID, From: actors[from].Address(), To: actors[to].Address(),
		Amount: amount, Fee: fee, Nonce: nonce}
	if err := tx.Sign(actors[from]); err != nil {
		t.Fatal(err)
	}
	return tx
}

func genesisState(t fataler, balances ...uint64) *state.State {
	var es []state.Entry
	for i, b := range balances {
		es = append(es, state.Entry{Addr: actors[i].Address(), Acct: types.Account{Balance: b}})
	}
	s, err := state.FromEntries(es)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantCode(t *testing.T, err error, c consensus.ErrorCode) {
	t.Helper()
	if !consensus.IsCode(err, c) {
		t.Fatalf("error %v, want %v", err, c)
	}
}

func TestAddPolicy(t *testing.T) {
	p := params()
	st := genesisState(t, 1000, 1000)
	mp := New(&p, Config{})
	tx0 := mkTx(t, &p, 0, 1, 10, 5, 0)
	if _, err := mp.Add(tx0, st); err != nil {
		t.Fatal(err)
	}
	_, err := mp.Add(tx0, st)
	wantCode(t, err, consensus.ErrAlreadyKnown)
	bad := mkTx(t, &p, 0, 1, 10, 5, 1)
	bad.Sig[0] ^= 1
	_, err = mp.Add(bad, st)
	wantCode(t, err, consensus.ErrBadSignature)
	_, err = mp.Add(mkTx(t, &p, 0, 1, 10, 0, 1), st)
	wantCode(t, err, consensus.ErrFeeTooLow)

	// Stale nonce against a state where the sender already used nonce 0..2.
	used := genesisState(t, 1000, 1000)
	o := state.NewOverlay(used)
	for n := uint64(0); n < 3; n++ {
		if err := o.ApplyTx(&p, mkTx(t, &p, 1, 0, 1, 1, n), state.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	o.Commit()
	_, err = New(&p, Config{}).Add(mkTx(t, &p, 1, 0, 1, 1, 2), used)
	wantCode(t, err, consensus.ErrStaleNonce)

	// Nonce gaps: next missing nonce is 1; 1+16 is allowed, 1+17 is not.
	if _, err := mp.Add(mkTx(t, &p, 0, 1, 1, 1, 17), st); err != nil {
		t.Fatalf("gap of exactly 16: %v", err)
	}
	_, err = mp.Add(mkTx(t, &p, 0, 1, 1, 1, 18), st)
	wantCode(t, err, consensus.ErrNonceGap)
	if got := mp.PendingNonce(actors[0].Address(), st); got != 1 {
		t.Fatalf("pending nonce %d, want 1", got)
	}

	// Replacement needs >= 10% more fee: 5 -> 5.5, so 5 fails and 6 passes;
	// for fee 100, 109 fails and 110 passes.
	_, err = mp.Add(mkTx(t, &p, 0, 1, 11, 5, 0), st)
	wantCode(t, err, consensus.ErrReplacementFee)
	rep := mkTx(t, &p, 0, 1, 11, 6, 0)
	if _, err := mp.Add(rep, st); err != nil {
		t.Fatalf("10%%+ replacement: %v", err)
	}
	if mp.Has(tx0.ID()) || !mp.Has(rep.ID()) || mp.Len() != 2 {
		t.Fatal("replacement did not swap the transaction")
	}
	if !bumpOK(110, 100) || bumpOK(109, 100) || !bumpOK(1<<64-1, 1<<64-1-(1<<61)) || bumpOK(1<<64-1, 1<<64-1-(1<<59)) || bumpOK(1<<64-1, 1<<64-1) {
		t.Fatal("bumpOK boundary")
	}

	// Funding: all pending together must fit the balance (1000).
	_, err = mp.Add(mkTx(t, &p, 0, 1, 1000-11-6-2-1+1, 1, 1), st)
	wantCode(t, err, consensus.ErrInsufficientBalance)
	if _, err := mp.Add(mkTx(t, &p, 0, 1, 1000-11-6-2-1, 1, 1), st); err != nil {
		t.Fatalf("exactly funded: %v", err)
	}
	if mp.Bytes() != 3*types.MinTxSize {
		t.Fatalf("Bytes %d", mp.Bytes())
	}
}

func TestPerSenderCap(t *testing.T) {
	p := params()
	st := genesisState(t, 1<<40, 0)
	mp := New(&p, Config{MaxNonceGap: 100})
	for n := uint64(0); n < 64; n++ {
		if _, err := mp.Add(mkTx(t, &p, 0, 1, 1, 1, n), st); err != nil {
			t.Fatal(err)
		}
	}
	_, err := mp.Add(mkTx(t, &p, 0, 1, 1, 1, 64), st)
	wantCode(t, err, consensus.ErrTooManyPending)
	// A replacement is still allowed at the cap.
	if _, err := mp.Add(mkTx(t, &p, 0, 1, 1, 2, 10), st); err != nil {
		t.Fatalf("replacement at the cap: %v", err)
	}
}

func TestTemplateOrder(t *testing.T) {
	p := params()
	st := genesisState(t, 1000, 1000, 0)
	mp := New(&p, Config{})
	a0 := mkTx(t, &p, 0, 2, 10, 1, 0)
	a1 := mkTx(t, &p, 0, 2, 10, 100, 1)
	b0 := mkTx(t, &p, 1, 2, 10, 50, 0)
	b2 := mkTx(t, &p, 1, 2, 10, 500, 2) // not executable: nonce 1 missing
	for _, tx := range []*types.Tx{a1, a0, b0, b2} {
		if _, err := mp.Add(tx, st); err != nil {
			t.Fatal(err)
		}
	}
	got := mp.Template(st, 100, 1<<20)
	want := []*types.Tx{b0, a0, a1}
	if len(got) != len(want) {
		t.Fatalf("template has %d txs, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("template[%d] = nonce %d from %s", i, got[i].Nonce, got[i].From)
		}
	}
	if n := len(mp.Template(st, 2, 1<<20)); n != 2 {
		t.Fatalf("maxTxs 2 gave %d", n)
	}
	if n := len(mp.Template(st, 100, types.MinTxSize)); n != 1 {
		t.Fatalf("byte budget of one tx gave %d", n)
	}
}

func TestEviction(t *testing.T) {
	p := params()
	st := genesisState(t, 1000, 1000, 1000, 1000)
	mp := New(&p, Config{MaxTxs: 3})
	add := func(tx *types.Tx) error { _, err := mp.Add(tx, st); return err }
	low0 := mkTx(t, &p, 0, 5, 1, 1, 0)
	low1 := mkTx(t, &p, 0, 5, 1, 2, 1)
	mid := mkTx(t, &p, 1, 5, 1, 5, 0)
	for _, tx := range []*types.Tx{low0, low1, mid} {
		if err := add(tx); err != nil {
			t.Fatal(err)
		}
	}
	// Equal to the lowest evictable rate: rejected.
	wantCode(t, add(mkTx(t, &p, 2, 5, 1, 2, 0)), consensus.ErrMempoolFull)
	// Higher: evicts sender 0's tail (low1), not low0 (which would leave a hole).
	if err := add(mkTx(t, &p, 2, 5, 1, 3, 0)); err != nil {
		t.Fatal(err)
	}
	if !mp.Has(low0.ID()) || mp.Has(low1.ID()) || mp.Len() != 3 {
		t.Fatal("eviction removed the wrong transaction")
	}
	// Byte cap works the same way.
	mb := New(&p, Config{MaxBytes: 2 * types.MinTxSize})
	mb.Add(mkTx(t, &p, 0, 5, 1, 1, 0), st)
	mb.Add(mkTx(t, &p, 1, 5, 1, 1, 0), st)
	if _, err := mb.Add(mkTx(t, &p, 2, 5, 1, 9, 0), st); err != nil || mb.Bytes() != 2*types.MinTxSize {
		t.Fatalf("byte-cap eviction: %v, %d bytes", err, mb.Bytes())
	}
}

func TestRemoveBlockAndReadd(t *testing.T) {
	p := params()
	st := genesisState(t, 1000, 1000, 0)
	mp := New(&p, Config{})
	a0 := mkTx(t, &p, 0, 2, 100, 1, 0)
	a1 := mkTx(t, &p, 0, 2, 100, 1, 1)
	b0 := mkTx(t, &p, 1, 2, 500, 1, 0)
	b1 := mkTx(t, &p, 1, 2, 400, 1, 1)
	for _, tx := range []*types.Tx{a0, a1, b0, b1} {
		if _, err := mp.Add(tx, st); err != nil {
			t.Fatal(err)
		}
	}
	// A block includes a0 and a conflicting b0' (same nonce, other amount):
	// a0 leaves; b0 is stale (dropped by nonce, although b0+b1 = 902 would
	// also exceed the new balance 899, b1 alone is funded and stays).
	b0x := mkTx(t, &p, 1, 2, 100, 1, 0)
	miner := actors[3].Address()
	blk := &types.Block{Header: types.Header{Version: 1, Height: 1, Miner: miner}}
	blk.Txs = []*types.Tx{types.NewCoinbase(p.ChainID, miner, 1, consensus.Subsidy(&p, 1)+2), a0, b0x}
	o := state.NewOverlay(st)
	if _, err := o.ApplyBlock(&p, blk, state.Options{}); err != nil {
		t.Fatal(err)
	}
	undo, _ := o.Commit()
	if n := mp.RemoveBlock(blk, st); n != 2 {
		t.Fatalf("RemoveBlock removed %d, want 2 (a0, b0)", n)
	}
	if !mp.Has(a1.ID()) || !mp.Has(b1.ID()) || mp.Len() != 2 {
		t.Fatal("a1 and b1 should remain")
	}
	// Disconnect: the block's transfers come back (a0 before the pending a1,
	// b0x before the pending b1), the coinbase does not.
	st.Revert(undo)
	if n := mp.Readd(blk.Txs, st); n != 2 {
		t.Fatalf("Readd admitted %d, want 2", n)
	}
	if !mp.Has(a0.ID()) || !mp.Has(a1.ID()) || !mp.Has(b0x.ID()) || !mp.Has(b1.ID()) || mp.Len() != 4 {
		t.Fatal("pool after readd")
	}
	tpl := mp.Template(st, 100, 1<<20)
	if len(tpl) != 4 {
		t.Fatalf("template after reorg has %d txs", len(tpl))
	}
}

// TestPoolProperties drives random submissions, block connections (from
// Template) and disconnections. Invariants after every step: each template
// applies cleanly on the tip state (state.ApplyBlock, the consensus path);
// the pool respects its caps; every pending tx has nonce >= its sender's
// state nonce; the byte count is exact; each sender's pending txs are
// funded by its balance.
func TestPoolProperties(t *testing.T) {
	p := params()
	rapid.Check(t, func(t *rapid.T) {
		st := genesisState(t, 1000, 500, 200, 0, 0, 0)
		cfg := Config{MaxTxs: rapid.IntRange(3, 30).Draw(t, "maxTxs"), MaxPerSender: 6, MaxNonceGap: 2}
		mp := New(&p, cfg)
		var undos []*state.Undo
		var blocks []*types.Block
		var unsynced []*types.Block // connected, RemoveBlock not yet called
		height := uint64(0)
		for step, n := 0, rapid.IntRange(1, 40).Draw(t, "steps"); step < n; step++ {
			switch rapid.IntRange(0, 9).Draw(t, "op") {
			default: // submit
				from := rapid.IntRange(0, len(actors)-1).Draw(t, "from")
				to := rapid.IntRange(0, len(actors)-1).Draw(t, "to")
				nonce := st.Account(actors[from].Address()).Nonce + rapid.Uint64Range(0, 4).Draw(t, "ahead")
				tx := mkTx(t, &p, from, to, rapid.Uint64Range(0, 400).Draw(t, "amount"),
					rapid.Uint64Range(0, 30).Draw(t, "fee"), nonce)
				_, err := mp.Add(tx, st)
				if err != nil {
					if _, ok := consensus.CodeOf(err); !ok {
						t.Fatalf("rejection without a code: %v", err)
					}
				}
			case 7, 8: // connect a block built from the template
				height++
				miner := actors[rapid.IntRange(0, len(actors)-1).Draw(t, "miner")].Address()
				maxTxs := rapid.IntRange(0, 10).Draw(t, "tplTxs")
				// The template is built on the tip even while the pool has
				// not yet seen earlier blocks (unsynced): it must still apply.
				tpl := mp.Template(st, maxTxs, 1<<20)
				// Transactions the pool never saw (other nodes' mempools) may
				// precede it and conflict with pending ones.
				scratch := state.NewOverlay(st)
				for _, tx := range tpl {
					if err := scratch.ApplyTx(&p, tx, state.Options{}); err != nil {
						t.Fatalf("template tx does not apply: %v", err)
					}
				}
				var foreign []*types.Tx
				for k, nf := 0, rapid.IntRange(0, 2).Draw(t, "foreign"); k < nf; k++ {
					from := rapid.IntRange(0, len(actors)-1).Draw(t, "ffrom")
					a := scratch.Account(actors[from].Address())
					tx := mkTx(t, &p, from, (from+1)%len(actors), rapid.Uint64Range(1, 300).Draw(t, "famount"), 1, a.Nonce)
					if scratch.ApplyTx(&p, tx, state.Options{}) == nil {
						foreign = append(foreign, tx)
					}
				}
				tpl = append(tpl, foreign...)
				var fees uint64
				for _, tx := range tpl {
					fees += tx.Fee
				}
				blk := &types.Block{Header: types.Header{Version: 1, Height: height, Miner: miner}}
				blk.Txs = append([]*types.Tx{types.NewCoinbase(p.ChainID, miner, height, consensus.Subsidy(&p, height)+fees)}, tpl...)
				o := state.NewOverlay(st)
				if _, err := o.ApplyBlock(&p, blk, state.Options{}); err != nil {
					t.Fatalf("template does not apply: %v", err)
				}
				u, _ := o.Commit()
				undos = append(undos, u)
				blocks = append(blocks, blk)
				unsynced = append(unsynced, blk)
				if rapid.IntRange(0, 2).Draw(t, "deferRemove") != 0 {
					for _, b := range unsynced {
						mp.RemoveBlock(b, st)
						for _, tx := range b.Txs {
							if mp.Has(tx.ID()) {
								t.Fatal("included tx still pending")
							}
						}
					}
					unsynced = nil
				}
			case 9: // disconnect the tip
				if len(blocks) == 0 || len(unsynced) > 0 {
					continue
				}
				k := len(blocks) - 1
				st.Revert(undos[k])
				mp.Readd(blocks[k].Txs, st)
				blocks, undos = blocks[:k], undos[:k]
				height--
			}
			if len(unsynced) == 0 {
				checkInvariants(t, mp, st)
			}
		}
	})
}

func checkInvariants(t *rapid.T, mp *Pool, st *state.State) {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	if len(mp.byID) > mp.cfg.MaxTxs {
		t.Fatalf("%d txs > cap %d", len(mp.byID), mp.cfg.MaxTxs)
	}
	total, count := 0, 0
	for addr, q := range mp.bySender {
		if len(q.txs) == 0 || len(q.txs) > mp.cfg.MaxPerSender {
			t.Fatalf("sender queue of %d", len(q.txs))
		}
		acct := st.Account(addr)
		var cost uint64
		for i, e := range q.txs {
			if e.tx.From != addr || mp.byID[e.id] != e {
				t.Fatal("index inconsistency")
			}
			if i > 0 && q.txs[i-1].tx.Nonce >= e.tx.Nonce {
				t.Fatal("queue not strictly nonce-ordered")
			}
			if e.tx.Nonce < acct.Nonce {
				t.Fatalf("stale nonce %d pending (state nonce %d)", e.tx.Nonce, acct.Nonce)
			}
			cost += e.tx.Amount + e.tx.Fee
			total += e.size
			count++
		}
		if cost > acct.Balance {
			t.Fatalf("sender %s: pending cost %d > balance %d", addr, cost, acct.Balance)
		}
	}
	if total != mp.bytes || count != len(mp.byID) {
		t.Fatalf("bytes %d (counted %d), txs %d (counted %d)", mp.bytes, total, len(mp.byID), count)
	}
}

// TestConcurrentAdd submits from several goroutines at once (run with -race
// to check the locking); every distinct valid tx is admitted exactly once.
func TestConcurrentAdd(t *testing.T) {
	p := params()
	st := genesisState(t, 1e6, 1e6, 1e6, 1e6)
	mp := New(&p, Config{})
	var wg sync.WaitGroup
	for s := 0; s < 4; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			for n := uint64(0); n < 20; n++ {
				tx := mkTx(t, &p, s, 5, 1, 1, n)
				if _, err := mp.Add(tx, st); err != nil {
					t.Errorf("sender %d nonce %d: %v", s, n, err)
				}
				mp.Add(tx, st) // duplicate, must be rejected
				mp.Template(st, 10, 1<<20)
			}
		}(s)
	}
	wg.Wait()
	if mp.Len() != 80 {
		t.Fatalf("%d pending, want 80", mp.Len())
	}
}

// benchTxs returns n signed transfers from n/10 senders (10 nonces each)
// and a state funding them.
func benchTxs(b *testing.B, n int) ([]*types.Tx, *state.State) {
	p := params()
	senders := n / 10
	var es []state.Entry
	ks := make([]*keys.PrivateKey, senders)
	for i := range ks {
		seed := hashx.Tagged("bench", []byte(fmt.Sprint(i)))
		k, _ := keys.FromSeed(seed[:])
		ks[i] = k
		es = append(es, state.Entry{Addr: k.Address(), Acct: types.Account{Balance: 1e9}})
	}
	st, err := state.FromEntries(es)
	if err != nil {
		b.Fatal(err)
	}
	txs := make([]*types.Tx, 0, n)
	for nonce := uint64(0); nonce < 10; nonce++ {
		for i, k := range ks {
			tx := &types.Tx{Version: 1, ChainID: p.ChainID, From: k.Address(), To: ks[(i+1)%senders].Address(),
				Amount: 1000, Fee: 10 + uint64(i%7), Nonce: nonce}
			tx.Sign(k)
			txs = append(txs, tx)
		}
	}
	return txs, st
}

// BenchmarkAdd measures admission throughput including ed25519
// verification, CheckTxSanity and all policy checks (target: >= 1000 tx/s).
func BenchmarkAdd(b *testing.B) {
	const n = 2000
	txs, st := benchTxs(b, n)
	p := params()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mp := New(&p, Config{})
		for _, tx := range txs {
			if _, err := mp.Add(tx, st); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkAddParallel is BenchmarkAdd with one submitter per core (the
// signature check runs outside the pool's lock).
func BenchmarkAddParallel(b *testing.B) {
	const n = 2000
	txs, st := benchTxs(b, n)
	p := params()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mp := New(&p, Config{})
		var wg sync.WaitGroup
		workers := 2
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				// Split by nonce round so each sender's nonces arrive in order
				// within one worker: worker w takes senders with i%workers == w.
				for j, tx := range txs {
					if (j%(n/10))%workers == w {
						if _, err := mp.Add(tx, st); err != nil {
							b.Error(err)
						}
					}
				}
			}(w)
		}
		wg.Wait()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tx/s")
}

func BenchmarkTemplate(b *testing.B) {
	txs, st := benchTxs(b, 2000)
	p := params()
	mp := New(&p, Config{})
	for _, tx := range txs {
		mp.Add(tx, st)
	}
	maxTxs, maxBytes := TemplateLimits(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(mp.Template(st, maxTxs, maxBytes)) != maxTxs {
			b.Fatal("template not full")
		}
	}
}

// TestTemplateOnNewerState: the miner may ask for a template on a tip the
// pool has not been told about yet (RemoveBlock pending). A competing
// spend there left the sender underfunded and moved its nonce: the
// template must skip the stale and the unfunded transaction.
func TestTemplateOnNewerState(t *testing.T) {
	p := params()
	st := genesisState(t, 1000, 0)
	mp := New(&p, Config{})
	for n := uint64(0); n < 2; n++ {
		if _, err := mp.Add(mkTx(t, &p, 0, 1, 100, 1, n), st); err != nil {
			t.Fatal(err)
		}
	}
	o := state.NewOverlay(st)
	if err := o.ApplyTx(&p, mkTx(t, &p, 0, 1, 950, 1, 0), state.Options{}); err != nil {
		t.Fatal(err)
	}
	o.Commit() // balance 49, nonce 1
	if tpl := mp.Template(st, 10, 1<<20); len(tpl) != 0 {
		t.Fatalf("template on the newer state has %d txs, want 0", len(tpl))
	}
}
