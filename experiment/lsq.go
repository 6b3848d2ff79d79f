package experiment

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
	"github.com/sketchwork/sketchwork/linalg/testmat"
	"github.com/sketchwork/sketchwork/sketch"
	"github.com/sketchwork/sketchwork/solve"
	"github.com/sketchwork/sketchwork/solve/lsq"
)

const lsqPaper = "Clarkson-Woodruff 2013, Nelson-Nguyen 2013 (OSNAP), Blendenpik/LSRN, Epperly-Meier-Nakatsukasa 2024 (SPIR); regression.md sections 2-4, 8 (T3, T5)"

// lsqConditioning is experiment (a) of the least-squares issue: with the
// sketch preconditioner, LSQR's iteration count does not depend on κ(A),
// while plain LSQR's grows with κ.
func lsqConditioning() Experiment {
	return Experiment{
		Name:  "lsq-conditioning",
		Title: "Sketch-and-precondition: iterations independent of the condition number",
		Paper: lsqPaper,
		Claim: "Warm-started LSQR on A R⁻¹ (R from a sparse-sign sketch, s = 4d, ζ = 8) needs the same number of iterations (within 20%) to meet LSQR's own stopping rule at tol = 1e-12 for κ(A) from 1e2 to 1e12, while unpreconditioned LSQR's iterations to a forward error of 1e-6 grow with κ and exceed the preconditioned ones tenfold from κ = 1e4 on (T5).",
		Run: func(ctx context.Context, cfg Config) (*Outcome, error) {
			n, d, capIt := 4000, 100, 3000
			if cfg.Full {
				n, d, capIt = 100000, 200, 20000
			}
			const tol, fwd = 1e-12, 1e-6
			kappas := []float64{1e2, 1e4, 1e6, 1e8, 1e10, 1e12}
			o := &Outcome{}
			t := Table{Title: fmt.Sprintf("kappa-exact instances n = %d, d = %d; stopping rule on OPT = 0.1, forward error on OPT = 1e-4 (so that QR attains it up to κ = 1e6); iteration cap %d", n, d, capIt),
				Header: []string{"κ(A)", "precond: iters to LSQR tol 1e-12", "precond: iters to fwd err 1e-6", "plain: iters to fwd err 1e-6", "QR fwd err", "lsq.Solve iters (rounds)", "lsq.Solve fwd err"}}
			var ks, preEx, ksF, preF, plainF []float64
			cell := func(it int) string {
				if it > capIt {
					return fmt.Sprintf("> %d", capIt)
				}
				return fmt.Sprint(it)
			}
			for i, kappa := range kappas {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				big, err := testmat.KappaExact(cfg.Seed, testmat.Params{N: n, D: d, Kappa: kappa, Rho: 0.1})
				if err != nil {
					return nil, err
				}
				pb, r0b, err := warmStart(big, cfg.Seed)
				if err != nil {
					return nil, err
				}
				res, err := solve.LSQR(ctx, pb, r0b, nil, solve.LSQRSettings{Settings: solve.Settings{Tol: tol, MaxIter: capIt}, Conlim: -1})
				if err != nil {
					return nil, err
				}
				itEx := res.Stats.Iterations
				if res.Status != solve.Converged {
					itEx = capIt + 1
				}
				inst, err := testmat.KappaExact(cfg.Seed, testmat.Params{N: n, D: d, Kappa: kappa, Rho: 1e-4})
				if err != nil {
					return nil, err
				}
				p, r0, err := warmStart(inst, cfg.Seed)
				if err != nil {
					return nil, err
				}
				op := linalg.AsOperator(inst.A)
				// Preconditioned iterate: x = x₀ + R⁻¹y.
				x0 := p.Start()
				xk := make([]float64, d)
				precondX := func(y []float64) []float64 {
					p.Recover(xk, y)
					for k := range xk {
						xk[k] += x0[k]
					}
					return xk
				}
				qr, err := lsq.Solve(ctx, inst.A, inst.B, lsq.Settings{Method: lsq.Direct})
				if err != nil {
					return nil, err
				}
				full, err := lsq.Solve(ctx, inst.A, inst.B, lsq.Settings{Method: lsq.SketchPrecond, Seed: cfg.Seed})
				if err != nil {
					return nil, err
				}
				preCell, plainCell := "—", "—"
				if kappa <= 1e6 {
					itPre, err := lsqrIters(ctx, p, r0, capIt, func(r solve.IterRecord) bool { return dist(precondX(r.X), inst.XStar) <= fwd })
					if err != nil {
						return nil, err
					}
					itPlain, err := lsqrIters(ctx, op, inst.B, capIt, func(r solve.IterRecord) bool { return dist(r.X, inst.XStar) <= fwd })
					if err != nil {
						return nil, err
					}
					ksF, preF, plainF = append(ksF, kappa), append(preF, float64(itPre)), append(plainF, float64(itPlain))
					preCell, plainCell = cell(itPre), cell(itPlain)
				}
				ks, preEx = append(ks, kappa), append(preEx, float64(itEx))
				t.AddRow(fmt.Sprintf("%.0e", kappa), cell(itEx), preCell, plainCell, dist(qr.X, inst.XStar),
					fmt.Sprintf("%d (%d)", full.Iterations, full.Refinements), dist(full.X, inst.XStar))
				cfg.Report(float64(i+1) / float64(len(kappas)))
			}
			o.Tables = append(o.Tables, t)
			o.Figures = append(o.Figures, Figure{Name: "iterations", Title: "LSQR iterations vs condition number", XLabel: "κ(A)", YLabel: "iterations", LogX: true, LogY: true,
				Series: []Series{
					{Label: "A R^-1, warm start: LSQR rule at tol 1e-12", X: ks, Y: preEx},
					{Label: "A R^-1, warm start: to forward error 1e-6", X: ksF, Y: preF},
					{Label: "A alone: to forward error 1e-6 (cap+1 = not reached)", X: ksF, Y: plainF},
				}})
			lo, hi := slices.Min(preEx), slices.Max(preEx)
			o.Check("preconditioned iterations to LSQR tol 1e-12 flat in κ", hi <= 1.2*lo && hi <= float64(capIt), "min %.0f, max %.0f over κ = 1e2..1e12 (bound: max <= 1.2·min)", lo, hi)
			grows := plainF[1] >= 5*plainF[0] && plainF[2] >= plainF[1]
			o.Check("unpreconditioned iterations to forward error 1e-6 grow with κ", grows, "%.0f at κ = 1e2, %.0f at 1e4, %.0f at 1e6 (cap %d; cap+1 = not reached)", plainF[0], plainF[1], plainF[2], capIt)
			o.Check("unpreconditioned needs >= 10x the preconditioned iterations from κ = 1e4", plainF[1] >= 10*preF[1] && plainF[2] >= 10*preF[2], "κ = 1e4: %.0f vs %.0f; κ = 1e6: %.0f vs %.0f", plainF[1], preF[1], plainF[2], preF[2])
			o.Note("Preconditioned iterations to a fixed forward error grow like log κ (%.0f to %.0f over κ = 1e2..1e6): the warm start's error grows with κ while the contraction per iteration does not.", slices.Min(preF), slices.Max(preF))
			o.Note("Residual excess alone does not show unpreconditioned LSQR's difficulty: error components along tiny singular directions hardly change ||Ax − b||, so plain LSQR reaches a small residual excess quickly at large κ with a wrong x. The forward error, measured against the known x*, is the criterion that grows with κ; it is attainable (QR column) only up to κ ≈ 1e6 at this residual size.")
			o.Note("lsq.Solve (the library default: fused one-pass CG in SPIR-style refinement rounds, tolerance 1e-14 or the rounding floor) is shown for comparison: its forward error tracks Householder QR's (regression.md T6).")
			return o, nil
		},
	}
}

