package testmat

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/internal/rng"
	"github.com/sketchwork/sketchwork/linalg"
)

// Sparse is G6: an n x d CSR matrix whose row i holds z N(0,1) entries at
// distinct uniformly random columns, plus one forced N(0,1) entry per column
// j at a random row (so no column is empty and A has full column rank with
// high probability). A row that receives forced entries draws its z random
// columns among the others, so it stores z + (forced entries) values.
func Sparse(seed uint64, p Params) (*Instance, error) {
	if err := checkShape(p); err != nil {
		return nil, err
	}
	if p.Z < 1 || p.Z > p.D {
		return nil, fmt.Errorf("testmat: z = %d, need 1 <= z <= d = %d entries per row", p.Z, p.D)
	}
	if err := checkNonNeg("noise", p.Noise); err != nil {
		return nil, err
	}
	a, err := sparsePattern(seed, "sparse", p.N, p.D, p.Z)
	if err != nil {
		return nil, err
	}
	inst := &Instance{A: a, Kappa: math.NaN(), Name: name("sparse", p, "n", "d", "z", "noise"), Params: p}
	finish(inst, seed, "sparse")
	return inst, nil
}

// SparseIllCond is the ill-conditioned sparse least-squares case of the W2
// benchmark: the G6 pattern with z = max(1, round(density·d)) entries per
// row, columns normalised to unit norm and then scaled by σ_j =
// κ^{-(j-1)/(d-1)}. Its condition number is κ times at most the condition
// number of the normalised pattern (close to 1 when n·density >> 1), so
// Kappa is a target, not an exact value. The default 100000 x 500 at 1%
// density and κ = 1e6 is where plain LSQR stalls.
func SparseIllCond(seed uint64, p Params) (*Instance, error) {
	if err := checkShape(p); err != nil {
		return nil, err
	}
	if !(p.Density > 0 && p.Density <= 1) {
		return nil, fmt.Errorf("testmat: density = %v, need 0 < density <= 1", p.Density)
	}
	if err := checkKappa(p.Kappa); err != nil {
		return nil, err
	}
	if err := checkNonNeg("noise", p.Noise); err != nil {
		return nil, err
	}
	z := max(1, int(math.Round(p.Density*float64(p.D))))
	a, err := sparsePattern(seed, "sparse-illcond", p.N, p.D, z)
	if err != nil {
		return nil, err
	}
	norm := make([]float64, p.D)
	for k, c := range a.Col {
		norm[c] += a.Val[k] * a.Val[k]
	}
	sigma := geometricSigma(p.D, p.Kappa)
	scale := make([]float64, p.D)
	for j := range scale {
		scale[j] = 1
		if norm[j] > 0 {
			scale[j] = sigma[j] / math.Sqrt(norm[j])
		}
	}
	for k, c := range a.Col {
		a.Val[k] *= scale[c]
	}
	inst := &Instance{A: a, Kappa: p.Kappa, Name: name("sparse-illcond", p, "n", "d", "density", "kappa", "noise"), Params: p}
	finish(inst, seed, "sparse-illcond")
	return inst, nil
}

// sparsePattern builds the G6 matrix: z random columns per row plus one
// forced entry per column, values N(0,1). Rows are generated in fixed blocks
// with one stream each, on all cores.
func sparsePattern(seed uint64, gen string, n, d, z int) (*linalg.CSR, error) {
	// Forced entries: column j lives in row Bucket(counter(j), n).
	fc := rng.NewCounter(rng.Key(seed, "testmat", gen, "forced"))
	fptr := make([]int, n+1)
	frow := make([]int, d)
	for j := range frow {
		frow[j] = rng.Bucket(fc.At(uint64(j)), n)
		fptr[frow[j]+1]++
	}
	for i := 0; i < n; i++ {
		fptr[i+1] += fptr[i]
	}
	fcol := make([]int32, d)
	next := slices.Clone(fptr[:n])
	for j, i := range frow { // increasing j: each row's forced columns come out sorted
		fcol[next[i]] = int32(j)
		next[i]++
	}
	rowPtr := make([]int, n+1)
	for i := 0; i < n; i++ {
		rowPtr[i+1] = rowPtr[i] + min(d, z+fptr[i+1]-fptr[i])
	}
	nnz := rowPtr[n]
	col := make([]int32, nnz)
	val := make([]float64, nnz)
	key := rng.Key(seed, "testmat", gen, "pattern")
	par.Blocks(n, genBlock, func(b, lo, hi int) {
		r := rng.Stream(key, uint64(b))
		mark := make([]bool, d)
		for i := lo; i < hi; i++ {
			forced := fcol[fptr[i]:fptr[i+1]]
			cols := col[rowPtr[i]:rowPtr[i+1]]
			k := len(cols) - len(forced) // random columns to draw
			for _, c := range forced {
				mark[c] = true
			}
			copy(cols, forced)
			pickColumns(r, mark, cols[len(forced):], k, d-len(forced))
			for _, c := range cols {
				mark[c] = false
			}
			slices.Sort(cols)
			vals := val[rowPtr[i]:rowPtr[i+1]]
			for t := range vals {
				vals[t] = r.NormFloat64()
			}
		}
	})
	return linalg.NewCSR(n, d, rowPtr, col, val)
}

// pickColumns writes k distinct unmarked columns into dst (marking them):
// rejection sampling when they are few, selection sampling (Knuth's
// algorithm S) over the unmarked columns otherwise.
// free is the number of unmarked columns.
func pickColumns(r *rand.Rand, mark []bool, dst []int32, k, free int) {
	d := len(mark)
	if 2*k <= free {
		for t := 0; t < k; t++ {
			c := r.IntN(d)
			for mark[c] {
				c = r.IntN(d)
			}
			mark[c] = true
			dst[t] = int32(c)
		}
		return
	}
	need, t := k, 0
	for c := 0; c < d && need > 0; c++ {
		if mark[c] {
			continue
		}
		if r.Float64()*float64(free) < float64(need) {
			mark[c] = true
			dst[t] = int32(c)
			t++
			need--
		}
		free--
	}
}
