package chain

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Status is the outcome of ProcessBlock.
type Status int

const (
	// Accepted: the block passed every check that applies to it and is
	// committed to the store: fully validated if it is on the best chain,
	// checks 1-5 of section 5.3 if it sits on a side branch.
	Accepted Status = iota + 1
	// Orphan: the parent is unknown; the block waits in the orphan pool
	// (PoW checked only) and Result.MissingParent should be requested.
	Orphan
	// Duplicate: the block is already known (indexed with its body, or in
	// the orphan pool). Nothing changed; a relay of it is harmless.
	Duplicate
	// Rejected: the block, or an ancestor, breaks a consensus rule; the
	// error is a consensus.RuleError with the rule's code.
	Rejected
)

func (s Status) String() string {
	switch s {
	case Accepted:
		return "accepted"
	case Orphan:
		return "orphan"
	case Duplicate:
		return "duplicate"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result describes what ProcessBlock did.
type Result struct {
	Status Status
	Hash   hashx.Hash
	// MainChain reports whether the block is on the best chain afterwards.
	MainChain bool
	// TipChanged reports whether the best chain changed (the block, or
	// orphans it unlocked, moved the tip).
	TipChanged bool
	// Accepted lists every block accepted by this call, the block itself
	// first, then orphans that were waiting for it.
	Accepted []hashx.Hash
	// MissingParent is, for an orphan, the ancestor hash to request.
	MissingParent hashx.Hash
	// Disconnected and Connected count the blocks the best chain lost and
	// gained (a reorg has Disconnected > 0).
	Disconnected, Connected int
}

// ProcessBlock validates b and adds it to the chain: the single entry point
// for blocks from the miner, the network and tests (section 5.3). It runs
// the context-free checks, puts blocks with an unknown parent in the orphan
// pool, checks the header against its parent, stores the block, then runs
// fork choice: if a branch now has more work than the tip, its blocks are
// connected with full validation (state transition and training), which
// may reorganise the chain. A block is reported Accepted only after the
// store committed it.
//
// The error is nil for Accepted, Orphan and Duplicate. For Rejected it is a
// consensus.RuleError (consensus.CodeOf gives the code). Any other error is
// an internal failure (the store), not a verdict on the block; after one,
// the chain refuses further writes and the node should restart, which
// recovers from the last commit.
func (c *Chain) ProcessBlock(b *types.Block) (Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hash := b.Hash()
	res := Result{Hash: hash}
	if c.failed != nil {
		res.Status = Rejected
		return res, c.failed
	}
	oldTip := c.tip
	n, err := c.acceptBlock(b, hash)
	switch {
	case errors.Is(err, errOrphan):
		res.Status = Orphan
		res.MissingParent = c.orphans.root(hash)
		return res, nil
	case errors.Is(err, errDuplicate):
		res.Status = Duplicate
		res.MainChain = c.index[hash] != nil && c.index[hash].main
		return res, nil
	case err != nil:
		res.Status = Rejected
		return res, err
	}
	accepted := append([]*node{n}, c.acceptOrphans(hash)...)

	if err := c.selectBest(); err != nil {
		return c.fail(res, err)
	}
	if err := c.flushPending(accepted); err != nil {
		return c.fail(res, err)
	}
	if err := c.finishTipChange(oldTip); err != nil {
		return c.fail(res, err)
	}

	res.TipChanged = c.tip != oldTip
	res.MainChain = n.main
	for _, a := range accepted {
		if !a.invalid() {
			res.Accepted = append(res.Accepted, a.hash)
		}
	}
	res.Disconnected, res.Connected = c.lastDisc, c.lastConn
	if n.invalid() {
		res.Status = Rejected
		return res, consensus.Errorf(n.code, "block %s is invalid: %s", hash, n.code)
	}
	res.Status = Accepted
	return res, nil
}

func (c *Chain) fail(res Result, err error) (Result, error) {
	c.failed = fmt.Errorf("chain: store failure, restart required: %w", err)
	res.Status = Rejected
	return res, c.failed
}

var (
	errOrphan    = errors.New("orphan")
	errDuplicate = errors.New("duplicate")
)

// cacheable reports whether a rejection of b is a property of its hash, so
// that the hash may be remembered as invalid: not a transient time rule,
// and the body is the one the header commits to (a body mutated in transit
// must not poison the real block).
func cacheable(err error, b *types.Block) (consensus.ErrorCode, bool) {
	code, ok := consensus.CodeOf(err)
	if !ok || code == consensus.ErrTimeTooNew || code == consensus.ErrUnknownParent || code == consensus.ErrDuplicateBlock {
		return code, false
	}
	if len(b.Txs) > types.MaxBlockTxs || types.TxRoot(b.Txs) != b.Header.TxRoot {
		return code, false
	}
	return code, true
}

// acceptBlock runs section 5.3 steps 1-5 and indexes the block (with its
// body pending). It returns errOrphan, errDuplicate or a RuleError.
func (c *Chain) acceptBlock(b *types.Block, hash hashx.Hash) (*node, error) {
	n := c.index[hash]
	if n != nil {
		if n.invalid() {
			return nil, consensus.Errorf(n.code, "block %s is known invalid (%s)", hash, n.code)
		}
		if n.hasBody() {
			return nil, errDuplicate
		}
	}
	if code, ok := c.badHash.get(hash); ok {
		return nil, consensus.Errorf(code, "block %s was rejected before (%s)", hash, code)
	}
	if c.orphans.has(hash) {
		return nil, errDuplicate
	}
	parent := c.index[b.Header.PrevHash]
	if parent == nil {
		// Orphan: only the proof of work is checked before pooling.
		if err := consensus.CheckHeaderSanity(&c.params, &b.Header); err != nil {
			return nil, err
		}
		if b.Size() > types.MaxBlockSize {
			return nil, consensus.Errorf(consensus.ErrOversize, "block of %d bytes", b.Size())
		}
		c.orphans.add(hash, b)
		return nil, errOrphan
	}
	if err := consensus.CheckBlockSanity(&c.params, b); err != nil {
		c.reject(n, hash, b, err)
		return nil, err
	}
	if parent.invalid() {
		err := consensus.Errorf(consensus.ErrInvalidParent, "parent %s is invalid (%s)", parent.hash, parent.code)
		c.reject(n, hash, b, err)
		return nil, err
	}
	if n == nil {
		info, err := c.parentInfo(parent)
		if err != nil {
			return nil, err
		}
		if err := consensus.CheckHeaderContext(&c.params, &b.Header, info, c.now()); err != nil {
			c.reject(nil, hash, b, err)
			return nil, err
		}
		n = c.addNode(b.Header, hash, parent)
	}
	c.imu.Lock()
	n.status |= store.StatusBody
	n.pending = b
	n.stored = false
	if parent.dataChain {
		c.setDataChain(n)
	}
	c.imu.Unlock()
	return n, nil
}

// reject remembers a rejected block: in the invalid-hash cache, and, if it
// is indexed (a header accepted earlier), marked invalid in the index.
func (c *Chain) reject(n *node, hash hashx.Hash, b *types.Block, err error) {
	code, ok := cacheable(err, b)
	if !ok {
		return
	}
	c.badHash.add(hash, code)
	if n != nil {
		if err := c.markInvalid(n, code); err != nil {
			c.failed = fmt.Errorf("chain: store failure, restart required: %w", err)
		}
	}
}

// addNode indexes a header whose checks passed.
func (c *Chain) addNode(h types.Header, hash hashx.Hash, parent *node) *node {
	n := &node{hash: hash, header: h, parent: parent, status: store.StatusHeader,
		work: new(big.Int).Add(parent.work, consensus.CalcWork(h.Target))}
	c.imu.Lock()
	c.index[hash] = n
	parent.children = append(parent.children, n)
	c.updateBestHeader(n)
	c.imu.Unlock()
	return n
}

// acceptOrphans processes the orphans that were waiting for hash (and
// their own waiting orphans), returning the accepted ones.
func (c *Chain) acceptOrphans(hash hashx.Hash) []*node {
	var out []*node
	queue := []hashx.Hash{hash}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		for _, ob := range c.orphans.takeChildren(h) {
			oh := ob.Hash()
			n, err := c.acceptBlock(ob, oh)
			if err != nil {
				if code, ok := consensus.CodeOf(err); ok && code != consensus.ErrTimeTooNew {
					// Its waiting descendants build on a rejected block.
					c.rejectOrphanDescendants(oh)
				}
				continue
			}
			out = append(out, n)
			queue = append(queue, oh)
		}
	}
	return out
}

func (c *Chain) rejectOrphanDescendants(h hashx.Hash) {
	queue := []hashx.Hash{h}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, ob := range c.orphans.takeChildren(x) {
			oh := ob.Hash()
			if ob.Header.TxRoot == types.TxRoot(ob.Txs) {
				c.badHash.add(oh, consensus.ErrInvalidParent)
			}
			queue = append(queue, oh)
		}
	}
}

