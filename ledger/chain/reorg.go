package chain

import (
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// selectBest runs fork choice (section 5.5): while some connectable branch
// has more work than the tip, switch to it. A branch whose validation fails
// is marked invalid from the failing block on, so the loop ends.
func (c *Chain) selectBest() error {
	for {
		best := c.bestLeaf()
		if best == nil || best == c.tip || best.work.Cmp(c.tip.work) <= 0 {
			return nil
		}
		if err := c.reorganize(best); err != nil {
			return err
		}
	}
}

// findFork returns the last common ancestor of a and b.
func findFork(a, b *node) *node {
	for a.height() > b.height() {
		a = a.parent
	}
	for b.height() > a.height() {
		b = b.parent
	}
	for a != b {
		a, b = a.parent, b.parent
	}
	return a
}

// reorganize makes target the tip, or as much of its branch as is valid if
// that has more work than the tip. Only internal (store) failures are
// returned; rule failures mark blocks invalid.
func (c *Chain) reorganize(target *node) error {
	fork := findFork(c.tip, target)
	var detach, attach []*node
	for n := c.tip; n != fork; n = n.parent {
		detach = append(detach, n) // newest first
	}
	for n := target; n != fork; n = n.parent {
		attach = append(attach, n)
	}
	for i, j := 0, len(attach)-1; i < j; i, j = i+1, j-1 {
		attach[i], attach[j] = attach[j], attach[i] // oldest first
	}
	if len(detach) == 0 {
		return c.extend(attach)
	}
	return c.switchBranch(fork, detach, attach)
}

// body returns a block's body: pending in memory, or read from the store
// and re-checked (a stored block that no longer passes the context-free
// checks is corruption, not a rule violation).
func (c *Chain) body(n *node) (*types.Block, error) {
	if n.pending != nil {
		return n.pending, nil
	}
	var b *types.Block
	err := c.db.View(func(tx store.Tx) error {
		var err error
		b, err = store.ReadBlock(tx, n.hash)
		return err
	})
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("%w: body of block %s missing", store.ErrCorrupt, n.hash)
	}
	if err := consensus.CheckBlockSanity(&c.params, b); err != nil {
		return nil, fmt.Errorf("%w: stored block %s: %v", store.ErrCorrupt, n.hash, err)
	}
	return b, nil
}

// validateConnect runs section 5.3 steps 6-7 for block b (node n) on the
// parent state ws and parent weights w.
func (c *Chain) validateConnect(ws state.Reader, w *model.Weights, b *types.Block) (*state.Overlay, *model.Weights, error) {
	ov, err := state.ConnectBlock(&c.params, ws, b, state.Options{SkipSignatures: true})
	if err != nil {
		return nil, nil, err
	}
	nw, err := c.engine.VerifyUpdate(w, &b.Header)
	if err != nil {
		return nil, nil, err
	}
	return ov, nw, nil
}

func (c *Chain) connectBatch(n *node, b *types.Block, ov *state.Overlay, w *model.Weights) *store.ConnectBatch {
	rec := n.record()
	rec.Status |= store.StatusBody | store.StatusValid
	batch := &store.ConnectBatch{Hash: n.hash, Record: rec, Changes: ov.Changes(), Undo: ov.Undo(), TxIDs: b.TxIDs()}
	if !n.stored {
		batch.Block = b.Encode()
	}
	if store.SnapshotDue(n.height()) {
		batch.Weights = w
	}
	return batch
}

// setConnected updates the in-memory index after n's connection committed.
func (c *Chain) setConnected(n *node, w *model.Weights) {
	c.imu.Lock()
	n.main = true
	n.status |= store.StatusBody | store.StatusValid
	n.stored = true
	n.pending = nil
	c.mainChain = append(c.mainChain[:n.height()], n)
	c.tip = n
	c.imu.Unlock()
	if w != nil {
		c.wcache.add(n.hash, w)
	}
}

// failBlock handles a rule failure of n during connection.
func (c *Chain) failBlock(n *node, err error) error {
	code, ok := consensus.CodeOf(err)
	if !ok {
		return err // internal
	}
	return c.markInvalid(n, code)
}

