package sketch

import (
	"fmt"
	"github.com/sketchwork/sketchwork/internal/simd"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// Accumulator builds S·A and S·b from pieces of A and b that arrive in any
// order — dense row blocks with their first row index, or unordered sparse
// entries — so a matrix larger than memory is sketched in one pass over its
// file (the chunks package dataio's stream reader produces). It works for
// the kinds whose columns can be generated independently: Gaussian,
// CountSketch, SparseSign, Uniform and Leverage sampling (Kind.Streamable).
//
// The result equals Apply on the whole matrix up to the order of
// floating-point summation: every row contributes the same products, but
// Apply adds them in fixed chunks while the Accumulator adds them in arrival
// order. Each row (or entry) must be
// added once; an entry added twice counts twice, as duplicate MatrixMarket
// entries do.
//
// An Accumulator is not safe for concurrent use. AddRows of the sparse and
// sampling kinds runs on the calling goroutine (a streaming reader is
// usually the bottleneck); Gaussian blocks use gonum's parallel matrix
// product.
type Accumulator struct {
	sk    *Sketch
	d     int
	sa    []float64 // s x d, unscaled for Gaussian
	sb    []float64 // s
	added int       // dense rows added

	h []int
	g []float64

	pan    []float64 // cached Gaussian panel
	panIdx int

	order []int // sampled draws sorted by row index
}

// NewAccumulator returns an empty accumulator for an n x d matrix (n is
// the sketch's column count) and its right-hand side. A kind that cannot be
// streamed (SRHT) or d < 1 is an error.
func (sk *Sketch) NewAccumulator(d int) (*Accumulator, error) {
	if !sk.spec.Kind.Streamable() {
		return nil, specErr("%s cannot be accumulated from row chunks (it mixes all rows); use Apply", sk.spec.Kind)
	}
	if d < 1 {
		return nil, specErr("accumulator needs d >= 1 columns, got %d", d)
	}
	s := sk.spec.Rows
	ac := &Accumulator{sk: sk, d: d, sa: make([]float64, s*d), sb: make([]float64, s), panIdx: -1}
	ac.h = make([]int, sk.spec.NNZPerCol)
	ac.g = make([]float64, sk.spec.NNZPerCol)
	if sk.idx != nil {
		ac.order = make([]int, len(sk.idx))
		for k := range ac.order {
			ac.order[k] = k
		}
		slices.SortStableFunc(ac.order, func(a, b int) int { return sk.idx[a] - sk.idx[b] })
	}
	return ac, nil
}

// Reset clears the accumulated sums.
func (ac *Accumulator) Reset() {
	clear(ac.sa)
	clear(ac.sb)
	ac.added = 0
}

// RowsAdded returns the number of dense rows added so far (AddRows).
func (ac *Accumulator) RowsAdded() int { return ac.added }

// draws returns the positions in ac.order of the draws whose row lies in
// [lo, hi).
func (ac *Accumulator) draws(lo, hi int) []int {
	idx := ac.sk.idx
	a := sort.Search(len(ac.order), func(j int) bool { return idx[ac.order[j]] >= lo })
	b := sort.Search(len(ac.order), func(j int) bool { return idx[ac.order[j]] >= hi })
	return ac.order[a:b]
}

// gaussPanel returns Sᵀ panel p, caching the last one generated.
func (ac *Accumulator) gaussPanel(p int) []float64 {
	if m := ac.sk.materialised(); m != nil {
		s := ac.sk.spec.Rows
		return m[p*panelRows*s : min(ac.sk.n, (p+1)*panelRows)*s]
	}
	if ac.panIdx != p {
		if ac.pan == nil {
			ac.pan = make([]float64, panelRows*ac.sk.spec.Rows)
		}
		ac.sk.genPanel(p, ac.pan)
		ac.panIdx = p
	}
	return ac.pan
}

// AddRows adds rows first .. first+r-1 of A, given as the r x d block rows.
// A block outside [0, n) or with the wrong number of columns is an error
// (nothing is added).
func (ac *Accumulator) AddRows(first int, rows *mat.Dense) error {
	r, c := rows.Dims()
	if c != ac.d {
		return fmt.Errorf("sketch: accumulator expects %d columns, block has %d", ac.d, c)
	}
	if first < 0 || first+r > ac.sk.n {
		return fmt.Errorf("sketch: rows [%d, %d) outside the sketch's %d rows", first, first+r, ac.sk.n)
	}
	ac.add(ac.sa, ac.d, first, rows.RawMatrix())
	ac.added += r
	return nil
}

// AddRHS adds entries first .. first+len(b)-1 of the right-hand side.
func (ac *Accumulator) AddRHS(first int, b []float64) error {
	if first < 0 || first+len(b) > ac.sk.n {
		return fmt.Errorf("sketch: right-hand side entries [%d, %d) outside the sketch's %d rows", first, first+len(b), ac.sk.n)
	}
	if len(b) > 0 {
		ac.add(ac.sb, 1, first, vecGeneral(b))
	}
	return nil
}

// add accumulates S[:, first:first+r]·blk into acc (s x d, contiguous).
func (ac *Accumulator) add(acc []float64, d, first int, blk blas64.General) {
	sk := ac.sk
	s, r := sk.spec.Rows, blk.Rows
	switch sk.spec.Kind {
	case CountSketch, SparseSign:
		for i := 0; i < r; i++ {
			sk.colHash(first+i, ac.h, ac.g, sk.scale)
			row := blk.Data[i*blk.Stride : i*blk.Stride+d]
			for t, q := range ac.h {
				simd.Axpy(acc[q*d:(q+1)*d], ac.g[t], row)
			}
		}
	case Gaussian:
		for lo := first; lo < first+r; {
			p := lo / panelRows
			plo := p * panelRows
			hi := min(first+r, plo+panelRows)
			pan := ac.gaussPanel(p)
			sub := blas64.General{Rows: hi - lo, Cols: s, Stride: s, Data: pan[(lo-plo)*s:]}
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, sub,
				blas64.General{Rows: hi - lo, Cols: d, Stride: blk.Stride, Data: blk.Data[(lo-first)*blk.Stride:]},
				1, blas64.General{Rows: s, Cols: d, Stride: d, Data: acc})
			lo = hi
		}
	case Uniform, Leverage:
		for _, k := range ac.draws(first, first+r) {
			i := sk.idx[k] - first
			simd.Axpy(acc[k*d:(k+1)*d], sk.w[k], blk.Data[i*blk.Stride:i*blk.Stride+d])
		}
	}
}

