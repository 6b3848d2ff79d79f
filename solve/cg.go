package solve

import (
	"context"
	"fmt"
	"math"

	"github.com/sketchwork/sketchwork/linalg"
)

// Preconditioner applies the inverse of a symmetric positive definite
// approximation M of the system matrix: dst = M⁻¹ x. dst must not alias x.
type Preconditioner interface {
	ApplyInverse(dst, x []float64)
}

// Identity is the trivial preconditioner M = I.
type Identity struct{}

// ApplyInverse copies x into dst.
func (Identity) ApplyInverse(dst, x []float64) { copy(dst, x) }

// Jacobi is the diagonal preconditioner M = diag(D); D must be positive.
type Jacobi []float64

// ApplyInverse sets dst = x / D elementwise.
func (d Jacobi) ApplyInverse(dst, x []float64) {
	for i, v := range x {
		dst[i] = v / d[i]
	}
}

// CGResult is the result of CG with the final relative residual.
type CGResult struct {
	Result
	// RelResidual is ||b - A x|| / ||b|| from the recurrence.
	RelResidual float64
	Settings    Settings
}

// CG solves A x = b for a symmetric positive definite operator A (square;
// only A·x products are used) by preconditioned conjugate gradients, starting
// from x0 (nil means 0). It stops when ||b - A x|| <= Tol·||b|| (recurrence
// residual). M = nil means no preconditioner. Each iteration costs one
// product with A, one application of M⁻¹ and O(n) work, with no allocation.
// A non-positive curvature pᵀAp <= 0 stops with NumericalFailure.
func CG(ctx context.Context, a linalg.Operator, b, x0 []float64, m Preconditioner, s Settings) (*CGResult, error) {
	s = s.Resolve()
	r, c := a.Dims()
	if r != c {
		return nil, fmt.Errorf("%w: CG needs a square operator, got %dx%d", ErrBadInput, r, c)
	}
	if len(b) != r || (x0 != nil && len(x0) != r) {
		return nil, fmt.Errorf("%w: len(b) = %d, len(x0) = %d, operator is %dx%d", ErrBadInput, len(b), len(x0), r, c)
	}
	if !allFinite(b) || (x0 != nil && !allFinite(x0)) {
		return nil, fmt.Errorf("%w: b or x0 contains NaN or Inf", ErrBadInput)
	}
	if m == nil {
		m = Identity{}
	}
	n := r
	mon := NewMonitor(ctx, s)
	res := &CGResult{Settings: s}
	x := make([]float64, n)
	rv := make([]float64, n)
	z := make([]float64, n)
	p := make([]float64, n)
	q := make([]float64, n)
	copy(rv, b)
	if x0 != nil {
		copy(x, x0)
		a.MulVecTo(q, false, x)
		res.Stats.MatVecs++
		for i := range rv {
			rv[i] -= q[i]
		}
	}
	finish := func(st Status) (*CGResult, error) {
		res.X, res.Status, res.History = x, st, mon.History
		res.Stats.Runtime = mon.Elapsed()
		return res, nil
	}
	bnorm := norm2(b)
	if bnorm == 0 {
		clear(x)
		res.RelResidual = 0
		return finish(Converged)
	}
	rnorm := norm2(rv)
	res.RelResidual = rnorm / bnorm
	if rnorm <= s.Tol*bnorm {
		return finish(Converged)
	}
	m.ApplyInverse(z, rv)
	copy(p, z)
	rz := dot(rv, z)
	for itn := 1; ; itn++ {
		a.MulVecTo(q, false, p)
		res.Stats.MatVecs++
		pq := dot(p, q)
		if !(pq > 0) || math.IsInf(pq, 0) {
			return finish(NumericalFailure)
		}
		alpha := rz / pq
		for i := range x {
			x[i] += alpha * p[i]
			rv[i] -= alpha * q[i]
		}
		rnorm = norm2(rv)
		res.Stats.Iterations = itn
		res.RelResidual = rnorm / bnorm
		st, err := mon.Step(IterRecord{Iter: itn, Residual: rnorm, Objective: math.NaN(), X: x})
		if err != nil {
			res.X, res.History = x, mon.History
			return res, err
		}
		switch {
		case math.IsNaN(rnorm):
			return finish(NumericalFailure)
		case rnorm <= s.Tol*bnorm:
			return finish(Converged)
		case st != NotTerminated:
			return finish(st)
		case itn >= s.MaxIter:
			return finish(IterationLimit)
		}
		m.ApplyInverse(z, rv)
		rzNew := dot(rv, z)
		beta := rzNew / rz
		rz = rzNew
		for i := range p {
			p[i] = z[i] + beta*p[i]
		}
	}
}
