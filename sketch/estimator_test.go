package sketch

import (
	"errors"
	"math"
	"runtime"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
	"github.com/sketchwork/sketchwork/linalg/testmat"
)

// TestApplyOwnedEqualsApply: the bucket-owned kernel of the estimator
// computes the operator New describes (S·diag(w)·A equals Apply on the
// weighted matrix up to the order of summation, 1e-12 relative to the row
// norms), for ζ = 1 and ζ = 8, dense and CSR input; dense and CSR give the
// same bits, and so do GOMAXPROCS 1, 2 and 8 (1, 2 and 8 parts).
func TestApplyOwnedEqualsApply(t *testing.T) {
	sp := instance(t, "sparse", 21, func(p *testmat.Params) { p.N, p.D, p.Z = 3000, 30, 4 })
	csr := sp.A.(*linalg.CSR)
	dense := mat.DenseCopyOf(csr)
	n, d := dense.Dims()
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.2 + float64(i%5)
	}
	w[7] = 0
	weighted := mat.DenseCopyOf(dense)
	for i := 0; i < n; i++ {
		floats.Scale(w[i], weighted.RawRowView(i))
	}
	for _, zeta := range []int{1, 8} {
		const s = 97
		sk, err := New(Spec{Kind: SparseSign, Rows: s, NNZPerCol: zeta, Scaling: Isometry}, n, 5)
		if err != nil {
			t.Fatal(err)
		}
		h := make([]uint32, n*zeta)
		sk.hashColumns(h)
		run := func(a mat.Matrix, procs int) []float64 {
			old := runtime.GOMAXPROCS(procs)
			defer runtime.GOMAXPROCS(old)
			out := make([]float64, s*d)
			for i := range out {
				out[i] = math.NaN() // every entry must be written
			}
			sk.applyOwned(out, makeSource(a), w, h)
			return out
		}
		got := run(dense, 2)
		var want mat.Dense
		sk.Apply(&want, weighted)
		scale := mat.Norm(weighted, math.Inf(1))
		for k, v := range want.RawMatrix().Data {
			if math.Abs(got[k]-v) > 1e-12*scale {
				t.Fatalf("zeta=%d: entry %d = %v, Apply gives %v", zeta, k, got[k], v)
			}
		}
		if !slices.Equal(got, run(csr, 2)) {
			t.Errorf("zeta=%d: dense and CSR input differ", zeta)
		}
		if !slices.Equal(got, run(dense, 1)) || !slices.Equal(got, run(dense, 8)) {
			t.Errorf("zeta=%d: result depends on GOMAXPROCS", zeta)
		}
	}
}

// TestEstimatorReuse: one estimator reused across shapes, options and seeds
// gives exactly the scores of a fresh one (no state leaks between calls).
func TestEstimatorReuse(t *testing.T) {
	a := instance(t, "heavy-tailed", 22, func(p *testmat.Params) { p.N, p.D = 2000, 15 }).A
	b := instance(t, "gaussian", 23, func(p *testmat.Params) { p.N, p.D = 1500, 9 }).A
	sp := instance(t, "sparse", 24, func(p *testmat.Params) { p.N, p.D, p.Z = 1000, 12, 3 }).A
	w := make([]float64, 2000)
	for i := range w {
		w[i] = 1 + float64(i%3)
	}
	cases := []struct {
		a    mat.Matrix
		opts ApproxOptions
		seed uint64
	}{
		{a, ApproxOptions{}, 1},
		{b, ApproxOptions{NNZPerCol: 1, SketchRows: 180, GaussCols: 12}, 2},
		{a, ApproxOptions{Weights: w, Ridge: 3}, 3},
		{sp, ApproxOptions{GaussCols: 70}, 4}, // k > 64: sparse rows in two column groups
		{a, ApproxOptions{}, 1},
	}
	var e LeverageEstimator
	for k, c := range cases {
		n, _ := c.a.Dims()
		got := make([]float64, n)
		if err := e.Scores(got, c.a, c.opts, c.seed); err != nil {
			t.Fatal(err)
		}
		want, err := ApproxLeverageScores(c.a, c.opts, c.seed)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("case %d: reused estimator differs from a fresh one", k)
		}
	}
	// Exact after Scores, and Scores after Exact, on the same estimator.
	n, _ := a.Dims()
	ex := make([]float64, n)
	if err := e.Exact(ex, a, w); err != nil {
		t.Fatal(err)
	}
	var fresh LeverageEstimator
	ex2 := make([]float64, n)
	if err := fresh.Exact(ex2, a, w); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ex, ex2) {
		t.Error("Exact on a reused estimator differs from a fresh one")
	}
}

