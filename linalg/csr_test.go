package linalg

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// randomSparse returns an r x c dense matrix with about density*r*c nonzeros.
func randomSparse(rnd *rand.Rand, r, c int, density float64) *mat.Dense {
	d := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if rnd.Float64() < density {
				d.Set(i, j, rnd.NormFloat64())
			}
		}
	}
	return d
}

func randVec(rnd *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rnd.NormFloat64()
	}
	return v
}

// relClose reports |a-b| <= tol*(1+|b|) elementwise.
func relClose(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol*(1+math.Abs(b[i])) {
			return false
		}
	}
	return true
}

func TestCSRAgainstDense(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	shapes := [][2]int{{1, 1}, {3, 7}, {50, 5}, {1000, 40}, {5000, 3}, {7, 300}}
	for _, sh := range shapes {
		for _, density := range []float64{0, 0.05, 0.5, 1} {
			r, c := sh[0], sh[1]
			d := randomSparse(rnd, r, c, density)
			a := CSRFromDense(d, 0)
			if !mat.Equal(a, d) {
				t.Fatalf("%dx%d: At disagrees with dense", r, c)
			}
			if !mat.Equal(a.ToDense(), d) {
				t.Fatalf("%dx%d: ToDense disagrees", r, c)
			}
			x := randVec(rnd, c)
			got := make([]float64, r)
			a.MulVecTo(got, false, x)
			var want mat.VecDense
			want.MulVec(d, mat.NewVecDense(c, x))
			if !relClose(got, want.RawVector().Data, 1e-12) {
				t.Fatalf("%dx%d density %v: A x mismatch", r, c, density)
			}
			dop := Dense(d)
			dop.MulVecTo(got, false, x)
			if !relClose(got, want.RawVector().Data, 1e-12) {
				t.Fatalf("%dx%d: dense A x mismatch", r, c)
			}
			y := randVec(rnd, r)
			gotT := make([]float64, c)
			want.Reset()
			want.MulVec(d.T(), mat.NewVecDense(r, y))
			a.MulVecTo(gotT, true, y)
			if !relClose(gotT, want.RawVector().Data, 1e-12) {
				t.Fatalf("%dx%d: Aᵀ y mismatch", r, c)
			}
			dop.MulVecTo(gotT, true, y)
			if !relClose(gotT, want.RawVector().Data, 1e-12) {
				t.Fatalf("%dx%d: dense Aᵀ y mismatch", r, c)
			}
			// Block products with k = 3 columns.
			X := mat.NewDense(c, 3, randVec(rnd, 3*c))
			Y := mat.NewDense(r, 3, randVec(rnd, 3*r))
			for _, op := range []Operator{a, dop} {
				got := mat.NewDense(r, 3, nil)
				op.MulTo(got, false, X)
				var w mat.Dense
				w.Mul(d, X)
				if !mat.EqualApprox(got, &w, 1e-12) {
					t.Fatalf("%dx%d: A X mismatch (%T)", r, c, op)
				}
				gotT := mat.NewDense(c, 3, nil)
				op.MulTo(gotT, true, Y)
				w.Reset()
				w.Mul(d.T(), Y)
				if !mat.EqualApprox(gotT, &w, 1e-12) {
					t.Fatalf("%dx%d: Aᵀ Y mismatch (%T)", r, c, op)
				}
			}
		}
	}
}

func TestCSRFromTriplets(t *testing.T) {
	ts := []Triplet{{2, 1, 1}, {0, 0, 2}, {2, 1, 3}, {1, 2, -1}, {2, 0, 5}}
	a, err := CSRFromTriplets(3, 3, ts)
	if err != nil {
		t.Fatal(err)
	}
	want := mat.NewDense(3, 3, []float64{2, 0, 0, 0, 0, -1, 5, 4, 0})
	if !mat.Equal(a, want) || a.NNZ() != 4 {
		t.Fatalf("got %v nnz %d", mat.Formatted(a), a.NNZ())
	}
	if _, err := CSRFromTriplets(3, 3, []Triplet{{3, 0, 1}}); err == nil {
		t.Fatal("out-of-range triplet accepted")
	}
	if _, err := NewCSR(2, 2, []int{0, 2, 2}, []int32{1, 0}, []float64{1, 1}); err == nil {
		t.Fatal("unsorted columns accepted")
	}
	if _, err := NewCSR(2, 2, []int{0, 1, 2}, []int32{0, 2}, []float64{1, 1}); err == nil {
		t.Fatal("column out of range accepted")
	}
}

// TestTransposeDeterministic checks that Aᵀx is bit-identical for GOMAXPROCS
// 1 and 2 (fixed partition, ordered reduction).
func TestTransposeDeterministic(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	d := randomSparse(rnd, 20000, 30, 0.3)
	a := CSRFromDense(d, 0)
	y := randVec(rnd, 20000)
	run := func(procs int) ([]float64, []float64) {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		g1 := make([]float64, 30)
		g2 := make([]float64, 30)
		a.MulVecTo(g1, true, y)
		Dense(d).MulVecTo(g2, true, y)
		return g1, g2
	}
	a1, b1 := run(1)
	a2, b2 := run(2)
	for j := range a1 {
		if a1[j] != a2[j] || b1[j] != b2[j] {
			t.Fatalf("column %d differs between GOMAXPROCS 1 and 2", j)
		}
	}
}

