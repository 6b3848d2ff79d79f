package chain

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Limits and defaults.
const (
	// DefaultOrphanLimit bounds the orphan pool (section 5.3 step 3).
	DefaultOrphanLimit = 64
	// DefaultInvalidCache is the size of the invalid-block hash cache
	// (section 6).
	DefaultInvalidCache = 10_000
	// DefaultWeightCache is the number of recent weight sets kept in
	// memory to avoid replays on shallow reorgs.
	DefaultWeightCache = 8
	// MaxLocator is the largest block locator (section 7).
	MaxLocator = 32
	// MaxHeaders is the most headers HeadersAfter returns (section 7).
	MaxHeaders = 512
)

var errNoAncestor = errors.New("chain: ancestor missing from the index")

// TxPool is how the chain keeps a transaction pool in step with the best
// chain, without depending on the pool's package. Both methods are called
// by the chain's writer after the store commits, with the state at the new
// tip (the view must not be retained). A *mempool.Pool is adapted in a few
// lines:
//
//	type poolHook struct{ p *mempool.Pool }
//	func (h poolHook) BlockConnected(b *types.Block, v state.Reader)          { h.p.RemoveBlock(b, v) }
//	func (h poolHook) BlocksDisconnected(txs []*types.Tx, v state.Reader)     { h.p.Readd(txs, v) }
type TxPool interface {
	// BlocksDisconnected hands back the transfers of blocks that left the
	// best chain (oldest block first); the pool re-admits those still valid.
	BlocksDisconnected(txs []*types.Tx, view state.Reader)
	// BlockConnected reports a block that joined the best chain; the pool
	// drops its transactions and whatever they invalidated.
	BlockConnected(b *types.Block, view state.Reader)
}

// Config configures Open. Genesis, Corpus and Store are required.
type Config struct {
	// Genesis describes the network. Its corpus root must match Corpus
	// and its model root must be the all-zero genesis weights.
	Genesis *consensus.Genesis
	// Corpus is the pinned training corpus.
	Corpus *corpus.Corpus
	// Store holds the chain (store/boltstore for a node, store.Memory for
	// tests). The chain does not close it.
	Store store.Store
	// Now returns the current time in unix milliseconds (nil = the system
	// clock). It feeds the future-drift rule.
	Now func() int64
	// Pool, if non-nil, is told about connected and disconnected blocks.
	Pool TxPool
	// Reindex rebuilds accounts, undo records, heights and snapshots from
	// genesis by revalidating the stored blocks, instead of refusing to
	// start when the stored state does not match the tip.
	Reindex bool
	// OrphanLimit bounds the orphan pool (0 = DefaultOrphanLimit).
	OrphanLimit int
	// InvalidCache bounds the invalid-hash cache (0 = DefaultInvalidCache).
	InvalidCache int
	// WeightCache is how many recent weight sets stay in memory
	// (0 = DefaultWeightCache).
	WeightCache int
}

// Snapshot is an immutable view of the best chain at one moment. Readers
// (API, generation, miner) use it without locking; the chain publishes a
// new one on every tip change and never modifies a published one.
type Snapshot struct {
	Hash      hashx.Hash
	Header    types.Header
	Height    uint64
	ChainWork *big.Int // read-only
	// State is the account state at the tip (read-only: do not modify).
	State *state.State
	// Weights are the model weights at the tip (read-only).
	Weights *model.Weights
	// NextTarget and MTP are the header context of the next block: its
	// required target, and the median time past its Time must exceed.
	NextTarget types.Target
	MTP        int64
	// Seq increases by one with every published snapshot.
	Seq uint64
}

// Template returns a mining template on the snapshot's tip.
func (s *Snapshot) Template(miner keys.Address, txs []*types.Tx) *pogw.Template {
	return &pogw.Template{Parent: s.Hash, Height: s.Height + 1, Target: s.NextTarget, MinTime: s.MTP + 1,
		ParentState: s.State, ParentWeights: s.Weights, Miner: miner, Txs: txs}
}

// TipEvent reports a change of the best chain.
type TipEvent struct {
	// Snapshot is the new tip.
	Snapshot *Snapshot
	// Disconnected lists the blocks that left the best chain (newest
	// first) and Connected those that joined it (oldest first).
	Disconnected, Connected []hashx.Hash
	// Missed counts earlier events dropped because the subscriber's buffer
	// was full (the newest event is always delivered).
	Missed uint64
}

// Subscription delivers TipEvents. Events are never blocked on: when the
// buffer is full the oldest pending event is dropped and counted.
type Subscription struct {
	C      <-chan TipEvent
	ch     chan TipEvent
	chain  *Chain
	missed uint64
}

// Close stops delivery. It does not close C.
func (s *Subscription) Close() {
	s.chain.subMu.Lock()
	defer s.chain.subMu.Unlock()
	delete(s.chain.subs, s)
}

