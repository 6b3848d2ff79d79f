package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// reversedRows serves the rows of a CSR matrix with the stored entries in
// decreasing column order (the Rows interface does not promise sorted
// columns).
type reversedRows struct{ *CSR }

func (r reversedRows) SparseRow(i int) ([]int32, []float64) {
	cols, vals := r.CSR.SparseRow(i)
	c, v := slices.Clone(cols), slices.Clone(vals)
	slices.Reverse(c)
	slices.Reverse(v)
	return c, v
}

// opaque hides a matrix's concrete type, so WeightedGramTo takes its copy
// path.
type opaque struct{ mat.Matrix }

// naiveGram returns Σ_t w_t a_{r_t} a_{r_t}ᵀ summed in row order and
// Σ_t |w_t a_{r_t,i} a_{r_t,j}| for the error bound.
func naiveGram(a *mat.Dense, rows []int, w []float64) (g, abs *mat.Dense) {
	n, d := a.Dims()
	m := n
	if rows != nil {
		m = len(rows)
	}
	g, abs = mat.NewDense(d, d, nil), mat.NewDense(d, d, nil)
	for t := 0; t < m; t++ {
		r := t
		if rows != nil {
			r = rows[t]
		}
		wt := 1.0
		if w != nil {
			wt = w[t]
		}
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				v := wt * a.At(r, i) * a.At(r, j)
				g.Set(i, j, g.At(i, j)+v)
				abs.Set(i, j, abs.At(i, j)+math.Abs(v))
			}
		}
	}
	return g, abs
}

// TestWeightedGramMatchesNaive: the blocked Gram equals the plain sum for
// dense, CSR, generic Rows (unsorted columns) and opaque input, over all
// rows and over row lists with repeats, with signed and with nil weights,
// for sizes that are not multiples of the tile, block or chunk sizes. Both
// results are sums of the same m terms in different orders, so each entry
// may differ by at most 2γ_m·Σ|terms| (γ_m = m·u/(1−m·u)).
func TestWeightedGramMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, sz := range [][2]int{{1, 1}, {3, 5}, {130, 7}, {300, 13}, {257, 9}, {1100, 32}} {
		n, d := sz[0], sz[1]
		a := randomSparse(r, n, d, 0.7)
		sp := CSRFromDense(a, 0)
		inputs := map[string]mat.Matrix{"dense": a, "csr": sp, "rows": reversedRows{sp}, "opaque": opaque{a}}
		for name, am := range inputs {
			for _, subset := range []bool{false, true} {
				for _, weighted := range []bool{false, true} {
					var rows []int
					m := n
					if subset {
						m = max(1, n/3)
						for k := 0; k < m; k++ {
							rows = append(rows, r.IntN(n))
						}
					}
					var w []float64
					if weighted {
						w = randVec(r, m)
					}
					var got mat.SymDense
					WeightedGramTo(&got, am, rows, w, nil)
					want, abs := naiveGram(a, rows, w)
					u := 0x1p-53
					gamma := float64(m) * u / (1 - float64(m)*u)
					for i := 0; i < d; i++ {
						for j := i; j < d; j++ {
							if e := math.Abs(got.At(i, j) - want.At(i, j)); !(e <= 2*gamma*abs.At(i, j)) {
								t.Fatalf("n=%d d=%d %s subset=%v weighted=%v: G[%d,%d] = %v, want %v (bound %g)",
									n, d, name, subset, weighted, i, j, got.At(i, j), want.At(i, j), 2*gamma*abs.At(i, j))
							}
						}
					}
				}
			}
		}
	}
}

// TestWeightedGramStridedAndReused: a dense view whose row padding holds
// NaN is read without touching the padding, a non-empty dst full of NaN is
// overwritten, and a workspace reused across sizes (d = 9, then 6: the
// packed panels keep stale rows beyond d) gives the same bits as a fresh
// one.
func TestWeightedGramStridedAndReused(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	big := mat.NewDense(500, 12, nil)
	for i := 0; i < 500; i++ {
		for j := 0; j < 12; j++ {
			big.Set(i, j, math.NaN())
		}
	}
	var ws GramWorkspace
	for _, d := range []int{9, 6} {
		view := big.Slice(0, 400, 0, d).(*mat.Dense)
		for i := 0; i < 400; i++ {
			for j := 0; j < d; j++ {
				view.Set(i, j, r.NormFloat64())
			}
		}
		w := randVec(r, 400)
		dst := mat.NewSymDense(d, nil)
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				dst.SetSym(i, j, math.NaN())
			}
		}
		WeightedGramTo(dst, view, nil, w, &ws)
		var fresh mat.SymDense
		WeightedGramTo(&fresh, mat.DenseCopyOf(view), nil, w, nil)
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				if math.Float64bits(dst.At(i, j)) != math.Float64bits(fresh.At(i, j)) || math.IsNaN(dst.At(i, j)) {
					t.Fatalf("d=%d: G[%d,%d] = %v from the strided view and reused workspace, %v from a fresh copy", d, i, j, dst.At(i, j), fresh.At(i, j))
				}
			}
		}
	}
}

