package state

import (
	"bytes"
	"errors"
	"math/big"
	"reflect"
	"testing"

	"pgregory.net/rapid"

	"github.com/sketchwork/sketchwork/ledger/codec"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/types"
)

var actors = func() []*keys.PrivateKey {
	out := make([]*keys.PrivateKey, 5)
	for i := range out {
		k, err := keys.FromSeed(bytes.Repeat([]byte{byte(i + 1)}, 32))
		if err != nil {
			panic(err)
		}
		out[i] = k
	}
	return out
}()

func testParams() consensus.Params {
	p := consensus.TestParams()
	p.HalvingInterval = 3 // halvings happen inside short random chains
	return p
}

func testGenesis(t fataler, amounts ...uint64) *consensus.Genesis {
	g, err := consensus.NewDevGenesis(hashx.Tagged("c"), hashx.Tagged("m"))
	if err != nil {
		t.Fatal(err)
	}
	g.Params = testParams()
	g.Alloc = nil
	for i, a := range amounts {
		if a > 0 {
			g.Alloc = append(g.Alloc, consensus.Allocation{Address: actors[i].Address(), Amount: a})
		}
	}
	return g
}

// fataler is the part of testing.TB and *rapid.T the helpers need.
type fataler interface{ Fatal(args ...any) }

func signed(t fataler, p *consensus.Params, from, to int, amount, fee, nonce uint64) *types.Tx {
	tx := &types.Tx{Version: 1, ChainID: p.ChainID, From: actors[from].Address(), To: actors[to].Address(),
		Amount: amount, Fee: fee, Nonce: nonce}
	if err := tx.Sign(actors[from]); err != nil {
		t.Fatal(err)
	}
	return tx
}

// naiveRoot recomputes the StateRoot from a listing with the literal
// section 3.3 definition (independent of State's cached key order).
func naiveRoot(es []Entry) hashx.Hash {
	leaves := make([][]byte, 0, len(es))
	for i, e := range es {
		if i > 0 && bytes.Compare(es[i-1].Addr[:], e.Addr[:]) >= 0 {
			panic("listing not strictly ascending")
		}
		if e.Acct.IsEmpty() {
			panic("empty account listed")
		}
		leaves = append(leaves, types.AccountLeaf(e.Addr, e.Acct))
	}
	return hashx.MerkleRoot(leaves)
}

func sumBalances(es []Entry) uint64 {
	var s uint64
	for _, e := range es {
		s += e.Acct.Balance
	}
	return s
}

func TestGenesisStateRoot(t *testing.T) {
	g := testGenesis(t, 5, 0, 7, 1)
	s, err := FromGenesis(g)
	if err != nil {
		t.Fatal(err)
	}
	if s.Root() != g.StateRoot() || s.Root() != naiveRoot(s.Entries()) {
		t.Fatal("genesis state root disagrees with consensus.Genesis.StateRoot")
	}
	if s.Supply() != g.TotalAlloc() || s.Len() != 3 {
		t.Fatalf("supply %d len %d", s.Supply(), s.Len())
	}
	if New().Root() != hashx.EmptyRoot {
		t.Fatal("empty state root")
	}
}

// refState is an independent model of section 3.2 with unbounded integers:
// if the implementation ever wrapped around, it would disagree.
type refState map[keys.Address][2]*big.Int

func (r refState) get(a keys.Address) (*big.Int, *big.Int) {
	v, ok := r[a]
	if !ok {
		return new(big.Int), new(big.Int)
	}
	return new(big.Int).Set(v[0]), new(big.Int).Set(v[1])
}

var maxU64 = new(big.Int).SetUint64(1<<64 - 1)

// apply returns whether tx is valid per the spec's rule list, applying it if so.
func (r refState) apply(p *consensus.Params, tx *types.Tx) bool {
	if tx.Version != 1 || tx.ChainID != p.ChainID || tx.From.IsZero() || tx.From == tx.To ||
		tx.Amount == 0 || tx.Fee < p.MinFee || len(tx.Memo) > types.MaxMemo || !tx.VerifySig() {
		return false
	}
	bal, nonce := r.get(tx.From)
	cost := new(big.Int).Add(new(big.Int).SetUint64(tx.Amount), new(big.Int).SetUint64(tx.Fee))
	if nonce.Cmp(new(big.Int).SetUint64(tx.Nonce)) != 0 || bal.Cmp(cost) < 0 {
		return false
	}
	tb, tn := r.get(tx.To)
	tb.Add(tb, new(big.Int).SetUint64(tx.Amount))
	if tb.Cmp(maxU64) > 0 || cost.Cmp(maxU64) > 0 || nonce.Cmp(maxU64) >= 0 {
		return false
	}
	bal.Sub(bal, cost)
	nonce.Add(nonce, big.NewInt(1))
	r[tx.From] = [2]*big.Int{bal, nonce}
	r[tx.To] = [2]*big.Int{tb, tn}
	return true
}