func TestMulVecAllocs(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	d := randomSparse(rnd, 50000, 20, 1)
	op := Dense(d)
	x := randVec(rnd, 20)
	y := randVec(rnd, 50000)
	dst := make([]float64, 50000)
	dt := make([]float64, 20)
	op.MulVecTo(dt, true, y) // warm the pool
	allocs := testing.AllocsPerRun(20, func() {
		op.MulVecTo(dst, false, x)
		op.MulVecTo(dt, true, y)
	})
	// par.Blocks starts goroutines (a few small allocations); no O(n) buffers.
	if allocs > 20 {
		t.Errorf("%.0f allocations per mat-vec pair", allocs)
	}
}

func TestFusedNormalKernels(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	for _, sh := range [][2]int{{1, 1}, {37, 5}, {5000, 30}, {20000, 3}} {
		r, c := sh[0], sh[1]
		d := randomSparse(rnd, r, c, 0.3)
		x := randVec(rnd, c)
		b := randVec(rnd, r)
		// Reference: two separate products.
		ax := make([]float64, r)
		Dense(d).MulVecTo(ax, false, x)
		wantG := make([]float64, c)
		Dense(d).MulVecTo(wantG, true, ax)
		res := make([]float64, r)
		var rr float64
		for i := range res {
			res[i] = b[i] - ax[i]
			rr += res[i] * res[i]
		}
		wantR := make([]float64, c)
		Dense(d).MulVecTo(wantR, true, res)
		for _, op := range []Normal{Dense(d), CSRFromDense(d, 0)} {
			g := make([]float64, c)
			op.GramVecTo(g, x)
			if !relClose(g, wantG, 1e-11) {
				t.Fatalf("%dx%d %T: GramVecTo mismatch", r, c, op)
			}
			got := op.ResidualGradTo(g, b, x)
			if !relClose(g, wantR, 1e-11) || math.Abs(got-rr) > 1e-11*rr {
				t.Fatalf("%dx%d %T: ResidualGradTo mismatch (%g vs %g)", r, c, op, got, rr)
			}
		}
		X := mat.NewDense(c, 2, randVec(rnd, 2*c))
		got := mat.NewDense(c, 2, nil)
		Dense(d).GramTo(got, X)
		var want, ax2 mat.Dense
		ax2.Mul(d, X)
		want.Mul(d.T(), &ax2)
		if !mat.EqualApprox(got, &want, 1e-10) {
			t.Fatalf("%dx%d: GramTo mismatch", r, c)
		}
	}
}

func BenchmarkDenseKernels(b *testing.B) {
	rnd := rand.New(rand.NewPCG(1, 1))
	const n, d = 200000, 400
	a := mat.NewDense(n, d, randVec(rnd, n*d))
	op := Dense(a)
	x := randVec(rnd, d)
	y := randVec(rnd, n)
	dst := make([]float64, n)
	g := make([]float64, d)
	bytes := int64(n * d * 8)
	b.Run("MulVec", func(b *testing.B) {
		b.SetBytes(bytes)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			op.MulVecTo(dst, false, x)
		}
	})
	b.Run("TMulVec", func(b *testing.B) {
		b.SetBytes(bytes)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			op.MulVecTo(g, true, y)
		}
	})
	b.Run("GramVec", func(b *testing.B) {
		b.SetBytes(bytes)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			op.GramVecTo(g, x)
		}
	})
	b.Run("ResidualGrad", func(b *testing.B) {
		b.SetBytes(bytes)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			op.ResidualGradTo(g, y, x)
		}
	})
}

func TestFusedBlockKernels(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	for _, sh := range [][3]int{{1, 1, 1}, {40, 6, 3}, {6000, 25, 4}} {
		r, c, k := sh[0], sh[1], sh[2]
		d := randomSparse(rnd, r, c, 0.4)
		X := mat.NewDense(c, k, randVec(rnd, c*k))
		B := mat.NewDense(r, k, randVec(rnd, r*k))
		var ax, res, want mat.Dense
		ax.Mul(d, X)
		res.Sub(B, &ax)
		want.Mul(d.T(), &res)
		var wantGram mat.Dense
		wantGram.Mul(d.T(), &ax)
		for _, op := range []NormalBlock{Dense(d), CSRFromDense(d, 0)} {
			g := mat.NewDense(c, k, nil)
			rr := make([]float64, k)
			op.ResidualGradBlockTo(g, B, X, rr)
			if !mat.EqualApprox(g, &want, 1e-10) {
				t.Fatalf("%v %T: ResidualGradBlockTo mismatch", sh, op)
			}
			for j := 0; j < k; j++ {
				n := mat.Norm(res.ColView(j), 2)
				if math.Abs(rr[j]-n*n) > 1e-10*n*n {
					t.Fatalf("%v %T: rr[%d] = %g, want %g", sh, op, j, rr[j], n*n)
				}
			}
			op.GramTo(g, X)
			if !mat.EqualApprox(g, &wantGram, 1e-10) {
				t.Fatalf("%v %T: GramTo mismatch", sh, op)
			}
		}
	}
}