// markInvalid marks n invalid with code and its descendants invalid with
// ErrInvalidParent, updates the leaves and the best header, and persists
// the marks of stored blocks.
func (c *Chain) markInvalid(n *node, code consensus.ErrorCode) error {
	var marked []*node
	c.imu.Lock()
	queue := []*node{n}
	first := true
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		if !x.invalid() {
			x.status |= store.StatusInvalid
			x.code = consensus.ErrInvalidParent
			if first {
				x.code = code
			}
			marked = append(marked, x)
		}
		first = false
		delete(c.leaves, x)
		x.pending = nil
		queue = append(queue, x.children...)
	}
	c.refreshLeaf(n.parent)
	if c.bestHeader.invalid() {
		c.recomputeBestHeader()
	}
	c.imu.Unlock()
	for _, x := range marked {
		c.badHash.add(x.hash, x.code)
	}
	// Persist the marks so that a restarted node still knows.
	return c.db.Update(func(tx store.Tx) error {
		for _, x := range marked {
			if x.stored || x == n {
				rec := x.record()
				if !x.stored { // never committed: the body is not on disk
					rec.Status &^= store.StatusBody
				}
				if err := tx.Put(store.Headers, x.hash[:], rec.Encode()); err != nil {
					return err
				}
				x.stored = true
			}
		}
		return nil
	})
}

