package solve

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// conditioned returns an m x n matrix U diag(σ) Vᵀ with σ spaced
// geometrically from 1 to 1/kappa. For m > 2000, U is a scaled Gaussian
// (nearly orthonormal columns) instead of an exact orthonormal factor.
func conditioned(rnd *rand.Rand, m, n int, kappa float64) *mat.Dense {
	g := func(r, c int) *mat.Dense {
		d := mat.NewDense(r, c, nil)
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				d.Set(i, j, rnd.NormFloat64())
			}
		}
		if r > 2000 {
			d.Scale(1/math.Sqrt(float64(r)), d)
			return d
		}
		var qr mat.QR
		qr.Factorize(d)
		var q mat.Dense
		qr.QTo(&q)
		return mat.DenseCopyOf(q.Slice(0, r, 0, c))
	}
	u, v := g(m, n), g(n, n)
	for j := 0; j < n; j++ {
		s := math.Pow(kappa, -float64(j)/float64(max(n-1, 1)))
		for i := 0; i < m; i++ {
			u.Set(i, j, u.At(i, j)*s)
		}
	}
	var a mat.Dense
	a.Mul(u, v.T())
	return &a
}

func randVec(rnd *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rnd.NormFloat64()
	}
	return v
}

func directLS(a *mat.Dense, b []float64) []float64 {
	var x mat.VecDense
	if err := x.SolveVec(a, mat.NewVecDense(len(b), b)); err != nil {
		panic(err)
	}
	return x.RawVector().Data
}

func relErr(x, y []float64) float64 {
	var d, n float64
	for i := range x {
		d += (x[i] - y[i]) * (x[i] - y[i])
		n += y[i] * y[i]
	}
	return math.Sqrt(d / n)
}

// TestLSQRAgainstQR compares LSQR with Householder QR on random
// well-conditioned least-squares problems; the forward error bound
// u·κ²·||r||/(||A|| ||x||) is ~1e-14 here, and LSQR with tol 1e-14 must reach
// 1e-10 relative error.
func TestLSQRAgainstQR(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 1))
	for _, sh := range [][2]int{{30, 5}, {200, 20}, {1000, 50}} {
		for _, kappa := range []float64{1, 10, 100} {
			a := conditioned(rnd, sh[0], sh[1], kappa)
			b := randVec(rnd, sh[0])
			want := directLS(a, b)
			res, err := LSQR(context.Background(), linalg.Dense(a), b, nil, LSQRSettings{Settings: Settings{Tol: 1e-14}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != Converged {
				t.Fatalf("%v kappa %g: status %v (%s) after %d iterations", sh, kappa, res.Status, res.Rule, res.Stats.Iterations)
			}
			if e := relErr(res.X, want); e > 1e-10 {
				t.Errorf("%v kappa %g: relative error %.2e vs QR", sh, kappa, e)
			}
			// Residual estimate equals the true residual.
			r := make([]float64, sh[0])
			linalg.Dense(a).MulVecTo(r, false, res.X)
			for i := range r {
				r[i] = b[i] - r[i]
			}
			if tr := Norm2(r); math.Abs(tr-res.Rnorm) > 1e-8*tr {
				t.Errorf("residual estimate %.10g, true %.10g", res.Rnorm, tr)
			}
		}
	}
}

// TestLSQRIterationsGrowWithKappa checks the textbook behaviour that the
// sketch preconditioner is meant to remove: unpreconditioned iterations grow
// with the condition number.
func TestLSQRIterationsGrowWithKappa(t *testing.T) {
	rnd := rand.New(rand.NewPCG(2, 2))
	var prev int
	for _, kappa := range []float64{1, 1e2, 1e4} {
		a := conditioned(rnd, 400, 40, kappa)
		b := randVec(rnd, 400)
		res, err := LSQR(context.Background(), linalg.Dense(a), b, nil, LSQRSettings{Settings: Settings{Tol: 1e-10, MaxIter: 10000}, Conlim: -1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Stats.Iterations <= prev {
			t.Errorf("kappa %g: %d iterations, not more than %d at the smaller kappa", kappa, res.Stats.Iterations, prev)
		}
		prev = res.Stats.Iterations
	}
}

// TestLSQRDampAgainstNormalEquations checks ridge: x = (AᵀA + λI)⁻¹Aᵀb.
func TestLSQRDampAgainstNormalEquations(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 3))
	a := conditioned(rnd, 300, 30, 1e3)
	b := randVec(rnd, 300)
	for _, lambda := range []float64{1e-4, 1e-1, 10} {
		var ata mat.SymDense
		ata.SymOuterK(1, a.T())
		for i := 0; i < 30; i++ {
			ata.SetSym(i, i, ata.At(i, i)+lambda)
		}
		var atb, want mat.VecDense
		atb.MulVec(a.T(), mat.NewVecDense(300, b))
		var ch mat.Cholesky
		if !ch.Factorize(&ata) {
			t.Fatal("not PD")
		}
		ch.SolveVecTo(&want, &atb)
		res, err := LSQR(context.Background(), linalg.Dense(a), b, nil, LSQRSettings{Settings: Settings{Tol: 1e-14, MaxIter: 5000}, Damp: math.Sqrt(lambda)})
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(res.X, want.RawVector().Data); e > 1e-9 {
			t.Errorf("lambda %g: relative error %.2e (status %v, %s)", lambda, e, res.Status, res.Rule)
		}
	}
}

func TestLSQRWarmStart(t *testing.T) {
	rnd := rand.New(rand.NewPCG(4, 4))
	a := conditioned(rnd, 200, 10, 10)
	b := randVec(rnd, 200)
	want := directLS(a, b)
	x0 := append([]float64(nil), want...)
	for i := range x0 {
		x0[i] += 1e-3 * rnd.NormFloat64()
	}
	cold, _ := LSQR(context.Background(), linalg.Dense(a), b, nil, LSQRSettings{Settings: Settings{Tol: 1e-12}})
	warm, err := LSQR(context.Background(), linalg.Dense(a), b, x0, LSQRSettings{Settings: Settings{Tol: 1e-12}})
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(warm.X, want); e > 1e-9 {
		t.Fatalf("warm start error %.2e", e)
	}
	if warm.Stats.MatVecs > cold.Stats.MatVecs+1 {
		t.Errorf("warm start used %d products, cold %d", warm.Stats.MatVecs, cold.Stats.MatVecs)
	}
}

func TestLSQRBadInput(t *testing.T) {
	a := linalg.Dense(mat.NewDense(3, 2, []float64{1, 0, 0, 1, 1, 1}))
	cases := map[string]func() error{
		"short b": func() error {
			_, err := LSQR(context.Background(), a, []float64{1, 2}, nil, LSQRSettings{})
			return err
		},
		"NaN b": func() error {
			_, err := LSQR(context.Background(), a, []float64{1, math.NaN(), 2}, nil, LSQRSettings{})
			return err
		},
		"x0 and damp": func() error {
			_, err := LSQR(context.Background(), a, []float64{1, 2, 3}, []float64{0, 0}, LSQRSettings{Damp: 1})
			return err
		},
	}
	for name, f := range cases {
		if err := f(); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: error %v, want ErrBadInput", name, err)
		}
	}
}