func (r refState) matches(t *rapid.T, v Reader) {
	for a, x := range r {
		got := v.Account(a)
		if x[0].Sign() < 0 || x[0].Cmp(new(big.Int).SetUint64(got.Balance)) != 0 || x[1].Cmp(new(big.Int).SetUint64(got.Nonce)) != 0 {
			t.Fatalf("account %s: model (%v, %v), state %+v", a, x[0], x[1], got)
		}
	}
}

func drawTx(t *rapid.T, p *consensus.Params, view Reader) *types.Tx {
	from := rapid.IntRange(0, len(actors)-1).Draw(t, "from")
	to := rapid.IntRange(0, len(actors)-1).Draw(t, "to")
	acct := view.Account(actors[from].Address())
	var amount uint64
	switch rapid.IntRange(0, 4).Draw(t, "amountKind") {
	case 0:
		amount = rapid.Uint64Range(0, 10).Draw(t, "small")
	case 1:
		amount = acct.Balance // the whole balance: fails unless the fee is 0
	case 2:
		if acct.Balance > 0 {
			amount = acct.Balance - 1
		}
	case 3:
		amount = rapid.Uint64().Draw(t, "huge")
	default:
		amount = rapid.Uint64Range(0, acct.Balance).Draw(t, "fraction")
	}
	fee := rapid.Uint64Range(0, 3).Draw(t, "fee")
	nonce := acct.Nonce
	if rapid.IntRange(0, 9).Draw(t, "nonceKind") == 0 {
		nonce += uint64(rapid.IntRange(1, 2).Draw(t, "skew"))
	}
	tx := signed(t, p, from, to, amount, fee, nonce)
	switch rapid.IntRange(0, 19).Draw(t, "corrupt") {
	case 0:
		tx.Sig[3] ^= 1
	case 1:
		tx.ChainID++
	}
	return tx
}

// TestTransferSequencesMatchModel: random transfer sequences agree with an
// unbounded-integer model of the rules, never wrap a balance, lower the
// supply by exactly the fee of each accepted transfer (fees leave the
// accounts until a coinbase collects them), and leave the overlay unchanged
// when rejected.
func TestTransferSequencesMatchModel(t *testing.T) {
	p := testParams()
	rapid.Check(t, func(t *rapid.T) {
		amounts := make([]uint64, len(actors))
		for i := range amounts {
			amounts[i] = rapid.Uint64Range(0, 1000).Draw(t, "alloc")
		}
		amounts[0] += 1 // at least one funded account
		g := testGenesis(t, amounts...)
		base, err := FromGenesis(g)
		if err != nil {
			t.Fatal(err)
		}
		ref := refState{}
		for _, e := range base.Entries() {
			ref[e.Addr] = [2]*big.Int{new(big.Int).SetUint64(e.Acct.Balance), new(big.Int).SetUint64(e.Acct.Nonce)}
		}
		o := NewOverlay(base)
		supply := o.Supply()
		for i, n := 0, rapid.IntRange(1, 40).Draw(t, "n"); i < n; i++ {
			tx := drawTx(t, &p, o)
			before := o.Entries()
			err := o.ApplyTx(&p, tx, Options{})
			ok := ref.apply(&p, tx)
			if ok != (err == nil) {
				t.Fatalf("tx %d: model valid=%v, state error %v", i, ok, err)
			}
			if err != nil {
				if _, isRule := consensus.CodeOf(err); !isRule {
					t.Fatalf("rejection is not a RuleError: %v", err)
				}
				if !reflect.DeepEqual(before, o.Entries()) {
					t.Fatalf("rejected tx changed the overlay")
				}
			}
			ref.matches(t, o)
			if err == nil {
				supply -= tx.Fee
			}
			if o.Supply() != supply || sumBalances(o.Entries()) != supply {
				t.Fatalf("supply %d (Σ balances %d), want %d", o.Supply(), sumBalances(o.Entries()), supply)
			}
			if o.Root() != naiveRoot(o.Entries()) {
				t.Fatalf("overlay root differs from the definition")
			}
		}
	})
}

