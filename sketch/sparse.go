package sketch

import (
	"github.com/sketchwork/sketchwork/internal/simd"
	"math"

	"gonum.org/v1/gonum/blas/blas64"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/internal/rng"
)

// golden is the SplitMix64 increment 2^64/φ.
const golden = 0x9E3779B97F4A7C15

// sparseUnit is the number of rows per scheduling unit of the sparse
// kernels (chunks of chunkReduce are whole units).
const sparseUnit = 1024

// colHash fills h with the ζ = len(h) distinct buckets of column i of S and
// g with its signs times mult. The randomness is counter-based
// (regression.md section 2.1): z_t = SplitMix64(c_i + t·golden), t = 0, 1, ...,
// with c_i the hash counter at i, bucket = high 32 bits of z_t scaled to
// [0, s), sign = lowest bit; repeated buckets are rejected. Column i is thus
// the same whichever goroutine, chunk or streaming call computes it.
func (sk *Sketch) colHash(i int, h []int, g []float64, mult float64) {
	s := sk.spec.Rows
	base := sk.hash.At(uint64(i))
	var t uint64
	for k := 0; k < len(h); {
		z := rng.SplitMix64(base + t*golden)
		t++
		b := rng.Bucket(z, s)
		dup := false
		for _, e := range h[:k] {
			if e == b {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		h[k], g[k] = b, rng.Sign(z)*mult
		k++
	}
}

// mult returns the scale of column i: the sketch's scale times the row
// weight w_i when weights are given.
func (sk *Sketch) mult(w []float64, i int) float64 {
	if w == nil {
		return sk.scale
	}
	return sk.scale * w[i]
}

// sparseApply sets out = S·diag(w)·A for CountSketch and SparseSign:
// ζ·nnz(A) fused multiply-adds in one pass over A, in fixed row chunks with
// private s x d partials (regression.md section 2.2). Dense rows use the
// vector kernel, sparse rows touch their stored entries only; all paths use
// fused multiply-adds, in row order for each entry of a partial.
//
// Two alternatives measured slower on the 2-core reference machine and were
// dropped: a column split (each goroutine owns a column range of S·A, no
// partials), slower even single-threaded; for dense input, blocks of 64-256
// rows added panel by panel (32-128 columns, so a panel of the partial
// stays in L2), 2-3x slower at 200,000 x 400 (per-call overhead of the
// short vector kernels); and, for CSR input with an
// accumulator larger than L2, grouping the updates by ranges of
// accumulator rows (sorted per block of rows), slower for short rows and
// no better for long ones.
func (sk *Sketch) sparseApply(out blas64.General, src source, w []float64) {
	s, d, n := sk.spec.Rows, src.d, src.n
	zeta := sk.spec.NNZPerCol
	acc := out.Data
	if !contiguous(out) {
		acc = make([]float64, s*d)
	}
	acc = acc[:s*d]
	chunkReduce(acc, n, sparseUnit, zeta*src.entries(), func(lo, hi int, p []float64) {
		h := make([]int, zeta)
		g := make([]float64, zeta)
		for i := lo; i < hi; i++ {
			sk.colHash(i, h, g, sk.mult(w, i))
			if src.isDense {
				row := src.row(i)
				for t, b := range h {
					simd.Axpy(p[b*d:(b+1)*d], g[t], row)
				}
				continue
			}
			cols, vals := src.rows.SparseRow(i)
			for t, b := range h {
				pr := p[b*d : (b+1)*d]
				gt := g[t]
				for k, c := range cols {
					pr[c] = math.FMA(gt, vals[k], pr[c])
				}
			}
		}
	})
	if !contiguous(out) {
		copyOut(out, acc, 1)
	}
}

// sparseApplyT sets out (n x k) = Sᵀ y: row i of the result combines the ζ
// rows of y that column i of S hits. Rows are independent: no reduction.
func (sk *Sketch) sparseApplyT(out, y blas64.General) {
	k := y.Cols
	zeta := sk.spec.NNZPerCol
	par.Blocks(sk.n, sparseUnit, func(_, lo, hi int) {
		h := make([]int, zeta)
		g := make([]float64, zeta)
		for i := lo; i < hi; i++ {
			sk.colHash(i, h, g, sk.scale)
			o := out.Data[i*out.Stride : i*out.Stride+k]
			clear(o)
			for t, b := range h {
				simd.Axpy(o, g[t], y.Data[b*y.Stride:b*y.Stride+k])
			}
		}
	})
}
