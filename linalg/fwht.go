package linalg

import (
	"math/bits"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/par"
)

// FWHT replaces x by H x, where H is the unnormalised Sylvester-Hadamard
// matrix of order len(x) (entries ±1, H_ij = (-1)^popcount(i&j), HᵀH = len(x)·I).
// len(x) must be a power of two (1 included); otherwise FWHT panics with
// ErrShape. Cost: len(x)·log2(len(x)) additions, in place, cache-blocked and
// parallel for long vectors. The result does not depend on GOMAXPROCS (the
// butterflies have no reductions).
func FWHT(x []float64) {
	n := len(x)
	if !isPow2(n) {
		panic(ErrShape)
	}
	FWHTRowsRaw(x, n, 1, 1)
}

// FWHTRows replaces the rows of m by H·m, H the unnormalised Hadamard matrix
// whose order is the number of rows of m (a power of two, else FWHTRows
// panics with ErrShape): the butterfly
//
//	row_i, row_{i+h} <- row_i + row_{i+h}, row_i - row_{i+h}
//
// vectorised over the columns. This is the transform an SRHT sketch applies
// to a row-major matrix (regression.md section 2.3).
func FWHTRows(m *mat.Dense) {
	if m.IsEmpty() {
		return
	}
	raw := m.RawMatrix()
	FWHTRowsRaw(raw.Data, raw.Rows, raw.Cols, raw.Stride)
}

// FWHTRowsRaw is FWHTRows on a raw row-major block: rows rows of cols
// entries, row i starting at data[i*stride]. rows must be a power of two.
func FWHTRowsRaw(data []float64, rows, cols, stride int) {
	if !isPow2(rows) || cols < 0 || stride < max(1, cols) || (rows > 0 && len(data) < (rows-1)*stride+cols) {
		panic(ErrShape)
	}
	if rows <= 1 || cols == 0 {
		return
	}
	// Phase 1: sub-blocks of sub rows are independent for the stages h < sub;
	// transform each completely while it sits in cache.
	sub := fwhtSubRows(rows, cols)
	work := rows * cols
	if sub >= rows || work < fwhtParallel {
		for lo := 0; lo < rows; lo += min(sub, rows) {
			fwhtLow(data, lo, min(sub, rows), cols, stride)
		}
		if sub >= rows {
			return
		}
	} else {
		par.Blocks(rows/sub, 1, func(b, _, _ int) {
			fwhtLow(data, b*sub, sub, cols, stride)
		})
	}
	// Phase 2: the remaining stages h = sub, 2sub, ..., rows/2, two at a
	// time (radix 4) to halve the passes over memory.
	h := sub
	for h < rows {
		if 4*h <= rows {
			fwhtStage4(data, rows, cols, stride, h, work >= fwhtParallel)
			h *= 4
		} else {
			fwhtStage2(data, rows, cols, stride, h, work >= fwhtParallel)
			h *= 2
		}
	}
}

// fwhtParallel is the number of entries above which the transform runs on
// all cores; fwhtCacheElems is the size of a sub-block transformed in cache
// (256 KiB of float64, a quarter of this machine class's L2).
const (
	fwhtParallel   = 1 << 15
	fwhtCacheElems = 1 << 15
)

// fwhtSubRows returns the power-of-two number of rows transformed together in
// phase 1.
func fwhtSubRows(rows, cols int) int {
	sub := 1
	for sub < rows && 2*sub*cols <= fwhtCacheElems {
		sub *= 2
	}
	return max(sub, 2)
}

func isPow2(n int) bool { return n > 0 && n&(n-1) == 0 }

// fwhtLow applies all stages h < sub to the rows [lo, lo+sub).
func fwhtLow(data []float64, lo, sub, cols, stride int) {
	if cols == 1 && stride == 1 {
		x := data[lo : lo+sub]
		fwhtVecLow(x)
		return
	}
	for h := 1; h < sub; h *= 2 {
		for blk := lo; blk < lo+sub; blk += 2 * h {
			if stride == cols {
				butterfly(data[blk*cols:(blk+h)*cols], data[(blk+h)*cols:(blk+2*h)*cols])
				continue
			}
			for i := blk; i < blk+h; i++ {
				butterfly(data[i*stride:i*stride+cols], data[(i+h)*stride:(i+h)*stride+cols])
			}
		}
	}
}

