package chaintest

import (
	"fmt"
	"math/big"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// builder accumulates one Test; the first error sticks.
type builder struct {
	g    *Generator
	t    Test
	err  error
	pre  string // block name prefix, unique per test
	last string
}

func (g *Generator) builder(name string) *builder {
	return &builder{g: g, t: Test{Name: name}, pre: name + "/"}
}

func (v *builder) n(name string) string {
	if name == "genesis" {
		return name
	}
	return v.pre + name
}

// mine creates a block without submitting it.
func (v *builder) mine(name, parent string, opts ...Option) *types.Block {
	if v.err != nil {
		return nil
	}
	b, err := v.g.NextBlock(v.n(name), v.n(parent), opts...)
	if err != nil {
		v.err = err
		return nil
	}
	return b
}

func (v *builder) blk(name string) *types.Block { return v.g.Get(v.n(name)).Block }

func (v *builder) add(i Instance) { v.t.Instances = append(v.t.Instances, i) }

func (v *builder) accept(name, parent string, main bool, opts ...Option) {
	if b := v.mine(name, parent, opts...); b != nil {
		v.add(AcceptedBlock{v.n(name), b, main})
	}
}

func (v *builder) reject(name, parent string, code consensus.ErrorCode, opts ...Option) {
	if b := v.mine(name, parent, opts...); b != nil {
		v.add(RejectedBlock{v.n(name), b, code})
	}
}

// chain mines and submits count main-chain blocks prefix1..prefixN.
func (v *builder) chain(prefix, parent string, count int, opts ...Option) string {
	for i := 1; i <= count; i++ {
		name := fmt.Sprintf("%s%d", prefix, i)
		v.accept(name, parent, true, opts...)
		parent = name
	}
	return parent
}

func (v *builder) submitted(name string, main bool) {
	if v.err == nil {
		v.add(AcceptedBlock{v.n(name), v.blk(name), main})
	}
}

func (v *builder) orphan(name string) {
	if v.err == nil {
		v.add(OrphanBlock{v.n(name), v.blk(name)})
	}
}

func (v *builder) rejectExisting(name string, code consensus.ErrorCode) {
	if v.err == nil {
		v.add(RejectedBlock{v.n(name), v.blk(name), code})
	}
}

func (v *builder) tip(name string) {
	if v.err == nil {
		b := v.g.Get(v.n(name))
		v.add(ExpectedTip{v.n(name), b.Hash(), b.Height()})
	}
}

func (v *builder) account(label string, at string, k string) {
	if v.err == nil {
		addr := Key(k).Address()
		if k == "faucet" {
			addr = v.g.Faucet.Address()
		}
		v.add(ExpectedAccount{label, addr, v.g.Get(v.n(at)).State.Account(addr)})
	}
}

func (v *builder) done() (Test, error) { return v.t, v.err }

// Vectors returns the consensus test vectors for a generator on
// FastParams (or any NoRetarget profile): forks and ties, reorgs of depth
// 1 and 20, an invalid block deep in a heavier branch, orphans and the
// orphan pool bound, double spends across branches, time rules and a
// catalogue of bad blocks. Each Test runs on a fresh node.
func Vectors(g *Generator) ([]Test, error) {
	var out []Test
	for _, f := range []func(*Generator) (Test, error){
		EqualWorkTie, func(g *Generator) (Test, error) { return Reorg(g, 1) }, func(g *Generator) (Test, error) { return Reorg(g, 20) },
		InvalidDeep, InvalidTail, Orphans, OrphanLimit, DoubleSpend, TimeRules, BadBlocks,
	} {
		t, err := f(g)
		if err != nil {
			return nil, fmt.Errorf("chaintest: vector %s: %w", t.Name, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// EqualWorkTie: of two equal-work tips the first seen stays the tip; one
// more block on the other branch reorganises to it, and back.
func EqualWorkTie(g *Generator) (Test, error) {
	v := g.builder("tie")
	v.chain("e", "genesis", 1)
	v.accept("a2", "e1", true)
	other := WithMiner(Key("other-miner").Address()) // otherwise c2 would be a2
	v.accept("c2", "e1", false, other)               // equal work, seen second
	v.tip("a2")
	v.accept("c3", "c2", true, other) // heavier: reorg depth 1
	v.tip("c3")
	v.accept("a3", "a2", false) // equal to c3, seen later: c3 stays
	v.tip("c3")
	v.accept("a4", "a3", true) // reorg back
	v.tip("a4")
	return v.done()
}

// Reorg: a main chain whose last depth blocks are replaced by a heavier
// side branch (reorg of depth `depth`), then the old branch grows heavier
// again and wins back (depth+1). Every block moves coins, so undo records
// and the re-applied transactions matter.
func Reorg(g *Generator, depth int) (Test, error) {
	v := g.builder(fmt.Sprintf("reorg%d", depth))
	const fork = 2
	alice, bob := Key("alice").Address(), Key("bob").Address()
	parent := v.chain("m", "genesis", fork)
	for i := fork + 1; i <= fork+depth; i++ {
		name := fmt.Sprintf("m%d", i)
		v.accept(name, parent, true, WithTxs(v.g.Spend(v.n(parent), alice, 1000+uint64(i), 0)))
		parent = name
	}
	mainTip := parent
	side := fmt.Sprintf("m%d", fork)
	for i := fork + 1; i <= fork+depth+1; i++ {
		name := fmt.Sprintf("s%d", i)
		tx := v.g.Spend(v.n(side), bob, 7000+uint64(i), 0)
		v.accept(name, side, i == fork+depth+1, WithTxs(tx), WithMiner(Key("side-miner").Address()))
		side = name
	}
	v.tip(side)
	v.account("alice after reorg", side, "alice")
	v.account("bob after reorg", side, "bob")
	v.account("faucet after reorg", side, "faucet")
	// The old branch comes back with two more blocks.
	n1 := fmt.Sprintf("m%d", fork+depth+1)
	n2 := fmt.Sprintf("m%d", fork+depth+2)
	v.accept(n1, mainTip, false)
	v.accept(n2, n1, true)
	v.tip(n2)
	v.account("alice after reorg back", n2, "alice")
	v.account("bob after reorg back", n2, "bob")
	return v.done()
}

// InvalidDeep: a side branch with a bad training update at its third block
// is stored (checks 1-5 only) until it becomes heavier than the main chain;
// then connecting it fails, the bad block and its descendants are marked
// invalid, and the old tip stays.
func InvalidDeep(g *Generator) (Test, error) {
	v := g.builder("invaliddeep")
	v.chain("m", "genesis", 5)
	x := WithMiner(Key("x-miner").Address())
	v.accept("x2", "m1", false, x)
	v.accept("x3", "x2", false, x)
	v.accept("x4", "x3", false, x, Munge(func(b *types.Block) { b.Header.ModelRoot[0] ^= 1 })) // stored, not yet checked
	v.accept("x5", "x4", false, x)                                                             // equal work to m5: no attempt
	v.reject("x6", "x5", consensus.ErrInvalidParent, x)                                        // heavier: attempt fails at x4
	v.tip("m5")
	v.reject("x7", "x6", consensus.ErrInvalidParent, x)
	v.rejectExisting("x4", consensus.ErrBadModelRoot)
	v.accept("m6", "m5", true)
	v.tip("m6")
	return v.done()
}

// InvalidTail: a branch arrives out of order (orphans), so one fork-choice
// step sees all of it; its last block is invalid, but the valid prefix is
// heavier than the main chain and becomes the tip.
func InvalidTail(g *Generator) (Test, error) {
	v := g.builder("invalidtail")
	v.chain("m", "genesis", 3)
	y := WithMiner(Key("y-miner").Address())
	v.mine("y1", "genesis", y)
	for i := 2; i <= 5; i++ {
		v.mine(fmt.Sprintf("y%d", i), fmt.Sprintf("y%d", i-1), y)
	}
	v.mine("y6", "y5", y, Munge(func(b *types.Block) { b.Header.StateRoot[0] ^= 1 }))
	for i := 6; i >= 2; i-- {
		v.orphan(fmt.Sprintf("y%d", i))
	}
	v.submitted("y1", true) // y1..y5 connect: heavier than m3
	v.tip("y5")
	v.rejectExisting("y6", consensus.ErrBadStateRoot)
	return v.done()
}

// Orphans: blocks whose parents arrive later are pooled and connected in
// order once the missing parent arrives.
func Orphans(g *Generator) (Test, error) {
	v := g.builder("orphans")
	v.mine("o1", "genesis")
	for i := 2; i <= 5; i++ {
		v.mine(fmt.Sprintf("o%d", i), fmt.Sprintf("o%d", i-1))
	}
	v.submitted("o1", true)
	v.orphan("o3")
	v.orphan("o5")
	v.orphan("o4")
	v.tip("o1")
	v.submitted("o2", true)
	v.tip("o5")
	if v.err == nil {
		v.add(DuplicateBlock{v.n("o4"), v.blk("o4")})
	}
	return v.done()
}

// OrphanLimit: 69 orphans overflow the 64-block pool; the 5 oldest are
// evicted, so the chain advances only as far as the blocks resubmitted.
func OrphanLimit(g *Generator) (Test, error) {
	v := g.builder("orphanlimit")
	const n = 70
	v.mine("p1", "genesis")
	for i := 2; i <= n; i++ {
		v.mine(fmt.Sprintf("p%d", i), fmt.Sprintf("p%d", i-1))
	}
	for i := 2; i <= n; i++ {
		v.orphan(fmt.Sprintf("p%d", i))
	}
	v.submitted("p1", true)
	v.tip("p1") // p2 was evicted
	for i := 2; i <= 5; i++ {
		v.submitted(fmt.Sprintf("p%d", i), true)
		v.tip(fmt.Sprintf("p%d", i)) // p3..p6 were evicted too
	}
	v.submitted("p6", true) // unlocks p7..p70, still pooled
	v.tip(fmt.Sprintf("p%d", n))
	return v.done()
}

// DoubleSpend: the faucet spends nonce 0 to alice on one branch and to bob
// on another; after the reorg exactly bob's transfer survives, and alice's
// transfer can no longer be mined (stale nonce).
func DoubleSpend(g *Generator) (Test, error) {
	v := g.builder("doublespend")
	alice, bob, carol := Key("alice").Address(), Key("bob").Address(), Key("carol").Address()
	toAlice := v.g.Tx(v.g.Faucet, alice, 1000, 5, 0)
	toBob := v.g.Tx(v.g.Faucet, bob, 2000, 5, 0)
	v.accept("a1", "genesis", true, WithTxs(toAlice))
	v.account("alice paid", "a1", "alice")
	v.accept("b1", "genesis", false, WithTxs(toBob))
	v.accept("b2", "b1", true) // b1 differs from a1 by its transfer
	v.tip("b2")
	v.account("alice unpaid", "b2", "alice")
	v.account("bob paid", "b2", "bob")
	v.account("faucet nonce", "b2", "faucet")
	// Re-mining alice's transfer on the new branch: stale nonce.
	v.reject("b3-replay", "b2", consensus.ErrNonceMismatch, Munge(func(b *types.Block) {
		b.Txs = append(b.Txs, toAlice)
		b.Txs[0].Amount += toAlice.Fee
		RecomputeTxRoot(b)
	}))
	// Two transfers with the same nonce in one block.
	t1 := v.g.Tx(v.g.Faucet, carol, 10, 1, 1)
	t2 := v.g.Tx(v.g.Faucet, alice, 10, 1, 1)
	v.reject("b3-twice", "b2", consensus.ErrNonceMismatch, WithTxs(t1), Munge(func(b *types.Block) {
		b.Txs = append(b.Txs, t2)
		b.Txs[0].Amount += t2.Fee
		RecomputeTxRoot(b)
	}))
	// Alice has nothing on this branch.
	spend := v.g.Tx(Key("alice"), carol, 500, 1, 0)
	v.reject("b3-broke", "b2", consensus.ErrInsufficientBalance, Munge(func(b *types.Block) {
		b.Txs = append(b.Txs, spend)
		b.Txs[0].Amount += spend.Fee
		RecomputeTxRoot(b)
	}))
	v.accept("b3", "b2", true, WithTxs(t1))
	v.tip("b3")
	return v.done()
}

// TimeRules: a block's time must exceed the median of the last 11 block
// times and may run at most MaxFutureDrift ahead of the node's clock.
func TimeRules(g *Generator) (Test, error) {
	v := g.builder("time")
	last := v.chain("t", "genesis", 11)
	if v.err != nil {
		return v.done()
	}
	mtp := v.g.ParentInfo(v.n(last)).MTP
	v.reject("old", last, consensus.ErrTimeTooOld, WithTime(mtp))
	v.reject("future", last, consensus.ErrTimeTooNew, WithTime(v.g.Now+v.g.Params.MaxFutureDrift+1))
	v.accept("edge", last, true, WithTime(mtp+1)) // before its parent, after the MTP: fine
	v.accept("drift", "edge", true, WithTime(v.g.Now+v.g.Params.MaxFutureDrift))
	v.tip("drift")
	return v.done()
}

// BadBlocks: one block per rule on top of k1, each rejected with its code;
// then the honest block is accepted, so none of the rejections poisoned it
// (in particular a copy of it with a mutated body).
func BadBlocks(g *Generator) (Test, error) {
	v := g.builder("bad")
	v.chain("k", "genesis", 1)
	v.reject("pow", "k1", consensus.ErrBadPoW, NoSolve(), Munge(func(b *types.Block) {
		for b.Header.Target.Meets(b.Header.Hash()) {
			b.Header.Nonce++
		}
	}))
	v.reject("height", "k1", consensus.ErrBadHeight, Munge(func(b *types.Block) {
		b.Header.Height++
		b.Txs[0].Nonce++
		RecomputeTxRoot(b)
	}))
	v.reject("target", "k1", consensus.ErrBadTarget, Munge(func(b *types.Block) { b.Header.Target = types.TargetPow2(247) }))
	v.reject("overpay", "k1", consensus.ErrBadCoinbaseAmount, Munge(func(b *types.Block) { b.Txs[0].Amount++; RecomputeTxRoot(b) }))
	v.reject("thief", "k1", consensus.ErrBadCoinbase, Munge(func(b *types.Block) {
		b.Txs[0].To = Key("thief").Address()
		RecomputeTxRoot(b)
	}))
	v.reject("stolen-update", "k1", consensus.ErrBadModelRoot, Munge(func(b *types.Block) {
		// Another miner claims this block's update with its own address.
		b.Header.Miner = Key("thief").Address()
		b.Txs[0].To = b.Header.Miner
		RecomputeTxRoot(b)
	}), Munge(v.g.RecomputeStateRoot(v.n("k1"))))
	v.reject("stateroot", "k1", consensus.ErrBadStateRoot, Munge(func(b *types.Block) { b.Header.StateRoot[5] ^= 4 }))
	v.reject("modelroot", "k1", consensus.ErrBadModelRoot, Munge(func(b *types.Block) { b.Header.ModelRoot[9] ^= 2 }))
	v.reject("lossbefore", "k1", consensus.ErrLossMismatch, Munge(func(b *types.Block) { b.Header.LossBefore-- }))
	v.reject("lossafter", "k1", consensus.ErrLossMismatch, Munge(func(b *types.Block) { b.Header.LossAfter-- }))
	v.reject("raise", "k1", consensus.ErrNoImprovement, Munge(func(b *types.Block) { b.Header.LossAfter = b.Header.LossBefore + 1 }))
	tx := v.g.Spend(v.n("k1"), Key("alice").Address(), 100, 0)
	v.reject("duptx", "k1", consensus.ErrDuplicateTx, WithTxs(tx), Munge(func(b *types.Block) {
		b.Txs = append(b.Txs, b.Txs[1])
		RecomputeTxRoot(b)
	}))
	v.reject("sig", "k1", consensus.ErrBadSignature, WithTxs(tx), Munge(func(b *types.Block) {
		b.Txs[1] = b.Txs[1].Clone()
		b.Txs[1].Sig[7] ^= 1
		RecomputeTxRoot(b)
	}))
	v.reject("nocoinbase", "k1", consensus.ErrBadCoinbase, WithTxs(tx), Munge(func(b *types.Block) {
		b.Txs = b.Txs[1:]
		RecomputeTxRoot(b)
	}))
	// The honest k2 with a body changed in transit: rejected (TxRoot), and
	// the real k2 is still accepted afterwards.
	good := v.mine("k2", "k1", WithTxs(tx))
	if v.err == nil {
		bad := Clone(good)
		bad.Txs[1].Memo = []byte("mutated")
		v.add(RejectedBlock{v.n("k2") + " (mutated body)", bad, consensus.ErrBadTxRoot})
		enc := good.Encode()
		v.add(RejectedBytes{v.n("k2") + " (trailing byte)", append(append([]byte(nil), enc...), 0)})
		v.add(RejectedBytes{v.n("k2") + " (truncated)", enc[:len(enc)-1]})
		v.submitted("k2", true)
		v.add(DuplicateBlock{v.n("k2"), good})
	}
	v.tip("k2")
	return v.done()
}

// RetargetVectors returns the difficulty vectors for a generator on
// RetargetParams (R = 20, T = 1000 ms, MaxAdjust 4): no retarget at h = R
// (the first is at 2R), blocks twice as fast halve the target at 40, and
// blocks ten times too slow raise it by the clamp factor 4 at 60.
func RetargetVectors(g *Generator) ([]Test, error) {
	v := g.builder("retarget")
	half := WithSpacing(g.Params.TargetSpacing / 2)
	last := v.chain("r", "genesis", 19, half)
	v.reject("r20-changed", last, consensus.ErrBadTarget, half, Munge(func(b *types.Block) { b.Header.Target = types.TargetPow2(245) }))
	v.accept("r20", last, true, half)
	last = "r20"
	for i := 21; i <= 39; i++ {
		name := fmt.Sprintf("r%d", i)
		v.accept(name, last, true, half)
		last = name
	}
	v.reject("r40-stale", last, consensus.ErrBadTarget, half, Munge(func(b *types.Block) { b.Header.Target = g.Params.GenesisTarget }))
	v.accept("r40", last, true, half)
	last = "r40"
	slow := WithSpacing(10 * g.Params.TargetSpacing)
	for i := 41; i <= 59; i++ {
		name := fmt.Sprintf("r%d", i)
		v.accept(name, last, true, slow)
		last = name
	}
	v.reject("r60-unclamped", last, consensus.ErrBadTarget, slow, Munge(func(b *types.Block) {
		// What the formula gives without the x4 clamp.
		prev := g.Get(v.n("r59")).Block.Header.Target.Big()
		first := g.Get(v.n("r39")).Block.Header.Time
		actual := g.Get(v.n("r59")).Block.Header.Time - first
		prev.Mul(prev, bigInt(actual))
		prev.Quo(prev, bigInt(int64(g.Params.RetargetWindow)*g.Params.TargetSpacing))
		t, _ := types.TargetFromBig(prev)
		b.Header.Target = t
	}))
	v.accept("r60", last, true, slow)
	v.tip("r60")
	t, err := v.done()
	return []Test{t}, err
}

func bigInt(x int64) *big.Int { return big.NewInt(x) }
