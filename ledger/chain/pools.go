package chain

import (
	"sync"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// orphanPool holds blocks whose parent is unknown (section 5.3 step 3):
// at most max, PoW-checked only, the oldest evicted first.
type orphanPool struct {
	mu       sync.Mutex
	max      int
	byHash   map[hashx.Hash]*types.Block
	byParent map[hashx.Hash][]hashx.Hash
	order    []hashx.Hash // insertion order, oldest first
}

func newOrphanPool(max int) *orphanPool {
	return &orphanPool{max: max, byHash: map[hashx.Hash]*types.Block{}, byParent: map[hashx.Hash][]hashx.Hash{}}
}

func (p *orphanPool) has(h hashx.Hash) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.byHash[h]
	return ok
}

func (p *orphanPool) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byHash)
}

// add inserts b, evicting the oldest orphans beyond the limit; it returns
// the evicted hashes.
func (p *orphanPool) add(h hashx.Hash, b *types.Block) (evicted []hashx.Hash) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.byHash[h]; ok {
		return nil
	}
	p.byHash[h] = b
	p.byParent[b.Header.PrevHash] = append(p.byParent[b.Header.PrevHash], h)
	p.order = append(p.order, h)
	for len(p.byHash) > p.max {
		old := p.order[0]
		p.removeLocked(old)
		evicted = append(evicted, old)
	}
	return evicted
}

func (p *orphanPool) removeLocked(h hashx.Hash) *types.Block {
	b, ok := p.byHash[h]
	if !ok {
		return nil
	}
	delete(p.byHash, h)
	sib := p.byParent[b.Header.PrevHash]
	for i, x := range sib {
		if x == h {
			sib = append(sib[:i:i], sib[i+1:]...)
			break
		}
	}
	if len(sib) == 0 {
		delete(p.byParent, b.Header.PrevHash)
	} else {
		p.byParent[b.Header.PrevHash] = sib
	}
	for i, x := range p.order {
		if x == h {
			p.order = append(p.order[:i:i], p.order[i+1:]...)
			break
		}
	}
	return b
}

// takeChildren removes and returns the orphans whose parent is h, oldest
// first.
func (p *orphanPool) takeChildren(h hashx.Hash) []*types.Block {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*types.Block
	for _, ch := range append([]hashx.Hash(nil), p.byParent[h]...) {
		if b := p.removeLocked(ch); b != nil {
			out = append(out, b)
		}
	}
	return out
}

// root follows PrevHash links through the pool and returns the first hash
// that is not an orphan: the block to request.
func (p *orphanPool) root(h hashx.Hash) hashx.Hash {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 0; i <= p.max; i++ {
		b, ok := p.byHash[h]
		if !ok {
			return h
		}
		h = b.Header.PrevHash
	}
	return h
}

// hashCache remembers the codes of recently rejected block hashes (the
// invalid-block LRU of section 6), FIFO-evicted.
type hashCache struct {
	max   int
	codes map[hashx.Hash]consensus.ErrorCode
	ring  []hashx.Hash
	next  int
}

func newHashCache(max int) *hashCache {
	return &hashCache{max: max, codes: map[hashx.Hash]consensus.ErrorCode{}}
}

func (c *hashCache) add(h hashx.Hash, code consensus.ErrorCode) {
	if _, ok := c.codes[h]; ok {
		return
	}
	if len(c.ring) < c.max {
		c.ring = append(c.ring, h)
	} else {
		delete(c.codes, c.ring[c.next])
		c.ring[c.next] = h
		c.next = (c.next + 1) % c.max
	}
	c.codes[h] = code
}

func (c *hashCache) get(h hashx.Hash) (consensus.ErrorCode, bool) {
	code, ok := c.codes[h]
	return code, ok
}

// weightCache keeps the weights of recently connected blocks, so that a
// shallow reorg finds its fork-point weights without a replay.
type weightCache struct {
	max   int
	m     map[hashx.Hash]*model.Weights
	order []hashx.Hash
}

func newWeightCache(max int) *weightCache {
	return &weightCache{max: max, m: map[hashx.Hash]*model.Weights{}}
}

func (c *weightCache) add(h hashx.Hash, w *model.Weights) {
	if _, ok := c.m[h]; ok {
		return
	}
	c.m[h] = w
	c.order = append(c.order, h)
	if len(c.order) > c.max {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
}

func (c *weightCache) get(h hashx.Hash) *model.Weights { return c.m[h] }
