package linalg

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/internal/simd"
)

// ErrShape is the panic value for operands whose dimensions do not match.
// Shape misuse is a programmer error; data errors are returned as errors.
var ErrShape = mat.ErrShape

// Operator is a linear map R^c -> R^r given by its action: the interface the
// solvers work against, so that dense, sparse, preconditioned, augmented and
// implicit matrices are interchangeable (RandLAPACK's LinearOperator).
type Operator interface {
	// Dims returns the numbers of rows r and columns c.
	Dims() (r, c int)
	// MulVecTo sets dst = A x (len(x) = c, len(dst) = r), or dst = Aᵀ x when
	// trans is true. dst must not alias x.
	MulVecTo(dst []float64, trans bool, x []float64)
	// MulTo sets dst = A X, or Aᵀ X when trans is true, for a block of vectors
	// X. dst must be sized already and must not alias x.
	MulTo(dst *mat.Dense, trans bool, x *mat.Dense)
}

// Rows is a matrix whose rows can be read one at a time: a dense row or the
// stored entries of a sparse one. Sketches use it to apply themselves in
// O(nnz) time.
type Rows interface {
	Dims() (r, c int)
	// SparseRow returns the column indices and values of the stored entries of
	// row i. The slices are owned by the matrix and must not be modified.
	SparseRow(i int) (cols []int32, vals []float64)
}

// Tuning constants of the parallel kernels. Each block holds about
// blockElems stored entries, enough to amortise scheduling and small enough
// to balance two to eight cores; transposed products reduce at most
// maxPartials partial vectors, in block order.
const (
	blockElems  = 1 << 15
	maxPartials = 16
)

// rowBlock returns the number of rows per parallel block for rows with about
// perRow stored entries each.
func rowBlock(perRow int) int { return max(1, blockElems/max(1, perRow)) }

// transReduce computes dst = sum over row chunks of fn(lo, hi, partial),
// where fn accumulates the contribution of rows [lo, hi) into partial (length
// len(dst), zeroed on entry). The rows are split into at most maxPartials
// chunks that depend only on n and block, and partials are summed in chunk
// order, so the result is bit-identical for any GOMAXPROCS.
func transReduce(dst []float64, n, block int, fn func(lo, hi int, partial []float64)) {
	nb := par.NumBlocks(n, block)
	chunks := min(nb, maxPartials)
	if chunks <= 1 {
		clear(dst)
		if n > 0 {
			fn(0, n, dst)
		}
		return
	}
	m := len(dst)
	pp := getVec(chunks * m)
	buf := *pp
	per := (nb + chunks - 1) / chunks // blocks per chunk
	par.Blocks(chunks, 1, func(c, _, _ int) {
		p := buf[c*m : (c+1)*m]
		clear(p)
		lo := min(n, c*per*block)
		hi := min(n, (c+1)*per*block)
		for r := lo; r < hi; r += block {
			fn(r, min(r+block, hi), p)
		}
	})
	copy(dst, buf[:m])
	for c := 1; c < chunks; c++ {
		p := buf[c*m : (c+1)*m]
		for j, v := range p {
			dst[j] += v
		}
	}
	putVec(pp)
}

// DenseOp adapts a *mat.Dense to Operator with row-block parallel kernels
// (gonum's own Gemv is serial). The matrix is read, never written.
type DenseOp struct{ M *mat.Dense }

// Dense wraps a dense matrix as an Operator.
func Dense(m *mat.Dense) DenseOp { return DenseOp{M: m} }

// Dims returns the matrix dimensions.
func (d DenseOp) Dims() (int, int) { return d.M.Dims() }

// MulVecTo sets dst = A x or Aᵀ x. Cost: one pass over A on all cores.
func (d DenseOp) MulVecTo(dst []float64, trans bool, x []float64) {
	raw := d.M.RawMatrix()
	r, c := raw.Rows, raw.Cols
	if !trans {
		if len(x) != c || len(dst) != r {
			panic(ErrShape)
		}
		par.Blocks(r, rowBlock(c), func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				dst[i] = simd.Dot(raw.Data[i*raw.Stride:i*raw.Stride+c], x)
			}
		})
		return
	}
	if len(x) != r || len(dst) != c {
		panic(ErrShape)
	}
	transReduce(dst, r, rowBlock(c), func(lo, hi int, p []float64) {
		for i := lo; i < hi; i++ {
			if xi := x[i]; xi != 0 {
				simd.Axpy(p, xi, raw.Data[i*raw.Stride:i*raw.Stride+c])
			}
		}
	})
}

// MulTo sets dst = A X or Aᵀ X using row-block parallel Gemm.
func (d DenseOp) MulTo(dst *mat.Dense, trans bool, x *mat.Dense) {
	raw := d.M.RawMatrix()
	xr := x.RawMatrix()
	dr := dst.RawMatrix()
	r, c := raw.Rows, raw.Cols
	k := xr.Cols
	if !trans {
		if xr.Rows != c || dr.Rows != r || dr.Cols != k {
			panic(ErrShape)
		}
		par.Blocks(r, rowBlock(c*k), func(_, lo, hi int) {
			sub := blas64.General{Rows: hi - lo, Cols: c, Stride: raw.Stride, Data: raw.Data[lo*raw.Stride:]}
			out := blas64.General{Rows: hi - lo, Cols: k, Stride: dr.Stride, Data: dr.Data[lo*dr.Stride:]}
			blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, sub, xr, 0, out)
		})
		return
	}
	if xr.Rows != r || dr.Rows != c || dr.Cols != k {
		panic(ErrShape)
	}
	tp := getVec(c * k)
	defer putVec(tp)
	tmp := *tp
	transReduce(tmp, r, rowBlock(c*k), func(lo, hi int, p []float64) {
		sub := blas64.General{Rows: hi - lo, Cols: c, Stride: raw.Stride, Data: raw.Data[lo*raw.Stride:]}
		xs := blas64.General{Rows: hi - lo, Cols: k, Stride: xr.Stride, Data: xr.Data[lo*xr.Stride:]}
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, sub, xs, 1, blas64.General{Rows: c, Cols: k, Stride: k, Data: p})
	})
	for i := 0; i < c; i++ {
		copy(dr.Data[i*dr.Stride:i*dr.Stride+k], tmp[i*k:(i+1)*k])
	}
}

// AsOperator returns m as an Operator: itself if it already is one (such as
// *CSR), a DenseOp for *mat.Dense, and otherwise a copy into a dense matrix.
func AsOperator(m mat.Matrix) Operator {
	switch v := m.(type) {
	case Operator:
		return v
	case *mat.Dense:
		return DenseOp{M: v}
	default:
		return DenseOp{M: mat.DenseCopyOf(m)}
	}
}
