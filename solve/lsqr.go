package solve

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/sketchwork/sketchwork/linalg"
)

// LSQRSettings controls LSQR. Zero values mean the documented defaults.
type LSQRSettings struct {
	Settings
	// Atol and Btol are the relative tolerances of the stopping rules S1 and S2
	// (regression.md section 4.3). 0 means Settings.Tol for both.
	Atol, Btol float64
	// Conlim stops when the estimated condition number of A exceeds it.
	// 0 means 1e8 (Paige and Saunders' default); negative disables the test.
	Conlim float64
	// Damp solves min ||Ax-b||² + Damp²||x||² (ridge with λ = Damp²). 0 means none.
	Damp float64
}

// Resolve returns a copy of s with defaults filled in.
func (s LSQRSettings) Resolve() LSQRSettings {
	s.Settings = s.Settings.Resolve()
	if s.Atol == 0 {
		s.Atol = s.Tol
	}
	if s.Btol == 0 {
		s.Btol = s.Tol
	}
	if s.Conlim == 0 {
		s.Conlim = 1e8
	}
	return s
}

// LSQRResult is LSQR's result with the estimates it computes for free.
type LSQRResult struct {
	Result
	// Rule names the stopping rule that fired: "x=0 solves the system",
	// "residual small (S1)", "least-squares optimality (S2)", "condition limit (S3)",
	// "machine precision", "iteration limit", "canceled", "runtime limit".
	Rule string
	// Estimates at the final iterate: ||[A; Damp·I]||_F, cond([A; Damp·I]),
	// ||r|| (including the damping term), ||Āᵀr|| and ||x||.
	Anorm, Acond, Rnorm, Arnorm, Xnorm float64
	// Settings are the effective settings.
	Settings LSQRSettings
}

// ErrBadInput reports invalid data given to a solver (NaN, mismatched sizes).
var ErrBadInput = errors.New("solve: bad input")