type blockGen struct {
	p      *consensus.Params
	height uint64
}

// drawBlock builds a block on view: a coinbase (usually with the right
// amount) and random transfers (some invalid).
func (bg *blockGen) drawBlock(t *rapid.T, view Reader) *types.Block {
	bg.height++
	miner := actors[rapid.IntRange(0, len(actors)-1).Draw(t, "miner")].Address()
	scratch := NewOverlay(view)
	var txs []*types.Tx
	var fees uint64
	for i, n := 0, rapid.IntRange(0, 6).Draw(t, "ntx"); i < n; i++ {
		tx := drawTx(t, bg.p, scratch)
		if scratch.ApplyTx(bg.p, tx, Options{}) == nil || rapid.IntRange(0, 9).Draw(t, "keepInvalid") == 0 {
			txs = append(txs, tx)
			fees += tx.Fee
		}
	}
	amount := consensus.Subsidy(bg.p, bg.height) + fees
	if rapid.IntRange(0, 14).Draw(t, "overpay") == 0 {
		amount++
	}
	b := &types.Block{Header: types.Header{Version: 1, Height: bg.height, Miner: miner}}
	b.Txs = append([]*types.Tx{types.NewCoinbase(bg.p.ChainID, miner, bg.height, amount)}, txs...)
	return b
}

// TestBlocksSupplyUndoOverlay connects random blocks tentatively on
// overlays. Invariants: the base is untouched until Commit (and by any
// discarded or failed block); supply = allocations + Σ subsidies of the
// committed blocks; the cached root equals the definition; reverting the
// undo records newest first restores every earlier state and root exactly.
func TestBlocksSupplyUndoOverlay(t *testing.T) {
	p := testParams()
	rapid.Check(t, func(t *rapid.T) {
		g := testGenesis(t, 500, 300, 0, 20, 1)
		st, err := FromGenesis(g)
		if err != nil {
			t.Fatal(err)
		}
		bg := &blockGen{p: &p}
		var undos []*Undo
		var history [][]Entry
		wantSupply := g.TotalAlloc()
		for i, n := 0, rapid.IntRange(1, 12).Draw(t, "blocks"); i < n; i++ {
			before := st.Entries()
			beforeRoot := st.Root()
			b := bg.drawBlock(t, st)
			o := NewOverlay(st)
			_, err := o.ApplyBlock(&p, b, Options{})
			if !reflect.DeepEqual(st.Entries(), before) || st.Root() != beforeRoot {
				t.Fatalf("applying on an overlay changed the base")
			}
			commit := err == nil && rapid.IntRange(0, 4).Draw(t, "discard") != 0
			if !commit {
				bg.height-- // the block is dropped; reuse the height
				continue
			}
			// ConnectBlock agrees with the overlay's root and rejects any other.
			b.Header.StateRoot = o.Root()
			if _, err := ConnectBlock(&p, st, b, Options{}); err != nil {
				t.Fatalf("ConnectBlock: %v", err)
			}
			b.Header.StateRoot[0] ^= 1
			if _, err := ConnectBlock(&p, st, b, Options{}); !consensus.IsCode(err, consensus.ErrBadStateRoot) {
				t.Fatalf("wrong state root: %v", err)
			}
			u, err := o.Commit()
			if err != nil {
				t.Fatal(err)
			}
			// Undo records survive their encoding.
			ub, err := DecodeUndo(u.Encode())
			if err != nil || !reflect.DeepEqual(ub.Entries, u.Entries) && len(u.Entries) > 0 {
				t.Fatalf("undo round trip: %v", err)
			}
			undos = append(undos, ub)
			history = append(history, before)
			wantSupply += consensus.Subsidy(&p, b.Header.Height)
			if st.Supply() != wantSupply || sumBalances(st.Entries()) != wantSupply {
				t.Fatalf("supply %d (Σ balances %d), want allocations + subsidies = %d",
					st.Supply(), sumBalances(st.Entries()), wantSupply)
			}
			if st.Root() != naiveRoot(st.Entries()) {
				t.Fatal("state root differs from the definition")
			}
		}
		for i := len(undos) - 1; i >= 0; i-- {
			st.Revert(undos[i])
			if !reflect.DeepEqual(st.Entries(), history[i]) || st.Root() != naiveRoot(history[i]) {
				t.Fatalf("revert of block %d did not restore the previous state", i)
			}
		}
		if st.Root() != g.StateRoot() || st.Supply() != g.TotalAlloc() {
			t.Fatal("reverting everything did not return to genesis")
		}
	})
}

