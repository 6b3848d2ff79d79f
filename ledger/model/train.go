package model

import (
	"fmt"
	"sync"

	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/fixed"
	"github.com/sketchwork/sketchwork/ledger/hashx"
)

// Params are the training parameters of one block's update
// (gradientcoin.md §4.1). There is no implicit default: DefaultParams
// returns the consensus values.
type Params struct {
	// K is the number of SGD steps in one training run (consensus: 8).
	K int
	// B is the number of training windows per step (consensus: 64).
	B int
	// LRNum and LRDen give the learning rate LRNum/LRDen (consensus: 1/2).
	LRNum, LRDen int64
}

// DefaultParams returns the consensus parameters of gradientcoin.md §4.1:
// K = 8, B = 64, learning rate 1/2.
func DefaultParams() Params { return Params{K: 8, B: 64, LRNum: 1, LRDen: 2} }

// maxParam bounds every parameter so that no intermediate overflows int64:
// |G| <= B*2^24 <= 2^42, so |G*LRNum| <= 2^60 and B*LRDen <= 2^36.
const maxParam = 1 << 18

// Validate returns an error when a parameter is out of range: K, B, LRNum
// and LRDen must lie in [1, 2^18].
func (p Params) Validate() error {
	for _, f := range []struct {
		name string
		v    int64
	}{{"K", int64(p.K)}, {"B", int64(p.B)}, {"LRNum", p.LRNum}, {"LRDen", p.LRDen}} {
		if f.v < 1 || f.v > maxParam {
			return fmt.Errorf("model: training parameter %s = %d outside [1, %d]", f.name, f.v, maxParam)
		}
	}
	return nil
}

// Trainer holds the workspace of SGD steps: a dense int64 gradient
// accumulator (600 KB) that is kept zero between steps, the list of touched
// rows and a batch buffer. A Trainer is not safe for concurrent use; reuse
// one per goroutine to avoid allocation.
type Trainer struct {
	g       [NumParams]int64
	touched [Rows]bool
	rows    []int
	batch   []corpus.Window
}

// NewTrainer returns an empty workspace.
func NewTrainer() *Trainer { return &Trainer{rows: make([]int, 0, 5*64)} }

// Step applies one SGD step to w in place, exactly as gradientcoin.md §4.2
// specifies: for every window and active row r, G[r][v] += p[v] - (v == y ?
// One : 0) in int64, all probabilities computed from w before the step; then
// every cell of every touched row is updated once,
// W[r][v] = clamp(W[r][v] - (G[r][v]*lrNum) / (len(batch)*lrDen)), with Go's
// truncating division and clamping to [-MaxWeight, MaxWeight]. The result
// does not depend on the order of the batch. It panics on an empty batch or
// a non-positive lrDen (programming errors).
func (t *Trainer) Step(w *Weights, batch []corpus.Window, lrNum, lrDen int64) {
	if len(batch) == 0 || lrDen <= 0 {
		panic("model: Step needs a non-empty batch and a positive learning-rate denominator")
	}
	var p [V]int64
	for _, win := range batch {
		w.Forward(win, &p)
		p[win.Y] -= fixed.One
		for _, r := range ActiveRows(win.C1, win.C2, win.C3) {
			if !t.touched[r] {
				t.touched[r] = true
				t.rows = append(t.rows, r)
			}
			g := t.g[r*V : (r+1)*V : (r+1)*V]
			for v := range g {
				g[v] += p[v]
			}
		}
	}
	den := int64(len(batch)) * lrDen
	for _, r := range t.rows {
		g := t.g[r*V : (r+1)*V : (r+1)*V]
		row := w.Row(r)
		for v := range row {
			x := int64(row[v]) - g[v]*lrNum/den
			x = min(max(x, -MaxWeight), MaxWeight)
			row[v] = int32(x)
			g[v] = 0
		}
		t.touched[r] = false
	}
	t.rows = t.rows[:0]
}

// Train returns the weights after one training run from w: K SGD steps,
// step k (k = 0..K-1) on the B training windows c.TrainBatch(seed, k, B).
// w is not modified. It returns an error if p is invalid.
func (t *Trainer) Train(w *Weights, c *corpus.Corpus, seed hashx.Hash, p Params) (*Weights, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	out := w.Clone()
	t.steps(out, c, seed, p)
	return out, nil
}

// TrainTo is Train writing the result into dst instead of a new allocation:
// dst = w after the training run. dst may be w itself (training in place).
// On error dst is left unchanged.
func (t *Trainer) TrainTo(dst, w *Weights, c *corpus.Corpus, seed hashx.Hash, p Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if dst != w {
		dst.CopyFrom(w)
	}
	t.steps(dst, c, seed, p)
	return nil
}

func (t *Trainer) steps(w *Weights, c *corpus.Corpus, seed hashx.Hash, p Params) {
	for k := 0; k < p.K; k++ {
		t.batch = c.TrainBatch(t.batch[:0], seed, uint64(k), p.B)
		t.Step(w, t.batch, p.LRNum, p.LRDen)
	}
}

var trainers = sync.Pool{New: func() any { return NewTrainer() }}

// Train is Trainer.Train with a workspace from a pool; it is safe for
// concurrent use.
func Train(w *Weights, c *corpus.Corpus, seed hashx.Hash, p Params) (*Weights, error) {
	t := trainers.Get().(*Trainer)
	defer trainers.Put(t)
	return t.Train(w, c, seed, p)
}

// EvalLoss returns the mean loss of w on the fixed evaluation set of c (its
// first corpus.EvalWindows held-out windows), computed on workers
// goroutines. It is the eval_loss of gradientcoin.md §9-10, outside
// consensus, and the same for every worker count.
func EvalLoss(w *Weights, c *corpus.Corpus, workers int) int64 {
	return MeanLossParallel(w, c.EvalSet(corpus.EvalWindows), workers)
}
