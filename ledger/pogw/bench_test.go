package pogw

import (
	"testing"

	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// BenchmarkVerifyBlock: full verification (sanity with 10 signatures,
// context, state transition, training replay and both losses) of one block
// mined on a trained parent.
func BenchmarkVerifyBlock(b *testing.B) {
	n := newNet(b, 246)
	nd := n.trained(b, 20)
	var txs []*types.Tx
	for i := 0; i < 10; i++ {
		txs = append(txs, n.transfer(n.faucet, key(byte(i+1)).Address(), 1000, 1, uint64(i), nil))
	}
	m, _ := n.mine(b, nd, key(9).Address(), txs)
	par := nd.parent(&n.p)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 { // half the runs pay for LossBefore as a new parent would
			n.e.mu.Lock()
			delete(n.e.losses, par.Info.Hash)
			n.e.mu.Unlock()
		}
		if _, err := n.e.VerifyBlock(par, m.Block, n.now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReplay: one training run without checks (the unit of restart
// and reorg replay).
func BenchmarkReplay(b *testing.B) {
	n := newNet(b, 246)
	nd := n.trained(b, 20)
	dst := new(model.Weights)
	miner := key(9).Address()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n.e.ReplayTo(dst, nd.w, nd.b.Hash(), miner, uint64(i))
	}
}

// BenchmarkGrind: hash attempts per second of the midstate grind
// (b.N attempts against an unreachable target).
func BenchmarkGrind(b *testing.B) {
	h := types.Header{Version: 1, Target: types.TargetPow2(0)}
	hh := types.NewHeaderHasher(&h)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if h.Target.Meets(hh.Hash(uint64(i))) {
			b.Fatal("solved an unsolvable target")
		}
	}
}
