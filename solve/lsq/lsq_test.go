package lsq

import (
	"context"
	"errors"
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
	"github.com/sketchwork/sketchwork/linalg/testmat"
	"github.com/sketchwork/sketchwork/solve"
)

const u = 0x1p-53

func exact(t *testing.T, seed uint64, n, d int, kappa, rho float64) *testmat.Instance {
	t.Helper()
	inst, err := testmat.KappaExact(seed, testmat.Params{N: n, D: d, Kappa: kappa, Rho: rho})
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func dist(x, y []float64) float64 {
	var s float64
	for i := range x {
		s += (x[i] - y[i]) * (x[i] - y[i])
	}
	return math.Sqrt(s)
}

// TestMethodsAgainstDirect runs every method on exact-κ problems (x* and
// OPT known, ||A|| = ||x*|| = 1) for κ from 1 to 1e10 and residual sizes
// from 1e-8 to 0.5 (regression.md T6). SketchPrecond must reach a forward
// error within 10x of Householder QR's (or of the u·κ floor) and the optimal
// residual to 1e-10 relative; SketchSolve's residual excess must stay below
// ε = 0.1.
func TestMethodsAgainstDirect(t *testing.T) {
	ctx := context.Background()
	for _, kappa := range []float64{1, 1e4, 1e8, 1e10} {
		for _, rho := range []float64{1e-8, 1e-2, 0.5} {
			inst := exact(t, 7, 3000, 20, kappa, rho)
			direct, err := Solve(ctx, inst.A, inst.B, Settings{Method: Direct})
			if err != nil {
				t.Fatal(err)
			}
			errQR := dist(direct.X, inst.XStar)
			pre, err := Solve(ctx, inst.A, inst.B, Settings{Method: SketchPrecond, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			if pre.Status != solve.Converged {
				t.Errorf("κ=%g ρ=%g: precond status %v (%s)", kappa, rho, pre.Status, pre.Rule)
			}
			if e := dist(pre.X, inst.XStar); e > 10*math.Max(errQR, u*kappa) {
				t.Errorf("κ=%g ρ=%g: precond forward error %.2e, QR %.2e", kappa, rho, e, errQR)
			}
			if ex := pre.ResidualNorm/inst.OPT - 1; ex > 1e-10 && pre.ResidualNorm-inst.OPT > 1e-14 {
				t.Errorf("κ=%g ρ=%g: precond residual %.17g vs OPT %.17g", kappa, rho, pre.ResidualNorm, inst.OPT)
			}
			sk, err := Solve(ctx, inst.A, inst.B, Settings{Method: SketchSolve, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			if ex := sk.Objective/(inst.OPT*inst.OPT) - 1; ex > 0.1 {
				t.Errorf("κ=%g ρ=%g: sketch-and-solve excess %.3g > 0.1", kappa, rho, ex)
			}
		}
	}
}

func TestInnerLSQRAgreesWithCG(t *testing.T) {
	inst := exact(t, 11, 4000, 30, 1e6, 1e-3)
	cg, err := Solve(context.Background(), inst.A, inst.B, Settings{Method: SketchPrecond, Inner: InnerCG, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := Solve(context.Background(), inst.A, inst.B, Settings{Method: SketchPrecond, Inner: InnerLSQR, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if cg.Status != solve.Converged || ls.Status != solve.Converged {
		t.Fatalf("status cg %v (%s), lsqr %v (%s)", cg.Status, cg.Rule, ls.Status, ls.Rule)
	}
	// Both are backward stable: they may differ by the forward-error
	// sensitivity u·(κ + κ²·ρ) (||A|| = ||x*|| = 1).
	if d := dist(cg.X, ls.X); d > 10*u*(1e6+1e12*1e-3) {
		t.Errorf("CG and LSQR inner solvers differ by %.2e", d)
	}
	if ls.Passes <= cg.Passes {
		t.Errorf("LSQR should need more passes than the fused CG: %g vs %g", ls.Passes, cg.Passes)
	}
}

// TestRidgeAgainstAugmentedQR checks ridge regression (T7): the answer of
// every method equals the normal-equations solution of (AᵀA + λI)x = Aᵀb.
func TestRidgeAgainstNormalEquations(t *testing.T) {
	inst := exact(t, 13, 3000, 25, 1e8, 0.1)
	a := inst.A.(*mat.Dense)
	for _, lambda := range []float64{1e-6, 1e-2, 10} {
		var ata mat.SymDense
		ata.SymOuterK(1, a.T())
		for i := 0; i < 25; i++ {
			ata.SetSym(i, i, ata.At(i, i)+lambda)
		}
		var atb, want mat.VecDense
		atb.MulVec(a.T(), mat.NewVecDense(len(inst.B), inst.B))
		var ch mat.Cholesky
		if !ch.Factorize(&ata) {
			t.Fatal("normal matrix not PD")
		}
		ch.SolveVecTo(&want, &atb)
		// The normal equations lose accuracy like cond(AᵀA + λI)·u.
		condN := (1 + lambda) / (1e-16 + lambda)
		tol := math.Max(1e-10, 100*condN*u)
		for _, m := range []Method{Direct, SketchPrecond} {
			res, err := Solve(context.Background(), a, inst.B, Settings{Method: m, Lambda: lambda, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if e := dist(res.X, want.RawVector().Data) / mat.Norm(&want, 2); e > tol {
				t.Errorf("%v λ=%g: relative error %.2e > %.1e (status %v)", m, lambda, e, tol, res.Status)
			}
			xn := mat.Norm(mat.NewVecDense(25, res.X), 2)
			if o := res.ResidualNorm*res.ResidualNorm + lambda*xn*xn; math.Abs(o-res.Objective) > 1e-12*o {
				t.Errorf("%v: objective %g, recomputed %g", m, res.Objective, o)
			}
		}
	}
}

// TestMultipleResponse checks that B with 8 columns gives the same answers
// as 8 separate solves (T7) and uses one sketch.
func TestMultipleResponse(t *testing.T) {
	// κ = 10 so that rounding differences between block and vector kernels
	// (u·κ²·||r||) stay below the 1e-12 comparison.
	inst := exact(t, 17, 3000, 20, 10, 0.01)
	n := len(inst.B)
	const k = 8
	B := mat.NewDense(n, k, nil)
	for j := 0; j < k; j++ {
		col := make([]float64, n)
		for i := range col {
			col[i] = inst.B[i] * float64(j+1)
			if j%2 == 1 {
				col[i] += math.Sin(float64(i * j))
			}
		}
		B.SetCol(j, col)
	}
	for _, lambda := range []float64{0, 1e-3} {
		multi, err := SolveMulti(context.Background(), inst.A, B, Settings{Method: SketchPrecond, Lambda: lambda, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < k; j++ {
			single, err := Solve(context.Background(), inst.A, mat.Col(nil, j, B), Settings{Method: SketchPrecond, Lambda: lambda, Seed: 9})
			if err != nil {
				t.Fatal(err)
			}
			got := mat.Col(nil, j, multi.X)
			if e := dist(got, single.X) / mat.Norm(mat.NewVecDense(20, single.X), 2); e > 1e-12 {
				t.Errorf("λ=%g column %d: multi vs single relative difference %.2e", lambda, j, e)
			}
			if math.Abs(multi.ResidualNorms[j]-single.ResidualNorm) > 1e-12*single.ResidualNorm {
				t.Errorf("column %d residual %g vs %g", j, multi.ResidualNorms[j], single.ResidualNorm)
			}
		}
	}
}

func TestSparseMatchesDense(t *testing.T) {
	inst, err := testmat.Sparse(3, testmat.Params{N: 5000, D: 40, Z: 5})
	if err != nil {
		t.Fatal(err)
	}
	csr := inst.A.(*linalg.CSR)
	dense := csr.ToDense()
	for _, m := range []Method{SketchSolve, SketchPrecond} {
		rs, err := Solve(context.Background(), csr, inst.B, Settings{Method: m, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		rd, err := Solve(context.Background(), dense, inst.B, Settings{Method: m, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		if e := dist(rs.X, rd.X) / mat.Norm(mat.NewVecDense(40, rd.X), 2); e > 1e-10 {
			t.Errorf("%v: CSR and dense answers differ by %.2e", m, e)
		}
	}
}

func TestRankDeficient(t *testing.T) {
	inst := exact(t, 19, 2000, 10, 10, 0.1)
	a := inst.A.(*mat.Dense)
	// Column 9 := column 0 + column 3.
	for i := 0; i < 2000; i++ {
		a.Set(i, 9, a.At(i, 0)+a.At(i, 3))
	}
	for _, m := range []Method{Direct, SketchSolve, SketchPrecond} {
		_, err := Solve(context.Background(), a, inst.B, Settings{Method: m})
		var re *RankError
		if !errors.As(err, &re) || re.Rank != 9 || re.Cols != 10 {
			t.Errorf("%v: error %v, want RankError with rank 9 of 10", m, err)
		}
		if !errors.Is(err, ErrInput) {
			t.Errorf("%v: rank error does not wrap ErrInput", m)
		}
		res, err := Solve(context.Background(), a, inst.B, Settings{Method: m, Lambda: 1e-3})
		if err != nil || !solve.AllFinite(res.X) {
			t.Errorf("%v: ridge on a rank-deficient A failed: %v", m, err)
		}
	}
}

func TestBadInput(t *testing.T) {
	inst := exact(t, 23, 500, 5, 10, 0.1)
	a := inst.A.(*mat.Dense)
	nanA := mat.DenseCopyOf(a)
	nanA.Set(42, 3, math.NaN())
	infB := append([]float64(nil), inst.B...)
	infB[7] = math.Inf(1)
	cases := []struct {
		name string
		a    mat.Matrix
		b    []float64
		s    Settings
		want string
	}{
		{"NaN in A (precond)", nanA, inst.B, Settings{Method: SketchPrecond}, "A[42,3]"},
		{"NaN in A (direct)", nanA, inst.B, Settings{Method: Direct}, "A[42,3]"},
		{"Inf in b", a, infB, Settings{}, "B[7,0]"},
		{"short b", a, inst.B[:10], Settings{}, "rows"},
		{"negative lambda", a, inst.B, Settings{Lambda: -1}, "lambda"},
		{"wide A", a.T(), inst.B[:5], Settings{}, "fewer rows"},
		{"bad tol", a, inst.B, Settings{Tol: 2}, "tol"},
	}
	for _, c := range cases {
		_, err := Solve(context.Background(), c.a, c.b, c.s)
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrInput mentioning %q", c.name, err, c.want)
		}
	}
}

// TestCancelReturnsBestIterate cancels SketchPrecond after a few inner
// iterations: the status is Canceled and x is better than the sketch-and-
// solve starting point.
func TestCancelReturnsBestIterate(t *testing.T) {
	inst := exact(t, 29, 4000, 30, 1e8, 0.3)
	start, _ := Solve(context.Background(), inst.A, inst.B, Settings{Method: SketchSolve, SketchRows: 120, Seed: 4})
	ctx, cancel := context.WithCancel(context.Background())
	rec := solve.RecorderFunc(func(r solve.IterRecord) error {
		if r.Iter == 4 {
			cancel()
		}
		return nil
	})
	res, err := Solve(ctx, inst.A, inst.B, Settings{Method: SketchPrecond, Seed: 4, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != solve.Canceled || res.Iterations != 4 {
		t.Fatalf("status %v after %d iterations", res.Status, res.Iterations)
	}
	if !(res.Objective < start.Objective) {
		t.Fatalf("canceled iterate objective %g not below the sketch-and-solve start %g", res.Objective, start.Objective)
	}
	if res.Status.Err() == nil {
		t.Fatal("canceled status reports no error")
	}
}

func TestDeterministicAcrossProcs(t *testing.T) {
	inst := exact(t, 31, 30000, 30, 1e4, 0.1)
	run := func(p int) []float64 {
		old := runtime.GOMAXPROCS(p)
		defer runtime.GOMAXPROCS(old)
		res, err := Solve(context.Background(), inst.A, inst.B, Settings{Method: SketchPrecond, Seed: 8})
		if err != nil {
			t.Fatal(err)
		}
		return res.X
	}
	x1, x2, x3 := run(1), run(2), run(2)
	for i := range x1 {
		if x1[i] != x2[i] || x2[i] != x3[i] {
			t.Fatalf("x[%d]: %v (1 proc) vs %v, %v (2 procs)", i, x1[i], x2[i], x3[i])
		}
	}
}

// TestIterationsFlatInKappa is T5 at small size: warm-started LSQR on A R⁻¹
// meets its own stopping rule at tol = 1e-12 in the same number of
// iterations (within 20%) for κ(A) from 1 to 1e12, while LSQR on A alone at
// κ = 1e4 is still ten times farther from x* after as many iterations.
func TestIterationsFlatInKappa(t *testing.T) {
	var its []int
	for _, kappa := range []float64{1, 1e4, 1e8, 1e12} {
		inst := exact(t, 37, 8000, 40, kappa, 0.1)
		p, err := Precondition(inst.A, inst.B, Settings{Seed: 6})
		if err != nil {
			t.Fatal(err)
		}
		// Warm start: solve for the correction of x₀ (r₀ = b − A x₀).
		op := linalg.AsOperator(inst.A)
		r0 := make([]float64, len(inst.B))
		op.MulVecTo(r0, false, p.Start())
		for i := range r0 {
			r0[i] = inst.B[i] - r0[i]
		}
		res, err := solve.LSQR(context.Background(), p, r0, nil, solve.LSQRSettings{Settings: solve.Settings{Tol: 1e-12, MaxIter: 500}, Conlim: -1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != solve.Converged {
			t.Fatalf("κ=%g: %v after %d iterations", kappa, res.Status, res.Stats.Iterations)
		}
		its = append(its, res.Stats.Iterations)
		if kappa == 1e4 {
			x := make([]float64, 40)
			p.Recover(x, res.X)
			for i := range x {
				x[i] += p.Start()[i]
			}
			plain, _ := solve.LSQR(context.Background(), op, inst.B, nil, solve.LSQRSettings{Settings: solve.Settings{Tol: 1e-300, MaxIter: res.Stats.Iterations}, Conlim: -1})
			if ep, eq := dist(plain.X, inst.XStar), dist(x, inst.XStar); ep < 10*eq {
				t.Errorf("κ=1e4 after %d iterations: plain LSQR error %.2e, preconditioned %.2e", res.Stats.Iterations, ep, eq)
			}
		}
	}
	lo, hi := its[0], its[0]
	for _, v := range its {
		lo, hi = min(lo, v), max(hi, v)
	}
	if float64(hi) > 1.2*float64(lo) {
		t.Errorf("iterations across κ: %v", its)
	}
}

func TestAutoChoosesAndRecordsReason(t *testing.T) {
	small := exact(t, 41, 100, 20, 10, 0.1)
	res, err := Solve(context.Background(), small.A, small.B, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != Direct || !strings.HasPrefix(res.Reason, "auto") {
		t.Errorf("small problem: method %v, reason %q", res.Method, res.Reason)
	}
	tall := exact(t, 43, 20000, 20, 10, 0.1)
	res, err = Solve(context.Background(), tall.A, tall.B, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != SketchPrecond || res.SketchRows != 80 || res.Settings.Method != SketchPrecond {
		t.Errorf("tall problem: method %v with %d sketch rows", res.Method, res.SketchRows)
	}
}

// TestIterationsAllocateNoVectors checks that an inner iteration allocates
// no vectors: the extra bytes of a solve with many more iterations, per
// iteration, stay below one d-vector. The kernels' scratch comes from
// sync.Pools, which a garbage collection empties, so the measurement runs
// with the collector off: it checks the steady state, not the rare refill.
func TestIterationsAllocateNoVectors(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	inst := exact(t, 47, 20000, 100, 100, 0.1)
	// Least bytes over three solves: sync.Pool may miss a buffer parked on
	// another P and allocate a sketch-sized one once per solve.
	bytesFor := func(tol float64) (float64, int) {
		best, its := math.Inf(1), 0
		for k := 0; k < 3; k++ {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			res, err := Solve(context.Background(), inst.A, inst.B, Settings{Method: SketchPrecond, Tol: tol, Seed: 1, MaxRefine: 1})
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			best, its = math.Min(best, float64(after.TotalAlloc-before.TotalAlloc)), res.Iterations
		}
		return best, its
	}
	bytesFor(1e-2) // warm the kernels' buffer pools
	loB, loIt := bytesFor(1e-2)
	hiB, hiIt := bytesFor(1e-13)
	if hiIt-loIt < 10 {
		t.Fatalf("need more iterations: %d vs %d", hiIt, loIt)
	}
	if per := (hiB - loB) / float64(hiIt-loIt); per > 8*100 {
		t.Errorf("%.0f bytes allocated per inner iteration (d = 100): %.0f bytes for %d iterations, %.0f for %d", per, hiB, hiIt, loB, loIt)
	}
}