// extend connects attach (oldest first) on top of the tip, one store
// update per block, validating each first. It stops at the first invalid
// block; everything before it stays connected (each prefix extends the
// tip, so it has more work).
func (c *Chain) extend(attach []*node) error {
	ws := c.state.Clone()
	w := c.weights
	for _, n := range attach {
		b, err := c.body(n)
		if err != nil {
			return err
		}
		ov, nw, err := c.validateConnect(ws, w, b)
		if err != nil {
			return c.failBlock(n, err)
		}
		batch := c.connectBatch(n, b, ov, nw)
		if err := c.db.Update(func(tx store.Tx) error { return store.WriteConnect(tx, batch) }); err != nil {
			return err
		}
		if _, err := ov.Commit(); err != nil {
			return err
		}
		c.state, c.weights = ws, nw
		c.setConnected(n, nw)
		w = nw
	}
	return nil
}

// switchBranch reorganises from the tip to attach's branch (section 5.5):
// it rebuilds the fork-point state (undo records) and weights (snapshot
// plus replay), validates the whole new branch in memory, and only then
// commits the disconnections and connections, one store update each. If
// a block fails, it and its descendants are marked invalid; the valid
// prefix is connected only if it has more work than the old tip, otherwise
// nothing is written and the old tip stays.
func (c *Chain) switchBranch(fork *node, detach, attach []*node) error {
	ws, w, undos, detIDs, err := c.rewindState(fork, detach)
	if err != nil {
		return err
	}

	type connectRec struct {
		n     *node
		batch *store.ConnectBatch
	}
	var recs []connectRec
	for _, n := range attach {
		b, err := c.body(n)
		if err != nil {
			return err
		}
		ov, nw, verr := c.validateConnect(ws, w, b)
		if verr != nil {
			if err := c.failBlock(n, verr); err != nil {
				return err
			}
			break
		}
		recs = append(recs, connectRec{n, c.connectBatch(n, b, ov, nw)})
		if _, err := ov.Commit(); err != nil {
			return err
		}
		w = nw
	}
	if len(recs) == 0 || recs[len(recs)-1].n.work.Cmp(c.tip.work) <= 0 {
		return nil // the old tip keeps the most work among valid blocks
	}
	for i, d := range detach {
		batch := &store.DisconnectBatch{Hash: d.hash, Height: d.height(), Parent: d.parent.hash, Undo: undos[i], TxIDs: detIDs[i]}
		if err := c.db.Update(func(tx store.Tx) error { return store.WriteDisconnect(tx, batch) }); err != nil {
			return err
		}
	}
	for _, r := range recs {
		if err := c.db.Update(func(tx store.Tx) error { return store.WriteConnect(tx, r.batch) }); err != nil {
			return err
		}
		r.n.stored = true
	}
	// Readers see the index switch branches in one step.
	c.imu.Lock()
	for _, d := range detach {
		d.main = false
	}
	c.mainChain = c.mainChain[:fork.height()+1]
	for _, r := range recs {
		r.n.main = true
		r.n.status |= store.StatusBody | store.StatusValid
		r.n.pending = nil
		c.mainChain = append(c.mainChain, r.n)
	}
	c.tip = recs[len(recs)-1].n
	c.imu.Unlock()
	c.wcache.add(c.tip.hash, w)
	c.state, c.weights = ws, w
	return nil
}

