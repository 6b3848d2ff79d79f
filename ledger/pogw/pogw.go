package pogw

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/model"
)

// MaxTrainTries is the default number of training nonces a miner tries on
// one parent before giving up (section 5.1 step 3). It is local policy,
// not a consensus rule: any TrainNonce is valid if its update is.
const MaxTrainTries = 64

// ErrNoUpdate is returned by SearchUpdate and Mine when no training nonce
// within the search range met the improvement rule. The miner should wait
// for a new tip (or move to another nonce range) and try again.
var ErrNoUpdate = errors.New("pogw: no training nonce met the improvement rule")

// TrainSeed returns the training seed of a candidate update,
// H_"gc/train/v1"(parent || miner || u64le(trainNonce)) (section 5.1). The
// seed binds the parent (no replay on another parent) and the miner (no
// theft of another miner's update).
func TrainSeed(parent hashx.Hash, miner keys.Address, trainNonce uint64) hashx.Hash {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], trainNonce)
	return hashx.Tagged(hashx.TagTrain, parent[:], miner[:], n[:])
}

// VerifySeed returns the seed of a block's verification batch,
// H_"gc/verify/v1"(parent) (section 5.1 step 2). It is the same for every
// child of the parent.
func VerifySeed(parent hashx.Hash) hashx.Hash {
	return hashx.Tagged(hashx.TagVerify, parent[:])
}

// TrainParams converts the training fields of consensus parameters to the
// model's parameters (K steps of B windows at learning rate LRNum/LRDen).
func TrainParams(p *consensus.Params) model.Params {
	return model.Params{K: int(p.StepsPerBlock), B: int(p.BatchSize), LRNum: int64(p.LRNum), LRDen: int64(p.LRDen)}
}

// Engine computes and verifies training updates for one network: its
// consensus parameters and its pinned corpus. It is safe for concurrent
// use; it caches the verification batch and LossBefore of recent parents,
// which every child of the same parent shares.
type Engine struct {
	params consensus.Params
	corpus *corpus.Corpus
	train  model.Params
	vb     int

	trainers sync.Pool

	mu     sync.Mutex
	losses map[hashx.Hash]*lossEntry
	order  []hashx.Hash // insertion order for eviction
}

type lossEntry struct {
	batch []corpus.Window
	loss  int64
	ready chan struct{}
}

// lossCacheSize bounds the LossBefore cache: competing tips, a reorg's
// branch and the miner's current parent fit comfortably.
const lossCacheSize = 64

// New returns an Engine for params p and corpus c. It checks that the
// training parameters are usable and that the corpus has both splits.
// The caller is responsible for checking c's root against the genesis.
func New(p *consensus.Params, c *corpus.Corpus) (*Engine, error) {
	if c == nil {
		return nil, errors.New("pogw: nil corpus")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	tp := TrainParams(p)
	if err := tp.Validate(); err != nil {
		return nil, fmt.Errorf("pogw: %w", err)
	}
	if len(c.Train()) == 0 || len(c.HeldOut()) == 0 {
		return nil, errors.New("pogw: corpus lacks a training or held-out split")
	}
	e := &Engine{params: *p, corpus: c, train: tp, vb: int(p.VerifyBatch), losses: map[hashx.Hash]*lossEntry{}}
	e.trainers.New = func() any { return model.NewTrainer() }
	return e, nil
}

// Params returns a copy of the engine's consensus parameters.
func (e *Engine) Params() consensus.Params { return e.params }

// Corpus returns the engine's corpus.
func (e *Engine) Corpus() *corpus.Corpus { return e.corpus }

// VerifyBatch returns the verification batch of children of parent: the
// VB held-out windows selected by (VerifySeed(parent), k = 0). The result
// is shared; the caller must not modify it.
func (e *Engine) VerifyBatch(parent hashx.Hash) []corpus.Window {
	return e.entry(parent, nil).batch
}

// LossBefore returns the mean loss of the parent's weights w on the
// verification batch of parent's children: the LossBefore every child
// header must carry. w must be the weights committed by the block parent
// (the value is cached by parent hash).
func (e *Engine) LossBefore(parent hashx.Hash, w *model.Weights) int64 {
	return e.entry(parent, w).loss
}

// entry returns the cached batch (and, if w != nil, loss) of parent,
// computing it once even under concurrent callers.
func (e *Engine) entry(parent hashx.Hash, w *model.Weights) *lossEntry {
	e.mu.Lock()
	ent, ok := e.losses[parent]
	if ok && (w == nil || ent.ready != nil) {
		e.mu.Unlock()
		if w != nil {
			<-ent.ready
		}
		return ent
	}
	if !ok {
		ent = &lossEntry{batch: e.corpus.HeldOutBatch(nil, VerifySeed(parent), 0, e.vb)}
		e.losses[parent] = ent
		e.order = append(e.order, parent)
		if len(e.order) > lossCacheSize {
			delete(e.losses, e.order[0])
			e.order = e.order[1:]
		}
	}
	if w == nil {
		e.mu.Unlock()
		return ent
	}
	ent.ready = make(chan struct{})
	e.mu.Unlock()
	ent.loss = model.MeanLoss(w, ent.batch)
	close(ent.ready)
	return ent
}

func (e *Engine) trainer() *model.Trainer  { return e.trainers.Get().(*model.Trainer) }
func (e *Engine) release(t *model.Trainer) { e.trainers.Put(t) }

// Replay recomputes the weights a valid block's header commits to from its
// parent's weights w: the K training steps with the header's seed, without
// any check. Nodes use it to rebuild weights from a snapshot when the
// blocks are known to be valid (restart, reorg fork point); VerifyUpdate is
// the checking version. w is not modified.
func (e *Engine) Replay(w *model.Weights, parent hashx.Hash, miner keys.Address, trainNonce uint64) *model.Weights {
	t := e.trainer()
	defer e.release(t)
	out, err := t.Train(w, e.corpus, TrainSeed(parent, miner, trainNonce), e.train)
	if err != nil { // impossible: New validated the parameters
		panic("pogw: " + err.Error())
	}
	return out
}

// ReplayTo is Replay writing into dst (which may be w) instead of a new
// allocation.
func (e *Engine) ReplayTo(dst, w *model.Weights, parent hashx.Hash, miner keys.Address, trainNonce uint64) {
	t := e.trainer()
	defer e.release(t)
	if err := t.TrainTo(dst, w, e.corpus, TrainSeed(parent, miner, trainNonce), e.train); err != nil {
		panic("pogw: " + err.Error())
	}
}