// LSQR solves min ||Ax - b||² + Damp²||x||² by the Paige-Saunders bidiagonal
// recurrences of regression.md section 4.3, starting from x0 (nil means 0;
// x0 is only allowed with Damp = 0). Each iteration costs one product with A
// and one with Aᵀ plus O(n + d) vector work, and allocates nothing.
//
// Stopping rules: S1 ||r|| <= Btol·||b|| + Atol·||A||·||x|| (consistent
// systems), S2 ||Aᵀr|| <= Atol·||A||·||r|| (least squares), S3 cond(A) >=
// Conlim, the iteration limit, the runtime limit or context cancellation (the
// current iterate, which has the smallest residual so far, is returned).
func LSQR(ctx context.Context, a linalg.Operator, b, x0 []float64, s LSQRSettings) (*LSQRResult, error) {
	s = s.Resolve()
	m, n := a.Dims()
	if len(b) != m {
		return nil, fmt.Errorf("%w: len(b) = %d, A has %d rows", ErrBadInput, len(b), m)
	}
	if x0 != nil && len(x0) != n {
		return nil, fmt.Errorf("%w: len(x0) = %d, A has %d columns", ErrBadInput, len(x0), n)
	}
	if x0 != nil && s.Damp != 0 {
		return nil, fmt.Errorf("%w: a starting point cannot be combined with damping", ErrBadInput)
	}
	if s.MaxIter < 0 || s.Tol < 0 || s.Damp < 0 {
		return nil, fmt.Errorf("%w: negative MaxIter, Tol or Damp", ErrBadInput)
	}
	if !allFinite(b) || (x0 != nil && !allFinite(x0)) {
		return nil, fmt.Errorf("%w: b or x0 contains NaN or Inf", ErrBadInput)
	}
	mon := NewMonitor(ctx, s.Settings)
	res := &LSQRResult{Settings: s}
	x := make([]float64, n)
	u := make([]float64, m)
	v := make([]float64, n)
	w := make([]float64, n)
	tm := make([]float64, m) // scratch for A v
	tn := make([]float64, n) // scratch for Aᵀ u
	copy(u, b)
	if x0 != nil {
		copy(x, x0)
		a.MulVecTo(u, false, x) // u = A x0
		for i := range u {
			u[i] = b[i] - u[i]
		}
		res.Stats.MatVecs++
	}
	finish := func(st Status, rule string) (*LSQRResult, error) {
		res.X = x
		res.Status = st
		res.Rule = rule
		res.History = mon.History
		res.Stats.Runtime = mon.Elapsed()
		return res, nil
	}
	beta := norm2(u)
	bnorm := norm2(b)
	if beta > 0 {
		scale(u, 1/beta)
	}
	a.MulVecTo(v, true, u)
	res.Stats.MatVecs++
	alpha := norm2(v)
	if alpha > 0 {
		scale(v, 1/alpha)
	}
	copy(w, v)
	res.Rnorm, res.Arnorm = beta, alpha*beta
	if alpha*beta == 0 {
		return finish(Converged, "x=0 solves the system")
	}
	if bnorm == 0 {
		bnorm = beta
	}
	const eps = 0x1p-52
	dampsq := s.Damp * s.Damp
	var (
		anorm, acond, ddnorm, res2, xnorm, xxnorm, z float64
		cs2, sn2                                     = -1.0, 0.0
		rhobar, phibar                               = alpha, beta
		ctol                                         = 0.0
	)
	if s.Conlim > 0 {
		ctol = 1 / s.Conlim
	}
	for itn := 1; ; itn++ {
		// Continue the bidiagonalization: β u = A v − α u, α v = Aᵀ u − β v.
		a.MulVecTo(tm, false, v)
		for i, t := range tm {
			u[i] = t - alpha*u[i]
		}
		beta = norm2(u)
		if beta > 0 {
			scale(u, 1/beta)
			anorm = math.Sqrt(anorm*anorm + alpha*alpha + beta*beta + dampsq)
			a.MulVecTo(tn, true, u)
			for i, t := range tn {
				v[i] = t - beta*v[i]
			}
			alpha = norm2(v)
			if alpha > 0 {
				scale(v, 1/alpha)
			}
		}
		res.Stats.MatVecs += 2
		// Eliminate the damping parameter, then apply the plane rotation.
		rhobar1, psi := rhobar, 0.0
		if s.Damp > 0 {
			rhobar1 = math.Hypot(rhobar, s.Damp)
			cs1, sn1 := rhobar/rhobar1, s.Damp/rhobar1
			psi = sn1 * phibar
			phibar = cs1 * phibar
		}
		rho := math.Hypot(rhobar1, beta)
		cs, sn := rhobar1/rho, beta/rho
		theta := sn * alpha
		rhobar = -cs * alpha
		phi := cs * phibar
		phibar = sn * phibar
		tau := sn * phi
		// Update x and w; accumulate ||D_k||² for the condition estimate.
		t1, t2 := phi/rho, -theta/rho
		var wn2 float64
		for i := range x {
			wi := w[i]
			wn2 += wi * wi
			x[i] += t1 * wi
			w[i] = v[i] + t2*wi
		}
		ddnorm += wn2 / (rho * rho)
		// Estimate ||x|| (Paige and Saunders, section 5.2).
		delta := sn2 * rho
		gambar := -cs2 * rho
		rhs := phi - delta*z
		zbar := rhs / gambar
		xnorm = math.Sqrt(xxnorm + zbar*zbar)
		gamma := math.Hypot(gambar, theta)
		cs2, sn2 = gambar/gamma, theta/gamma
		z = rhs / gamma
		xxnorm += z * z
		acond = anorm * math.Sqrt(ddnorm)
		res2 += psi * psi
		rnorm := math.Sqrt(phibar*phibar + res2)
		arnorm := alpha * math.Abs(tau)
		res.Stats.Iterations = itn
		res.Anorm, res.Acond, res.Rnorm, res.Arnorm, res.Xnorm = anorm, acond, rnorm, arnorm, xnorm
		if math.IsNaN(rnorm) || math.IsInf(rnorm, 0) || math.IsNaN(xnorm) {
			return finish(NumericalFailure, "NaN or Inf in the recurrences")
		}
		test1 := rnorm / bnorm
		test2 := arnorm / (anorm*rnorm + eps)
		test3 := 1 / (acond + eps)
		t1 = test1 / (1 + anorm*xnorm/bnorm)
		rtol := s.Btol + s.Atol*anorm*xnorm/bnorm
		st, err := mon.Step(IterRecord{Iter: itn, Residual: rnorm, Objective: rnorm * rnorm, X: x})
		if err != nil {
			res.X, res.Status, res.History = x, NotTerminated, mon.History
			return res, err
		}
		switch {
		case test1 <= rtol:
			return finish(Converged, "residual small (S1)")
		case test2 <= s.Atol:
			return finish(Converged, "least-squares optimality (S2)")
		case 1+t1 <= 1 || 1+test2 <= 1:
			return finish(Converged, "machine precision")
		case ctol > 0 && test3 <= ctol:
			return finish(Stagnated, "condition limit (S3)")
		case st == Canceled:
			return finish(Canceled, "canceled")
		case st == RuntimeLimit:
			return finish(RuntimeLimit, "runtime limit")
		case itn >= s.MaxIter:
			return finish(IterationLimit, "iteration limit")
		}
	}
}