// rewindState reads the undo records and transaction ids of detach
// (newest first, ending above fork) and returns the fork-point state (a new
// state, the tip state is untouched) and weights.
func (c *Chain) rewindState(fork *node, detach []*node) (*state.State, *model.Weights, []*state.Undo, [][]hashx.Hash, error) {
	undos := make([]*state.Undo, len(detach))
	detIDs := make([][]hashx.Hash, len(detach))
	err := c.db.View(func(tx store.Tx) error {
		for i, d := range detach {
			u, err := store.ReadUndo(tx, d.hash)
			if err != nil {
				return err
			}
			b, err := store.ReadBlock(tx, d.hash)
			if err != nil {
				return err
			}
			if b == nil {
				return fmt.Errorf("%w: main-chain block %s has no body", store.ErrCorrupt, d.hash)
			}
			undos[i], detIDs[i] = u, b.TxIDs()
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	ws := c.state.Clone()
	for _, u := range undos {
		ws.Revert(u)
	}
	if r := ws.Root(); r != fork.header.StateRoot {
		return nil, nil, nil, nil, fmt.Errorf("%w: state after undoing to %s has root %s, header says %s",
			store.ErrCorrupt, fork.hash, r, fork.header.StateRoot)
	}
	w, err := c.weightsAt(fork)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return ws, w, undos, detIDs, nil
}

// disconnectTo rewinds the best chain to its ancestor fork, one store
// update per block. Fork choice never does this (it only moves to more
// work); tests use it to check that a disconnect restores the state.
func (c *Chain) disconnectTo(fork *node) error {
	var detach []*node
	for n := c.tip; n != fork; n = n.parent {
		detach = append(detach, n)
	}
	ws, w, undos, ids, err := c.rewindState(fork, detach)
	if err != nil {
		return err
	}
	for i, d := range detach {
		batch := &store.DisconnectBatch{Hash: d.hash, Height: d.height(), Parent: d.parent.hash, Undo: undos[i], TxIDs: ids[i]}
		if err := c.db.Update(func(tx store.Tx) error { return store.WriteDisconnect(tx, batch) }); err != nil {
			return err
		}
	}
	c.imu.Lock()
	for _, d := range detach {
		d.main = false
	}
	c.mainChain = c.mainChain[:fork.height()+1]
	c.tip = fork
	c.imu.Unlock()
	c.state, c.weights = ws, w
	return nil
}

// weightsAt returns the weights committed by block n: from the weight
// cache, or from the newest main-chain snapshot at or below n's branch
// point plus a replay of the blocks after it (section 5.5).
func (c *Chain) weightsAt(n *node) (*model.Weights, error) {
	if n == c.tip {
		return c.weights, nil
	}
	var path []*node // blocks to replay, newest first
	a := n
	for {
		if w := c.wcache.get(a.hash); w != nil {
			return c.replay(w, path)
		}
		if a.main {
			break
		}
		path = append(path, a)
		a = a.parent
	}
	var sh uint64
	var shash hashx.Hash
	var w *model.Weights
	err := c.db.View(func(tx store.Tx) error {
		var ok bool
		var err error
		sh, shash, w, ok, err = store.ReadSnapshot(tx, a.height())
		if err == nil && !ok {
			err = fmt.Errorf("%w: no weights snapshot at or below height %d", store.ErrCorrupt, a.height())
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if sh >= uint64(len(c.mainChain)) || c.mainChain[sh].hash != shash {
		return nil, fmt.Errorf("%w: snapshot at height %d names %s, not the main-chain block", store.ErrCorrupt, sh, shash)
	}
	for h := a.height(); h > sh; h-- {
		path = append(path, c.mainChain[h])
	}
	return c.replay(w, path)
}

// replay applies the training of path (newest first) to w and checks the
// result against the newest block's ModelRoot.
func (c *Chain) replay(w *model.Weights, path []*node) (*model.Weights, error) {
	if len(path) == 0 {
		return w, nil
	}
	out := w.Clone()
	for i := len(path) - 1; i >= 0; i-- {
		h := &path[i].header
		c.engine.ReplayTo(out, out, h.PrevHash, h.Miner, h.TrainNonce)
	}
	if r := out.Root(); r != path[0].header.ModelRoot {
		return nil, fmt.Errorf("%w: replayed weights of %s have root %s, header says %s", store.ErrCorrupt, path[0].hash, r, path[0].header.ModelRoot)
	}
	return out, nil
}

// finishTipChange tells the pool and subscribers about the net change of
// the best chain since oldTip, and publishes a new snapshot.
func (c *Chain) finishTipChange(oldTip *node) error {
	c.lastDisc, c.lastConn = 0, 0
	if c.tip == oldTip {
		return nil
	}
	fork := findFork(oldTip, c.tip)
	var disc, conn []*node
	for n := oldTip; n != fork; n = n.parent {
		disc = append(disc, n) // newest first
	}
	for n := c.tip; n != fork; n = n.parent {
		conn = append(conn, n)
	}
	for i, j := 0, len(conn)-1; i < j; i, j = i+1, j-1 {
		conn[i], conn[j] = conn[j], conn[i]
	}
	c.lastDisc, c.lastConn = len(disc), len(conn)
	if c.pool != nil {
		var txs []*types.Tx
		for i := len(disc) - 1; i >= 0; i-- {
			b, err := c.BlockByHash(disc[i].hash)
			if err != nil {
				return err
			}
			txs = append(txs, b.Txs[1:]...)
		}
		if len(txs) > 0 {
			c.pool.BlocksDisconnected(txs, c.state)
		}
		for _, n := range conn {
			b, err := c.BlockByHash(n.hash)
			if err != nil {
				return err
			}
			c.pool.BlockConnected(b, c.state)
		}
	}
	snap := c.publish()
	ev := TipEvent{Snapshot: snap}
	for _, n := range disc {
		ev.Disconnected = append(ev.Disconnected, n.hash)
	}
	for _, n := range conn {
		ev.Connected = append(ev.Connected, n.hash)
	}
	c.notify(ev)
	return nil
}
