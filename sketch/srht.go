package sketch

import (
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/internal/rng"
	"github.com/sketchwork/sketchwork/linalg"
)

// srhtUnit is the number of rows per parallel block when loading or
// storing the padded copy.
const srhtUnit = 1024

// srhtApply sets out = S·A for S = scale·P·H·D (regression.md section 2.3):
// copy A into an n' x d buffer (n' = 2^⌈log₂n⌉, zero padded) with row i
// multiplied by the sign D_i, apply the Walsh-Hadamard butterfly across rows,
// keep the s sampled rows. Memory n'·d; time O(n'·d·log n').
func (sk *Sketch) srhtApply(out blas64.General, src source) {
	d, n := src.d, src.n
	buf := make([]float64, sk.npad*d)
	par.Blocks(n, srhtUnit, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			sg := rng.Sign(sk.signs.At(uint64(i)))
			b := buf[i*d : (i+1)*d]
			if src.isDense {
				for j, v := range src.row(i) {
					b[j] = sg * v
				}
				continue
			}
			cols, vals := src.rows.SparseRow(i)
			for k, c := range cols {
				b[c] = sg * vals[k]
			}
		}
	})
	linalg.FWHTRowsRaw(buf, sk.npad, d, d)
	for k, r := range sk.hrows {
		o := out.Data[k*out.Stride : k*out.Stride+d]
		for j, v := range buf[r*d : (r+1)*d] {
			o[j] = sk.scale * v
		}
	}
}

// srhtApplyT sets out (n x k) = Sᵀ y = scale·D·H·Pᵀ y (H is symmetric).
func (sk *Sketch) srhtApplyT(out, y blas64.General) {
	k := y.Cols
	buf := make([]float64, sk.npad*k)
	for q, r := range sk.hrows {
		copy(buf[r*k:(r+1)*k], y.Data[q*y.Stride:q*y.Stride+k])
	}
	linalg.FWHTRowsRaw(buf, sk.npad, k, k)
	par.Blocks(sk.n, srhtUnit, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			sg := sk.scale * rng.Sign(sk.signs.At(uint64(i)))
			o := out.Data[i*out.Stride : i*out.Stride+k]
			for j, v := range buf[i*k : (i+1)*k] {
				o[j] = sg * v
			}
		}
	})
}