// warmStart sketches the instance (s = 4d, ζ = 8) and returns the operator
// A R⁻¹ with the residual r₀ = b − A x₀ of the sketch-and-solve start.
func warmStart(inst *testmat.Instance, seed uint64) (*lsq.Preconditioned, []float64, error) {
	p, err := lsq.Precondition(inst.A, inst.B, lsq.Settings{Seed: seed})
	if err != nil {
		return nil, nil, err
	}
	r0 := make([]float64, len(inst.B))
	linalg.AsOperator(inst.A).MulVecTo(r0, false, p.Start())
	for k := range r0 {
		r0[k] = inst.B[k] - r0[k]
	}
	return p, r0, nil
}

// errReached stops LSQR from a Recorder once the target is met.
var errReached = errors.New("target reached")

// lsqrIters runs LSQR on op with right-hand side b until done reports true
// for an iterate and returns the number of iterations, or limit+1 if done
// never holds within limit iterations.
func lsqrIters(ctx context.Context, op linalg.Operator, b []float64, limit int, done func(solve.IterRecord) bool) (int, error) {
	rec := solve.RecorderFunc(func(r solve.IterRecord) error {
		if done(r) {
			return errReached
		}
		return nil
	})
	res, err := solve.LSQR(ctx, op, b, nil, solve.LSQRSettings{Settings: solve.Settings{Tol: 1e-300, MaxIter: limit, Recorder: rec}, Conlim: -1})
	switch {
	case errors.Is(err, errReached):
		return res.Stats.Iterations, nil
	case err != nil:
		return 0, err
	}
	return limit + 1, nil
}

