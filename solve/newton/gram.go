package newton

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/linalg"
)

// The weighted Gram Σ_t w_t a_{r_t} a_{r_t}ᵀ is the hot spot of every Newton
// step (the exact Hessian sums all n rows, the sampled one |I| rows). gonum's
// Mul(A.T(), A) reaches only a few GFLOP/s here, so the dense case uses a
// blocked SYRK: rows are cut into blocks of gramBlock, each block is packed
// column-major (one panel scaled by w, one not) and the upper triangle of the
// d×d result is swept in register tiles of dot products over the block
// (dotTile). Blocks are grouped into at most gramChunks chunks whose d×d
// partial sums are added in chunk order, so the result is bit-identical for
// any GOMAXPROCS.
const (
	gramBlock  = 128 // rows packed at a time: two panels of d×128 stay in L2
	gramChunks = 8   // partial d×d sums; enough to balance two to eight cores
)

// rowMat is row access to A for the Gram and leverage kernels: a dense
// row-major matrix or a CSR one.
type rowMat struct {
	raw  blas64.General // dense storage; unused when csr != nil
	csr  *linalg.CSR
	n, d int
	nnz  int
}

// gramWS holds the scratch of the Gram kernels; reused across iterations.
type gramWS struct {
	partials [][]float64
	pack     [][]float64
}

func (ws *gramWS) ensure(chunks, partLen, packLen int) {
	for len(ws.partials) < chunks {
		ws.partials = append(ws.partials, nil)
		ws.pack = append(ws.pack, nil)
	}
	for c := 0; c < chunks; c++ {
		if cap(ws.partials[c]) < partLen {
			ws.partials[c] = make([]float64, partLen)
		}
		ws.partials[c] = ws.partials[c][:partLen]
		if cap(ws.pack[c]) < packLen {
			ws.pack[c] = make([]float64, packLen)
		}
		ws.pack[c] = ws.pack[c][:packLen]
	}
}

// roundUp returns x rounded up to a multiple of m.
func roundUp(x, m int) int { return (x + m - 1) / m * m }

// gram adds Σ_t w[t]·a_{r_t} a_{r_t}ᵀ to the upper triangle of the d×d
// row-major matrix dst (stride ld). When rows is nil the sum runs over all
// rows r_t = t and w has length n; otherwise w[t] weighs row rows[t].
func (p *rowMat) gram(ws *gramWS, dst []float64, ld int, rows []int32, w []float64) {
	m := len(w)
	if rows != nil && len(rows) != m {
		panic("newton: gram rows and weights differ in length")
	}
	if m == 0 {
		return
	}
	if p.csr != nil {
		p.gramCSR(ws, dst, ld, rows, w)
		return
	}
	d := p.d
	d4 := roundUp(d, tileJ)
	nb := par.NumBlocks(m, gramBlock)
	chunks := min(nb, gramChunks)
	per := (nb + chunks - 1) / chunks
	ws.ensure(chunks, d4*d4, 2*d4*gramBlock)
	raw := p.raw
	par.Blocks(chunks, 1, func(c, _, _ int) {
		part := ws.partials[c]
		clear(part)
		pk := ws.pack[c]
		pp, qq := pk[:d4*gramBlock], pk[d4*gramBlock:]
		lo := min(m, c*per*gramBlock)
		hi := min(m, (c+1)*per*gramBlock)
		for b := lo; b < hi; b += gramBlock {
			mb := min(gramBlock, hi-b)
			// Pack column-major: pp[j*B+l] = w_l a_lj, qq[j*B+l] = a_lj.
			for l := 0; l < mb; l++ {
				r := b + l
				if rows != nil {
					r = int(rows[b+l])
				}
				row := raw.Data[r*raw.Stride : r*raw.Stride+d]
				wl := w[b+l]
				for j, v := range row {
					qq[j*gramBlock+l] = v
					pp[j*gramBlock+l] = wl * v
				}
			}
			if mb < gramBlock || d < d4 {
				// Zero the tail of the panels so full tiles add nothing.
				for j := 0; j < d4; j++ {
					lo := mb
					if j >= d {
						lo = 0
					}
					clear(pp[j*gramBlock+lo : (j+1)*gramBlock])
					clear(qq[j*gramBlock+lo : (j+1)*gramBlock])
				}
			}
			syrkPanels(part, d4, pp, qq, gramBlock, mb)
		}
	})
	for c := 0; c < chunks; c++ {
		part := ws.partials[c]
		for i := 0; i < d; i++ {
			row := dst[i*ld : i*ld+d]
			src := part[i*d4 : i*d4+d]
			for j := i; j < d; j++ {
				row[j] += src[j]
			}
		}
	}
}

// syrkPanels adds pp·qqᵀ over the first mb columns of the column-major
// panels (leading dimension ldp) into the upper-triangle tiles of the
// d4×d4 row-major matrix c.
func syrkPanels(c []float64, d4 int, pp, qq []float64, ldp, mb int) {
	for j0 := 0; j0 < d4; j0 += tileI {
		for k0 := j0 - j0%tileJ; k0 < d4; k0 += tileJ {
			dotTile(pp[j0*ldp:], ldp, qq[k0*ldp:], ldp, mb, c[j0*d4+k0:], d4)
		}
	}
}

// gramCSR is gram for sparse rows: Σ_t w_t a a ᵀ over the stored entries,
// O(Σ nnz(a_{r_t})²) work.
func (p *rowMat) gramCSR(ws *gramWS, dst []float64, ld int, rows []int32, w []float64) {
	m := len(w)
	d := p.d
	avg := max(1, p.nnz/max(1, p.n))
	block := max(1, (1<<14)/(avg*avg))
	nb := par.NumBlocks(m, block)
	chunks := min(nb, gramChunks)
	per := (nb + chunks - 1) / chunks
	ws.ensure(chunks, d*d, 0)
	par.Blocks(chunks, 1, func(c, _, _ int) {
		part := ws.partials[c]
		clear(part)
		lo := min(m, c*per*block)
		hi := min(m, (c+1)*per*block)
		for t := lo; t < hi; t++ {
			r := t
			if rows != nil {
				r = int(rows[t])
			}
			cols, vals := p.csr.SparseRow(r)
			wt := w[t]
			for a, ca := range cols {
				s := wt * vals[a]
				row := part[int(ca)*d:]
				for b := a; b < len(cols); b++ {
					row[cols[b]] += s * vals[b]
				}
			}
		}
	})
	for c := 0; c < chunks; c++ {
		part := ws.partials[c]
		for i := 0; i < d; i++ {
			row := dst[i*ld : i*ld+d]
			src := part[i*d : i*d+d]
			for j := i; j < d; j++ {
				row[j] += src[j]
			}
		}
	}
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