// TestWeightedGramDeterministic: bit-identical output at GOMAXPROCS 1, 2
// and 8 and for a repeated call, dense and CSR, all rows and a row list.
func TestWeightedGramDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	a := randomSparse(r, 3000, 37, 0.5)
	rows := make([]int, 2000)
	for k := range rows {
		rows[k] = r.IntN(3000)
	}
	for _, am := range []mat.Matrix{a, CSRFromDense(a, 0)} {
		for _, rl := range [][]int{nil, rows} {
			m := 3000
			if rl != nil {
				m = len(rl)
			}
			w := randVec(r, m)
			run := func(procs int) []float64 {
				old := runtime.GOMAXPROCS(procs)
				defer runtime.GOMAXPROCS(old)
				var g mat.SymDense
				WeightedGramTo(&g, am, rl, w, nil)
				return slices.Clone(g.RawSymmetric().Data)
			}
			g1, g2, g8 := run(1), run(2), run(8)
			if !slices.Equal(g1, g2) || !slices.Equal(g1, g8) || !slices.Equal(g1, run(2)) {
				t.Errorf("%T rows=%v: Gram differs between GOMAXPROCS 1, 2 and 8 or between runs", am, rl != nil)
			}
		}
	}
}

// TestWeightedGramAllocations: with a warm workspace a call allocates only
// what starting the worker goroutines costs, a few small objects whatever
// the size (no O(d²) or O(block·d) buffers).
func TestWeightedGramAllocations(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	a := randomSparse(r, 4000, 40, 1)
	sp := CSRFromDense(randomSparse(r, 4000, 40, 0.1), 0)
	w := randVec(r, 4000)
	dst := mat.NewSymDense(40, nil)
	var ws GramWorkspace
	for _, am := range []mat.Matrix{a, sp} {
		WeightedGramTo(dst, am, nil, w, &ws)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		allocs := testing.AllocsPerRun(10, func() { WeightedGramTo(dst, am, nil, w, &ws) })
		runtime.ReadMemStats(&after)
		bytes := (after.TotalAlloc - before.TotalAlloc) / 11
		if allocs > 20 || bytes > 4096 {
			t.Errorf("%T: %.0f allocations, %d bytes per call with a warm workspace", am, allocs, bytes)
		}
	}
}

// TestWeightedGramMisuse: wrong-sized dst, weights of the wrong length and
// row indices out of range panic.
func TestWeightedGramMisuse(t *testing.T) {
	a := mat.NewDense(5, 3, nil)
	for name, f := range map[string]func(){
		"dst size":       func() { WeightedGramTo(mat.NewSymDense(2, nil), a, nil, nil, nil) },
		"weights":        func() { WeightedGramTo(&mat.SymDense{}, a, nil, make([]float64, 4), nil) },
		"subset weights": func() { WeightedGramTo(&mat.SymDense{}, a, []int{1, 2}, make([]float64, 3), nil) },
		"row range":      func() { WeightedGramTo(&mat.SymDense{}, a, []int{5}, nil, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	// An empty row list gives the zero matrix.
	g := mat.NewSymDense(3, []float64{1, 2, 3, 2, 4, 5, 3, 5, 6})
	WeightedGramTo(g, a, []int{}, nil, nil)
	if mat.Norm(g, 1) != 0 {
		t.Errorf("Gram of no rows = %v", mat.Formatted(g))
	}
}

// BenchmarkWeightedGram measures the weighted Gram of all rows and of a
// sampled row list (the exact and the sampled Newton Hessian) on a dense
// 100000 x 200 matrix, and of a CSR matrix with 8 entries per row;
// GFLOP/s counts m·d² flops (the upper triangle's m·d²/2 multiply-adds).
// gonum's SymRankK on its first 10000 rows is the anchor.
func BenchmarkWeightedGram(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 5))
	const n, d = 100000, 200
	a := mat.NewDense(n, d, randVec(r, n*d))
	w := randVec(r, n)
	sub := make([]int, 12000)
	for k := range sub {
		sub[k] = r.IntN(n)
	}
	wsub := randVec(r, len(sub))
	dst := mat.NewSymDense(d, nil)
	var ws GramWorkspace
	run := func(name string, am mat.Matrix, rows []int, w []float64, flops float64) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				WeightedGramTo(dst, am, rows, w, &ws)
			}
			if flops > 0 {
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			}
		})
	}
	run(fmt.Sprintf("dense/all/n=%d,d=%d", n, d), a, nil, w, float64(n)*d*d)
	run(fmt.Sprintf("dense/rows/m=%d,d=%d", len(sub), d), a, sub, wsub, float64(len(sub))*d*d)
	trip := make([]Triplet, 0, 8*n)
	for i := 0; i < n; i++ {
		for k := 0; k < 8; k++ {
			trip = append(trip, Triplet{I: i, J: r.IntN(d), V: r.NormFloat64()})
		}
	}
	sp, err := CSRFromTriplets(n, d, trip)
	if err != nil {
		b.Fatal(err)
	}
	run(fmt.Sprintf("csr/all/n=%d,d=%d,nnz=%d", n, d, sp.NNZ()), sp, nil, w, 0)
	const na = 10000 // gonum is about 10x slower: a tenth of the rows
	sa := a.Slice(0, na, 0, d)
	zero := mat.NewSymDense(d, nil)
	b.Run(fmt.Sprintf("gonum-SymRankK/n=%d,d=%d", na, d), func(b *testing.B) {
		for b.Loop() {
			dst.SymRankK(zero, 1, sa.T())
		}
		b.ReportMetric(float64(na)*d*d*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