// lsqSketchSolve is experiment (b): the residual excess of sketch-and-solve
// shrinks like d/s.
func lsqSketchSolve() Experiment {
	return Experiment{
		Name:  "lsq-sketch-solve",
		Title: "Sketch-and-solve: residual excess shrinks like d/s",
		Paper: lsqPaper,
		Claim: "One sparse-sign sketch with s rows gives ||Ax̃−b||² ≤ (1+ε)·OPT² with ε ≈ d/(s−d): the median excess falls with slope −1 in s on a log-log scale and stays within 3x of d/(s−d−1).",
		Run: func(ctx context.Context, cfg Config) (*Outcome, error) {
			n, d, seeds := 20000, 20, 15
			if cfg.Full {
				n, d, seeds = 200000, 50, 50
			}
			inst, err := testmat.KappaExact(cfg.Seed, testmat.Params{N: n, D: d, Kappa: 1e4, Rho: 0.5})
			if err != nil {
				return nil, err
			}
			opt2 := inst.OPT * inst.OPT
			factors := []int{2, 4, 8, 16, 32, 64}
			o := &Outcome{}
			t := Table{Title: fmt.Sprintf("kappa-exact n = %d, d = %d, κ = 1e4, OPT = 0.5; %d seeds per size", n, d, seeds),
				Header: []string{"s", "s/d", "median excess", "90th percentile", "d/(s−d−1)"}}
			var xs, med, theory []float64
			within := true
			for fi, f := range factors {
				s := f * d
				var ex []float64
				for k := 0; k < seeds; k++ {
					if err := ctx.Err(); err != nil {
						return nil, err
					}
					res, err := lsq.Solve(ctx, inst.A, inst.B, lsq.Settings{Method: lsq.SketchSolve, SketchRows: s, Seed: cfg.Seed*1000 + uint64(k)})
					if err != nil {
						return nil, err
					}
					ex = append(ex, res.Objective/opt2-1)
				}
				slices.Sort(ex)
				m := ex[len(ex)/2]
				th := float64(d) / float64(s-d-1)
				t.AddRow(s, f, m, ex[len(ex)*9/10], th)
				xs, med, theory = append(xs, float64(s)), append(med, m), append(theory, th)
				within = within && m <= 3*th && m >= th/3
				cfg.Report(float64(fi+1) / float64(len(factors)))
			}
			slope := fitSlope(xs[2:], med[2:])
			o.Tables = append(o.Tables, t)
			o.Figures = append(o.Figures, Figure{Name: "excess", Title: "Sketch-and-solve residual excess vs sketch size", XLabel: "sketch rows s", YLabel: "||Ax̃−b||²/OPT² − 1", LogX: true, LogY: true,
				Series: []Series{{Label: "median (sparse sign, ζ = 8)", X: xs, Y: med}, {Label: "d/(s−d−1)", X: xs, Y: theory}}})
			o.Check("slope of excess vs s is −1", slope > -1.3 && slope < -0.7, "fitted log-log slope %.3f over s >= 8d (accepted: −1.3..−0.7)", slope)
			o.Check("excess within 3x of d/(s−d−1)", within, "median excess against the Gaussian-sketch expectation at every s")
			return o, nil
		},
	}
}

