package chain

import (
	"math/big"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// node is one block of the index: every header the chain has accepted,
// with its cumulative work and status.
type node struct {
	hash     hashx.Hash
	header   types.Header
	parent   *node
	children []*node
	work     *big.Int // cumulative chain work up to and including this block
	status   store.Status
	code     consensus.ErrorCode // why it is invalid

	// dataChain: this block and all its ancestors have their bodies, so
	// the branch ending here can be connected.
	dataChain bool
	// seq orders blocks by when they became connectable (first seen wins
	// equal-work ties).
	seq uint64
	// main: the block is on the current best chain.
	main bool
	// stored: the header record (and body, if any) is committed.
	stored bool
	// pending is a body accepted in this ProcessBlock call that is not yet
	// committed; it is written with the block's connection or, for a side
	// branch, before ProcessBlock returns.
	pending *types.Block
}

func (n *node) height() uint64 { return n.header.Height }
func (n *node) invalid() bool  { return n.status&store.StatusInvalid != 0 }
func (n *node) hasBody() bool  { return n.status&store.StatusBody != 0 }

func (n *node) record() *store.HeaderRecord {
	return &store.HeaderRecord{Header: n.header, Work: n.work, Status: n.status, Code: n.code}
}

// candidate reports whether the branch ending at n may become the best
// chain: all bodies present and nothing known invalid.
func (n *node) candidate() bool { return n.dataChain && !n.invalid() }

// better reports whether a beats b in fork choice: more work, then seen
// first (lower seq).
func better(a, b *node) bool {
	if c := a.work.Cmp(b.work); c != 0 {
		return c > 0
	}
	return a.seq < b.seq
}

// ancestor returns n's ancestor at height h (n itself for h == height), or
// nil if h > n's height. Walks to the main chain, then indexes it.
func (c *Chain) ancestor(n *node, h uint64) *node {
	if n == nil || h > n.height() {
		return nil
	}
	for n.height() > h {
		if n.main {
			return c.mainChain[h]
		}
		n = n.parent
	}
	return n
}

// mtp returns the median time past of the MTPWindow blocks ending at n.
func (c *Chain) mtp(n *node) int64 {
	k := int(c.params.MTPWindow)
	times := make([]int64, 0, k)
	for a := n; a != nil && len(times) < k; a = a.parent {
		times = append(times, a.header.Time)
	}
	return consensus.MedianTimePast(times)
}

// nextTarget returns the target required of n's children.
func (c *Chain) nextTarget(n *node) (types.Target, error) {
	return consensus.NextTarget(&c.params, n.height()+1, n.header.Target, func(h uint64) (int64, error) {
		a := c.ancestor(n, h)
		if a == nil {
			return 0, errNoAncestor
		}
		return a.header.Time, nil
	})
}

// parentInfo is the header context of children of n.
func (c *Chain) parentInfo(n *node) (consensus.ParentInfo, error) {
	t, err := c.nextTarget(n)
	if err != nil {
		return consensus.ParentInfo{}, err
	}
	return consensus.ParentInfo{Hash: n.hash, Height: n.height(), NextTarget: t, MTP: c.mtp(n)}, nil
}

// locator returns a block locator from n: n and its 9 predecessors, then
// exponentially spaced ancestors, then genesis, at most MaxLocator hashes.
func (c *Chain) locator(n *node) []hashx.Hash {
	var out []hashx.Hash
	step := uint64(1)
	h := n.height()
	for {
		a := c.ancestor(n, h)
		out = append(out, a.hash)
		if h == 0 || len(out) == MaxLocator-1 {
			break
		}
		if len(out) >= 10 {
			step *= 2
		}
		if h < step {
			h = 0
		} else {
			h -= step
		}
	}
	if out[len(out)-1] != c.genesis.hash {
		out = append(out, c.genesis.hash)
	}
	return out
}

// leafSet maintenance: leaves holds every candidate none of whose children
// is a candidate; the best chain ends at the best leaf.

// setDataChain marks n and its connectable descendants (caller holds imu).
func (c *Chain) setDataChain(n *node) {
	queue := []*node{n}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		x.dataChain = true
		c.seq++
		x.seq = c.seq
		if !x.invalid() {
			c.leaves[x] = struct{}{}
			if x.parent != nil {
				delete(c.leaves, x.parent)
			}
		}
		for _, ch := range x.children {
			if ch.hasBody() && !ch.dataChain {
				queue = append(queue, ch)
			}
		}
	}
}

// refreshLeaf re-adds n to the leaves if it is a candidate with no
// candidate child (after a child was marked invalid).
func (c *Chain) refreshLeaf(n *node) {
	if n == nil || !n.candidate() {
		return
	}
	for _, ch := range n.children {
		if ch.candidate() {
			return
		}
	}
	c.leaves[n] = struct{}{}
}

func (c *Chain) bestLeaf() *node {
	var best *node
	for n := range c.leaves {
		if best == nil || better(n, best) {
			best = n
		}
	}
	return best
}

// updateBestHeader considers n for the most-work header.
func (c *Chain) updateBestHeader(n *node) {
	if !n.invalid() && (c.bestHeader == nil || n.work.Cmp(c.bestHeader.work) > 0) {
		c.bestHeader = n
	}
}

func (c *Chain) recomputeBestHeader() {
	c.bestHeader = c.genesis
	for _, n := range c.index {
		c.updateBestHeader(n)
	}
}
