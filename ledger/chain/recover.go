package chain

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// errNeedReindex wraps inconsistencies a reindex repairs.
var errNeedReindex = errors.New("restart with the reindex option to rebuild the chain state from genesis")

// initStore writes the genesis block and state into an empty store.
func (c *Chain) initStore() error {
	g := c.gen
	gb := g.Block()
	gh := gb.Hash()
	st, err := state.FromGenesis(g)
	if err != nil {
		return err
	}
	rec := &store.HeaderRecord{Header: gb.Header, Work: consensus.CalcWork(gb.Header.Target),
		Status: store.StatusHeader | store.StatusBody | store.StatusValid}
	return c.db.Update(func(tx store.Tx) error {
		if err := store.WriteSchema(tx, gh); err != nil {
			return err
		}
		return writeGenesisDerived(tx, gh, rec, gb.Encode(), st)
	})
}

func writeGenesisDerived(tx store.Tx, gh hashx.Hash, rec *store.HeaderRecord, body []byte, st *state.State) error {
	if err := tx.Put(store.Headers, gh[:], rec.Encode()); err != nil {
		return err
	}
	if err := tx.Put(store.Blocks, gh[:], body); err != nil {
		return err
	}
	var err error
	st.Each(func(a keys.Address, acct types.Account) {
		if err == nil {
			err = tx.Put(store.Accounts, a[:], acct.Encode())
		}
	})
	if err != nil {
		return err
	}
	if err := tx.Put(store.Heights, store.HeightKey(0), gh[:]); err != nil {
		return err
	}
	if err := tx.Put(store.Snapshots, store.HeightKey(0), store.EncodeSnapshot(gh, model.NewGenesis())); err != nil {
		return err
	}
	return tx.Put(store.Meta, store.KeyTip, gh[:])
}

type loadedRec struct {
	hash hashx.Hash
	rec  *store.HeaderRecord
}