// flushPending commits the bodies of accepted blocks that did not join the
// best chain (side branches, blocks above a missing body).
func (c *Chain) flushPending(nodes []*node) error {
	var todo []*node
	for _, n := range nodes {
		if n.pending != nil && !n.invalid() {
			todo = append(todo, n)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	err := c.db.Update(func(tx store.Tx) error {
		for _, n := range todo {
			if err := tx.Put(store.Blocks, n.hash[:], n.pending.Encode()); err != nil {
				return err
			}
			if err := tx.Put(store.Headers, n.hash[:], n.record().Encode()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, n := range todo {
		n.pending = nil
		n.stored = true
	}
	return nil
}

// HeadersResult describes what ProcessHeaders did.
type HeadersResult struct {
	// Added is the number of new headers indexed.
	Added int
	// Best is the most-work header after the call.
	Best BlockInfo
	// MoreWork reports whether Best has more work than the current tip
	// (bodies should be fetched: MissingBlocks).
	MoreWork bool
}

// ProcessHeaders accepts a run of headers for headers-first sync (section
// 7): each must link to the previous one or to an indexed block, pass the
// PoW and context checks (target, MTP, future drift) and is indexed
// without a body. The first failure stops the run with a RuleError
// (ErrUnknownParent if the first header does not link); headers before it
// stay indexed.
func (c *Chain) ProcessHeaders(hs []types.Header) (HeadersResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed != nil {
		return HeadersResult{}, c.failed
	}
	var added []*node
	var runErr error
	for i := range hs {
		h := &hs[i]
		hash := h.Hash()
		if n := c.index[hash]; n != nil {
			if n.invalid() {
				runErr = consensus.Errorf(n.code, "header %s is known invalid", hash)
				break
			}
			continue
		}
		if code, ok := c.badHash.get(hash); ok {
			runErr = consensus.Errorf(code, "header %s was rejected before", hash)
			break
		}
		if err := consensus.CheckHeaderSanity(&c.params, h); err != nil {
			runErr = err
			break
		}
		parent := c.index[h.PrevHash]
		if parent == nil {
			runErr = consensus.Errorf(consensus.ErrUnknownParent, "header %s: parent %s unknown", hash, h.PrevHash)
			break
		}
		if parent.invalid() {
			c.badHash.add(hash, consensus.ErrInvalidParent)
			runErr = consensus.Errorf(consensus.ErrInvalidParent, "header %s: parent is invalid", hash)
			break
		}
		info, err := c.parentInfo(parent)
		if err != nil {
			return HeadersResult{}, err
		}
		if err := consensus.CheckHeaderContext(&c.params, h, info, c.now()); err != nil {
			if code, _ := consensus.CodeOf(err); code != consensus.ErrTimeTooNew {
				c.badHash.add(hash, code)
			}
			runErr = err
			break
		}
		added = append(added, c.addNode(*h, hash, parent))
	}
	if len(added) > 0 {
		err := c.db.Update(func(tx store.Tx) error {
			for _, n := range added {
				if err := tx.Put(store.Headers, n.hash[:], n.record().Encode()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			c.failed = fmt.Errorf("chain: store failure, restart required: %w", err)
			return HeadersResult{}, c.failed
		}
		for _, n := range added {
			n.stored = true
		}
	}
	c.imu.RLock()
	res := HeadersResult{Added: len(added), Best: c.bestHeader.info(), MoreWork: c.bestHeader.work.Cmp(c.tip.work) > 0}
	c.imu.RUnlock()
	return res, runErr
}
