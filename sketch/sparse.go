package sketch

import (
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/internal/rng"
)

// golden is the SplitMix64 increment 2^64/φ.
const golden = 0x9E3779B97F4A7C15

// Tuning of the sparse kernels. Dense inputs with at least colSplitMin
// columns are split by columns across goroutines (each goroutine owns a
// column range of S·A, so no partials and no reduction are needed and every
// entry is summed in row order); narrower ones use row chunks with private
// partials. sparseUnit is the number of rows per scheduling unit.
const (
	colSplitMin = 64
	sparseUnit  = 1024
)

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
// ζ·nnz(A) multiply-adds in one pass over A.
func (sk *Sketch) sparseApply(out blas64.General, src source, w []float64) {
	s, d, n := sk.spec.Rows, src.d, src.n
	zeta := sk.spec.NNZPerCol
	if src.isDense && d >= colSplitMin {
		sk.sparseDenseCols(out, src, w)
		return
	}
	acc := out.Data
	if !contiguous(out) {
		acc = make([]float64, s*d)
	}
	acc = acc[:s*d]
	chunkReduce(acc, n, sparseUnit, func(lo, hi int, p []float64) {
		h := make([]int, zeta)
		g := make([]float64, zeta)
		for i := lo; i < hi; i++ {
			sk.colHash(i, h, g, sk.mult(w, i))
			if src.isDense {
				row := src.row(i)
				for t, b := range h {
					axpy(p[b*d:(b+1)*d], g[t], row)
				}
				continue
			}
			cols, vals := src.rows.SparseRow(i)
			for t, b := range h {
				pr := p[b*d : (b+1)*d]
				gt := g[t]
				for k, c := range cols {
					pr[c] += gt * vals[k]
				}
			}
		}
	})
	if !contiguous(out) {
		copyOut(out, acc, 1)
	}
}

// sparseDenseCols is the dense kernel for wide matrices: goroutines own
// column ranges of S·A and each streams over all rows of its range.
func (sk *Sketch) sparseDenseCols(out blas64.General, src source, w []float64) {
	s, d, n := sk.spec.Rows, src.d, src.n
	zeta := sk.spec.NNZPerCol
	groups := max(1, min(par.Workers(d), d/32))
	width := ((d+groups-1)/groups + 7) / 8 * 8
	par.Blocks(d, width, func(_, c0, c1 int) {
		for r := 0; r < s; r++ {
			clear(out.Data[r*out.Stride+c0 : r*out.Stride+c1])
		}
		h := make([]int, zeta)
		g := make([]float64, zeta)
		for i := 0; i < n; i++ {
			sk.colHash(i, h, g, sk.mult(w, i))
			row := src.dense.Data[i*src.dense.Stride+c0 : i*src.dense.Stride+c1]
			for t, b := range h {
				axpy(out.Data[b*out.Stride+c0:b*out.Stride+c1], g[t], row)
			}
		}
	})
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
				axpy(o, g[t], y.Data[b*y.Stride:b*y.Stride+k])
			}
		}
	})
}
