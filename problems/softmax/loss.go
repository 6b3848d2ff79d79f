package softmax

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/sketchwork/sketchwork/solve/newton"
)

// MaxZ is the largest pre-activation accepted without a max-shift (the
// ResNet unit e^t + t is not shift-equivariant, section 4.3): e^700 is
// finite in float64 with room for a sum over 10^7 rows.
const MaxZ = 700

// DefaultBeta is the ResNet normalizer guard β of section 4.3 when none is
// given: α(x) = ⟨e^z + z, 1⟩ must stay ≥ β. The curvature grows like 1/α²,
// so the guard marks where the loss stops being a well-scaled distribution
// fit; 1e-3 is far below the α ≈ n of typical instances.
const DefaultBeta = 1e-3

// Normalized is the family of section 3:
//
//	L(z) = ½‖φ(u(z)/⟨u(z),1⟩) − b‖²
//
// with first-layer activation U and second-layer activation Phi. Its
// z-space Hessian is diag(δ) + P K Pᵀ with P = [p v] and K = [[κ, −1], [−1,
// 0]] (section 3.2): diagonal + rank 2, of inertia (1, 1) in the rank-2
// part. Instances: SoftmaxRegression (DLS23), ResNetSoftmax (P2),
// TwoLayer (P1, reading R1).
type Normalized struct {
	U, Phi Activation
	B      []float64
	// Shift computes u at z − max z, valid when u's value and derivatives
	// all scale by the same factor under a shift (u = exp): f, p and u''/α
	// are then unchanged and nothing overflows.
	Shift bool
	// Beta, when positive, is the guard α ≥ β; below it the loss returns an
	// error wrapping newton.ErrDomain. Without a guard, α ≤ 0 is a domain
	// error.
	Beta float64
	// label names the instance in errors.
	label string
}

// SoftmaxRegression returns DLS23's ½‖softmax(z) − b‖² (u = exp, φ = id).
func SoftmaxRegression(b []float64) *Normalized {
	return &Normalized{U: Exp{}, Phi: Identity{}, B: b, Shift: true, label: "softmax"}
}

// ResNetSoftmax returns P2's ½‖(e^z+z)/⟨e^z+z,1⟩ − b‖² with the guard
// α ≥ beta (section 4.3); beta ≤ 0 means DefaultBeta. The guard's error
// says which α was found and where the limit is.
func ResNetSoftmax(b []float64, beta float64) *Normalized {
	if beta <= 0 {
		beta = DefaultBeta
	}
	return &Normalized{U: ExpPlusID{}, Phi: Identity{}, B: b, Beta: beta, label: "resnet-softmax"}
}

// TwoLayer returns P1's two-layer loss in reading R1 (section 5.2):
// ½‖φ(softmax(z)) − b‖² with an entrywise second activation φ (ReLUShift,
// Softplus, Square, ...). Results depend on the reconstruction R1.
func TwoLayer(b []float64, phi Activation) *Normalized {
	return &Normalized{U: Exp{}, Phi: phi, B: b, Shift: true, label: "two-layer-R1(" + phi.Name() + ")"}
}

// Len returns n.
func (l *Normalized) Len() int { return len(l.B) }

// Name identifies the instance.
func (l *Normalized) Name() string {
	if l.label != "" {
		return l.label
	}
	return fmt.Sprintf("normalized(%s,%s)", l.U.Name(), l.Phi.Name())
}

// scratch pools n-vectors so that evaluations allocate nothing in steady
// state while the loss stays safe for concurrent use.
var scratch = sync.Pool{New: func() any { return new([]float64) }}

func getBuf(n int) *[]float64 {
	b := scratch.Get().(*[]float64)
	if cap(*b) < n {
		*b = make([]float64, n)
	}
	*b = (*b)[:n]
	return b
}

// first computes u, u', u” into the three buffers and returns α = Σu.
func (l *Normalized) first(z, u, u1, u2 []float64) (float64, error) {
	shift := 0.0
	if l.Shift {
		shift = math.Inf(-1)
		for _, v := range z {
			shift = max(shift, v)
		}
	}
	var alpha float64
	for i, zi := range z {
		if math.IsNaN(zi) {
			return 0, fmt.Errorf("%w: %s: z[%d] is NaN", newton.ErrDomain, l.Name(), i)
		}
		if !l.Shift && zi > MaxZ {
			return 0, fmt.Errorf("%w: %s: pre-activation z[%d] = %.4g exceeds %d", newton.ErrDomain, l.Name(), i, zi, MaxZ)
		}
		a, b, c := l.U.Eval(zi - shift)
		u[i], u1[i], u2[i] = a, b, c
		alpha += a
	}
	switch {
	case l.Beta > 0 && !(alpha >= l.Beta):
		return alpha, fmt.Errorf("%w: %s: normalizer α = ⟨u(Ax), 1⟩ = %.6g is below the guard β = %.3g (section 4.3: α ≥ β > 0 is required)", newton.ErrDomain, l.Name(), alpha, l.Beta)
	case !(alpha > 0) || math.IsInf(alpha, 0):
		return alpha, fmt.Errorf("%w: %s: normalizer α = %.6g is not positive and finite", newton.ErrDomain, l.Name(), alpha)
	}
	return alpha, nil
}