// fwhtVecLow is the in-cache transform of a contiguous vector, with the first
// two stages fused.
func fwhtVecLow(x []float64) {
	n := len(x)
	h := 1
	if n >= 4 {
		for i := 0; i+3 < n; i += 4 {
			a, b, c, d := x[i], x[i+1], x[i+2], x[i+3]
			s0, d0 := a+b, a-b
			s1, d1 := c+d, c-d
			x[i], x[i+1], x[i+2], x[i+3] = s0+s1, d0+d1, s0-s1, d0-d1
		}
		h = 4
	}
	for ; h < n; h *= 2 {
		for blk := 0; blk < n; blk += 2 * h {
			u := x[blk : blk+h]
			v := x[blk+h : blk+2*h]
			for j := range u {
				a, b := u[j], v[j]
				u[j], v[j] = a+b, a-b
			}
		}
	}
}

// butterfly sets x, y <- x+y, x-y.
func butterfly(x, y []float64) {
	y = y[:len(x)]
	for j, a := range x {
		b := y[j]
		x[j], y[j] = a+b, a-b
	}
}

// butterfly4 applies stages h and 2h to the four rows (i, i+h, i+2h, i+3h).
func butterfly4(w, x, y, z []float64) {
	x = x[:len(w)]
	y = y[:len(w)]
	z = z[:len(w)]
	for j, a := range w {
		b, c, d := x[j], y[j], z[j]
		s0, d0 := a+b, a-b
		s1, d1 := c+d, c-d
		w[j], x[j], y[j], z[j] = s0+s1, d0+d1, s0-s1, d0-d1
	}
}

// fwhtStage2 applies one stage h to all rows. Pairs (i, i+h) are numbered
// p = 0..rows/2-1; a run of consecutive pairs with the same block is a
// contiguous segment when the rows are contiguous (stride == cols).
func fwhtStage2(data []float64, rows, cols, stride, h int, parallel bool) {
	pairs := rows / 2
	run := func(lo, hi int) {
		for p := lo; p < hi; {
			i := (p/h)*2*h + p%h
			seg := min(hi-p, h-p%h)
			if stride == cols {
				butterfly(data[i*cols:(i+seg)*cols], data[(i+h)*cols:(i+h+seg)*cols])
			} else {
				for k := i; k < i+seg; k++ {
					butterfly(data[k*stride:k*stride+cols], data[(k+h)*stride:(k+h)*stride+cols])
				}
			}
			p += seg
		}
	}
	if !parallel {
		run(0, pairs)
		return
	}
	par.Blocks(pairs, max(1, fwhtCacheElems/max(1, 2*cols)), func(_, lo, hi int) { run(lo, hi) })
}

// fwhtStage4 applies stages h and 2h to all rows, in quadruples
// (i, i+h, i+2h, i+3h) numbered q = 0..rows/4-1.
func fwhtStage4(data []float64, rows, cols, stride, h int, parallel bool) {
	quads := rows / 4
	run := func(lo, hi int) {
		for q := lo; q < hi; {
			i := (q/h)*4*h + q%h
			seg := min(hi-q, h-q%h)
			if stride == cols {
				n := seg * cols
				w := data[i*cols : i*cols+n]
				butterfly4(w, data[(i+h)*cols:(i+h)*cols+n], data[(i+2*h)*cols:(i+2*h)*cols+n], data[(i+3*h)*cols:(i+3*h)*cols+n])
			} else {
				for k := i; k < i+seg; k++ {
					r := func(j int) []float64 { return data[j*stride : j*stride+cols] }
					butterfly4(r(k), r(k+h), r(k+2*h), r(k+3*h))
				}
			}
			q += seg
		}
	}
	if !parallel {
		run(0, quads)
		return
	}
	par.Blocks(quads, max(1, fwhtCacheElems/max(1, 4*cols)), func(_, lo, hi int) { run(lo, hi) })
}

// Log2 returns log2(n) for a power of two n and panics with ErrShape otherwise.
func Log2(n int) int {
	if !isPow2(n) {
		panic(ErrShape)
	}
	return bits.TrailingZeros(uint(n))
}

// NextPow2 returns the smallest power of two >= n (1 for n <= 1).
func NextPow2(n int) int {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}