// TestEstimatorAllocations: with a warm estimator, Scores and Exact
// allocate only a few small objects (the sketch descriptor, goroutine
// start-up), not O(n), O(s·d) or O(d²) buffers.
func TestEstimatorAllocations(t *testing.T) {
	a := benchDense(t, 20000, 40)
	sp := instance(t, "sparse", 25, func(p *testmat.Params) { p.N, p.D, p.Z = 20000, 40, 4 }).A
	w := make([]float64, 20000)
	for i := range w {
		w[i] = 0.5 + float64(i%4)
	}
	tau := make([]float64, 20000)
	var e LeverageEstimator
	for _, in := range []mat.Matrix{a, sp} {
		for name, f := range map[string]func(){
			"scores": func() {
				if err := e.Scores(tau, in, ApproxOptions{NNZPerCol: 1, SketchRows: 800, GaussCols: 12, Weights: w}, 1); err != nil {
					t.Fatal(err)
				}
			},
			"exact": func() {
				if err := e.Exact(tau, in, w); err != nil {
					t.Fatal(err)
				}
			},
		} {
			f()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			allocs := testing.AllocsPerRun(5, f)
			runtime.ReadMemStats(&after)
			bytes := (after.TotalAlloc - before.TotalAlloc) / 6
			if allocs > 60 || bytes > 16<<10 {
				t.Errorf("%T %s: %.0f allocations, %d bytes per call with a warm estimator", in, name, allocs, bytes)
			}
		}
	}
}

// TestExactScores: Exact equals the thin-QR scores of diag(w)·A (to 1e-10)
// through both routes: the Cholesky factor on well-conditioned matrices and
// the QR fallback on one with two nearly equal columns (a_1 = a_0 +
// 1e-5·g: the Gram has κ ≈ 1e11 > 1e6, and Cholesky scores would be off by
// about 1e-6); rows with w_i = 0 get 0 and the scores sum to d.
func TestExactScores(t *testing.T) {
	near := mat.DenseCopyOf(instance(t, "gaussian", 27, func(p *testmat.Params) { p.N, p.D = 1500, 12 }).A)
	for i := 0; i < 1500; i++ {
		near.Set(i, 1, near.At(i, 0)+1e-5*near.At(i, 1))
	}
	for _, c := range []struct {
		name string
		a    mat.Matrix
	}{
		{"heavy-tailed", instance(t, "heavy-tailed", 26, func(p *testmat.Params) { p.N, p.D = 1500, 12 }).A},
		{"near-dependent", near},
		{"sparse", instance(t, "sparse", 28, func(p *testmat.Params) { p.N, p.D, p.Z = 1500, 12, 4 }).A},
	} {
		a := c.a
		n, d := a.Dims()
		w := make([]float64, n)
		for i := range w {
			w[i] = 0.3 + float64(i%7)/3
		}
		w[3] = 0
		scaled := mat.DenseCopyOf(a)
		for i := 0; i < n; i++ {
			floats.Scale(w[i], scaled.RawRowView(i))
		}
		want, err := LeverageScores(scaled)
		if err != nil {
			t.Fatal(err)
		}
		var e LeverageEstimator
		got := make([]float64, n)
		if err := e.Exact(got, a, w); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-10 {
				t.Fatalf("%s: score %d = %v, QR gives %v", c.name, i, got[i], want[i])
			}
		}
		if got[3] != 0 {
			t.Errorf("%s: row with zero weight has score %v", c.name, got[3])
		}
		if s := floats.Sum(got); math.Abs(s-float64(d)) > 1e-9 {
			t.Errorf("%s: scores sum to %v, want %d", c.name, s, d)
		}
	}
}