// TestLSQRCancel checks that a canceled context stops LSQR with Status
// Canceled and a finite iterate no worse than the start.
func TestLSQRCancel(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 5))
	a := conditioned(rnd, 500, 50, 1e6)
	b := randVec(rnd, 500)
	ctx, cancel := context.WithCancel(context.Background())
	stopAt := 5
	rec := RecorderFunc(func(r IterRecord) error {
		if r.Iter == stopAt {
			cancel()
		}
		return nil
	})
	res, err := LSQR(ctx, linalg.Dense(a), b, nil, LSQRSettings{Settings: Settings{Tol: 1e-14, Recorder: rec}, Conlim: -1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != Canceled || res.Stats.Iterations != stopAt {
		t.Fatalf("status %v after %d iterations, want canceled after %d", res.Status, res.Stats.Iterations, stopAt)
	}
	if !AllFinite(res.X) || res.Rnorm > Norm2(b) {
		t.Fatalf("canceled iterate not usable: rnorm %g, ||b|| %g", res.Rnorm, Norm2(b))
	}
}

func TestLSQRDeterministicAcrossProcs(t *testing.T) {
	rnd := rand.New(rand.NewPCG(6, 6))
	a := conditioned(rnd, 40000, 20, 100)
	b := randVec(rnd, 40000)
	run := func(p int) []float64 {
		old := runtime.GOMAXPROCS(p)
		defer runtime.GOMAXPROCS(old)
		res, err := LSQR(context.Background(), linalg.Dense(a), b, nil, LSQRSettings{Settings: Settings{Tol: 1e-12}})
		if err != nil {
			t.Fatal(err)
		}
		return res.X
	}
	x1, x2 := run(1), run(2)
	for i := range x1 {
		if x1[i] != x2[i] {
			t.Fatalf("x[%d] differs between GOMAXPROCS 1 and 2", i)
		}
	}
}

func spd(rnd *rand.Rand, n int, kappa float64) *mat.Dense {
	q := conditioned(rnd, n, n, math.Sqrt(kappa))
	var a mat.Dense
	a.Mul(q.T(), q)
	return &a
}

func TestCGAgainstCholesky(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 7))
	for _, kappa := range []float64{1, 1e2, 1e4} {
		a := spd(rnd, 60, kappa)
		b := randVec(rnd, 60)
		var want mat.VecDense
		if err := want.SolveVec(a, mat.NewVecDense(60, b)); err != nil {
			t.Fatal(err)
		}
		res, err := CG(context.Background(), linalg.Dense(a), b, nil, nil, Settings{Tol: 1e-13, MaxIter: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != Converged {
			t.Fatalf("kappa %g: %v after %d", kappa, res.Status, res.Stats.Iterations)
		}
		// Forward error <= kappa · residual tolerance (plus rounding).
		if e := relErr(res.X, want.RawVector().Data); e > kappa*1e-12 {
			t.Errorf("kappa %g: relative error %.2e", kappa, e)
		}
	}
}

// TestPCGJacobiHelps builds an SPD matrix with a badly scaled diagonal that
// Jacobi preconditioning repairs, and checks PCG needs far fewer iterations.
func TestPCGJacobiHelps(t *testing.T) {
	rnd := rand.New(rand.NewPCG(8, 8))
	n := 200
	base := spd(rnd, n, 10)
	d := make([]float64, n)
	for i := range d {
		d[i] = math.Pow(10, 4*rnd.Float64())
	}
	a := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			a.Set(i, j, math.Sqrt(d[i]*d[j])*base.At(i, j))
		}
	}
	diag := make(Jacobi, n)
	for i := range diag {
		diag[i] = a.At(i, i)
	}
	b := randVec(rnd, n)
	s := Settings{Tol: 1e-10, MaxIter: 5000}
	plain, _ := CG(context.Background(), linalg.Dense(a), b, nil, nil, s)
	pre, err := CG(context.Background(), linalg.Dense(a), b, nil, diag, s)
	if err != nil {
		t.Fatal(err)
	}
	if pre.Status != Converged || pre.Stats.Iterations*3 > plain.Stats.Iterations {
		t.Errorf("PCG %d iterations (%v), CG %d (%v)", pre.Stats.Iterations, pre.Status, plain.Stats.Iterations, plain.Status)
	}
}