// lsqCoherence is experiment (c): on coherent (spiky) matrices uniform row
// sampling fails, sparse sign and leverage-score sampling succeed.
func lsqCoherence() Experiment {
	return Experiment{
		Name:  "lsq-coherence",
		Title: "Coherent matrices: uniform sampling fails, sparse sign and leverage sampling succeed",
		Paper: lsqPaper,
		Claim: "On the spiky G4 matrix (d unit rows hidden among n−d tiny rows), sketch-and-solve with uniform row sampling misses spikes and fails the (1+ε) bound (ε = 0.5) in >= 50% of seeds at s = 8d·ln d, while sparse sign and leverage-score sampling meet it in >= 90% (T1/T3).",
		Run: func(ctx context.Context, cfg Config) (*Outcome, error) {
			n, d, seeds := 20000, 20, 20
			if cfg.Full {
				n, d, seeds = 1000000, 50, 50
			}
			inst, err := testmat.Spiky(cfg.Seed, testmat.Params{N: n, D: d, Delta: 1e-3, Noise: 0.1})
			if err != nil {
				return nil, err
			}
			a := inst.A.(*mat.Dense)
			ref, err := lsq.Solve(ctx, a, inst.B, lsq.Settings{Method: lsq.Direct})
			if err != nil {
				return nil, err
			}
			opt2 := ref.Objective
			s := int(math.Ceil(8 * float64(d) * math.Log(float64(d))))
			const eps = 0.5
			kinds := []sketch.Kind{sketch.Uniform, sketch.SparseSign, sketch.Leverage}
			o := &Outcome{}
			t := Table{Title: fmt.Sprintf("spiky n = %d, d = %d, δ = 1e-3; s = 8d·ln d = %d; %d seeds; success = excess <= %.1f", n, d, s, seeds, eps),
				Header: []string{"sketch", "successes", "median excess", "worst excess"}}
			rate := map[sketch.Kind]float64{}
			for ki, kind := range kinds {
				var ex []float64
				ok := 0
				for k := 0; k < seeds; k++ {
					if err := ctx.Err(); err != nil {
						return nil, err
					}
					e, err := sketchSolveExcess(a, inst.B, kind, s, cfg.Seed*7919+uint64(k), opt2)
					if err != nil {
						return nil, err
					}
					ex = append(ex, e)
					if e <= eps {
						ok++
					}
				}
				slices.Sort(ex)
				rate[kind] = float64(ok) / float64(seeds)
				t.AddRow(kind.String(), fmt.Sprintf("%d/%d", ok, seeds), ex[len(ex)/2], ex[len(ex)-1])
				cfg.Report(float64(ki+1) / float64(len(kinds)))
			}
			o.Tables = append(o.Tables, t)
			o.Check("uniform sampling fails", rate[sketch.Uniform] <= 0.5, "success rate %.2f (claim: <= 0.5)", rate[sketch.Uniform])
			o.Check("sparse sign succeeds", rate[sketch.SparseSign] >= 0.9, "success rate %.2f (claim: >= 0.9)", rate[sketch.SparseSign])
			o.Check("leverage sampling succeeds", rate[sketch.Leverage] >= 0.9, "success rate %.2f (claim: >= 0.9)", rate[sketch.Leverage])
			o.Note("A sample that misses a spike row leaves SA (nearly) rank deficient; such a run counts as a failure with infinite excess.")
			return o, nil
		},
	}
}

// sketchSolveExcess returns ||Ax̃−b||²/opt2 − 1 for x̃ from sketch-and-solve
// with the given kind, or +Inf when the sketched problem is rank deficient.
func sketchSolveExcess(a *mat.Dense, b []float64, kind sketch.Kind, s int, seed uint64, opt2 float64) (float64, error) {
	n, d := a.Dims()
	spec := sketch.Spec{Kind: kind, Rows: s, Scaling: sketch.Isometry}
	var sk *sketch.Sketch
	var err error
	if kind == sketch.Leverage {
		sk, err = sketch.NewLeverage(spec, a, seed)
	} else {
		sk, err = sketch.New(spec, n, seed)
	}
	if err != nil {
		return 0, err
	}
	sa := mat.NewDense(s, d, nil)
	sk.Apply(sa, a)
	sb := make([]float64, s)
	sk.ApplyVec(sb, b)
	var qr mat.QR
	qr.Factorize(sa)
	var x mat.VecDense
	if err := qr.SolveVecTo(&x, false, mat.NewVecDense(s, sb)); err != nil {
		return math.Inf(1), nil
	}
	if qr.Cond() > 1e14 {
		return math.Inf(1), nil
	}
	r := make([]float64, n)
	linalg.Dense(a).MulVecTo(r, false, x.RawVector().Data)
	var rr float64
	for i := range r {
		rr += (b[i] - r[i]) * (b[i] - r[i])
	}
	return rr/opt2 - 1, nil
}

// dist returns ||x − y||.
func dist(x, y []float64) float64 {
	var s float64
	for i := range x {
		s += (x[i] - y[i]) * (x[i] - y[i])
	}
	return math.Sqrt(s)
}

// fitSlope returns the least-squares slope of log(y) against log(x).
func fitSlope(x, y []float64) float64 {
	var sx, sy, sxx, sxy float64
	n := float64(len(x))
	for i := range x {
		lx, ly := math.Log(x[i]), math.Log(y[i])
		sx, sy, sxx, sxy = sx+lx, sy+ly, sxx+lx*lx, sxy+lx*ly
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}
