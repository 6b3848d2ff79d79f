package pogw

import (
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// VerifyUpdate checks the training fields of header h against the parent's
// weights w (section 5.3 step 7), cheapest checks first, and returns the
// new weights:
//
//  1. LossBefore == MeanLoss(w, verification batch)      else ErrLossMismatch
//  2. LossAfter <= LossBefore - MinImprove (as claimed)   else ErrNoImprovement
//  3. train K steps with TrainSeed(PrevHash, Miner, TrainNonce);
//     root(W') == ModelRoot                               else ErrBadModelRoot
//  4. LossAfter == MeanLoss(W', verification batch)       else ErrLossMismatch
//
// Steps 1-2 cost one verification-batch loss (cached per parent), step 3
// one training run and a Merkle root. Because the seed binds Miner, an
// update copied from another miner's block fails step 3. w must be the
// weights of the block h.PrevHash and is not modified.
func (e *Engine) VerifyUpdate(w *model.Weights, h *types.Header) (*model.Weights, error) {
	ent := e.entry(h.PrevHash, w)
	if h.LossBefore != ent.loss {
		return nil, consensus.Errorf(consensus.ErrLossMismatch, "loss before %d, recomputed %d", h.LossBefore, ent.loss)
	}
	if h.LossAfter > ent.loss-e.params.MinImprove {
		return nil, consensus.Errorf(consensus.ErrNoImprovement, "loss after %d > loss before %d - min improve %d",
			h.LossAfter, ent.loss, e.params.MinImprove)
	}
	nw := e.Replay(w, h.PrevHash, h.Miner, h.TrainNonce)
	if r := nw.Root(); r != h.ModelRoot {
		return nil, consensus.Errorf(consensus.ErrBadModelRoot, "model root %s, header says %s", r, h.ModelRoot)
	}
	if after := model.MeanLoss(nw, ent.batch); after != h.LossAfter {
		return nil, consensus.Errorf(consensus.ErrLossMismatch, "loss after %d, recomputed %d", h.LossAfter, after)
	}
	return nw, nil
}

// Parent is what VerifyBlock needs to know about a block's parent: its
// header context (hash, height, required next target, median time past),
// its account state and its weights.
type Parent struct {
	Info    consensus.ParentInfo
	State   state.Reader
	Weights *model.Weights
}

// Verified is the outcome of a successful VerifyBlock: the parent state
// with the block applied (commit it to keep the result) and the new weights.
type Verified struct {
	State   *state.Overlay
	Weights *model.Weights
}

// VerifyBlock runs every check of section 5.3 on b against its parent,
// in tiers, cheapest first:
//
//  1. context-free sanity (consensus.CheckBlockSanity): caps, version,
//     PoW, coinbase shape (it must pay header.Miner), transfers, TxRoot,
//     signatures;
//  2. context (consensus.CheckHeaderContext): PrevHash, height, target,
//     median time past, future drift against now;
//  3. state transition (state.ConnectBlock): nonces, balances, coinbase
//     amount, StateRoot;
//  4. training (VerifyUpdate): losses, improvement, ModelRoot.
//
// Every rejection is a consensus.RuleError. The chain runs the same tiers
// separately (1-2 when a block arrives, 3-4 when it joins the best chain).
func (e *Engine) VerifyBlock(parent *Parent, b *types.Block, now int64) (*Verified, error) {
	if err := consensus.CheckBlockSanity(&e.params, b); err != nil {
		return nil, err
	}
	if err := consensus.CheckHeaderContext(&e.params, &b.Header, parent.Info, now); err != nil {
		return nil, err
	}
	ov, err := state.ConnectBlock(&e.params, parent.State, b, state.Options{SkipSignatures: true})
	if err != nil {
		return nil, err
	}
	w, err := e.VerifyUpdate(parent.Weights, &b.Header)
	if err != nil {
		return nil, err
	}
	return &Verified{State: ov, Weights: w}, nil
}
