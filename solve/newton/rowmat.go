package newton

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/linalg"
)

// rowMat is row access to A for the fused gradient kernel: a dense
// row-major matrix or a CSR one. The weighted Gram and the leverage scores
// of the Hessian builders come from linalg.WeightedGramTo and
// sketch.LeverageEstimator, which take A as a mat.Matrix (matrix).
type rowMat struct {
	raw  blas64.General // dense storage; unused when csr != nil
	csr  *linalg.CSR
	n, d int
	nnz  int
}

// matrix returns A as a mat.Matrix: the CSR matrix, or the dense storage
// wrapped in view (so that a session that keeps its view allocates
// nothing).
func (rm *rowMat) matrix(view *mat.Dense) mat.Matrix {
	if rm.csr != nil {
		return rm.csr
	}
	view.SetRawMatrix(rm.raw)
	return view
}

// multWS holds the partial sums of mulTransCols.
type multWS struct{ partials []float64 }

// mulTransCols sets dst[k] = Aᵀ xs[k] for every k in one pass over A: each
// row block is read from memory once and multiplied by all the vectors
// while it sits in cache. Partial sums over at most 16 fixed chunks are
// added in chunk order (bit-identical for any GOMAXPROCS).
func (rm *rowMat) mulTransCols(ws *multWS, dst, xs [][]float64) {
	k := len(xs)
	d := rm.d
	block := 4096
	if rm.csr == nil {
		block = max(1, (1<<15)/d)
	} else {
		block = max(1, (1<<15)/max(1, rm.nnz/max(1, rm.n)))
	}
	nb := par.NumBlocks(rm.n, block)
	chunks := min(nb, 16)
	per := (nb + chunks - 1) / chunks
	if cap(ws.partials) < chunks*k*d {
		ws.partials = make([]float64, chunks*k*d)
	}
	buf := ws.partials[:chunks*k*d]
	par.Blocks(chunks, 1, func(c, _, _ int) {
		part := buf[c*k*d : (c+1)*k*d]
		clear(part)
		lo := min(rm.n, c*per*block)
		hi := min(rm.n, (c+1)*per*block)
		for b := lo; b < hi; b += block {
			e := min(b+block, hi)
			if rm.csr != nil {
				for i := b; i < e; i++ {
					cols, vals := rm.csr.SparseRow(i)
					for q, x := range xs {
						xi := x[i]
						if xi == 0 {
							continue
						}
						pq := part[q*d : (q+1)*d]
						for t, j := range cols {
							pq[j] += vals[t] * xi
						}
					}
				}
				continue
			}
			sub := blas64.General{Rows: e - b, Cols: d, Stride: rm.raw.Stride, Data: rm.raw.Data[b*rm.raw.Stride:]}
			for q, x := range xs {
				blas64.Gemv(blas.Trans, 1, sub, blas64.Vector{N: e - b, Inc: 1, Data: x[b:e]}, 1, blas64.Vector{N: d, Inc: 1, Data: part[q*d : (q+1)*d]})
			}
		}
	})
	for q := range xs {
		out := dst[q]
		copy(out, buf[q*d:(q+1)*d])
		for c := 1; c < chunks; c++ {
			src := buf[c*k*d+q*d : c*k*d+(q+1)*d]
			for j, v := range src {
				out[j] += v
			}
		}
	}
}