// AddEntries adds sparse entries (I, J, V) of A in any order. An entry
// outside n x d is an error (nothing is added).
func (ac *Accumulator) AddEntries(ts []linalg.Triplet) error {
	n, d := ac.sk.n, ac.d
	for k, t := range ts {
		if t.I < 0 || t.I >= n || t.J < 0 || t.J >= d {
			return fmt.Errorf("sketch: entry %d at (%d,%d) outside %dx%d", k, t.I, t.J, n, d)
		}
	}
	sk := ac.sk
	s := sk.spec.Rows
	switch sk.spec.Kind {
	case CountSketch, SparseSign:
		for _, t := range ts {
			sk.colHash(t.I, ac.h, ac.g, sk.scale)
			for q, b := range ac.h {
				ac.sa[b*d+t.J] = math.FMA(ac.g[q], t.V, ac.sa[b*d+t.J])
			}
		}
	case Gaussian:
		// Sort by row so that each panel is generated once per call.
		sorted := slices.Clone(ts)
		slices.SortStableFunc(sorted, func(a, b linalg.Triplet) int { return a.I - b.I })
		for _, t := range sorted {
			p := t.I / panelRows
			col := ac.gaussPanel(p)[(t.I-p*panelRows)*s : (t.I-p*panelRows+1)*s]
			for r, v := range col {
				ac.sa[r*d+t.J] = math.FMA(v, t.V, ac.sa[r*d+t.J])
			}
		}
	case Uniform, Leverage:
		for _, t := range ts {
			for _, k := range ac.draws(t.I, t.I+1) {
				ac.sa[k*d+t.J] = math.FMA(sk.w[k], t.V, ac.sa[k*d+t.J])
			}
		}
	}
	return nil
}

// SA returns S·A of what was added so far, as a new s x d matrix.
func (ac *Accumulator) SA() *mat.Dense {
	s := ac.sk.spec.Rows
	out := mat.NewDense(s, ac.d, nil)
	copyOut(out.RawMatrix(), ac.sa, ac.gaussScale())
	return out
}

// SB returns S·b of what was added so far, as a new vector.
func (ac *Accumulator) SB() []float64 {
	out := make([]float64, len(ac.sb))
	sc := ac.gaussScale()
	for i, v := range ac.sb {
		out[i] = sc * v
	}
	return out
}

// gaussScale is the scale not yet applied to the sums (Gaussian only: the
// other kinds fold it into their entries).
func (ac *Accumulator) gaussScale() float64 {
	if ac.sk.spec.Kind == Gaussian {
		return ac.sk.scale
	}
	return 1
}
