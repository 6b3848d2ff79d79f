package sketch

import (
	"math"
	"runtime"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/internal/simd"
	"github.com/sketchwork/sketchwork/linalg"
)

// maxHashStack is the largest ζ whose column hash fits the stack buffers of
// hashColumns.
const maxHashStack = 16

// hashColumns fills h (length n·ζ) with the ζ buckets and signs of every
// column of a CountSketch or sparse sign sketch, h[i·ζ+t] = bucket<<1 |
// sign bit, from the same counter-based hash as Apply (colHash), so the
// operator is the one New(spec, n, seed) describes. Columns are hashed in
// parallel; each is a pure function of its index.
func (sk *Sketch) hashColumns(h []uint32) {
	zeta := sk.spec.NNZPerCol
	par.Blocks(sk.n, 1<<13, func(_, lo, hi int) {
		var hb [maxHashStack]int
		var gb [maxHashStack]float64
		b, g := hb[:], gb[:]
		if zeta > maxHashStack {
			b, g = make([]int, zeta), make([]float64, zeta)
		}
		b, g = b[:zeta], g[:zeta]
		for i := lo; i < hi; i++ {
			sk.colHash(i, b, g, 1)
			for t, bt := range b {
				v := uint32(bt) << 1
				if g[t] < 0 {
					v |= 1
				}
				h[i*zeta+t] = v
			}
		}
	})
}

// applyOwned sets out (s x d, contiguous, len s·d) to S·diag(w)·A for a
// CountSketch or sparse sign sketch whose columns hashColumns stored in h;
// w = nil means no row weights, and rows with w_i = 0 are skipped.
//
// Unlike sparseApply, which gives each chunk of rows a private s x d
// partial and adds the partials, this kernel gives each goroutine a range
// of output rows (buckets) that it alone writes: every part scans all
// hashed entries in row order and applies those that land in its range.
// There are no partial sums to clear and add, which pays when s·d is large
// and ζ is small (Newton's CountSketch with s = 20d), and the result does
// not depend on the partition at all: output row b is the fused sum, in
// increasing i, of the entries that hit it, for any number of parts and any
// GOMAXPROCS. Each row of A is read by every part that owns one of its ζ
// buckets (once for ζ = 1), so there is one part per goroutine. It equals
// Apply up to the order of summation.
func (sk *Sketch) applyOwned(out []float64, src source, w []float64, h []uint32) {
	s, d, n := sk.spec.Rows, src.d, src.n
	zeta := sk.spec.NNZPerCol
	out = out[:s*d]
	// One part per goroutine: more parts only rescan the hashes and, for
	// ζ > 1, reread the rows of A (measured: 4 parts instead of 2 cost
	// 25% more at ζ = 1 and twice as much at ζ = 8 on 2 cores).
	parts := min(s, runtime.GOMAXPROCS(0), 16)
	csr, _ := src.rows.(*linalg.CSR)
	par.Blocks(parts, 1, func(q, _, _ int) {
		blo, bhi := uint32(q*s/parts), uint32((q+1)*s/parts)
		acc := out[int(blo)*d : int(bhi)*d]
		clear(acc)
		for i := 0; i < n; i++ {
			for _, v := range h[i*zeta : i*zeta+zeta] {
				b := v >> 1
				if b < blo || b >= bhi {
					continue
				}
				g := sk.mult(w, i)
				if g == 0 {
					break
				}
				if v&1 != 0 {
					g = -g
				}
				dst := out[int(b)*d : int(b)*d+d]
				if src.isDense {
					simd.Axpy(dst, g, src.row(i))
					continue
				}
				var cols []int32
				var vals []float64
				if csr != nil {
					cols, vals = csr.SparseRow(i) // concrete call, inlined
				} else {
					cols, vals = src.rows.SparseRow(i)
				}
				for k, c := range cols {
					dst[c] = math.FMA(g, vals[k], dst[c])
				}
			}
		}
	})
}
