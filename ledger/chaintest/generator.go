package chaintest

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Key returns the deterministic test key named name (seed = SHA-256 of
// "chaintest key " + name). Test keys exist only in tests.
func Key(name string) *keys.PrivateKey {
	seed := sha256.Sum256([]byte("chaintest key " + name))
	k, err := keys.FromSeed(seed[:])
	if err != nil {
		panic(err)
	}
	return k
}

// FastParams are the test-net parameters with a trivial proof of work
// (target 2^246, about 1000 hashes per block) and NoRetarget: the profile
// of most vectors.
func FastParams() consensus.Params {
	p := consensus.TestParams()
	p.Name = "chaintest"
	p.GenesisTarget = types.TargetPow2(246)
	p.NoRetarget = true
	return p
}

// RetargetParams are FastParams with retargeting on (R = 20, T = 1 s,
// MaxAdjust 4, PowLimit 2^250): the first retarget is at height 40.
func RetargetParams() consensus.Params {
	p := FastParams()
	p.NoRetarget = false
	return p
}

// Options configure NewGenerator.
type Options struct {
	// Params are the consensus parameters (zero value: FastParams).
	Params *consensus.Params
	// Genesis, if set, is used as is (Params is then ignored); otherwise a
	// genesis with DevGenesisTime and the Faucet allocation is built.
	Genesis *consensus.Genesis
	// Faucet is the funded key (nil: Key("faucet"), or the dev faucet key
	// when Genesis is the dev genesis).
	Faucet *keys.PrivateKey
	// Miner receives block rewards by default (zero: Key("miner")).
	Miner keys.Address
}

// Generator builds blocks for test vectors with a real miner (the same
// pogw code as a node) on an easy target. It remembers every block by
// name with the state and weights after it, so tests can branch anywhere.
// Not safe for concurrent use.
type Generator struct {
	Params  consensus.Params
	Genesis *consensus.Genesis
	Engine  *pogw.Engine
	Faucet  *keys.PrivateKey
	Miner   keys.Address
	// Now is the clock the chain under test must use (far after every
	// block time the generator produces by default).
	Now int64

	blocks map[string]*Block
	byHash map[hashx.Hash]*Block
}

// Block is a generated block with the state and weights after it. For
// blocks made invalid on purpose these are the parent's state and the
// honestly trained weights, so that children can still be built.
type Block struct {
	Name    string
	Block   *types.Block
	Parent  *Block
	State   *state.State
	Weights *model.Weights
}

// Hash returns the block hash.
func (b *Block) Hash() hashx.Hash { return b.Block.Hash() }

// Height returns the block height.
func (b *Block) Height() uint64 { return b.Block.Header.Height }

// NewGenerator returns a generator whose only block is "genesis".
func NewGenerator(opts Options) (*Generator, error) {
	c := corpus.Embedded()
	faucet := opts.Faucet
	g := opts.Genesis
	if g == nil {
		p := FastParams()
		if opts.Params != nil {
			p = *opts.Params
		}
		if faucet == nil {
			faucet = Key("faucet")
		}
		g = &consensus.Genesis{Version: consensus.GenesisFormatVersion, Params: p, Time: consensus.DevGenesisTime,
			CorpusRoot: c.Root(), ModelRoot: model.GenesisRoot(),
			Alloc: []consensus.Allocation{{Address: faucet.Address(), Amount: 1_000_000 * consensus.Coin}}}
		if err := g.Validate(); err != nil {
			return nil, err
		}
	}
	if faucet == nil {
		faucet = consensus.DevFaucetKey()
	}
	e, err := pogw.New(&g.Params, c)
	if err != nil {
		return nil, err
	}
	st, err := state.FromGenesis(g)
	if err != nil {
		return nil, err
	}
	miner := opts.Miner
	if miner.IsZero() {
		miner = Key("miner").Address()
	}
	gen := &Generator{Params: g.Params, Genesis: g, Engine: e, Faucet: faucet, Miner: miner,
		Now: g.Time + 1_000_000_000, blocks: map[string]*Block{}, byHash: map[hashx.Hash]*Block{}}
	gb := &Block{Name: "genesis", Block: g.Block(), State: st, Weights: model.NewGenesis()}
	gen.blocks["genesis"] = gb
	gen.byHash[gb.Hash()] = gb
	return gen, nil
}

// Get returns the block named name; it panics if there is none (a test
// bug).
func (g *Generator) Get(name string) *Block {
	b, ok := g.blocks[name]
	if !ok {
		panic("chaintest: no block named " + name)
	}
	return b
}

// Tx returns a signed transfer with an explicit nonce.
func (g *Generator) Tx(from *keys.PrivateKey, to keys.Address, amount, fee, nonce uint64) *types.Tx {
	tx := &types.Tx{Version: types.TxVersion, ChainID: g.Params.ChainID, From: from.Address(), To: to,
		Amount: amount, Fee: fee, Nonce: nonce}
	if err := tx.Sign(from); err != nil {
		panic(err)
	}
	return tx
}

// Spend returns a faucet transfer using the faucet's next nonce after the
// block named parent (plus skip, for several transfers in one block).
func (g *Generator) Spend(parent string, to keys.Address, amount uint64, skip uint64) *types.Tx {
	n := g.Get(parent).State.Account(g.Faucet.Address()).Nonce
	return g.Tx(g.Faucet, to, amount, 1, n+skip)
}

// spec is what a block is built from.
type spec struct {
	miner   keys.Address
	txs     []*types.Tx
	dt      int64 // time after the parent (0 = TargetSpacing)
	time    int64 // absolute time (overrides dt; may break the time rules)
	mungers []func(*types.Block)
	noSolve bool
}

// Option modifies how NextBlock builds a block.
type Option func(*spec)

// WithTxs includes transfers after the coinbase.
func WithTxs(txs ...*types.Tx) Option { return func(s *spec) { s.txs = append(s.txs, txs...) } }

// WithMiner pays the reward to addr (the seed binds it too).
func WithMiner(addr keys.Address) Option { return func(s *spec) { s.miner = addr } }

// WithSpacing sets the block time to parent time + dt milliseconds.
func WithSpacing(dt int64) Option { return func(s *spec) { s.dt = dt } }

// WithTime sets an absolute block time, even one the time rules reject.
func WithTime(t int64) Option { return func(s *spec) { s.time = t } }

// Munge changes the finished block; the proof of work is solved again
// afterwards (unless NoSolve), so the block fails only the rule the
// munger breaks.
func Munge(f func(b *types.Block)) Option { return func(s *spec) { s.mungers = append(s.mungers, f) } }

// NoSolve leaves the header as the mungers left it (for bad-PoW blocks).
func NoSolve() Option { return func(s *spec) { s.noSolve = true } }

// RecomputeTxRoot is a munger helper: after changing transactions, put
// the matching TxRoot in the header.
func RecomputeTxRoot(b *types.Block) { b.Header.TxRoot = types.TxRoot(b.Txs) }

// parentInfo computes the header context of children of p on its branch.
func (g *Generator) parentInfo(p *Block) consensus.ParentInfo {
	k := int(g.Params.MTPWindow)
	var times []int64
	for a := p; a != nil && len(times) < k; a = a.Parent {
		times = append(times, a.Block.Header.Time)
	}
	t, err := consensus.NextTarget(&g.Params, p.Height()+1, p.Block.Header.Target, func(h uint64) (int64, error) {
		a := p
		for a != nil && a.Height() > h {
			a = a.Parent
		}
		if a == nil || a.Height() != h {
			return 0, fmt.Errorf("no ancestor at %d", h)
		}
		return a.Block.Header.Time, nil
	})
	if err != nil {
		panic(err)
	}
	return consensus.ParentInfo{Hash: p.Hash(), Height: p.Height(), NextTarget: t, MTP: consensus.MedianTimePast(times)}
}

// ParentInfo returns the header context of children of the named block.
func (g *Generator) ParentInfo(name string) consensus.ParentInfo { return g.parentInfo(g.Get(name)) }

// NextBlock mines a child of the block named parent and records it as
// name. Transfers that do not apply are an error (vectors are explicit).
func (g *Generator) NextBlock(name, parent string, opts ...Option) (*types.Block, error) {
	if _, dup := g.blocks[name]; dup {
		return nil, fmt.Errorf("chaintest: block name %s used twice", name)
	}
	p := g.Get(parent)
	s := spec{miner: g.Miner}
	for _, o := range opts {
		o(&s)
	}
	info := g.parentInfo(p)
	t := p.Block.Header.Time + g.Params.TargetSpacing
	if s.dt != 0 {
		t = p.Block.Header.Time + s.dt
	}
	tmpl := &pogw.Template{Parent: info.Hash, Height: info.Height + 1, Target: info.NextTarget, MinTime: info.MTP + 1,
		ParentState: p.State, ParentWeights: p.Weights, Miner: s.miner, Txs: s.txs}
	m, err := g.Engine.Mine(context.Background(), tmpl, pogw.MineOptions{Now: func() int64 { return t }})
	if err != nil {
		return nil, fmt.Errorf("chaintest: mine %s: %w", name, err)
	}
	if len(m.Dropped) > 0 {
		return nil, fmt.Errorf("chaintest: %s: %d transfers do not apply on %s", name, len(m.Dropped), parent)
	}
	b := m.Block
	if s.time != 0 {
		b.Header.Time = s.time
	}
	for _, f := range s.mungers {
		f(b)
	}
	if (s.time != 0 || len(s.mungers) > 0) && !s.noSolve {
		b.Header.Nonce = 0
		if _, err := pogw.Grind(context.Background(), &b.Header, func() int64 { return b.Header.Time }, b.Header.Time, 1<<62); err != nil {
			return nil, err
		}
	}
	st := p.State.Clone()
	if ov, err := state.ConnectBlock(&g.Params, st, b, state.Options{}); err == nil {
		if _, err := ov.Commit(); err != nil {
			return nil, err
		}
	}
	gb := &Block{Name: name, Block: b, Parent: p, State: st, Weights: m.Update.Weights}
	g.blocks[name] = gb
	g.byHash[b.Hash()] = gb
	return b, nil
}

// Chain mines count blocks named prefix+"1", prefix+"2", ... on parent
// (each on the previous one) with the given options, returning the name of
// the last.
func (g *Generator) Chain(prefix, parent string, count int, opts ...Option) (string, error) {
	for i := 1; i <= count; i++ {
		name := fmt.Sprintf("%s%d", prefix, i)
		if _, err := g.NextBlock(name, parent, opts...); err != nil {
			return "", err
		}
		parent = name
	}
	return parent, nil
}

// Clone returns a deep copy of a block (through its encoding), for vectors
// that resubmit or mutate blocks.
func Clone(b *types.Block) *types.Block {
	c, err := types.DecodeBlock(b.Encode())
	if err != nil {
		panic(err)
	}
	return c
}

// RecomputeStateRoot returns a munger that sets the header's StateRoot to
// the root after applying the (changed) block on the named parent, so that
// the block fails only the rule a previous munger broke.
func (g *Generator) RecomputeStateRoot(parent string) func(*types.Block) {
	return func(b *types.Block) {
		ov := state.NewOverlay(g.Get(parent).State)
		if _, err := ov.ApplyBlock(&g.Params, b, state.Options{SkipSignatures: true}); err != nil {
			panic("chaintest: RecomputeStateRoot: " + err.Error())
		}
		b.Header.StateRoot = ov.Root()
	}
}

// Parent returns the pogw verification context of children of the
// generated block with the given hash (header context, state, weights).
func (g *Generator) Parent(hash hashx.Hash) (*pogw.Parent, bool) {
	p, ok := g.byHash[hash]
	if !ok {
		return nil, false
	}
	return &pogw.Parent{Info: g.parentInfo(p), State: p.State, Weights: p.Weights}, true
}