// TestNestedOverlays: committing overlay2 into overlay1 into the base gives
// the same state as applying the same transactions to the base directly,
// and a discarded inner overlay leaves the outer one untouched.
func TestNestedOverlays(t *testing.T) {
	p := testParams()
	rapid.Check(t, func(t *rapid.T) {
		g := testGenesis(t, 100, 100, 100, 0, 0)
		a, _ := FromGenesis(g)
		b, _ := FromGenesis(g)
		o1 := NewOverlay(a)
		direct := NewOverlay(b)
		var inner *Overlay
		var pending []*types.Tx // applied to inner, not yet to direct
		for i, n := 0, rapid.IntRange(1, 20).Draw(t, "n"); i < n; i++ {
			if inner == nil {
				inner = NewOverlay(o1)
			}
			tx := drawTx(t, &p, inner)
			snap := o1.Entries()
			if inner.ApplyTx(&p, tx, Options{}) != nil {
				continue
			}
			pending = append(pending, tx)
			if !reflect.DeepEqual(o1.Entries(), snap) {
				t.Fatal("inner overlay wrote through to its parent")
			}
			if rapid.Bool().Draw(t, "commitInner") {
				if _, err := inner.Commit(); err != nil {
					t.Fatal(err)
				}
				for _, tx := range pending {
					if err := direct.ApplyTx(&p, tx, Options{}); err != nil {
						t.Fatalf("direct application failed: %v", err)
					}
				}
				inner, pending = nil, nil
			} else if rapid.Bool().Draw(t, "dropInner") {
				inner, pending = nil, nil // discard: direct stays in step with o1
			}
		}
		if _, err := o1.Commit(); err != nil {
			t.Fatal(err)
		}
		if _, err := direct.Commit(); err != nil {
			t.Fatal(err)
		}
		if a.Root() != b.Root() || !reflect.DeepEqual(a.Entries(), b.Entries()) || a.Supply() != b.Supply() {
			t.Fatal("nested commits differ from direct application")
		}
	})
}

func TestApplyTxCodes(t *testing.T) {
	p := testParams()
	g := testGenesis(t, 100, 0, 0, 0, 0)
	st, _ := FromGenesis(g)
	cases := []struct {
		name string
		tx   *types.Tx
		code consensus.ErrorCode
	}{
		{"nonce ahead", signed(t, &p, 0, 1, 10, 1, 1), consensus.ErrNonceMismatch},
		{"balance", signed(t, &p, 0, 1, 100, 1, 0), consensus.ErrInsufficientBalance},
		{"empty sender", signed(t, &p, 1, 0, 1, 1, 0), consensus.ErrInsufficientBalance},
		{"fee", signed(t, &p, 0, 1, 10, 0, 0), consensus.ErrFeeTooLow},
		{"self", signed(t, &p, 0, 0, 10, 1, 0), consensus.ErrSelfTransfer},
	}
	bad := signed(t, &p, 0, 1, 10, 1, 0)
	bad.Sig[0] ^= 1
	cases = append(cases, struct {
		name string
		tx   *types.Tx
		code consensus.ErrorCode
	}{"sig", bad, consensus.ErrBadSignature})
	for _, c := range cases {
		o := NewOverlay(st)
		if err := o.ApplyTx(&p, c.tx, Options{}); !consensus.IsCode(err, c.code) {
			t.Errorf("%s: %v, want %v", c.name, err, c.code)
		}
	}
	// Exact balance: amount + fee == balance is allowed and empties the
	// balance but keeps the account (nonce 1).
	o := NewOverlay(st)
	if err := o.ApplyTx(&p, signed(t, &p, 0, 1, 99, 1, 0), Options{}); err != nil {
		t.Fatal(err)
	}
	if a := o.Account(actors[0].Address()); a.Balance != 0 || a.Nonce != 1 || o.Len() != 2 {
		t.Fatalf("after spending everything: %+v, len %d", a, o.Len())
	}
	// The same tx again is a nonce mismatch (replay).
	if err := o.ApplyTx(&p, signed(t, &p, 0, 1, 99, 1, 0), Options{}); !consensus.IsCode(err, consensus.ErrNonceMismatch) {
		t.Fatalf("replay: %v", err)
	}
	// Recipient overflow: only reachable with a state above the genesis
	// supply bound, built directly.
	huge, err := FromEntries([]Entry{{actors[0].Address(), types.Account{Balance: 10}}, {actors[1].Address(), types.Account{Balance: 1<<64 - 11}}})
	if err != nil {
		t.Fatal(err)
	}
	o = NewOverlay(huge)
	if err := o.ApplyTx(&p, signed(t, &p, 0, 1, 5, 1, 0), Options{}); err != nil {
		t.Fatalf("near-max transfer: %v", err)
	}
	if _, err := FromEntries([]Entry{{actors[0].Address(), types.Account{Balance: 1 << 63}}, {actors[1].Address(), types.Account{Balance: 1 << 63}}}); err == nil {
		t.Fatal("FromEntries accepted a supply of 2^64")
	}
}

