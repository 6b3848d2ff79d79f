package newton

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
	"github.com/sketchwork/sketchwork/solve"
)

// The blocked Gram equals the naive sum Σ w_t a a ᵀ for dense and CSR rows,
// full and subset row lists, signed weights, and sizes that are not
// multiples of the tile or block sizes.
func TestGramMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, sz := range [][2]int{{1, 1}, {3, 5}, {130, 7}, {300, 13}, {1100, 32}} {
		n, d := sz[0], sz[1]
		a := randDense(r, n, d)
		for j := 0; j < d; j++ { // make it sparse-ish so the CSR path differs
			a.Set(r.IntN(n), j, 0)
		}
		for _, sparse := range []bool{false, true} {
			for _, subset := range []bool{false, true} {
				var am mat.Matrix = a
				if sparse {
					am = linalg.CSRFromDense(a, 0)
				}
				p, err := NewProblem(am, testSoftmax{b: make([]float64, n)}, nil)
				if err != nil {
					t.Fatal(err)
				}
				var rows []int
				m := n
				if subset {
					m = max(1, n/3)
					for k := 0; k < m; k++ {
						rows = append(rows, r.IntN(n))
					}
				}
				w := make([]float64, m)
				for k := range w {
					w[k] = r.NormFloat64()
				}
				var g mat.SymDense
				var view mat.Dense
				linalg.WeightedGramTo(&g, p.matrix(&view), rows, w, nil)
				got := g.RawSymmetric().Data
				want := make([]float64, d*d)
				var scale float64
				for k := 0; k < m; k++ {
					i := k
					if subset {
						i = rows[k]
					}
					for j := 0; j < d; j++ {
						for l := j; l < d; l++ {
							want[j*d+l] += w[k] * a.At(i, j) * a.At(i, l)
							scale += math.Abs(w[k] * a.At(i, j) * a.At(i, l))
						}
					}
				}
				for j := 0; j < d; j++ {
					for l := j; l < d; l++ {
						if e := math.Abs(got[j*d+l] - want[j*d+l]); e > 1e-13*scale {
							t.Fatalf("n=%d d=%d sparse=%v subset=%v: entry (%d,%d) = %v, want %v", n, d, sparse, subset, j, l, got[j*d+l], want[j*d+l])
						}
					}
				}
			}
		}
	}
}

// Exact leverage scores equal ‖Q_i‖² from a QR of diag(√c)A and sum to d;
// approximate scores are within a constant factor for most rows.
func TestLeverageScores(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	n, d := 2000, 12
	a := randDense(r, n, d)
	for i := 0; i < 20; i++ { // coherent rows
		for j := 0; j < d; j++ {
			a.Set(i, j, 30*a.At(i, j))
		}
	}
	c := make([]float64, n)
	for i := range c {
		c[i] = r.Float64()
	}
	c[5] = 0
	for _, sparse := range []bool{false, true} {
		var am mat.Matrix = a
		if sparse {
			am = linalg.CSRFromDense(a, 0)
		}
		p, err := NewProblem(am, testSoftmax{b: make([]float64, n)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := mat.NewDense(n, d, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				m.Set(i, j, math.Sqrt(c[i])*a.At(i, j))
			}
		}
		var qr mat.QR
		qr.Factorize(m)
		var q mat.Dense
		qr.QTo(&q)
		want := make([]float64, n)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				want[i] += q.At(i, j) * q.At(i, j)
			}
		}
		var ws levWS
		got := make([]float64, n)
		if err := p.exactLeverage(&ws, got, c); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-10 {
				t.Fatalf("sparse=%v: exact score %d = %v, want %v", sparse, i, got[i], want[i])
			}
		}
		if s := floats.Sum(got); math.Abs(s-float64(d)) > 1e-9 {
			t.Errorf("exact scores sum to %v, want %d", s, d)
		}
		approx := make([]float64, n)
		if err := p.approxLeverage(&ws, approx, c, 20*d, DefaultJLCols, 7); err != nil {
			t.Fatal(err)
		}
		if approx[5] != 0 {
			t.Errorf("row with zero weight got score %v", approx[5])
		}
		var ratios []float64
		for i := range approx {
			if want[i] > 0 {
				ratios = append(ratios, approx[i]/want[i])
			}
		}
		sort.Float64s(ratios)
		// k = 12 Gaussian columns: τ̃/τ ≈ χ²₁₂/12 times the sketch's distortion;
		// its 5% and 95% quantiles are 0.44 and 1.75.
		q05, q50, q95 := ratios[len(ratios)/20], ratios[len(ratios)/2], ratios[len(ratios)*19/20]
		if q05 < 0.3 || q95 > 2.5 || q50 < 0.7 || q50 > 1.4 {
			t.Errorf("sparse=%v: approximate/exact score quantiles (5%%, 50%%, 95%%) = %.2f %.2f %.2f", sparse, q05, q50, q95)
		}
	}
}

