package consensus

import (
	"testing"

	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/types"
)

func easyParams() Params {
	p := TestParams()
	p.PowLimit = types.TargetPow2(254)
	p.GenesisTarget = p.PowLimit
	return p
}

func transfer(t testing.TB, p *Params, from, to byte, amount, fee, nonce uint64) *types.Tx {
	k := key(from)
	tx := &types.Tx{Version: 1, ChainID: p.ChainID, From: k.Address(), To: key(to).Address(),
		Amount: amount, Fee: fee, Nonce: nonce}
	if err := tx.Sign(k); err != nil {
		t.Fatal(err)
	}
	return tx
}

// solve grinds the header nonce until the PoW holds (target 2^254: 1 in 4).
func solve(h *types.Header) {
	for h.Nonce = 0; !h.Target.Meets(h.Hash()); h.Nonce++ {
	}
}

func validBlock(t testing.TB, p *Params) *types.Block {
	miner := key(9).Address()
	b := &types.Block{Header: types.Header{Version: 1, Height: 5, Miner: miner, Target: p.PowLimit, Time: 1}}
	b.Txs = []*types.Tx{
		types.NewCoinbase(p.ChainID, miner, 5, Subsidy(p, 5)+3),
		transfer(t, p, 1, 2, 100, 1, 0),
		transfer(t, p, 1, 2, 100, 2, 1),
	}
	b.Header.TxRoot = types.TxRoot(b.Txs)
	solve(&b.Header)
	return b
}

func TestCheckTxSanityCodes(t *testing.T) {
	p := TestParams()
	good := transfer(t, &p, 1, 2, 10, 1, 0)
	if err := CheckTxSanity(&p, good); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		mut  func(*types.Tx)
		code ErrorCode
		sign bool
	}{
		{"version", func(x *types.Tx) { x.Version = 2 }, ErrBadVersion, true},
		{"chain", func(x *types.Tx) { x.ChainID = 1 }, ErrBadChainID, true},
		{"self", func(x *types.Tx) { x.To = x.From }, ErrSelfTransfer, true},
		{"zero amount", func(x *types.Tx) { x.Amount = 0 }, ErrZeroAmount, true},
		{"fee", func(x *types.Tx) { x.Fee = 0 }, ErrFeeTooLow, true},
		{"overflow", func(x *types.Tx) { x.Amount = 1<<64 - 1; x.Fee = 1 }, ErrOverflow, true},
		{"memo", func(x *types.Tx) { x.Memo = make([]byte, 65) }, ErrOversize, true},
		{"zero from", func(x *types.Tx) { x.From = [32]byte{} }, ErrBadCoinbase, false},
		{"tampered", func(x *types.Tx) { x.Amount++ }, ErrBadSignature, false},
	}
	for _, c := range cases {
		tx := good.Clone()
		c.mut(tx)
		if c.sign {
			if err := tx.Sign(key(1)); err != nil {
				t.Fatal(err)
			}
		}
		if err := CheckTxSanity(&p, tx); !IsCode(err, c.code) {
			t.Errorf("%s: %v, want %v", c.name, err, c.code)
		}
	}
	// MinFee boundary: fee == MinFee passes.
	m := MainParams()
	if err := CheckTxFields(&m, transfer(t, &m, 1, 2, 1, m.MinFee, 0)); err != nil {
		t.Errorf("fee == MinFee: %v", err)
	}
	if err := CheckTxFields(&m, transfer(t, &m, 1, 2, 1, m.MinFee-1, 0)); !IsCode(err, ErrFeeTooLow) {
		t.Errorf("fee == MinFee-1: %v", err)
	}
}