// load opens the stored chain (initialising an empty store), builds the
// index and the tip state, and reindexes when asked to.
func (c *Chain) load(reindex bool) error {
	gh := c.gen.Hash()
	fresh := false
	err := c.db.View(func(tx store.Tx) error {
		v, ok, err := store.ReadSchema(tx)
		if err != nil {
			return err
		}
		if !ok {
			fresh = true
			return nil
		}
		if v != store.SchemaVersion {
			return fmt.Errorf("chain: store schema %d, this node supports %d", v, store.SchemaVersion)
		}
		g, ok, err := store.ReadMetaHash(tx, store.KeyGenesis)
		if err != nil {
			return err
		}
		if !ok || g != gh {
			return fmt.Errorf("chain: the store holds the chain of genesis %s, the configuration's genesis is %s", g, gh)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if fresh {
		if err := c.initStore(); err != nil {
			return fmt.Errorf("chain: initialise store: %w", err)
		}
	}

	var recs []loadedRec
	var tipHash hashx.Hash
	err = c.db.View(func(tx store.Tx) error {
		var ok bool
		var err error
		if tipHash, ok, err = store.ReadMetaHash(tx, store.KeyTip); err != nil || !ok {
			return errors.Join(err, fmt.Errorf("%w: no tip recorded", store.ErrCorrupt))
		}
		return tx.ForEach(store.Headers, func(k, v []byte) error {
			h, err := hashx.FromBytes(k)
			if err != nil {
				return fmt.Errorf("%w: header key: %v", store.ErrCorrupt, err)
			}
			r, err := store.DecodeHeaderRecord(v)
			if err != nil {
				return err
			}
			recs = append(recs, loadedRec{h, r})
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("chain: load index: %w", err)
	}
	if err := c.buildIndex(recs, gh, tipHash); err != nil {
		return fmt.Errorf("chain: load index: %w", err)
	}
	if !reindex {
		err = c.loadTipState()
		if err == nil {
			return nil
		}
		return fmt.Errorf("chain: %w (%w)", err, errNeedReindex)
	}
	return c.reindex()
}

// buildIndex links the loaded header records into the index and sets the
// main chain from tipHash.
func (c *Chain) buildIndex(recs []loadedRec, gh, tipHash hashx.Hash) error {
	slices.SortFunc(recs, func(a, b loadedRec) int {
		if a.rec.Header.Height != b.rec.Header.Height {
			if a.rec.Header.Height < b.rec.Header.Height {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.hash[:], b.hash[:])
	})
	for _, r := range recs {
		if r.rec.Header.Hash() != r.hash {
			return fmt.Errorf("%w: header stored under %s hashes to %s", store.ErrCorrupt, r.hash, r.rec.Header.Hash())
		}
		n := &node{hash: r.hash, header: r.rec.Header, work: r.rec.Work, status: r.rec.Status, code: r.rec.Code, stored: true}
		if r.rec.Header.Height == 0 {
			if r.hash != gh {
				return fmt.Errorf("%w: second height-0 block %s", store.ErrCorrupt, r.hash)
			}
			c.genesis = n
		} else {
			p := c.index[r.rec.Header.PrevHash]
			if p == nil {
				return fmt.Errorf("%w: block %s at height %d has no indexed parent", store.ErrCorrupt, r.hash, r.rec.Header.Height)
			}
			want := consensus.CalcWork(n.header.Target)
			want.Add(want, p.work)
			if want.Cmp(n.work) != 0 {
				return fmt.Errorf("%w: chain work of %s is %v, recomputed %v", store.ErrCorrupt, r.hash, n.work, want)
			}
			n.parent = p
			p.children = append(p.children, n)
		}
		c.index[r.hash] = n
	}
	if c.genesis == nil {
		return fmt.Errorf("%w: genesis block %s not stored", store.ErrCorrupt, gh)
	}
	tip := c.index[tipHash]
	if tip == nil || !tip.status.Has(store.StatusBody|store.StatusValid) || tip.invalid() {
		return fmt.Errorf("%w: tip %s is not a stored valid block", store.ErrCorrupt, tipHash)
	}
	c.setMainChain(tip)
	// Candidates: the stored tip gets the lowest sequence number, so that
	// it keeps equal-work ties after a restart.
	for _, r := range recs {
		n := c.index[r.hash]
		if n.hasBody() && (n.parent == nil || n.parent.dataChain) {
			n.dataChain = true
			c.seq++
			n.seq = c.seq
		}
	}
	tip.seq = 0
	for _, n := range c.index {
		c.refreshLeaf(n)
	}
	c.recomputeBestHeader()
	return nil
}

func (c *Chain) setMainChain(tip *node) {
	for _, n := range c.mainChain {
		n.main = false
	}
	c.mainChain = make([]*node, tip.height()+1)
	for n := tip; n != nil; n = n.parent {
		n.main = true
		c.mainChain[n.height()] = n
	}
	c.tip = tip
}

// loadTipState reads the stored accounts and rebuilds the tip weights, and
// checks both against the tip header and the h2b index.
func (c *Chain) loadTipState() error {
	tip := c.tip
	var entries []state.Entry
	err := c.db.View(func(tx store.Tx) error {
		var err error
		if entries, err = store.ReadAccounts(tx); err != nil {
			return err
		}
		return c.checkHeights(tx)
	})
	if err != nil {
		return err
	}
	st, err := state.FromEntries(entries)
	if err != nil {
		return fmt.Errorf("%w: accounts: %v", store.ErrCorrupt, err)
	}
	if r := st.Root(); r != tip.header.StateRoot {
		return fmt.Errorf("%w: stored accounts have root %s, tip %s says %s", store.ErrCorrupt, r, tip.hash, tip.header.StateRoot)
	}
	c.state = st
	c.tip = nil // weightsAt must not short-cut to c.weights
	w, err := c.weightsAt(tip)
	c.tip = tip
	if err != nil {
		return err
	}
	c.weights = w
	c.wcache.add(tip.hash, w)
	return nil
}

// checkHeights checks that h2b names exactly the main chain.
func (c *Chain) checkHeights(tx store.Tx) error {
	n := 0
	err := tx.ForEach(store.Heights, func(k, v []byte) error {
		if len(k) != 8 {
			return fmt.Errorf("%w: h2b key of %d bytes", store.ErrCorrupt, len(k))
		}
		h := uint64(k[0])<<56 | uint64(k[1])<<48 | uint64(k[2])<<40 | uint64(k[3])<<32 | uint64(k[4])<<24 | uint64(k[5])<<16 | uint64(k[6])<<8 | uint64(k[7])
		if h >= uint64(len(c.mainChain)) || !bytes.Equal(v, c.mainChain[h].hash[:]) {
			return fmt.Errorf("%w: h2b at height %d does not name the main chain ending at tip %s", store.ErrCorrupt, h, c.tip.hash)
		}
		n++
		return nil
	})
	if err == nil && n != len(c.mainChain) {
		err = fmt.Errorf("%w: h2b has %d entries, main chain %d blocks", store.ErrCorrupt, n, len(c.mainChain))
	}
	return err
}

// reindex resets the derived data to genesis; Open's fork choice then
// reconnects the best stored chain with full validation.
func (c *Chain) reindex() error {
	gb := c.gen.Block()
	st, err := state.FromGenesis(c.gen)
	if err != nil {
		return err
	}
	gh := c.genesis.hash
	rec := &store.HeaderRecord{Header: gb.Header, Work: c.genesis.work, Status: store.StatusHeader | store.StatusBody | store.StatusValid}
	err = c.db.Update(func(tx store.Tx) error {
		if err := store.ClearDerived(tx); err != nil {
			return err
		}
		return writeGenesisDerived(tx, gh, rec, gb.Encode(), st)
	})
	if err != nil {
		return fmt.Errorf("chain: reindex: %w", err)
	}
	for _, n := range c.index {
		if n != c.genesis {
			n.status &^= store.StatusValid
		}
	}
	c.genesis.status = rec.Status
	c.setMainChain(c.genesis)
	c.state = st
	c.weights = model.NewGenesis()
	c.wcache = newWeightCache(c.wcache.max)
	c.wcache.add(gh, c.weights)
	return nil
}

// CheckConsistency verifies that the store and the in-memory chain agree
// and that the tip's roots re-verify: meta.tip, h2b, undo records,
// snapshots and txloc against the main chain; the stored accounts against
// the tip state and StateRoot; the tip weights, and weights rebuilt from
// the newest snapshot plus replay, against ModelRoot. It is the check
// behind an operator's "verify" command and runs after every store test.
func (c *Chain) CheckConsistency() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	tip := c.tip
	if r := c.weights.Root(); r != tip.header.ModelRoot {
		return fmt.Errorf("tip weights have root %s, tip says %s", r, tip.header.ModelRoot)
	}
	if r := c.state.Root(); r != tip.header.StateRoot {
		return fmt.Errorf("tip state has root %s, tip says %s", r, tip.header.StateRoot)
	}
	err := c.db.View(func(tx store.Tx) error {
		th, ok, err := store.ReadMetaHash(tx, store.KeyTip)
		if err != nil || !ok || th != tip.hash {
			return fmt.Errorf("meta.tip %s (ok %v, %v), chain tip %s", th, ok, err, tip.hash)
		}
		if err := c.checkHeights(tx); err != nil {
			return err
		}
		entries, err := store.ReadAccounts(tx)
		if err != nil {
			return err
		}
		if want := c.state.Entries(); !slices.Equal(entries, want) {
			return fmt.Errorf("stored accounts (%d) differ from the tip state (%d)", len(entries), len(want))
		}
		for _, n := range c.mainChain[1:] {
			if _, err := store.ReadUndo(tx, n.hash); err != nil {
				return err
			}
			b, err := store.ReadBlock(tx, n.hash)
			if err != nil || b == nil {
				return fmt.Errorf("main-chain block %s: body %v %v", n.hash, b != nil, err)
			}
			for i, id := range b.TxIDs() {
				loc, ok, err := store.ReadTxLoc(tx, id)
				if err != nil || !ok || loc.Block != n.hash || loc.Index != uint32(i) {
					return fmt.Errorf("txloc of %s: %+v %v %v", id, loc, ok, err)
				}
			}
		}
		var undoCount int
		tx.ForEach(store.Undo, func(k, v []byte) error { undoCount++; return nil })
		if undoCount != len(c.mainChain)-1 {
			return fmt.Errorf("%d undo records for %d main-chain blocks", undoCount, len(c.mainChain)-1)
		}
		if err := tx.ForEach(store.Snapshots, func(k, v []byte) error {
			h := uint64(0)
			for _, x := range k {
				h = h<<8 | uint64(x)
			}
			if h >= uint64(len(c.mainChain)) || !bytes.Equal(v[:hashx.Size], c.mainChain[h].hash[:]) {
				return fmt.Errorf("snapshot at height %d is not of the main chain", h)
			}
			return nil
		}); err != nil {
			return err
		}
		for h, n := range c.index {
			v := tx.Get(store.Headers, h[:])
			if !n.stored {
				continue
			}
			if v == nil {
				return fmt.Errorf("indexed block %s has no header record", h)
			}
			r, err := store.DecodeHeaderRecord(v)
			if err != nil {
				return err
			}
			// A side-branch block's valid bit may differ (a reindex
			// revalidates only the main chain); nothing else may.
			mask := ^store.Status(0)
			if !n.main {
				mask &^= store.StatusValid
			}
			if r.Status&mask != n.status&mask && !(n.invalid() && r.Status.Has(store.StatusInvalid)) {
				return fmt.Errorf("block %s: stored status %#x, memory %#x", h, r.Status, n.status)
			}
			if r.Status.Has(store.StatusBody) && tx.Get(store.Blocks, h[:]) == nil {
				return fmt.Errorf("block %s has the body status but no body", h)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	saved := c.wcache
	c.wcache = newWeightCache(1)
	c.tip = nil
	w, err := c.weightsAt(tip)
	c.tip, c.wcache = tip, saved
	if err != nil {
		return err
	}
	if !w.Equal(c.weights) {
		return errors.New("weights rebuilt from the snapshot differ from the tip weights")
	}
	return nil
}