// Chain is the block index, fork choice and state of one node. ProcessBlock
// and ProcessHeaders are serialised by one writer lock; every read method
// is safe for concurrent use and never waits for validation.
type Chain struct {
	params  consensus.Params
	genesis *node
	gen     *consensus.Genesis
	engine  *pogw.Engine
	db      store.Store
	now     func() int64
	pool    TxPool

	mu     sync.Mutex // the writer lock
	failed error      // a store failure left memory and disk out of step

	imu        sync.RWMutex // guards the index for readers
	index      map[hashx.Hash]*node
	mainChain  []*node
	tip        *node
	bestHeader *node
	leaves     map[*node]struct{}
	seq        uint64

	state   *state.State   // tip state: replaced, never modified, after publication
	weights *model.Weights // tip weights
	wcache  *weightCache

	orphans *orphanPool
	badHash *hashCache

	lastDisc, lastConn int // net change of the last ProcessBlock

	snap    atomic.Pointer[Snapshot]
	snapSeq uint64
	subMu   sync.Mutex
	subs    map[*Subscription]struct{}
}

// Open opens the chain stored in cfg.Store, initialising an empty store
// with the genesis block. On an existing store it checks the schema and
// genesis, loads the block index, reads the tip and rebuilds the tip's
// weights from the newest snapshot plus replay; it refuses to start (error
// wrapping store.ErrCorrupt) when the stored accounts or the weights do not
// match the tip's StateRoot and ModelRoot, unless cfg.Reindex is set.
func Open(cfg Config) (*Chain, error) {
	if cfg.Genesis == nil || cfg.Corpus == nil || cfg.Store == nil {
		return nil, errors.New("chain: Config needs Genesis, Corpus and Store")
	}
	g := cfg.Genesis
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("chain: genesis: %w", err)
	}
	if r := cfg.Corpus.Root(); r != g.CorpusRoot {
		return nil, fmt.Errorf("chain: corpus root %s differs from the genesis corpus root %s", r, g.CorpusRoot)
	}
	if g.ModelRoot != model.GenesisRoot() {
		return nil, fmt.Errorf("chain: genesis model root %s is not the all-zero model %s", g.ModelRoot, model.GenesisRoot())
	}
	engine, err := pogw.New(&g.Params, cfg.Corpus)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = func() int64 { return time.Now().UnixMilli() }
	}
	c := &Chain{
		params: g.Params, gen: g, engine: engine, db: cfg.Store, now: now, pool: cfg.Pool,
		index: map[hashx.Hash]*node{}, leaves: map[*node]struct{}{},
		wcache:  newWeightCache(orDefault(cfg.WeightCache, DefaultWeightCache)),
		orphans: newOrphanPool(orDefault(cfg.OrphanLimit, DefaultOrphanLimit)),
		badHash: newHashCache(orDefault(cfg.InvalidCache, DefaultInvalidCache)),
		subs:    map[*Subscription]struct{}{},
	}
	if err := c.load(cfg.Reindex); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Resume an interrupted reorganisation (or a reindex): connect the best
	// candidate if it has more work than the stored tip.
	if err := c.selectBest(); err != nil {
		return nil, err
	}
	c.publish()
	return c, nil
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// Params returns the network's consensus parameters.
func (c *Chain) Params() consensus.Params { return c.params }

// Genesis returns the genesis description.
func (c *Chain) Genesis() *consensus.Genesis { return c.gen }

// GenesisHash returns the hash of the genesis block.
func (c *Chain) GenesisHash() hashx.Hash { return c.genesis.hash }

// Engine returns the chain's proof-of-gradient-work engine; a miner on the
// same node shares it (and its LossBefore cache).
func (c *Chain) Engine() *pogw.Engine { return c.engine }

// Snapshot returns the current best-chain snapshot (never nil after Open).
func (c *Chain) Snapshot() *Snapshot { return c.snap.Load() }

// Subscribe returns a subscription to tip changes with a buffer of buf
// events (at least 1).
func (c *Chain) Subscribe(buf int) *Subscription {
	ch := make(chan TipEvent, max(buf, 1))
	s := &Subscription{C: ch, ch: ch, chain: c}
	c.subMu.Lock()
	c.subs[s] = struct{}{}
	c.subMu.Unlock()
	return s
}