// TestFactorRoutes: the Cholesky and the QR factor of the same sketch give
// the same scores (to 1e-8) on a moderately conditioned matrix, and on one
// with two nearly equal columns (a_1 = a_0 + 1e-8·g, κ(A) ≈ 1e8, so the
// sketch's Gram has κ ≈ 1e16 but is still factored by Cholesky) a forced
// Cholesky factor moves scores by more than 1% while the automatic choice
// (limit 1e10) takes the QR and gives its bits exactly: the condition limit
// is what keeps ill-conditioned input accurate.
func TestFactorRoutes(t *testing.T) {
	scoresWith := func(a mat.Matrix, limit float64) []float64 {
		t.Helper()
		n, d := a.Dims()
		s := 12 * d
		var e LeverageEstimator
		sk, err := New(Spec{Kind: SparseSign, Rows: s, NNZPerCol: 8, Scaling: Isometry}, n, 3)
		if err != nil {
			t.Fatal(err)
		}
		src := makeSource(a)
		e.hash = make([]uint32, n*8)
		sk.hashColumns(e.hash)
		e.sa = make([]float64, s*d)
		sk.applyOwned(e.sa, src, nil, e.hash)
		r, err := e.factor(blas64.General{Rows: s, Cols: d, Stride: d, Data: e.sa}, s, 0, limit)
		if err != nil {
			t.Fatal(err)
		}
		ident := blas64.General{Rows: d, Cols: d, Stride: d, Data: make([]float64, d*d)}
		for i := 0; i < d; i++ {
			ident.Data[i*d+i] = 1
		}
		blas64.Trsm('L', 'N', 1, r, ident) // W = R⁻¹: scores of A against the sketch's R
		out := make([]float64, n)
		e.rowScores(out, src, nil, ident)
		return out
	}
	maxRel := func(x, y []float64) float64 {
		m := 0.0
		for i := range x {
			m = max(m, math.Abs(x[i]-y[i])/y[i])
		}
		return m
	}
	mild := instance(t, "kappa", 29, func(p *testmat.Params) { p.Kappa = 1e3 }).A
	if e := maxRel(scoresWith(mild, math.Inf(1)), scoresWith(mild, 0)); e > 1e-8 {
		t.Errorf("κ=1e3: Cholesky and QR routes differ by %.3g relative", e)
	}
	near := mat.DenseCopyOf(instance(t, "gaussian", 32, nil).A)
	n, _ := near.Dims()
	for i := 0; i < n; i++ {
		near.Set(i, 1, near.At(i, 0)+1e-8*near.At(i, 1))
	}
	qr := scoresWith(near, 0)
	if e := maxRel(scoresWith(near, math.Inf(1)), qr); e < 1e-2 {
		t.Errorf("near-dependent columns: a forced Cholesky factor is within %.3g of the QR route; the test does not exercise the limit", e)
	}
	if !slices.Equal(scoresWith(near, approxCondLimit), qr) {
		t.Error("near-dependent columns: the automatic route did not take the QR factor")
	}
}

// TestRankDeficientSentinel: rank deficiency is reported as an error
// wrapping ErrRankDeficient by every route (approximate scores, the exact
// Gram route and its QR fallback, LeverageScores); a ridge term removes it.
func TestRankDeficientSentinel(t *testing.T) {
	a := mat.DenseCopyOf(instance(t, "gaussian", 30, func(p *testmat.Params) { p.N, p.D = 600, 8 }).A)
	for i := 0; i < 600; i++ {
		a.Set(i, 5, a.At(i, 2)) // a repeated column
	}
	tau := make([]float64, 600)
	var e LeverageEstimator
	if err := e.Scores(tau, a, ApproxOptions{}, 1); !errors.Is(err, ErrRankDeficient) {
		t.Errorf("Scores: %v", err)
	}
	if err := e.Scores(tau, a, ApproxOptions{NNZPerCol: 1, SketchRows: 100, GaussCols: 12}, 1); !errors.Is(err, ErrRankDeficient) {
		t.Errorf("Scores with a CountSketch: %v", err)
	}
	if err := e.Exact(tau, a, nil); !errors.Is(err, ErrRankDeficient) {
		t.Errorf("Exact: %v", err)
	}
	if _, err := LeverageScores(a); !errors.Is(err, ErrRankDeficient) {
		t.Errorf("LeverageScores: %v", err)
	}
	if err := e.Scores(tau, a, ApproxOptions{Ridge: 1}, 1); err != nil {
		t.Errorf("ridge scores of a rank-deficient matrix: %v", err)
	}
	// Too few rows with nonzero weight: the weighted matrix has rank 5 < 8.
	w := make([]float64, 600)
	for i := 0; i < 5; i++ {
		w[i] = 1
	}
	good := instance(t, "gaussian", 31, func(p *testmat.Params) { p.N, p.D = 600, 8 }).A
	if err := e.Scores(tau, good, ApproxOptions{Weights: w}, 1); !errors.Is(err, ErrRankDeficient) {
		t.Errorf("Scores with 5 weighted rows: %v", err)
	}
	if err := e.Exact(tau, good, w); !errors.Is(err, ErrRankDeficient) {
		t.Errorf("Exact with 5 weighted rows: %v", err)
	}
	// Non-finite data is an error, but not a rank error.
	bad := mat.DenseCopyOf(good)
	bad.Set(9, 1, math.Inf(1))
	for name, err := range map[string]error{
		"scores": e.Scores(tau, bad, ApproxOptions{}, 1),
		"exact":  e.Exact(tau, bad, nil),
	} {
		if err == nil || errors.Is(err, ErrRankDeficient) {
			t.Errorf("%s of a matrix with Inf: %v", name, err)
		}
	}
}
