package newton

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"github.com/sketchwork/sketchwork/solve"
)

// GonumMethod selects a gonum/optimize baseline for MinimizeGonum.
type GonumMethod int

const (
	// LBFGS is optimize.LBFGS with 10 stored pairs.
	LBFGS GonumMethod = iota
	// GradientDescent is optimize.GradientDescent (backtracking line search).
	GradientDescent
	// GonumNewton is optimize.Newton: exact Hessian, τI added until PD, line
	// search; the "safeguarded exact Newton" baseline of section 8.3.
	GonumNewton
)

// String returns "lbfgs", "gd" or "gonum-newton".
func (m GonumMethod) String() string {
	switch m {
	case LBFGS:
		return "lbfgs"
	case GradientDescent:
		return "gd"
	case GonumNewton:
		return "gonum-newton"
	}
	return fmt.Sprintf("gonum-method(%d)", int(m))
}

// AsOptimize returns p as an optimize.Problem (Func, Grad, and the exact
// Hessian). Points outside the loss's domain evaluate to +Inf so that line
// searches back off. The functions share buffers: use the problem from one
// goroutine.
func (p *Problem) AsOptimize() optimize.Problem {
	b := p.newEvalBuf()
	_, d := p.Dims()
	var lastX, lastG []float64
	lastF := math.NaN()
	eval := func(grad, x []float64) float64 {
		if grad != nil && lastX != nil && slices.Equal(x, lastX) && !math.IsNaN(lastF) {
			copy(grad, lastG)
			return lastF
		}
		g := grad
		if g == nil {
			g = make([]float64, d)
		}
		v, err := p.eval(b, g, x)
		if err != nil {
			v = math.Inf(1)
		}
		lastX = append(lastX[:0], x...)
		lastG = append(lastG[:0], g...)
		lastF = v
		return v
	}
	return optimize.Problem{
		Func: func(x []float64) float64 { return eval(nil, x) },
		Grad: func(grad, x []float64) { eval(grad, x) },
		Hess: func(h *mat.SymDense, x []float64) {
			if err := p.Hessian(h, x); err != nil {
				for i := 0; i < d; i++ {
					for j := i; j < d; j++ {
						h.SetSym(i, j, math.NaN())
					}
				}
			}
		},
	}
}

// recordConverger is the stopping rule and recorder of MinimizeGonum: gonum
// passes it every major iterate.
type recordConverger struct {
	ctx    context.Context
	o      Options
	res    *Result
	start  time.Time
	last   time.Time
	mon    *solve.Monitor
	tol    float64
	rule   StopRule
	status solve.Status
}

func (c *recordConverger) Init(int) {}

func (c *recordConverger) Converged(loc *optimize.Location) optimize.Status {
	gn := floats.Norm(loc.Gradient, 2)
	t := len(c.res.Iters)
	if t == 0 {
		c.res.Grad0 = gn
		c.tol = c.o.GradTol * gn
	}
	it := Iter{Iter: t, Loss: loc.F, GradNorm: gn, Decrement: math.NaN(), Step: 1,
		Elapsed: time.Since(c.start), IterTime: time.Since(c.last)}
	c.last = time.Now()
	it.Dist, it.MDist = c.o.distances(loc.X)
	c.res.Iters = append(c.res.Iters, it)
	if c.o.OnIter != nil {
		c.o.OnIter(it)
	}
	st, err := c.mon.Step(solve.IterRecord{Iter: t, Residual: gn, Objective: loc.F})
	switch {
	case err != nil:
		c.res.Err = err
		c.status, c.rule = solve.Canceled, StopCanceled
		return optimize.MethodConverge
	case st == solve.Canceled:
		c.status, c.rule = st, StopCanceled
		return optimize.MethodConverge
	case st == solve.RuntimeLimit:
		c.status, c.rule = st, StopMaxTime
		return optimize.RuntimeLimit
	}
	if gn <= c.o.GradAbsTol || (c.o.GradTol > 0 && gn <= c.tol) {
		c.status, c.rule = solve.Converged, StopGradient
		return optimize.GradientThreshold
	}
	if t >= c.o.MaxIter {
		c.status, c.rule = solve.IterationLimit, StopMaxIter
		return optimize.IterationLimit
	}
	return optimize.NotTerminated
}

// MinimizeGonum runs a gonum/optimize method on p from x0 with the stopping
// rules of Options (GradTol relative to ‖g_0‖, GradAbsTol, MaxIter,
// MaxTime). gonum's own defaults stop these losses far too early (values
// ~1e-5, gradients ~1e-8: FunctionConverge{Absolute: 1e-10} and
// GradStopThreshold = 1e-12), so they are disabled (section 8.3) and the
// rule is checked at every major iteration. Gradient descent's step sizer
// gets no upper bound (gonum caps steps at 1, far below the ~1/λ_max(H)
// these losses need). The Hessian option and the decrement rule do not
// apply.
func MinimizeGonum(ctx context.Context, p *Problem, x0 []float64, method GonumMethod, opts Options) (*Result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	o := opts.Resolve()
	_, d := p.Dims()
	if len(x0) != d {
		return nil, fmt.Errorf("newton: x0 has length %d, want %d", len(x0), d)
	}
	if _, err := p.Value(x0); err != nil {
		return nil, fmt.Errorf("newton: at x0: %w", err)
	}
	var m optimize.Method
	switch method {
	case LBFGS:
		m = &optimize.LBFGS{Store: 10, GradStopThreshold: math.NaN()}
	case GradientDescent:
		// gonum's default step sizer caps steps at 1, but these losses need
		// steps ~1/λ_max(H) ≫ 1: a second scale pitfall besides the stopping
		// rules of section 8.3.
		m = &optimize.GradientDescent{GradStopThreshold: math.NaN(), StepSizer: &optimize.QuadraticStepSize{MaxStepSize: math.MaxFloat64}}
	case GonumNewton:
		m = &optimize.Newton{GradStopThreshold: math.NaN()}
	default:
		panic(fmt.Sprintf("newton: unknown gonum method %d", int(method)))
	}
	res := &Result{Options: o}
	conv := &recordConverger{ctx: ctx, o: o, res: res, start: time.Now(), last: time.Now(),
		mon: solve.NewMonitor(ctx, solve.Settings{MaxTime: o.MaxTime, Recorder: o.Recorder, KeepHistory: true})}
	settings := &optimize.Settings{
		Converger:         conv,
		GradientThreshold: 0,
		MajorIterations:   o.MaxIter + 1, // our converger stops at MaxIter itself
	}
	or, err := optimize.Minimize(p.AsOptimize(), x0, settings, m)
	res.Stats.Runtime = time.Since(conv.start)
	if or == nil {
		return nil, err
	}
	res.X = or.Location.X
	res.Objective = or.Location.F
	res.GradNorm = floats.Norm(or.Location.Gradient, 2)
	res.Stats.Iterations = max(0, len(res.Iters)-1)
	res.History = conv.mon.History
	res.Status, res.StopRule = conv.status, conv.rule
	if res.StopRule == "" {
		// gonum stopped by itself: a failed line search at the
		// floating-point floor, or an iteration limit.
		switch {
		case or.Status == optimize.IterationLimit:
			res.Status, res.StopRule = solve.IterationLimit, StopMaxIter
		case err != nil && !errors.Is(err, context.Canceled):
			res.Status, res.StopRule = solve.Stagnated, StopStagnation
			res.Err = err
		default:
			res.Status, res.StopRule = solve.Stagnated, StopStagnation
		}
	}
	return res, nil
}