// publish installs a new snapshot of the tip. Called by the writer.
func (c *Chain) publish() *Snapshot {
	t := c.tip
	info, err := c.parentInfo(t)
	if err != nil { // the tip's ancestors are always indexed
		panic("chain: " + err.Error())
	}
	// state.State sorts its keys lazily on the first ordered read; do it
	// here, before readers share the state, so that their reads (Root,
	// Each, Entries) never write.
	c.state.Each(func(keys.Address, types.Account) {})
	c.snapSeq++
	s := &Snapshot{Hash: t.hash, Header: t.header, Height: t.height(), ChainWork: new(big.Int).Set(t.work),
		State: c.state, Weights: c.weights, NextTarget: info.NextTarget, MTP: info.MTP, Seq: c.snapSeq}
	c.snap.Store(s)
	return s
}

func (c *Chain) notify(ev TipEvent) {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	for s := range c.subs {
		e := ev
		for {
			e.Missed = s.missed
			select {
			case s.ch <- e:
				s.missed = 0
			default:
				select { // full: drop the oldest pending event
				case d := <-s.ch:
					s.missed += 1 + d.Missed
				default:
				}
				continue
			}
			break
		}
	}
}

// BlockInfo describes an indexed block.
type BlockInfo struct {
	Hash      hashx.Hash
	Header    types.Header
	Height    uint64
	ChainWork *big.Int
	Status    store.Status
	// Code is the rule an invalid block (or its ancestor) broke.
	Code      consensus.ErrorCode
	MainChain bool
}

func (n *node) info() BlockInfo {
	return BlockInfo{Hash: n.hash, Header: n.header, Height: n.height(), ChainWork: new(big.Int).Set(n.work),
		Status: n.status, Code: n.code, MainChain: n.main}
}

// BlockInfo returns what the index knows about a block.
func (c *Chain) BlockInfo(hash hashx.Hash) (BlockInfo, bool) {
	c.imu.RLock()
	defer c.imu.RUnlock()
	n := c.index[hash]
	if n == nil {
		return BlockInfo{}, false
	}
	return n.info(), true
}

// HeaderByHash returns an indexed header (main chain or not).
func (c *Chain) HeaderByHash(hash hashx.Hash) (types.Header, bool) {
	c.imu.RLock()
	defer c.imu.RUnlock()
	if n := c.index[hash]; n != nil {
		return n.header, true
	}
	return types.Header{}, false
}

// HashAtHeight returns the main-chain block hash at height.
func (c *Chain) HashAtHeight(height uint64) (hashx.Hash, bool) {
	c.imu.RLock()
	defer c.imu.RUnlock()
	if height >= uint64(len(c.mainChain)) {
		return hashx.Hash{}, false
	}
	return c.mainChain[height].hash, true
}

// HeaderAtHeight returns the main-chain header at height.
func (c *Chain) HeaderAtHeight(height uint64) (types.Header, bool) {
	c.imu.RLock()
	defer c.imu.RUnlock()
	if height >= uint64(len(c.mainChain)) {
		return types.Header{}, false
	}
	return c.mainChain[height].header, true
}

// ErrNotFound is returned by lookups of blocks the chain does not have.
var ErrNotFound = errors.New("chain: block not found")

// BlockByHash returns a stored block (main chain or side branch). Only
// committed blocks are visible.
func (c *Chain) BlockByHash(hash hashx.Hash) (*types.Block, error) {
	var b *types.Block
	err := c.db.View(func(tx store.Tx) error {
		var err error
		b, err = store.ReadBlock(tx, hash)
		return err
	})
	if err == nil && b == nil {
		err = ErrNotFound
	}
	return b, err
}

// BlockByHeight returns the main-chain block at height.
func (c *Chain) BlockByHeight(height uint64) (*types.Block, error) {
	h, ok := c.HashAtHeight(height)
	if !ok {
		return nil, ErrNotFound
	}
	return c.BlockByHash(h)
}

// TxLocation returns the main-chain block and index of a transaction, from
// the store's txloc index.
func (c *Chain) TxLocation(id hashx.Hash) (store.TxLoc, bool, error) {
	var loc store.TxLoc
	var ok bool
	err := c.db.View(func(tx store.Tx) error {
		var err error
		loc, ok, err = store.ReadTxLoc(tx, id)
		return err
	})
	return loc, ok, err
}

// Locator returns a block locator for the best chain: the tip and its 9
// predecessors, then exponentially spaced ancestors, then genesis (at most
// MaxLocator hashes), for a headers request (section 7).
func (c *Chain) Locator() []hashx.Hash {
	c.imu.RLock()
	defer c.imu.RUnlock()
	return c.locator(c.tip)
}

// LocatorFrom is Locator starting at any indexed block (for example the
// best header during headers-first sync); nil if hash is unknown.
func (c *Chain) LocatorFrom(hash hashx.Hash) []hashx.Hash {
	c.imu.RLock()
	defer c.imu.RUnlock()
	n := c.index[hash]
	if n == nil {
		return nil
	}
	return c.locator(n)
}