// sampledVsExact builds the sampled and exact Hessians of a diagonal
// curvature D > 0 (the D⁺ part of test T7) and returns ε_eff and |I|.
func sampledVsExact(t testing.TB, p *Problem, dvals []float64, s Sampled, iter int) (float64, int) {
	_, d := p.Dims()
	c := &Curvature{D: dvals}
	h, ht := mat.NewSymDense(d, nil), mat.NewSymDense(d, nil)
	if _, err := (Exact{}).NewSession(p).Build(h, c, 0); err != nil {
		t.Fatal(err)
	}
	st, err := s.NewSession(p).Build(ht, c, iter)
	if err != nil {
		t.Fatal(err)
	}
	e, err := SpectralError(h, ht)
	if err != nil {
		t.Fatal(err)
	}
	return e, st.Rows
}

// t7Data is the data of test T7: Gaussian rows with mildly varying scales,
// so that most rows are sampled with π_i < 1 and the reweighting matters.
func t7Data(t testing.TB) (*Problem, []float64) {
	r := rand.New(rand.NewPCG(3, 3))
	n, d := 4000, 20
	a := randDense(r, n, d)
	for i := 0; i < n; i++ {
		sc := 0.5 + math.Abs(r.NormFloat64())
		for j := 0; j < d; j++ {
			a.Set(i, j, sc*a.At(i, j))
		}
	}
	p, err := NewProblem(a, testSoftmax{b: make([]float64, n)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dv := make([]float64, n)
	for i := range dv {
		dv[i] = 0.5 + r.Float64()
	}
	return p, dv
}

// t7Trials returns how many of 100 seeded trials have ε_eff > ε0, the worst
// ε_eff and the mean sample size.
func t7Trials(t testing.TB, p *Problem, dv []float64, s Sampled) (bad int, worst float64, rows int) {
	const trials = 100
	for k := 0; k < trials; k++ {
		s.Seed = uint64(k)
		e, m := sampledVsExact(t, p, dv, s, k)
		worst = max(worst, e)
		rows += m
		if e > s.Eps0 {
			bad++
		}
	}
	return bad, worst, rows / trials
}

// T7: with the default constant, ε_eff ≤ ε0 for the D⁺ part in at least
// (1 − δ) = 99% of 100 seeded trials, for ε0 = 0.5, 0.3 and 0.2.
func TestSampledSpectralError(t *testing.T) {
	p, dv := t7Data(t)
	for _, eps0 := range []float64{0.5, 0.3, 0.2} {
		bad, worst, rows := t7Trials(t, p, dv, Sampled{Eps0: eps0})
		t.Logf("eps0=%.2f: worst ε_eff %.3f, %d of 100 above eps0, mean |I| = %d", eps0, worst, bad, rows)
		if bad > 1 {
			t.Errorf("eps0=%.2f: ε_eff > eps0 in %d of 100 trials (δ = 1%% allows 1)", eps0, bad)
		}
	}
}

// T7 also holds with package sketch's approximate scores (SketchLeverage).
func TestSampledSpectralErrorSketchPackage(t *testing.T) {
	p, dv := t7Data(t)
	bad, worst, rows := t7Trials(t, p, dv, Sampled{Eps0: 0.3, Scores: SketchLeverage})
	t.Logf("sketch-leverage eps0=0.3: worst ε_eff %.3f, %d of 100 above, mean |I| = %d", worst, bad, rows)
	if bad > 1 {
		t.Errorf("ε_eff > eps0 in %d of 100 trials", bad)
	}
}

// The spec's recommended c = 0.5 (section 2.4) is too small for its own
// guarantee with approximate leverage scores: at ε0 = 0.3 more than δ = 1%
// of the trials exceed ε0. This is why DefaultSampleC is 1.
func TestSampleConstant(t *testing.T) {
	p, dv := t7Data(t)
	bad, worst, rows := t7Trials(t, p, dv, Sampled{Eps0: 0.3, C: 0.5})
	t.Logf("c=0.5, eps0=0.3: %d of 100 trials above eps0, worst %.3f, mean |I| = %d", bad, worst, rows)
	if bad <= 1 {
		t.Errorf("c = 0.5 met the guarantee (%d of 100 above eps0): revisit DefaultSampleC", bad)
	}
}

// T12: at the same expected sample count on coherent data, leverage
// sampling is far more accurate than uniform sampling.
func TestLeverageBeatsUniform(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	n, d := 4000, 20
	dv := make([]float64, n)
	for i := range dv {
		dv[i] = 0.5 + r.Float64()
	}
	// Coherent data: 1% of the rows carry 20x the scale.
	b := randDense(r, n, d)
	for i := 0; i < n/100; i++ {
		for j := 0; j < d; j++ {
			b.Set(i, j, 20*b.At(i, j))
		}
	}
	pb, err := NewProblem(b, testSoftmax{b: make([]float64, n)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lev, nl := sampledVsExact(t, pb, dv, Sampled{Eps0: 0.5, Seed: 1}, 0)
	// Uniform sampling with the constant c scaled so that its expected sample
	// count equals the leverage count.
	cu := DefaultSampleC * float64(nl) / (Sampled{Eps0: 0.5}.Beta(d) * float64(d))
	uni, nu := sampledVsExact(t, pb, dv, Sampled{Eps0: 0.5, C: cu, Seed: 1, Scores: Uniform}, 0)
	t.Logf("T12: leverage ε_eff %.3f with %d rows, uniform %.3f with %d rows", lev, nl, uni, nu)
	if !(lev < 0.6 && uni > 3*lev && math.Abs(float64(nl-nu)) < 0.25*float64(nl)) {
		t.Errorf("T12: leverage ε_eff %.3f (%d rows) vs uniform %.3f (%d rows): leverage should win at equal samples", lev, nl, uni, nu)
	}
}

// Negative diagonal entries are always kept exactly, and the rank-2 part is
// added exactly: with every D_i < 0 the sampled Hessian equals the exact one.
func TestSampledKeepsNegativeRows(t *testing.T) {
	p, x := testInstance(t, 300, 6, 0, 5, false)
	var c Curvature
	if err := p.CurvatureAt(&c, x); err != nil {
		t.Fatal(err)
	}
	for i := range c.D {
		c.D[i] = -math.Abs(c.D[i]) - 1e-6
	}
	h, ht := mat.NewSymDense(6, nil), mat.NewSymDense(6, nil)
	Exact{}.NewSession(p).Build(h, &c, 0)
	st, err := Sampled{Seed: 1}.NewSession(p).Build(ht, &c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if st.NegativeRows != 300 || st.Rows != 300 {
		t.Errorf("kept %d rows (%d negative), want all 300", st.Rows, st.NegativeRows)
	}
	if !mat.EqualApprox(h, ht, 1e-12*mat.Norm(h, 1)) {
		t.Error("sampled Hessian with all-negative D differs from the exact one")
	}
}

// errorNorms returns ‖x_t − x*‖_{H*} for every iterate.
func hNormErrors(t testing.TB, p *Problem, iters []Iter, xs [][]float64, xstar []float64) []float64 {
	_, d := p.Dims()
	h := mat.NewSymDense(d, nil)
	if err := p.Hessian(h, xstar); err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(xs))
	for k, x := range xs {
		e := make([]float64, d)
		floats.SubTo(e, x, xstar)
		ev := mat.NewVecDense(d, e)
		out[k] = math.Sqrt(mat.Inner(ev, h, ev))
	}
	return out
}

// T13: scaling the loss (and w by √C) leaves the iterates unchanged:
// bit-identical for C a power of two, to rounding for C = 3.7, for the exact
// and the sampled Hessian with the same seed.
func TestScaleInvariance(t *testing.T) {
	p, x0 := testInstance(t, 2000, 10, 0.5, 6, false)
	n, _ := p.Dims()
	for _, b := range []HessianBuilder{Exact{}, Sampled{Seed: 3}} {
		base, err := Minimize(context.Background(), p, x0, Options{Hessian: b, MaxIter: 8, GradTol: -1, Stagnation: -1, Mode: UnitStep})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []float64{4, 1.0 / 1024, 3.7} {
			w := make([]float64, n)
			for i := range w {
				w[i] = math.Sqrt(c*0.5) / float64(n)
			}
			ps, err := NewProblem(p.dense, Scaled{Loss: p.loss, C: c}, w)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Minimize(context.Background(), ps, x0, Options{Hessian: b, MaxIter: 8, GradTol: -1, Stagnation: -1, Mode: UnitStep})
			if err != nil {
				t.Fatal(err)
			}
			exact := c == 4 || c == 1.0/1024
			diff := floats.Distance(res.X, base.X, math.Inf(1)) / floats.Norm(base.X, math.Inf(1))
			if exact && diff != 0 || !exact && diff > 1e-9 {
				t.Errorf("%s, C=%g: iterates differ by %.3g relative", b.Name(), c, diff)
			}
			for k := range res.Iters {
				if res.Iters[k].Samples != base.Iters[k].Samples {
					t.Errorf("%s, C=%g: iteration %d used %d rows, unscaled %d", b.Name(), c, k, res.Iters[k].Samples, base.Iters[k].Samples)
					break
				}
			}
		}
	}
}

// A sampled solve is bit-identical at GOMAXPROCS 1 and 2, for dense and
// sparse A, and for the same seed twice.
func TestReproducibleAcrossGOMAXPROCS(t *testing.T) {
	for _, sparse := range []bool{false, true} {
		p, x0 := testInstance(t, 3000, 12, 0.5, 8, sparse)
		run := func(procs int) *Result {
			old := runtime.GOMAXPROCS(procs)
			defer runtime.GOMAXPROCS(old)
			res, err := Minimize(context.Background(), p, x0, Options{Hessian: Sampled{Seed: 42}, MaxIter: 6})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		r1, r2, r3 := run(1), run(2), run(2)
		if !slices.Equal(r1.X, r2.X) || !slices.Equal(r2.X, r3.X) {
			t.Errorf("sparse=%v: iterates differ between GOMAXPROCS 1 and 2 or between runs", sparse)
		}
		for k := range r1.Iters {
			if r1.Iters[k].Loss != r2.Iters[k].Loss || r1.Iters[k].Samples != r2.Iters[k].Samples {
				t.Errorf("sparse=%v: iteration %d differs", sparse, k)
			}
		}
	}
}

// Exact unit-step Newton converges quadratically near x* (T10): once the
// error is below 1e-3 of the start, each step at least squares the relative
// error (up to a factor 10) until the floating-point floor.
func TestExactNewtonQuadratic(t *testing.T) {
	p, x0 := testInstance(t, 3000, 10, 0.5, 9, false)
	ref, err := Minimize(context.Background(), p, x0, Options{GradTol: 1e-15, MaxIter: 50, Stagnation: 3})
	if err != nil {
		t.Fatal(err)
	}
	xstar := ref.X
	start := append([]float64(nil), xstar...)
	for j := range start {
		start[j] += 0.3 * x0[j]
	}
	var xs [][]float64
	res, err := Minimize(context.Background(), p, start, Options{Mode: UnitStep, MaxIter: 8, GradTol: -1, Stagnation: -1,
		OnIter: func(Iter) {}, XRef: xstar})
	if err != nil {
		t.Fatal(err)
	}
	_ = xs
	var errs []float64
	for _, it := range res.Iters {
		errs = append(errs, it.Dist/floats.Norm(xstar, 2))
	}
	t.Logf("relative errors: %.2e", errs)
	checked := 0
	for k := 0; k+1 < len(errs); k++ {
		if errs[k] < 1e-3 && errs[k] > 1e-7 {
			checked++
			if errs[k+1] > 10*errs[k]*errs[k]+1e-12 {
				t.Errorf("step %d: error %.3g → %.3g is not quadratic", k, errs[k], errs[k+1])
			}
		}
	}
	if checked == 0 {
		t.Errorf("no iterate in the quadratic window; errors %v", errs)
	}
}

// Misuse and bad data are reported as errors naming what and where.
func TestBadInput(t *testing.T) {
	a := mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6})
	loss := testSoftmax{b: []float64{0.2, 0.3, 0.5}}
	nanA := mat.NewDense(3, 2, []float64{1, 2, 3, math.NaN(), 5, 6})
	cases := []struct {
		name string
		run  func() error
	}{
		{"nan in A", func() error { _, err := NewProblem(nanA, loss, nil); return err }},
		{"loss length", func() error { _, err := NewProblem(a, testSoftmax{b: []float64{1}}, nil); return err }},
		{"weights length", func() error { _, err := NewProblem(a, loss, []float64{1}); return err }},
		{"nan weight", func() error { _, err := NewProblem(a, loss, []float64{1, math.Inf(1), 1}); return err }},
		{"x0 length", func() error {
			p, _ := NewProblem(a, loss, nil)
			_, err := Minimize(context.Background(), p, []float64{1}, Options{})
			return err
		}},
		{"x0 nan", func() error {
			p, _ := NewProblem(a, loss, nil)
			_, err := Minimize(context.Background(), p, []float64{1, math.NaN()}, Options{})
			return err
		}},
	}
	for _, c := range cases {
		if err := c.run(); err == nil {
			t.Errorf("%s: no error", c.name)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
}

// The stop rules report what fired: gradient, decrement, max-iter, and
// cancellation.
func TestStopRules(t *testing.T) {
	p, x0 := testInstance(t, 1000, 8, 0.5, 10, false)
	cases := []struct {
		opts   Options
		rule   StopRule
		status solve.Status
	}{
		{Options{GradTol: 1e-8}, StopGradient, solve.Converged},
		{Options{GradTol: -1, DecrementTol: 1e-20}, StopDecrement, solve.Converged},
		{Options{MaxIter: 1, GradTol: 1e-14}, StopMaxIter, solve.IterationLimit},
	}
	for _, c := range cases {
		res, err := Minimize(context.Background(), p, x0, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.StopRule != c.rule || res.Status != c.status {
			t.Errorf("options %+v: stopped by %s (%s), want %s (%s)", c.opts, res.StopRule, res.Status, c.rule, c.status)
		}
		if c.rule == StopGradient && !(res.GradNorm <= 1e-8*res.Grad0) {
			t.Errorf("gradient rule fired at ‖g‖ = %.3g > 1e-8·%.3g", res.GradNorm, res.Grad0)
		}
		if len(res.Iters) != res.Stats.Iterations+1 {
			t.Errorf("%d records for %d iterations", len(res.Iters), res.Stats.Iterations)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Minimize(ctx, p, x0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != solve.Canceled {
		t.Errorf("canceled context: status %s", res.Status)
	}
}

// The unit-step mode reports a non-PD Hessian instead of damping it, and the
// safeguarded mode damps and still descends.
func TestModesOnIndefiniteStart(t *testing.T) {
	p, x0 := testInstance(t, 400, 6, 0, 11, false) // no regularizer: indefinite far away
	start := make([]float64, len(x0))
	for j := range start {
		start[j] = 8 * x0[j]
	}
	var h mat.SymDense
	h.ReuseAsSym(6)
	if err := p.Hessian(&h, start); err != nil {
		t.Fatal(err)
	}
	var ch mat.Cholesky
	if ch.Factorize(&h) {
		t.Skip("start is PD; the instance does not exercise damping")
	}
	res, err := Minimize(context.Background(), p, start, Options{Mode: UnitStep})
	if err != nil {
		t.Fatal(err)
	}
	if res.StopRule != StopFailure || res.Status != solve.NumericalFailure {
		t.Errorf("unit step at a non-PD point: %s (%s), want failure", res.StopRule, res.Status)
	}
	res, err = Minimize(context.Background(), p, start, Options{MaxIter: 30})
	if err != nil {
		t.Fatal(err)
	}
	if res.Iters[0].Damping == 0 {
		t.Error("safeguarded mode did not damp the first Hessian")
	}
	if !(res.Objective < res.Iters[0].Loss) {
		t.Errorf("safeguarded mode did not descend: %v → %v", res.Iters[0].Loss, res.Objective)
	}
}

func ExampleMinimize() {
	// Softmax regression on a tiny instance, exact Hessian, safeguarded steps.
	a := mat.NewDense(4, 2, []float64{1, 0, 0, 1, 1, 1, -1, 0.5})
	p, err := NewProblem(a, testSoftmax{b: []float64{0.1, 0.2, 0.6, 0.1}}, []float64{0.1, 0.1, 0.1, 0.1})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := Minimize(context.Background(), p, []float64{0, 0}, Options{GradTol: 1e-12})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s by %s rule, x = [%.4f %.4f]\n", res.Status, res.StopRule, res.X[0], res.X[1])
	// Output:
	// converged by gradient rule, x = [0.6319 0.9127]
}