func TestCGIndefinite(t *testing.T) {
	a := mat.NewDense(2, 2, []float64{1, 0, 0, -1})
	res, err := CG(context.Background(), linalg.Dense(a), []float64{1, 1}, nil, nil, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != NumericalFailure {
		t.Fatalf("indefinite system: status %v", res.Status)
	}
}

func TestSettingsResolve(t *testing.T) {
	s := Settings{}.Resolve()
	if s.Tol != DefaultTol || s.MaxIter != DefaultMaxIter {
		t.Fatalf("defaults not applied: %+v", s)
	}
	s = Settings{Tol: 1e-3, MaxIter: 7}.Resolve()
	if s.Tol != 1e-3 || s.MaxIter != 7 {
		t.Fatalf("explicit values overridden: %+v", s)
	}
}

func TestLSQRAllocs(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 9))
	a := conditioned(rnd, 2000, 20, 10)
	b := randVec(rnd, 2000)
	op := linalg.Dense(a)
	small, _ := LSQR(context.Background(), op, b, nil, LSQRSettings{Settings: Settings{Tol: 1e-3}})
	large, _ := LSQR(context.Background(), op, b, nil, LSQRSettings{Settings: Settings{Tol: 1e-14}})
	as := testing.AllocsPerRun(5, func() { LSQR(context.Background(), op, b, nil, LSQRSettings{Settings: Settings{Tol: 1e-3}}) })
	al := testing.AllocsPerRun(5, func() { LSQR(context.Background(), op, b, nil, LSQRSettings{Settings: Settings{Tol: 1e-14}}) })
	extra := large.Stats.Iterations - small.Stats.Iterations
	if extra < 5 {
		t.Fatalf("test needs more iterations: %d vs %d", large.Stats.Iterations, small.Stats.Iterations)
	}
	// Iterations may allocate only what goroutine start-up in the parallel
	// kernels costs (a handful); no vectors.
	if per := (al - as) / float64(extra); per > 8 {
		t.Errorf("%.1f allocations per LSQR iteration", per)
	}
}
