package pogw

import (
	"bytes"
	"context"
	"testing"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// net is a small test network: test params with an easier target (about
// 2^10 hashes per block), a funded faucet and the embedded corpus.
type net struct {
	p      consensus.Params
	g      *consensus.Genesis
	e      *Engine
	faucet *keys.PrivateKey
	now    int64
}

func key(b byte) *keys.PrivateKey {
	k, err := keys.FromSeed(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		panic(err)
	}
	return k
}

func newNet(t testing.TB, targetBits uint) *net {
	t.Helper()
	p := consensus.TestParams()
	p.GenesisTarget = types.TargetPow2(targetBits)
	p.NoRetarget = true
	faucet := key(0xfa)
	g := &consensus.Genesis{
		Version: consensus.GenesisFormatVersion, Params: p, Time: consensus.DevGenesisTime,
		CorpusRoot: corpus.Embedded().Root(), ModelRoot: model.GenesisRoot(),
		Alloc: []consensus.Allocation{{Address: faucet.Address(), Amount: 1_000_000 * consensus.Coin}},
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	e, err := New(&p, corpus.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	return &net{p: p, g: g, e: e, faucet: faucet, now: consensus.DevGenesisTime + 1_000_000}
}

// node is a block with the state and weights after it.
type node struct {
	b     *types.Block
	st    *state.State
	w     *model.Weights
	times []int64 // times of this block and its ancestors, newest last
}

func (n *net) genesis(t testing.TB) *node {
	st, err := state.FromGenesis(n.g)
	if err != nil {
		t.Fatal(err)
	}
	return &node{b: n.g.Block(), st: st, w: model.NewGenesis(), times: []int64{n.g.Time}}
}

// trained returns a stand-in parent block at height 7 whose weights went
// through rounds unconditional training runs, far enough from the uniform
// genesis model that some training nonces raise the held-out loss (from
// about 50 rounds on; at genesis every nonce improves it).
func (n *net) trained(t testing.TB, rounds int) *node {
	g := n.genesis(t)
	w := g.w
	for r := 0; r < rounds; r++ {
		w = n.e.Replay(w, hashx.Sum([]byte{byte(r), byte(r >> 8)}), key(99).Address(), 0)
	}
	h := g.b.Header
	h.Height = 7
	h.PrevHash = hashx.Sum([]byte("stand-in parent"))
	h.ModelRoot = w.Root()
	return &node{b: &types.Block{Header: h}, st: g.st, w: w, times: g.times}
}

func (nd *node) parent(p *consensus.Params) *Parent {
	k := min(len(nd.times), int(p.MTPWindow))
	return &Parent{
		Info: consensus.ParentInfo{Hash: nd.b.Hash(), Height: nd.b.Header.Height,
			NextTarget: p.GenesisTarget, MTP: consensus.MedianTimePast(nd.times[len(nd.times)-k:])},
		State: nd.st, Weights: nd.w,
	}
}

func (n *net) template(nd *node, miner keys.Address, txs []*types.Tx) *Template {
	pi := nd.parent(&n.p)
	return &Template{Parent: pi.Info.Hash, Height: pi.Info.Height + 1, Target: pi.Info.NextTarget,
		MinTime: pi.Info.MTP + 1, ParentState: nd.st, ParentWeights: nd.w, Miner: miner, Txs: txs}
}

// mine mines a child of nd at time parent+1000 ms and returns it.
func (n *net) mine(t testing.TB, nd *node, miner keys.Address, txs []*types.Tx) (*Mined, *node) {
	t.Helper()
	tm := nd.b.Header.Time + 1000
	m, err := n.e.Mine(context.Background(), n.template(nd, miner, txs), MineOptions{Now: func() int64 { return tm }})
	if err != nil {
		t.Fatal(err)
	}
	// m.State is an overlay over nd.st: build the child state on a clone.
	st := nd.st.Clone()
	ov, err := state.ConnectBlock(&n.p, st, m.Block, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ov.Commit(); err != nil {
		t.Fatal(err)
	}
	return m, &node{b: m.Block, st: st, w: m.Update.Weights, times: append(append([]int64(nil), nd.times...), m.Block.Header.Time)}
}

// transfer returns a signed transfer.
func (n *net) transfer(from *keys.PrivateKey, to keys.Address, amount, fee, nonce uint64, memo []byte) *types.Tx {
	tx := &types.Tx{Version: types.TxVersion, ChainID: n.p.ChainID, From: from.Address(), To: to,
		Amount: amount, Fee: fee, Nonce: nonce, Memo: memo}
	if err := tx.Sign(from); err != nil {
		panic(err)
	}
	return tx
}

// regrind re-solves the PoW of a header after a test changed it.
func regrind(t testing.TB, h *types.Header) {
	t.Helper()
	if _, err := Grind(context.Background(), h, func() int64 { return h.Time }, h.Time, 0); err != nil {
		t.Fatal(err)
	}
}

func wantCode(t testing.TB, err error, code consensus.ErrorCode) {
	t.Helper()
	got, ok := consensus.CodeOf(err)
	if !ok || got != code {
		t.Fatalf("got error %v, want code %v", err, code)
	}
}