func TestApplyBlockCoinbase(t *testing.T) {
	p := testParams()
	g := testGenesis(t, 100, 0, 0, 0, 0)
	st, _ := FromGenesis(g)
	miner := actors[4].Address()
	tx := signed(t, &p, 0, 1, 10, 3, 0)
	mk := func(amount uint64, txs ...*types.Tx) *types.Block {
		b := &types.Block{Header: types.Header{Version: 1, Height: 1, Miner: miner}}
		b.Txs = append([]*types.Tx{types.NewCoinbase(p.ChainID, miner, 1, amount)}, txs...)
		return b
	}
	sub := consensus.Subsidy(&p, 1)
	o := NewOverlay(st)
	fees, err := o.ApplyBlock(&p, mk(sub+3, tx), Options{})
	if err != nil || fees != 3 {
		t.Fatalf("valid block: fees %d, %v", fees, err)
	}
	if o.Account(miner).Balance != sub+3 || o.Supply() != st.Supply()+sub {
		t.Fatal("coinbase credit or supply wrong")
	}
	for _, amt := range []uint64{sub + 2, sub + 4, 0} {
		if _, err := NewOverlay(st).ApplyBlock(&p, mk(amt, tx), Options{}); !consensus.IsCode(err, consensus.ErrBadCoinbaseAmount) {
			t.Errorf("coinbase amount %d: %v", amt, err)
		}
	}
	noCB := mk(sub)
	noCB.Txs = []*types.Tx{tx}
	if _, err := NewOverlay(st).ApplyBlock(&p, noCB, Options{}); !consensus.IsCode(err, consensus.ErrBadCoinbase) {
		t.Errorf("missing coinbase: %v", err)
	}
	two := mk(sub, types.NewCoinbase(p.ChainID, miner, 1, 0))
	if _, err := NewOverlay(st).ApplyBlock(&p, two, Options{}); !consensus.IsCode(err, consensus.ErrBadCoinbase) {
		t.Errorf("second coinbase: %v", err)
	}
	// The miner may spend the coinbase in the same block (it is credited first).
	spend := &types.Tx{Version: 1, ChainID: p.ChainID, From: miner, To: actors[0].Address(), Amount: sub - 1, Fee: 1}
	spend.Sign(actors[4])
	if _, err := NewOverlay(st).ApplyBlock(&p, mk(sub+1, spend), Options{}); err != nil {
		t.Errorf("spending the coinbase in its block: %v", err)
	}
}

func TestUndoDecodeStrict(t *testing.T) {
	u := &Undo{Entries: []UndoEntry{{Addr: keys.Address{1}, Existed: true, Prev: types.Account{Balance: 5}}, {Addr: keys.Address{2}}}}
	b := u.Encode()
	back, err := DecodeUndo(b)
	if err != nil || !reflect.DeepEqual(back, u) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := DecodeUndo(append(bytes.Clone(b), 0)); !errors.Is(err, codec.ErrTrailing) {
		t.Fatalf("trailing: %v", err)
	}
	bad := &Undo{Entries: []UndoEntry{{Addr: keys.Address{1}, Existed: false, Prev: types.Account{Balance: 5}}}}
	if _, err := DecodeUndo(bad.Encode()); !errors.Is(err, errUndoInconsistent) {
		t.Fatalf("inconsistent existed flag: %v", err)
	}
	if _, err := DecodeUndo(codec.AppendUvarint(nil, maxUndoEntries+1)); !errors.Is(err, codec.ErrOverCap) {
		t.Fatalf("over cap: %v", err)
	}
}

func FuzzDecodeUndo(f *testing.F) {
	f.Add((&Undo{Entries: []UndoEntry{{Addr: keys.Address{1}, Existed: true, Prev: types.Account{Nonce: 1}}}}).Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := DecodeUndo(b)
		if err != nil {
			return
		}
		if !bytes.Equal(u.Encode(), b) {
			t.Fatalf("accepted %x, re-encodes to %x", b, u.Encode())
		}
	})
}
