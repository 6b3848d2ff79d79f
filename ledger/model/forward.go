package model

import (
	"sync"

	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/fixed"
)

// Logits sets z[v] = sum over the five active rows r of W[r][v] (int64, Q8.24)
// for the context (c1, c2, c3).
func (w *Weights) Logits(c1, c2, c3 uint8, z *[V]int64) {
	rows := ActiveRows(c1, c2, c3)
	r0, r1, r2, r3, r4 := w.Row(rows[0]), w.Row(rows[1]), w.Row(rows[2]), w.Row(rows[3]), w.Row(rows[4])
	for v := 0; v < V; v++ {
		z[v] = int64(r0[v]) + int64(r1[v]) + int64(r2[v]) + int64(r3[v]) + int64(r4[v])
	}
}

// expSum sets e[v] = ExpQ(z[v] - max z) (Q.32) and returns S = sum e.
func expSum(z *[V]int64, e *[V]uint64) uint64 {
	m := z[0]
	for _, x := range z[1:] {
		m = max(m, x)
	}
	var s uint64
	for v := 0; v < V; v++ {
		e[v] = fixed.ExpQ(z[v] - m)
		s += e[v]
	}
	return s
}

// lossFrom returns the Q8.24 loss in nats,
// ((Log2Q(S) - Log2Q(max(e_y, 1))) * Ln2Q30) >> 30.
func lossFrom(s, ey uint64) int64 {
	return fixed.NatsFromLog2(fixed.Log2Q(s) - fixed.Log2Q(max(ey, 1)))
}

// Loss returns the Q8.24 cross-entropy loss (nats) of one window, exactly as
// gradientcoin.md §4.2 defines it.
func (w *Weights) Loss(win corpus.Window) int64 {
	var z [V]int64
	var e [V]uint64
	w.Logits(win.C1, win.C2, win.C3, &z)
	s := expSum(&z, &e)
	return lossFrom(s, e[win.Y])
}

// Forward computes the probabilities p[v] = (e[v] << 24) / S (Q.24,
// truncating) of one window and returns its loss.
func (w *Weights) Forward(win corpus.Window, p *[V]int64) int64 {
	var z [V]int64
	var e [V]uint64
	w.Logits(win.C1, win.C2, win.C3, &z)
	s := expSum(&z, &e)
	for v := 0; v < V; v++ {
		p[v] = int64((e[v] << fixed.FracBits) / s)
	}
	return lossFrom(s, e[win.Y])
}

// SumLoss returns the exact integer sum of the losses of the windows.
func SumLoss(w *Weights, batch []corpus.Window) int64 {
	var sum int64
	for _, win := range batch {
		sum += w.Loss(win)
	}
	return sum
}

// MeanLoss returns (sum of losses) / len(batch) in Q8.24, with Go's
// truncating division. The sum is exact, so the result does not depend on
// the order of the batch. It panics on an empty batch (a programming error).
func MeanLoss(w *Weights, batch []corpus.Window) int64 {
	if len(batch) == 0 {
		panic("model: MeanLoss of an empty batch")
	}
	return SumLoss(w, batch) / int64(len(batch))
}

// MeanLossParallel is MeanLoss computed on up to workers goroutines, each
// summing a contiguous part of the batch. Because the partial sums are exact
// integers, the result is identical to MeanLoss for every worker count.
// workers <= 1 runs on the calling goroutine.
func MeanLossParallel(w *Weights, batch []corpus.Window, workers int) int64 {
	if len(batch) == 0 {
		panic("model: MeanLoss of an empty batch")
	}
	workers = min(workers, len(batch))
	if workers <= 1 {
		return MeanLoss(w, batch)
	}
	sums := make([]int64, workers)
	var wg sync.WaitGroup
	for g := 0; g < workers; g++ {
		lo, hi := g*len(batch)/workers, (g+1)*len(batch)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums[g] = SumLoss(w, batch[lo:hi])
		}()
	}
	wg.Wait()
	var sum int64
	for _, s := range sums {
		sum += s
	}
	return sum / int64(len(batch))
}