func TestCheckBlockSanityCodes(t *testing.T) {
	p := easyParams()
	if err := CheckBlockSanity(&p, validBlock(t, &p)); err != nil {
		t.Fatalf("valid block: %v", err)
	}
	// Each mutation breaks one rule; fixTxRoot recomputes the root (so the
	// intended rule, not the root, is what fails) and every block is re-solved.
	cases := []struct {
		name      string
		mut       func(*types.Block)
		fixTxRoot bool
		code      ErrorCode
	}{
		{"header version", func(b *types.Block) { b.Header.Version = 2 }, false, ErrBadVersion},
		{"no txs", func(b *types.Block) { b.Txs = nil }, true, ErrBadCoinbase},
		{"coinbase not first", func(b *types.Block) { b.Txs[0], b.Txs[1] = b.Txs[1], b.Txs[0] }, true, ErrBadCoinbase},
		{"two coinbases", func(b *types.Block) { b.Txs = append(b.Txs, types.NewCoinbase(p.ChainID, b.Header.Miner, 5, 1)) }, true, ErrBadCoinbase},
		{"coinbase to other", func(b *types.Block) { b.Txs[0].To = key(8).Address() }, true, ErrBadCoinbase},
		{"coinbase nonce", func(b *types.Block) { b.Txs[0].Nonce = 4 }, true, ErrBadCoinbase},
		{"coinbase fee", func(b *types.Block) { b.Txs[0].Fee = 1 }, true, ErrBadCoinbase},
		{"coinbase sig", func(b *types.Block) { b.Txs[0].Sig[0] = 1 }, true, ErrBadCoinbase},
		{"coinbase chain", func(b *types.Block) { b.Txs[0].ChainID = 7 }, true, ErrBadCoinbase},
		{"tx root", func(b *types.Block) { b.Header.TxRoot[0] ^= 1 }, false, ErrBadTxRoot},
		{"tx order vs root", func(b *types.Block) { b.Txs[1], b.Txs[2] = b.Txs[2], b.Txs[1] }, false, ErrBadTxRoot},
		{"duplicate tx", func(b *types.Block) { b.Txs = append(b.Txs, b.Txs[1]) }, true, ErrDuplicateTx},
		{"bad sig", func(b *types.Block) { b.Txs[2].Sig[5] ^= 1 }, true, ErrBadSignature},
		{"bad chain", func(b *types.Block) { b.Txs[2].ChainID = 5 }, true, ErrBadChainID},
		{"too many txs", func(b *types.Block) {
			for len(b.Txs) <= types.MaxBlockTxs {
				b.Txs = append(b.Txs, b.Txs[1])
			}
		}, true, ErrOversize},
		{"target above limit", func(b *types.Block) { b.Header.Target = types.TargetPow2(255) }, false, ErrBadTarget},
	}
	for _, c := range cases {
		b := validBlock(t, &p)
		c.mut(b)
		if c.fixTxRoot {
			b.Header.TxRoot = types.TxRoot(b.Txs)
		}
		if c.code != ErrBadTarget {
			solve(&b.Header)
		}
		if err := CheckBlockSanity(&p, b); !IsCode(err, c.code) {
			t.Errorf("%s: %v, want %v", c.name, err, c.code)
		}
	}
	// A block whose hash misses the target fails with ErrBadPoW.
	b := validBlock(t, &p)
	b.Header.Target = types.TargetPow2(0)
	if err := CheckBlockSanity(&p, b); !IsCode(err, ErrBadPoW) {
		t.Errorf("bad pow: %v", err)
	}
}

func TestCheckHeaderContext(t *testing.T) {
	p := TestParams()
	parent := ParentInfo{Hash: hashx.Tagged("x"), Height: 9, NextTarget: types.TargetPow2(240), MTP: 1000}
	good := types.Header{Version: 1, Height: 10, PrevHash: parent.Hash, Target: parent.NextTarget, Time: 1001}
	if err := CheckHeaderContext(&p, &good, parent, 2000); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		mut  func(*types.Header)
		code ErrorCode
	}{
		{func(h *types.Header) { h.PrevHash[0] ^= 1 }, ErrBadPrevHash},
		{func(h *types.Header) { h.Height = 11 }, ErrBadHeight},
		{func(h *types.Header) { h.Target = types.TargetPow2(239) }, ErrBadTarget},
		{func(h *types.Header) { h.Time = 1000 }, ErrTimeTooOld},
		{func(h *types.Header) { h.Time = 2000 + p.MaxFutureDrift + 1 }, ErrTimeTooNew},
	}
	for i, c := range cases {
		h := good
		c.mut(&h)
		if err := CheckHeaderContext(&p, &h, parent, 2000); !IsCode(err, c.code) {
			t.Errorf("case %d: %v, want %v", i, err, c.code)
		}
	}
}
