package lsq

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// Preconditioned is the operator A R⁻¹, with R the triangular factor of a
// sparse sign sketch of A (s = 4d rows and 8 nonzeros per column unless the
// settings say otherwise). Its singular values lie in
// [1/(1+ε), 1/(1−ε)] for the sketch's distortion ε, whatever κ(A), so any
// Krylov method converges on it at a rate independent of κ(A)
// (regression.md section 4.3). Use it to run your own solver:
// solve.LSQR(ctx, p, b, nil, ...) returns y, and p.Recover gives x = R⁻¹y.
// Each product costs one pass over A plus a triangular solve. It is not safe
// for concurrent use (it owns a scratch vector).
type Preconditioned struct {
	src *memSource
	f   *factor
	tmp *mat.Dense
	x0  []float64
}

// Precondition sketches A (and b, when b is not nil) once and factors the
// sketch. With b, Start returns the sketch-and-solve answer, the warm start
// that makes iterative solvers on A R⁻¹ forward stable (Epperly 2024).
// Settings used: SketchRows, SketchNNZ and Seed (Lambda must be 0). A
// rank-deficient A is a *RankError; NaN or Inf is an error wrapping ErrInput.
func Precondition(a mat.Matrix, b []float64, s Settings) (*Preconditioned, error) {
	if s.Lambda != 0 {
		return nil, fmt.Errorf("%w: Precondition supports lambda = 0 only", ErrInput)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	src, err := newMemSource(a)
	if err != nil {
		return nil, err
	}
	n, d := src.dims()
	if n < d {
		return nil, fmt.Errorf("%w: A is %dx%d with fewer rows than columns", ErrInput, n, d)
	}
	s.Method = SketchPrecond
	s = s.Resolve(n, d)
	bm := mat.NewDense(n, 1, nil)
	if b != nil {
		if len(b) != n {
			return nil, fmt.Errorf("%w: b has %d entries, A has %d rows", ErrInput, len(b), n)
		}
		copy(colData(bm), b)
		if err := checkFinite("b", bm); err != nil {
			return nil, err
		}
	}
	sa, sb, err := sketchPass(src, bm, s)
	if err != nil {
		return nil, err
	}
	if !allFinite(sa) {
		if err := checkFinite("A", a); err != nil {
			return nil, err
		}
	}
	f, err := factorize(sa, sb, 0)
	if err != nil {
		return nil, err
	}
	p := &Preconditioned{src: src, f: f, tmp: mat.NewDense(d, 1, nil)}
	if b != nil {
		x := mat.NewDense(d, 1, nil)
		f.solveTo(x)
		p.x0 = colData(x)
	}
	return p, nil
}

// Start returns the sketch-and-solve answer x₀ = R⁻¹Qᵀ(Sb) (nil when
// Precondition was given no b).
func (p *Preconditioned) Start() []float64 { return p.x0 }

// Dims returns the dimensions of A.
func (p *Preconditioned) Dims() (int, int) { return p.src.dims() }

// MulVecTo sets dst = A R⁻¹ v, or R⁻ᵀ Aᵀ v when trans is true.
func (p *Preconditioned) MulVecTo(dst []float64, trans bool, v []float64) {
	p.src.npass++
	t := colData(p.tmp)
	if !trans {
		copy(t, v)
		p.f.rinv(p.tmp)
		p.src.op.MulVecTo(dst, false, t)
		return
	}
	p.src.op.MulVecTo(t, true, v)
	p.f.rinvT(p.tmp)
	copy(dst, t)
}

// MulTo sets dst = A R⁻¹ X, or R⁻ᵀ Aᵀ X, column by column.
func (p *Preconditioned) MulTo(dst *mat.Dense, trans bool, x *mat.Dense) {
	r, k := x.Dims()
	rows, _ := dst.Dims()
	in := make([]float64, r)
	out := make([]float64, rows)
	for j := 0; j < k; j++ {
		mat.Col(in, j, x)
		p.MulVecTo(out, trans, in)
		dst.SetCol(j, out)
	}
}

// Recover sets x = R⁻¹ y, mapping a solution of the preconditioned problem
// back to the original variables.
func (p *Preconditioned) Recover(x, y []float64) {
	t := colData(p.tmp)
	copy(t, y)
	p.f.rinv(p.tmp)
	copy(x, t)
}

// Passes returns the passes over A made through this operator so far.
func (p *Preconditioned) Passes() float64 { return p.src.npass }

// Rcond returns LAPACK's estimate of the reciprocal condition number of R.
func (p *Preconditioned) Rcond() float64 { return p.f.rcond }

var _ linalg.Operator = (*Preconditioned)(nil)