// Eval returns the loss and, when grad is non-nil, ∇_z = p∘q̂ (section 3.2).
func (l *Normalized) Eval(grad, z []float64) (float64, error) {
	n := len(l.B)
	if len(z) != n || (grad != nil && len(grad) != n) {
		panic("softmax: length mismatch")
	}
	bu, bu1, bu2 := getBuf(n), getBuf(n), getBuf(n)
	defer func() { scratch.Put(bu); scratch.Put(bu1); scratch.Put(bu2) }()
	u, u1, q := *bu, *bu1, *bu2
	alpha, err := l.first(z, u, u1, q)
	if err != nil {
		return math.NaN(), err
	}
	inv := 1 / alpha
	var val, s float64
	for i, ui := range u {
		f := ui * inv
		y, d1, _ := l.Phi.Eval(f)
		e := y - l.B[i]
		val += e * e
		q[i] = d1 * e
		s += q[i] * f
	}
	if grad != nil {
		for i := range grad {
			grad[i] = u1[i] * inv * (q[i] - s)
		}
	}
	return 0.5 * val, nil
}

// Curvature sets c to diag(δ) + P K Pᵀ with P = [p v], K = [[κ, −1], [−1, 0]]
// (section 3.1-3.2).
func (l *Normalized) Curvature(c *newton.Curvature, z []float64) error {
	n := len(l.B)
	if len(z) != n {
		panic("softmax: length mismatch")
	}
	c.Reset(n, 2)
	bu, bu1, bu2 := getBuf(n), getBuf(n), getBuf(n)
	bq, bg := getBuf(n), getBuf(n)
	defer func() { scratch.Put(bu); scratch.Put(bu1); scratch.Put(bu2); scratch.Put(bq); scratch.Put(bg) }()
	u, u1, u2, q, gam := *bu, *bu1, *bu2, *bq, *bg
	alpha, err := l.first(z, u, u1, u2)
	if err != nil {
		return err
	}
	inv := 1 / alpha
	var s, kappa float64
	for i, ui := range u {
		f := ui * inv
		y, d1, d2 := l.Phi.Eval(f)
		e := y - l.B[i]
		q[i] = d1 * e
		gam[i] = d1*d1 + e*d2
		s += q[i] * f
		kappa += gam[i] * f * f
	}
	pr := c.P.RawMatrix()
	for i, ui := range u {
		f := ui * inv
		p := u1[i] * inv
		qh := q[i] - s
		c.D[i] = gam[i]*p*p + u2[i]*inv*qh
		pr.Data[i*pr.Stride] = p
		pr.Data[i*pr.Stride+1] = p * (gam[i]*f + qh)
	}
	c.K.SetSym(0, 0, kappa)
	c.K.SetSym(0, 1, -1)
	c.K.SetSym(1, 1, 0)
	return nil
}

// Elementwise is LSZ23's ½‖u(z) − b‖² with u ∈ {Exp, Cosh, Sinh}
// (section 2.5): its z-space Hessian is purely diagonal,
// D = u'² + (u − b)∘u”.
type Elementwise struct {
	U Activation
	B []float64
}

// Len returns n.
func (l *Elementwise) Len() int { return len(l.B) }

// Eval returns the loss and the gradient (u − b)∘u'.
func (l *Elementwise) Eval(grad, z []float64) (float64, error) {
	var val float64
	for i, zi := range z {
		if !(math.Abs(zi) <= MaxZ) {
			return math.NaN(), fmt.Errorf("%w: %s regression: z[%d] = %.4g outside [-%d, %d]", newton.ErrDomain, l.U.Name(), i, zi, MaxZ, MaxZ)
		}
		u, u1, _ := l.U.Eval(zi)
		e := u - l.B[i]
		val += e * e
		if grad != nil {
			grad[i] = e * u1
		}
	}
	return 0.5 * val, nil
}

// Curvature sets c to diag(u'² + (u − b)∘u”).
func (l *Elementwise) Curvature(c *newton.Curvature, z []float64) error {
	c.Reset(len(l.B), 0)
	for i, zi := range z {
		if !(math.Abs(zi) <= MaxZ) {
			return fmt.Errorf("%w: %s regression: z[%d] = %.4g outside [-%d, %d]", newton.ErrDomain, l.U.Name(), i, zi, MaxZ, MaxZ)
		}
		u, u1, u2 := l.U.Eval(zi)
		c.D[i] = u1*u1 + (u-l.B[i])*u2
	}
	return nil
}

// ErrShape reports inputs of inconsistent sizes.
var ErrShape = errors.New("softmax: inconsistent sizes")
