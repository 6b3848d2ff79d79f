package sketch

import (
	"github.com/sketchwork/sketchwork/internal/simd"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/internal/rng"
)

// Layout of a Gaussian sketch (regression.md section 2.3). S is generated in
// panels of panelRows columns (the columns of S multiply panelRows rows of
// A); within panel p, rows [64q, 64q+64) of S come from the stream
// rng.Stream(key, p<<20 | q), drawn row by row. So any panel can be
// regenerated on its own, results do not depend on GOMAXPROCS, and a sketch
// with more rows (natural scaling) extends one with fewer: its first s rows
// are the same. When s·n <= gaussMaterialise the whole of Sᵀ is generated
// once, on first use, and kept.
const (
	panelRows        = 256
	groupRows        = 64
	maxGaussRows     = groupRows << 20
	gaussMaterialise = 1 << 22
)

// genPanel writes panel p of Sᵀ (width x s, row-major, N(0,1) entries) into buf.
func (sk *Sketch) genPanel(p int, buf []float64) {
	s := sk.spec.Rows
	lo := p * panelRows
	width := min(sk.n, lo+panelRows) - lo
	for q := 0; q*groupRows < s; q++ {
		st := rng.Stream(sk.gaussKey, uint64(p)<<20|uint64(q))
		for r := q * groupRows; r < min(s, (q+1)*groupRows); r++ {
			for i := 0; i < width; i++ {
				buf[i*s+r] = st.NormFloat64()
			}
		}
	}
}

// materialised returns Sᵀ (n x s) if it is small enough to keep, else nil.
func (sk *Sketch) materialised() []float64 {
	s, n := sk.spec.Rows, sk.n
	if s*n > gaussMaterialise {
		return nil
	}
	sk.gaussOne.Do(func() {
		m := make([]float64, n*s)
		par.Blocks(n, panelRows, func(p, lo, hi int) {
			sk.genPanel(p, m[lo*s:hi*s])
		})
		sk.gaussMat = m
	})
	return sk.gaussMat
}

// panel returns panel p of Sᵀ, generating it into buf unless Sᵀ is kept.
func (sk *Sketch) panel(p int, buf []float64) []float64 {
	s := sk.spec.Rows
	lo := p * panelRows
	hi := min(sk.n, lo+panelRows)
	if m := sk.materialised(); m != nil {
		return m[lo*s : hi*s]
	}
	buf = buf[:(hi-lo)*s]
	sk.genPanel(p, buf)
	return buf
}

// gaussApply sets out = S·A: per panel, a product of the s x width panel
// with the matching rows of A, accumulated in row chunks (O(s·n·d) flops,
// s·n normal draws unless Sᵀ is kept).
func (sk *Sketch) gaussApply(out blas64.General, src source) {
	s, d, n := sk.spec.Rows, src.d, src.n
	acc := make([]float64, s*d) // dense: s x d; sparse rows: d x s (transposed)
	chunkReduce(acc, n, panelRows, s*src.entries(), func(lo, hi int, p []float64) {
		var buf []float64
		if sk.materialised() == nil {
			buf = make([]float64, panelRows*s)
		}
		for plo := lo; plo < hi; plo += panelRows {
			phi := min(hi, plo+panelRows)
			w := phi - plo
			pan := blas64.General{Rows: w, Cols: s, Stride: s, Data: sk.panel(plo/panelRows, buf)}
			switch {
			case src.isDense && d == 1:
				blas64.Gemv(blas.Trans, 1, pan,
					blas64.Vector{N: w, Inc: src.dense.Stride, Data: src.dense.Data[plo*src.dense.Stride:]},
					1, blas64.Vector{N: s, Inc: 1, Data: p})
			case src.isDense:
				blas64.Gemm(blas.Trans, blas.NoTrans, 1, pan,
					blas64.General{Rows: w, Cols: d, Stride: src.dense.Stride, Data: src.dense.Data[plo*src.dense.Stride:]},
					1, blas64.General{Rows: s, Cols: d, Stride: d, Data: p})
			default:
				for i := plo; i < phi; i++ {
					col := pan.Data[(i-plo)*s : (i-plo+1)*s]
					cols, vals := src.rows.SparseRow(i)
					for k, c := range cols {
						simd.Axpy(p[int(c)*s:(int(c)+1)*s], vals[k], col)
					}
				}
			}
		}
	})
	if src.isDense {
		copyOut(out, acc, sk.scale)
		return
	}
	for r := 0; r < s; r++ {
		o := out.Data[r*out.Stride : r*out.Stride+d]
		for c := range o {
			o[c] = sk.scale * acc[c*s+r]
		}
	}
}

// gaussApplyT sets out (n x k) = Sᵀ y, panel by panel (no reduction).
func (sk *Sketch) gaussApplyT(out, y blas64.General) {
	s, k := sk.spec.Rows, y.Cols
	par.Blocks(sk.n, panelRows, func(p, lo, hi int) {
		var buf []float64
		if sk.materialised() == nil {
			buf = make([]float64, panelRows*s)
		}
		pan := blas64.General{Rows: hi - lo, Cols: s, Stride: s, Data: sk.panel(p, buf)}
		if k == 1 {
			blas64.Gemv(blas.NoTrans, sk.scale, pan, blas64.Vector{N: s, Inc: y.Stride, Data: y.Data},
				0, blas64.Vector{N: hi - lo, Inc: out.Stride, Data: out.Data[lo*out.Stride:]})
			return
		}
		blas64.Gemm(blas.NoTrans, blas.NoTrans, sk.scale, pan, y,
			0, blas64.General{Rows: hi - lo, Cols: k, Stride: out.Stride, Data: out.Data[lo*out.Stride:]})
	})
}
