package softmax

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/rng"
	"github.com/sketchwork/sketchwork/solve/newton"
)

// Reference is the reference minimizer x* of section 8.1 with the
// quantities the local theory needs.
type Reference struct {
	X        []float64 // x*
	GradNorm float64   // ‖∇L(x*)‖₂
	Grad0    float64   // ‖∇L(x_true)‖₂
	Loss     float64   // L(x*)
	L        float64   // l = λ_min(∇²L(x*))
	LMax     float64   // λ_max(∇²L(x*))
	H        *mat.SymDense
}

// ErrNoReference is returned when the reference run does not meet the
// acceptance test of section 8.1.
var ErrNoReference = errors.New("softmax: reference minimizer not accepted")

// FindReference runs exact Newton with Armijo backtracking from x_true until
// the gradient stops decreasing and accepts the result only if
// ‖∇L(x*)‖ ≤ 1e-10·‖∇L(x_true)‖ and λ_min(∇²L(x*)) > 0 (section 8.1).
func FindReference(ctx context.Context, p *newton.Problem, xTrue []float64) (*Reference, error) {
	res, err := newton.Minimize(ctx, p, xTrue, newton.Options{
		Hessian:    newton.Exact{},
		GradTol:    1e-14,
		MaxIter:    200,
		Stagnation: 3,
	})
	if err != nil {
		return nil, err
	}
	_, d := p.Dims()
	ref := &Reference{X: res.X, GradNorm: res.GradNorm, Grad0: res.Grad0, Loss: res.Objective}
	ref.H = mat.NewSymDense(d, nil)
	if err := p.Hessian(ref.H, ref.X); err != nil {
		return nil, err
	}
	ref.L, ref.LMax = Extremes(ref.H)
	if !(ref.GradNorm <= 1e-10*ref.Grad0) || !(ref.L > 0) {
		return ref, fmt.Errorf("%w: ‖g(x*)‖ = %.3g vs 1e-10·‖g(x_true)‖ = %.3g, λ_min = %.3g (status %s)",
			ErrNoReference, ref.GradNorm, 1e-10*ref.Grad0, ref.L, res.Status)
	}
	return ref, nil
}

// Extremes returns the smallest and largest eigenvalues of a symmetric matrix.
func Extremes(h *mat.SymDense) (lo, hi float64) {
	var es mat.EigenSym
	if !es.Factorize(h, false) {
		return math.NaN(), math.NaN()
	}
	v := es.Values(nil)
	return v[0], v[len(v)-1]
}

// LipschitzEstimate returns M̂ = max ‖H(x) − H(y)‖₂/‖x − y‖₂ over pairs
// of points drawn uniformly in the ball B(center, radius) (test T6); pairs
// where the loss is undefined (the ResNet guard) are skipped. It returns the
// number of pairs used.
func LipschitzEstimate(p *newton.Problem, center []float64, radius float64, pairs int, seed uint64) (float64, int, error) {
	_, d := p.Dims()
	r := rng.Derive(seed, "softmax/lipschitz")
	draw := func() []float64 {
		u := make([]float64, d)
		for j := range u {
			u[j] = r.NormFloat64()
		}
		s := radius * math.Pow(r.Float64(), 1/float64(d)) / floats.Norm(u, 2)
		for j := range u {
			u[j] = center[j] + s*u[j]
		}
		return u
	}
	hx, hy := mat.NewSymDense(d, nil), mat.NewSymDense(d, nil)
	var best float64
	used := 0
	for k := 0; k < pairs; k++ {
		x, y := draw(), draw()
		if err := p.Hessian(hx, x); err != nil {
			if errors.Is(err, newton.ErrDomain) {
				continue
			}
			return 0, used, err
		}
		if err := p.Hessian(hy, y); err != nil {
			if errors.Is(err, newton.ErrDomain) {
				continue
			}
			return 0, used, err
		}
		diff := mat.NewSymDense(d, nil)
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				diff.SetSym(i, j, hx.At(i, j)-hy.At(i, j))
			}
		}
		lo, hi := Extremes(diff)
		nrm := math.Max(math.Abs(lo), math.Abs(hi))
		best = math.Max(best, nrm/floats.Distance(x, y, 2))
		used++
	}
	return best, used, nil
}

// Diagnostics are the local-theory constants of section 2.2 measured at a
// reference minimizer: l = λ_min(H(x*)), M̂ (T6) and the theory radius
// r_th = 0.1·l/M̂ within which the papers' contraction argument applies.
type Diagnostics struct {
	L, LMax float64
	MHat    float64
	MHat2   float64 // M̂ with twice the pairs (stability check of T6)
	Pairs   int
	RTh     float64
}

// Diagnose measures l, M̂ (over pairs and 2·pairs in B(x*, rho)) and r_th.
func Diagnose(p *newton.Problem, ref *Reference, rho float64, pairs int, seed uint64) (Diagnostics, error) {
	m1, u1, err := LipschitzEstimate(p, ref.X, rho, pairs, seed)
	if err != nil {
		return Diagnostics{}, err
	}
	m2, _, err := LipschitzEstimate(p, ref.X, rho, 2*pairs, seed+1)
	if err != nil {
		return Diagnostics{}, err
	}
	mh := math.Max(m1, m2)
	return Diagnostics{L: ref.L, LMax: ref.LMax, MHat: m1, MHat2: m2, Pairs: u1, RTh: 0.1 * ref.L / mh}, nil
}
