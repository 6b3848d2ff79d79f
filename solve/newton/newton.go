package newton

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/solve"
)

// Mode selects the step control.
type Mode int

const (
	// Safeguarded is the default for user data: Armijo backtracking on every
	// step, and damping H̃ + τI when H̃ is not positive definite, until the
	// iterate is local (a full step was accepted and the Newton decrement
	// λ²/2 is below LocalTol·|L|); from then on pure unit steps, because
	// near the optimum the Armijo test compares loss values that differ only
	// in their last digits. A unit step that raises the loss by more than a
	// relative 1e-6 sends the solver back to the safeguarded phase.
	Safeguarded Mode = iota
	// UnitStep is the papers' method (section 2.3, 6): x ← x − H̃⁻¹g with no
	// line search and no damping. A Hessian that is not positive definite
	// stops the solve with NumericalFailure ("outside the local region").
	UnitStep
)

// String returns "safeguarded" or "unit-step".
func (m Mode) String() string {
	switch m {
	case Safeguarded:
		return "safeguarded"
	case UnitStep:
		return "unit-step"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// StopRule names the rule that ended a solve.
type StopRule string

// Stop rules reported in Result.StopRule.
const (
	StopGradient   StopRule = "gradient"   // ‖g_t‖ ≤ GradTol·‖g_0‖ or ≤ GradAbsTol
	StopDecrement  StopRule = "decrement"  // λ_t²/2 ≤ DecrementTol·|L(x_t)|
	StopMaxIter    StopRule = "max-iter"   // MaxIter steps taken
	StopMaxTime    StopRule = "max-time"   // MaxTime elapsed
	StopCanceled   StopRule = "canceled"   // the context was canceled
	StopStagnation StopRule = "stagnation" // no descent step found, or the gradient stopped decreasing
	StopFailure    StopRule = "failure"    // non-PD Hessian in unit-step mode, NaN, domain error
)

// Defaults of Options.
const (
	DefaultGradTol      = 1e-10
	DefaultMaxIter      = 100
	DefaultArmijo       = 1e-4
	DefaultMaxBacktrack = 40
	// DefaultLocalTol: the safeguarded mode switches to unit steps once
	// λ²/2 ≤ 1e-6·|L|, where the Armijo test still resolves the predicted
	// decrease (1e-4·λ² ≫ ε_mach·|L|).
	DefaultLocalTol = 1e-6
	// DefaultStagnation: a solve whose best gradient norm has not halved in
	// this many unit-step iterations is stagnant (the floating-point floor of
	// A11). Approximate Newton halves it every step or two (contraction
	// ≲ 0.3 at ε0 = 0.3), so 5 leaves a wide margin.
	DefaultStagnation = 5
	// localGuard: in the unit-step phase of Safeguarded, a step that raises
	// the loss by more than this relative amount (far above rounding) sends
	// the solver back to backtracking.
	localGuard = 1e-6
)

// Options controls Minimize. Every zero value has the documented default.
type Options struct {
	// Hessian builds H̃ each iteration; nil means Exact{}.
	Hessian HessianBuilder
	// Mode is the step control; the zero value is Safeguarded.
	Mode Mode
	// GradTol stops when ‖g_t‖ ≤ GradTol·‖g_0‖ (relative, so scaling the loss
	// changes nothing: T13). 0 means DefaultGradTol; negative disables.
	GradTol float64
	// GradAbsTol stops when ‖g_t‖ ≤ GradAbsTol. 0 disables.
	GradAbsTol float64
	// DecrementTol stops when the Newton decrement λ_t² = g_tᵀH̃_t⁻¹g_t
	// satisfies λ_t²/2 ≤ DecrementTol·|L(x_t)| (λ²/2 estimates L − L*). 0
	// disables.
	DecrementTol float64
	// MaxIter bounds the Newton steps; 0 means DefaultMaxIter.
	MaxIter int
	// MaxTime bounds wall time; 0 means no limit.
	MaxTime time.Duration
	// Armijo is the sufficient-decrease constant; 0 means DefaultArmijo.
	Armijo float64
	// MaxBacktrack bounds the step halvings per iteration; 0 means
	// DefaultMaxBacktrack.
	MaxBacktrack int
	// LocalTol is the relative decrement below which Safeguarded switches to
	// unit steps; 0 means DefaultLocalTol.
	LocalTol float64
	// Stagnation is the window of the stagnation rule; 0 means
	// DefaultStagnation, negative disables.
	Stagnation int
	// XRef, if non-nil, is a reference minimizer: each Iter records
	// ‖x_t − XRef‖₂.
	XRef []float64
	// Metric, if non-nil (d×d, with XRef), makes each Iter also record
	// ‖x_t − XRef‖_Metric, e.g. the local norm of H(x*) in which the
	// papers' contraction holds (Ambiguity A5).
	Metric *mat.SymDense
	// Recorder, if non-nil, receives each iteration (Residual = ‖g‖,
	// Objective = L).
	Recorder solve.Recorder
	// OnIter, if non-nil, receives the full record of each iteration.
	OnIter func(Iter)
}

// Resolve returns a copy of o with defaults filled in.
func (o Options) Resolve() Options {
	if o.Hessian == nil {
		o.Hessian = Exact{}
	}
	if o.GradTol == 0 {
		o.GradTol = DefaultGradTol
	}
	if o.MaxIter == 0 {
		o.MaxIter = DefaultMaxIter
	}
	if o.Armijo == 0 {
		o.Armijo = DefaultArmijo
	}
	if o.MaxBacktrack == 0 {
		o.MaxBacktrack = DefaultMaxBacktrack
	}
	if o.LocalTol == 0 {
		o.LocalTol = DefaultLocalTol
	}
	if o.Stagnation == 0 {
		o.Stagnation = DefaultStagnation
	}
	return o
}

// Iter is the record of one iteration: the state at x_t and the Newton step
// computed there (the step fields are zero at the last record when the solve
// stopped before stepping).
type Iter struct {
	Iter      int           // t
	Loss      float64       // L(x_t)
	GradNorm  float64       // ‖∇L(x_t)‖₂
	Dist      float64       // ‖x_t − XRef‖₂, NaN without XRef
	MDist     float64       // ‖x_t − XRef‖_Metric, NaN without Metric
	Elapsed   time.Duration // since the start of the solve, at x_t
	Decrement float64       // λ_t² = g_tᵀH̃_t⁻¹g_t, NaN if not computed
	Step      float64       // step length η taken from x_t (1 = unit step), 0 if none
	Damping   float64       // τ added to H̃'s diagonal, 0 if none
	Samples   int           // rows of A in H̃_t (n for the exact Hessian)
	Local     bool          // the step was taken in the unit-step phase
	Build     BuildStats    // the Hessian build at x_t
	SolveTime time.Duration // Cholesky factorization and solve
	IterTime  time.Duration // wall time of the whole iteration t → t+1
}

// Result is what Minimize returns: solve.Result (X, Status, Stats and, with
// History, ‖g‖ and L per iteration) plus the Newton-specific record.
type Result struct {
	solve.Result
	Objective float64  // L(X)
	GradNorm  float64  // ‖∇L(X)‖₂
	Grad0     float64  // ‖∇L(x_0)‖₂
	StopRule  StopRule // the rule that fired
	Iters     []Iter   // one record per visited iterate x_0, x_1, ...
	Samples   int      // total rows used by all Hessian builds
	Options   Options  // the resolved options that ran
	Err       error    // the failure behind StopFailure, if any
}

// Minimize runs the Newton method of section 6 on p from x0 (not modified).
// It returns an error only for misuse it can detect before starting (wrong
// length of x0, a non-finite entry, a loss that fails at x0); later trouble
// is reported through Result.Status, Result.StopRule and Result.Err, with X
// the last accepted iterate.
//
// Per iteration: one product with A and one with Aᵀ for the gradient, one
// curvature evaluation (O(n)), one Hessian build (Exact: O(nnz(A)·d);
// Sampled: O(nnz(A)·k + s·d² + |I|·d²)), a d×d Cholesky (O(d³)) and, in the
// safeguarded phase, one loss evaluation per trial step.
func Minimize(ctx context.Context, p *Problem, x0 []float64, opts Options) (*Result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	o := opts.Resolve()
	_, d := p.Dims()
	if len(x0) != d {
		return nil, fmt.Errorf("newton: x0 has length %d, want %d", len(x0), d)
	}
	for i, v := range x0 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("newton: x0[%d] = %v is not finite", i, v)
		}
	}
	if o.XRef != nil && len(o.XRef) != d {
		return nil, fmt.Errorf("newton: XRef has length %d, want %d", len(o.XRef), d)
	}
	if o.Metric != nil && (o.XRef == nil || o.Metric.SymmetricDim() != d) {
		return nil, fmt.Errorf("newton: Metric needs XRef and dimension %d", d)
	}
	start := time.Now()
	x := append([]float64(nil), x0...)
	xt := make([]float64, d)
	g := make([]float64, d)
	step := make([]float64, d)
	eb, tb := p.newEvalBuf(), p.newEvalBuf()
	h := mat.NewSymDense(d, nil)
	hd := mat.NewSymDense(d, nil)
	var chol mat.Cholesky
	var curv Curvature
	var fws fusedWS
	sess := o.Hessian.NewSession(p)
	stepVec := mat.NewVecDense(d, step)
	gVec := mat.NewVecDense(d, g)

	// The loop keeps z, L and the z-space gradient of x_t in eb; the x-space
	// gradient g = Aᵀ∇_z is formed together with AᵀP (one pass over A).
	L, err := p.evalZ(eb, x)
	if err != nil {
		return nil, fmt.Errorf("newton: at x0: %w", err)
	}
	res := &Result{Options: o}
	local := o.Mode == UnitStep
	mon := solve.NewMonitor(ctx, solve.Settings{MaxTime: o.MaxTime, Recorder: o.Recorder, KeepHistory: true})
	tIter := time.Now()
	var gn, bestG float64
	bestAt := 0
	finish := func(status solve.Status, rule StopRule) *Result {
		res.X = x
		res.Status = status
		res.StopRule = rule
		res.Objective = L
		res.GradNorm = gn
		res.Stats.Runtime = time.Since(start)
		res.History = mon.History
		return res
	}

	for t := 0; ; t++ {
		// Curvature at x_t, then g and AᵀP in one pass.
		curvErr := p.curvature(&curv, eb.z)
		if curvErr != nil {
			curv.Reset(p.n, 0)
		}
		p.gradAndLowRank(&fws, g, eb.gz, &curv)
		gn = floats.Norm(g, 2)
		if t == 0 {
			res.Grad0 = gn
		}
		// The stagnation window counts only iterations of the unit-step phase.
		if t == 0 || !local || gn < 0.5*bestG {
			bestG, bestAt = gn, t
		}
		it := Iter{Iter: t, Loss: L, GradNorm: gn, Decrement: math.NaN(), Elapsed: time.Since(start)}
		it.Dist, it.MDist = o.distances(x)
		// emit appends the record and reports whether the monitor stops.
		emit := func() (solve.Status, StopRule, bool) {
			it.IterTime = time.Since(tIter)
			res.Iters = append(res.Iters, it)
			if o.OnIter != nil {
				o.OnIter(it)
			}
			st, rerr := mon.Step(solve.IterRecord{Iter: t, Residual: gn, Objective: L})
			if rerr != nil {
				res.Err = rerr
				return solve.Canceled, StopCanceled, true
			}
			switch st {
			case solve.Canceled:
				return st, StopCanceled, true
			case solve.RuntimeLimit:
				return st, StopMaxTime, true
			}
			return solve.NotTerminated, "", false
		}
		stopNow := func(status solve.Status, rule StopRule) (*Result, error) {
			emit()
			return finish(status, rule), nil
		}
		if math.IsNaN(gn) || math.IsInf(gn, 0) {
			res.Err = errors.New("newton: gradient is not finite")
			return stopNow(solve.NumericalFailure, StopFailure)
		}
		if gn <= o.GradAbsTol || (o.GradTol > 0 && gn <= o.GradTol*res.Grad0) {
			return stopNow(solve.Converged, StopGradient)
		}
		if t >= o.MaxIter {
			return stopNow(solve.IterationLimit, StopMaxIter)
		}
		if o.Stagnation > 0 && t-bestAt >= o.Stagnation {
			return stopNow(solve.Stagnated, StopStagnation)
		}
		if curvErr != nil {
			res.Err = curvErr
			return stopNow(solve.NumericalFailure, StopFailure)
		}
		bs, err := sess.Build(h, &curv, t)
		it.Build = bs
		it.Samples = bs.Rows
		res.Samples += bs.Rows
		if err != nil {
			res.Err = err
			return stopNow(solve.NumericalFailure, StopFailure)
		}
		// Newton direction Δ = H̃⁻¹g, damping H̃ + τI in safeguarded mode.
		ts := time.Now()
		ok := chol.Factorize(h)
		if !ok {
			if o.Mode == UnitStep {
				res.Err = errors.New("newton: approximate Hessian is not positive definite (outside the local region)")
				return stopNow(solve.NumericalFailure, StopFailure)
			}
			tau := 0.0
			var tr float64
			for i := 0; i < d; i++ {
				tr += math.Abs(h.At(i, i))
			}
			tr = max(tr/float64(d), math.SmallestNonzeroFloat64)
			for k := 0; k < 60 && !ok; k++ {
				tau = max(2*tau, 1e-8*tr)
				hd.CopySym(h)
				for i := 0; i < d; i++ {
					hd.SetSym(i, i, hd.At(i, i)+tau)
				}
				ok = chol.Factorize(hd)
			}
			if !ok {
				res.Err = errors.New("newton: damped Hessian is not positive definite")
				return stopNow(solve.NumericalFailure, StopFailure)
			}
			it.Damping = tau
			local = false
		}
		if err := chol.SolveVecTo(stepVec, gVec); err != nil && hasNaN(step) {
			// Condition warnings are not fatal; NaN is.
			res.Err = fmt.Errorf("newton: Newton system: %w", err)
			return stopNow(solve.NumericalFailure, StopFailure)
		}
		it.SolveTime = time.Since(ts)
		dec := floats.Dot(g, step)
		it.Decrement = dec
		if !(dec > 0) {
			res.Err = fmt.Errorf("newton: Newton decrement %v is not positive", dec)
			return stopNow(solve.NumericalFailure, StopFailure)
		}
		if o.DecrementTol > 0 && dec/2 <= o.DecrementTol*math.Abs(L) {
			return stopNow(solve.Converged, StopDecrement)
		}
		// Step.
		eta := 1.0
		var Lt float64
		took := false
		if local {
			floats.AddScaledTo(xt, x, -1, step)
			Lt, err = p.evalZ(tb, xt)
			switch {
			case err != nil && o.Mode == UnitStep:
				it.Step = 1
				res.Err = err
				return stopNow(solve.NumericalFailure, StopFailure)
			case err != nil:
				local = false // back to the safeguarded phase
			case o.Mode == Safeguarded && Lt > L+localGuard*math.Abs(L):
				// A genuine increase, far above rounding: not local after all.
				local = false
			default:
				took = true
				it.Local = true
			}
		}
		if !took {
			for k := 0; k <= o.MaxBacktrack; k++ {
				floats.AddScaledTo(xt, x, -eta, step)
				Lt, err = p.evalZ(tb, xt)
				if err == nil && Lt <= L-o.Armijo*eta*dec {
					took = true
					break
				}
				if err != nil && !errors.Is(err, ErrDomain) {
					res.Err = err
					return stopNow(solve.NumericalFailure, StopFailure)
				}
				eta /= 2
			}
			if !took {
				return stopNow(solve.Stagnated, StopStagnation)
			}
			if eta == 1 && it.Damping == 0 && dec/2 <= o.LocalTol*math.Abs(L) {
				local = true
			}
		}
		it.Step = eta
		if st, r, stop := emit(); stop {
			return finish(st, r), nil
		}
		tIter = time.Now()
		// Accept x_{t+1}.
		copy(x, xt)
		eb, tb = tb, eb
		L = Lt
		res.Stats.Iterations++
	}
}

// distances returns ‖x − XRef‖₂ and ‖x − XRef‖_Metric (NaN when unset).
func (o *Options) distances(x []float64) (float64, float64) {
	if o.XRef == nil {
		return math.NaN(), math.NaN()
	}
	d2 := dist(x, o.XRef)
	if o.Metric == nil {
		return d2, math.NaN()
	}
	e := make([]float64, len(x))
	floats.SubTo(e, x, o.XRef)
	v := mat.NewVecDense(len(e), e)
	return d2, math.Sqrt(math.Max(0, mat.Inner(v, o.Metric, v)))
}

func dist(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		e := v - b[i]
		s += e * e
	}
	return math.Sqrt(s)
}

func hasNaN(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return true
		}
	}
	return false
}
