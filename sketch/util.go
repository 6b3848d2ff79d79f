package sketch

import (
	"math/bits"
	"math/rand/v2"
	"slices"
	"sync"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/linalg"
)

// source is the matrix a sketch is applied to: a raw dense row-major block
// or a matrix readable by sparse rows.
type source struct {
	n, d    int
	dense   blas64.General // when isDense
	isDense bool
	rows    linalg.Rows // otherwise
}

// makeSource classifies a: *mat.Dense and unit-stride *mat.VecDense are read
// in place, linalg.Rows (such as *linalg.CSR) row by row, anything else is
// copied to a dense matrix first.
func makeSource(a mat.Matrix) source {
	n, d := a.Dims()
	switch m := a.(type) {
	case *mat.Dense:
		return source{n: n, d: d, dense: m.RawMatrix(), isDense: true}
	case *mat.VecDense:
		if rv := m.RawVector(); rv.Inc == 1 {
			return source{n: n, d: 1, dense: blas64.General{Rows: n, Cols: 1, Stride: 1, Data: rv.Data}, isDense: true}
		}
	case linalg.Rows:
		return source{n: n, d: d, rows: m}
	}
	return source{n: n, d: d, dense: mat.DenseCopyOf(a).RawMatrix(), isDense: true}
}

// entries returns the number of stored entries: n·d for dense sources.
func (s *source) entries() int {
	if s.isDense {
		return s.n * s.d
	}
	if c, ok := s.rows.(interface{ NNZ() int }); ok {
		return c.NNZ()
	}
	e := 0
	for i := 0; i < s.n; i++ {
		cols, _ := s.rows.SparseRow(i)
		e += len(cols)
	}
	return e
}

// row returns row i of a dense source.
func (s *source) row(i int) []float64 {
	return s.dense.Data[i*s.dense.Stride : i*s.dense.Stride+s.d]
}

// vecGeneral views a vector as an n x 1 matrix.
func vecGeneral(x []float64) blas64.General {
	return blas64.General{Rows: len(x), Cols: 1, Stride: 1, Data: x}
}

// prepareDst sizes an empty dst to r x c or checks its shape (panicking with
// ErrShape on a mismatch, gonum's convention) and returns its raw matrix.
func prepareDst(dst *mat.Dense, r, c int) blas64.General {
	if dst.IsEmpty() {
		dst.ReuseAs(r, c)
	} else if rr, cc := dst.Dims(); rr != r || cc != c {
		panic(linalg.ErrShape)
	}
	return dst.RawMatrix()
}

// Reduction parameters. The rows of A are split into at most maxChunks
// chunks whose boundaries depend only on the shape; each chunk accumulates
// a private s x d partial and the partials are added in chunk order, so the
// result is bit-identical for any GOMAXPROCS (regression.md section 2.1).
// The partials use at most maxPartialElems float64s (128 MiB).
const (
	maxChunks       = 16
	maxPartialElems = 1 << 24
)

var partialPool = sync.Pool{New: func() any { return new([]float64) }}

// chunkReduce sets out (len m) to the sum over chunks of fn(lo, hi, acc),
// where fn adds the contribution of rows [lo, hi) to acc (zero on entry).
// Chunks are made of whole units of unit rows. work is the number of
// multiply-adds of the whole job: there are at most work/(2m) chunks, so
// clearing and adding the partials costs at most half the work (a sparse
// matrix with few entries is sketched serially rather than paying for 16
// accumulators), and the cost stays linear in the work.
func chunkReduce(out []float64, n, unit, work int, fn func(lo, hi int, acc []float64)) {
	m := len(out)
	units := par.NumBlocks(n, unit)
	chunks := max(1, min(maxChunks, units, maxPartialElems/max(1, m), work/max(1, 2*m)))
	clear(out)
	if chunks == 1 {
		if n > 0 {
			fn(0, n, out)
		}
		return
	}
	per := (units + chunks - 1) / chunks * unit // rows per chunk
	chunks = (n + per - 1) / per
	pp := partialPool.Get().(*[]float64)
	if cap(*pp) < (chunks-1)*m {
		*pp = make([]float64, (chunks-1)*m)
	}
	buf := (*pp)[:(chunks-1)*m]
	par.Blocks(chunks, 1, func(c, _, _ int) {
		lo, hi := c*per, min(n, (c+1)*per)
		acc := out
		if c > 0 {
			acc = buf[(c-1)*m : c*m]
			clear(acc)
		}
		fn(lo, hi, acc)
	})
	// Add the partials in chunk order; the entries are split among
	// goroutines, which does not change any entry's order of summation.
	par.Blocks(m, 1<<14, func(_, lo, hi int) {
		o := out[lo:hi]
		for c := 1; c < chunks; c++ {
			p := buf[(c-1)*m+lo : (c-1)*m+hi]
			for j, v := range p {
				o[j] += v
			}
		}
	})
	partialPool.Put(pp)
}

// copyOut copies a contiguous s x d block into a (possibly strided) dst,
// multiplying by scale.
func copyOut(dst blas64.General, src []float64, scale float64) {
	r, c := dst.Rows, dst.Cols
	for i := 0; i < r; i++ {
		d := dst.Data[i*dst.Stride : i*dst.Stride+c]
		s := src[i*c : (i+1)*c]
		if scale == 1 {
			copy(d, s)
			continue
		}
		for j, v := range s {
			d[j] = scale * v
		}
	}
}

// contiguous reports whether a raw matrix has stride == cols.
func contiguous(g blas64.General) bool { return g.Stride == g.Cols || g.Rows <= 1 }

// bucket64 maps a random 64-bit value to [0, n) by a 64x64 multiply-high
// (bias below n/2^64).
func bucket64(z uint64, n int) int {
	hi, _ := bits.Mul64(z, uint64(n))
	return int(hi)
}

// distinctSorted draws k distinct values of [0, n) uniformly (Floyd's
// algorithm) and returns them sorted.
func distinctSorted(r *rand.Rand, n, k int) []int {
	chosen := make(map[int]struct{}, k)
	out := make([]int, 0, k)
	for j := n - k; j < n; j++ {
		t := r.IntN(j + 1)
		if _, ok := chosen[t]; ok {
			t = j
		}
		chosen[t] = struct{}{}
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