// HeadersAfter answers a headers request: the main-chain headers after the
// first locator hash that is on our main chain (after genesis if none is),
// in height order, up to and including stop (if it is reached), at most
// max (capped at MaxHeaders).
func (c *Chain) HeadersAfter(locator []hashx.Hash, stop hashx.Hash, max int) []types.Header {
	if max <= 0 || max > MaxHeaders {
		max = MaxHeaders
	}
	c.imu.RLock()
	defer c.imu.RUnlock()
	start := uint64(1)
	for _, h := range locator {
		if n := c.index[h]; n != nil && n.main {
			start = n.height() + 1
			break
		}
	}
	var out []types.Header
	for h := start; h < uint64(len(c.mainChain)) && len(out) < max; h++ {
		n := c.mainChain[h]
		out = append(out, n.header)
		if n.hash == stop {
			break
		}
	}
	return out
}

// BestHeader returns the indexed block with the most work that is not
// known invalid; during headers-first sync it may lack bodies.
func (c *Chain) BestHeader() BlockInfo {
	c.imu.RLock()
	defer c.imu.RUnlock()
	return c.bestHeader.info()
}

// MissingBlocks returns, in height order, up to max hashes of blocks on
// the best header chain whose bodies are missing: what headers-first sync
// downloads next.
func (c *Chain) MissingBlocks(max int) []hashx.Hash {
	c.imu.RLock()
	defer c.imu.RUnlock()
	var rev []*node
	for n := c.bestHeader; n != nil && !n.dataChain; n = n.parent {
		if !n.hasBody() {
			rev = append(rev, n)
		}
	}
	var out []hashx.Hash
	for i := len(rev) - 1; i >= 0 && len(out) < max; i-- {
		out = append(out, rev[i].hash)
	}
	return out
}

// IsKnown reports whether the chain has the block: indexed with its body,
// or waiting in the orphan pool.
func (c *Chain) IsKnown(hash hashx.Hash) bool {
	// hasBody reads the node's status, which the writer updates under imu:
	// keep the read lock for both.
	c.imu.RLock()
	n := c.index[hash]
	known := n != nil && n.hasBody()
	c.imu.RUnlock()
	return known || c.orphans.has(hash)
}

// OrphanRoot returns the hash of the missing ancestor of an orphan: the
// parent of the oldest orphan in its pool chain (hash itself if it is not
// an orphan). A syncing peer requests it.
func (c *Chain) OrphanRoot(hash hashx.Hash) hashx.Hash {
	return c.orphans.root(hash)
}

// WeightsAt returns the weights committed by the main-chain block hash
// (for history endpoints such as loss-by-height, or serving an older
// model). It reads the newest snapshot at or below the block and the
// headers above it from one consistent store view and replays them, without
// the writer lock: at most 15 replays within depth 1000 and 255 beyond
// (~2 ms each). The tip's weights come from the snapshot directly.
func (c *Chain) WeightsAt(hash hashx.Hash) (*model.Weights, error) {
	if s := c.Snapshot(); s.Hash == hash {
		return s.Weights, nil
	}
	var w *model.Weights
	var path []types.Header // oldest first
	err := c.db.View(func(tx store.Tx) error {
		v := tx.Get(store.Headers, hash[:])
		if v == nil {
			return ErrNotFound
		}
		rec, err := store.DecodeHeaderRecord(v)
		if err != nil {
			return err
		}
		height := rec.Header.Height
		if m := tx.Get(store.Heights, store.HeightKey(height)); !bytes.Equal(m, hash[:]) {
			return fmt.Errorf("chain: block %s is not on the main chain", hash)
		}
		sh, shash, sw, ok, err := store.ReadSnapshot(tx, height)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: no snapshot at or below height %d", store.ErrCorrupt, height)
		}
		if m := tx.Get(store.Heights, store.HeightKey(sh)); !bytes.Equal(m, shash[:]) {
			return fmt.Errorf("%w: snapshot at height %d is not of the main chain", store.ErrCorrupt, sh)
		}
		for h := sh + 1; h <= height; h++ {
			m := tx.Get(store.Heights, store.HeightKey(h))
			if m == nil {
				return fmt.Errorf("%w: no main-chain block at height %d", store.ErrCorrupt, h)
			}
			r, err := store.DecodeHeaderRecord(tx.Get(store.Headers, m))
			if err != nil {
				return err
			}
			path = append(path, r.Header)
		}
		w = sw
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range path {
		h := &path[i]
		c.engine.ReplayTo(w, w, h.PrevHash, h.Miner, h.TrainNonce)
	}
	if len(path) > 0 {
		if r := w.Root(); r != path[len(path)-1].ModelRoot {
			return nil, fmt.Errorf("%w: replayed weights of %s have root %s, header says %s", store.ErrCorrupt, hash, r, path[len(path)-1].ModelRoot)
		}
	}
	return w, nil
}
