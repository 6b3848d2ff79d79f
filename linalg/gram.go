package linalg

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/internal/simd"
)

// Blocking of WeightedGramTo. Dense rows are packed gramBlock at a time
// into column-major panels (two panels of d×128 stay in L2) and the upper
// triangle is swept in 2×4 register tiles (simd.DotTile2x4). Blocks are
// grouped into at most gramChunks chunks, each with a private d×d partial
// sum; the partials are added in chunk order.
const (
	gramBlock     = 128
	gramChunks    = 8  // enough to balance two to eight cores
	gramTileI     = 2  // rows of the register tile
	gramTileJ     = 4  // columns of the register tile
	gramSparseLog = 14 // sparse rows: about 2^14 multiply-adds per block
)

// GramWorkspace holds the scratch of WeightedGramTo: at most eight d×d
// partial sums and, for dense input, the packed panels. The zero value is
// ready to use; once it has grown to a problem's size, further calls with
// that size allocate nothing. A workspace must not be used by two calls at
// the same time.
type GramWorkspace struct {
	partials [][]float64
	pack     [][]float64
}

func (ws *GramWorkspace) ensure(chunks, partLen, packLen int) {
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

// WeightedGramTo sets dst to the weighted Gram matrix
//
//	G = Σ_t w_t · a_{r_t} a_{r_t}ᵀ   (d×d, a_i the i-th row of the n×d a)
//
// over the rows r_t = rows[t] when rows is non-nil (repeats allowed; then w
// has len(rows) entries), or over all rows r_t = t (w has n entries). A nil
// w means all weights 1 (AᵀA, or the Gram of the chosen rows). Weights may
// be negative, in which case G is symmetric but not necessarily positive
// semidefinite. An empty dst is sized d×d; otherwise it must be d×d. Only
// dst's upper triangle is written, as for every mat.SymDense.
//
// a is read in place when it is a *mat.Dense (any stride) or a Rows such as
// *CSR; any other mat.Matrix is first copied to a dense matrix. Sparse rows
// must not repeat a column (CSR guarantees it).
//
// Cost: m·d² flops for m = len(w) dense rows (the m·d²/2 multiply-adds of
// the upper triangle) at 14-17 GFLOP/s on the 2-core reference machine with
// AVX2, a blocked SYRK (gonum's SymRankK reaches about 2 here; see
// BenchmarkWeightedGram), and Σ_t nnz(a_{r_t})²/2 multiply-adds for sparse
// rows, on all cores. Scratch comes from ws; a nil ws allocates a temporary
// one.
//
// Determinism: the rows are cut into at most eight chunks that depend only
// on m, d and (for sparse input) the average row length; every entry of a
// chunk's partial sum is accumulated in row order, and the partials are
// added in chunk order, so the result is bit-identical for any GOMAXPROCS.
// Dense rows go through simd.DotTile2x4's fused multiply-adds in a fixed
// lane order: bit-identical on any CPU and with -tags purego. Sparse rows
// use plain multiply-adds like linalg's other CSR kernels (math.FMA costs
// 30% there without GOAMD64=v3), so builds that fuse them (GOAMD64=v3,
// arm64) may differ in the last bits. Dense and sparse input agree to
// rounding.
//
// Mismatched lengths (rows and w, w and n) and a wrong-sized dst panic with
// ErrShape; a row index out of range panics.
func WeightedGramTo(dst *mat.SymDense, a mat.Matrix, rows []int, w []float64, ws *GramWorkspace) {
	n, d := a.Dims()
	m := n
	if rows != nil {
		m = len(rows)
		for _, r := range rows {
			if r < 0 || r >= n {
				panic("linalg: WeightedGramTo row index out of range")
			}
		}
	}
	if w != nil && len(w) != m {
		panic(ErrShape)
	}
	if dst.IsEmpty() {
		if d == 0 {
			return
		}
		dst.ReuseAsSym(d)
	} else if dst.SymmetricDim() != d {
		panic(ErrShape)
	}
	if ws == nil {
		ws = new(GramWorkspace)
	}
	out := dst.RawSymmetric()
	switch am := a.(type) {
	case *mat.Dense:
		gramDense(out, am.RawMatrix(), rows, w, m, ws)
	case Rows:
		gramSparse(out, am, rows, w, m, ws)
	default:
		gramDense(out, mat.DenseCopyOf(a).RawMatrix(), rows, w, m, ws)
	}
}

// setUpper sets the upper triangle of dst to the sum of the first chunks
// partials (row-major, leading dimension ld), added in chunk order.
func setUpper(dst blas64.Symmetric, partials [][]float64, chunks, ld int) {
	d := dst.N
	for i := 0; i < d; i++ {
		row := dst.Data[i*dst.Stride+i : i*dst.Stride+d]
		if chunks == 0 {
			clear(row)
			continue
		}
		copy(row, partials[0][i*ld+i:i*ld+d])
		for c := 1; c < chunks; c++ {
			src := partials[c][i*ld+i : i*ld+d]
			for j, v := range src {
				row[j] += v
			}
		}
	}
}

// gramDense is WeightedGramTo for a dense row-major matrix.
func gramDense(dst blas64.Symmetric, raw blas64.General, rows []int, w []float64, m int, ws *GramWorkspace) {
	d := raw.Cols
	d4 := (d + gramTileJ - 1) / gramTileJ * gramTileJ
	nb := par.NumBlocks(m, gramBlock)
	chunks := min(nb, gramChunks)
	if chunks == 0 {
		setUpper(dst, nil, 0, d)
		return
	}
	per := (nb + chunks - 1) / chunks
	panels := 2
	if w == nil {
		panels = 1 // the weighted panel is the plain one
	}
	ws.ensure(chunks, d4*d4, panels*d4*gramBlock)
	par.Blocks(chunks, 1, func(c, _, _ int) {
		part := ws.partials[c]
		clear(part)
		qq := ws.pack[c][:d4*gramBlock]
		pp := qq
		if w != nil {
			pp = ws.pack[c][d4*gramBlock:]
		}
		lo := min(m, c*per*gramBlock)
		hi := min(m, (c+1)*per*gramBlock)
		for b := lo; b < hi; b += gramBlock {
			mb := min(gramBlock, hi-b)
			// Column-major panels: qq[j*B+l] = a_lj, pp[j*B+l] = w_l a_lj.
			for l := 0; l < mb; l++ {
				r := b + l
				if rows != nil {
					r = rows[b+l]
				}
				row := raw.Data[r*raw.Stride : r*raw.Stride+d]
				for j, v := range row {
					qq[j*gramBlock+l] = v
				}
				if w != nil {
					wl := w[b+l]
					for j, v := range row {
						pp[j*gramBlock+l] = wl * v
					}
				}
			}
			// Upper-triangle tiles of pp·qqᵀ over the mb packed rows.
			for j0 := 0; j0 < d4; j0 += gramTileI {
				for k0 := j0 - j0%gramTileJ; k0 < d4; k0 += gramTileJ {
					simd.DotTile2x4(part[j0*d4+k0:], d4, pp[j0*gramBlock:], gramBlock, qq[k0*gramBlock:], gramBlock, mb)
				}
			}
		}
	})
	setUpper(dst, ws.partials, chunks, d4)
}

// gramSparse is WeightedGramTo for rows read by SparseRow.
func gramSparse(dst blas64.Symmetric, a Rows, rows []int, w []float64, m int, ws *GramWorkspace) {
	n, d := a.Dims()
	nnz := 0
	if c, ok := a.(interface{ NNZ() int }); ok {
		nnz = c.NNZ()
	} else {
		for i := 0; i < n; i++ {
			cols, _ := a.SparseRow(i)
			nnz += len(cols)
		}
	}
	avg := max(1, nnz/max(1, n))
	block := max(1, (1<<gramSparseLog)/(avg*avg))
	nb := par.NumBlocks(m, block)
	chunks := min(nb, gramChunks)
	if chunks == 0 {
		setUpper(dst, nil, 0, d)
		return
	}
	per := (nb + chunks - 1) / chunks
	ws.ensure(chunks, d*d, 0)
	csr, _ := a.(*CSR)
	par.Blocks(chunks, 1, func(c, _, _ int) {
		part := ws.partials[c]
		clear(part)
		lo := min(m, c*per*block)
		hi := min(m, (c+1)*per*block)
		for t := lo; t < hi; t++ {
			r := t
			if rows != nil {
				r = rows[t]
			}
			wt := 1.0
			if w != nil {
				wt = w[t]
			}
			if csr != nil {
				// Columns strictly increasing: (ck, cols[l]) is upper.
				cols, vals := csr.SparseRow(r)
				for k, ck := range cols {
					s := wt * vals[k]
					prow := part[int(ck)*d : int(ck)*d+d]
					for l := k; l < len(cols); l++ {
						c := cols[l]
						prow[c] += s * vals[l]
					}
				}
				continue
			}
			cols, vals := a.SparseRow(r)
			for k, ck := range cols {
				s := wt * vals[k]
				for l := k; l < len(cols); l++ {
					i, j := int(ck), int(cols[l])
					if i > j {
						i, j = j, i
					}
					part[i*d+j] += s * vals[l]
				}
			}
		}
	})
	setUpper(dst, ws.partials, chunks, d)
}
