package softmax

import (
	"fmt"
	"math"
)

// Activation is an entrywise scalar map with its first two derivatives
// (newton-regressions.md section 10).
type Activation interface {
	// Eval returns φ(t), φ'(t) and φ''(t).
	Eval(t float64) (v, d1, d2 float64)
	// Name identifies the activation ("exp", "softplus", "relu(0.001)").
	Name() string
}

// Exp is t ↦ e^t (softmax's first layer and LSZ23's exp regression).
type Exp struct{}

// Eval returns e^t three times.
func (Exp) Eval(t float64) (float64, float64, float64) { e := math.Exp(t); return e, e, e }

// Name returns "exp".
func (Exp) Name() string { return "exp" }

// ExpPlusID is the residual unit t ↦ e^t + t of the ResNet+softmax loss
// (section 4). It is negative for t < −W(1) ≈ −0.567143.
type ExpPlusID struct{}

// Eval returns e^t + t, e^t + 1 and e^t.
func (ExpPlusID) Eval(t float64) (float64, float64, float64) {
	e := math.Exp(t)
	return e + t, e + 1, e
}

// Name returns "exp+id".
func (ExpPlusID) Name() string { return "exp+id" }

// Cosh is t ↦ cosh t (section 2.5).
type Cosh struct{}

// Eval returns cosh t, sinh t, cosh t.
func (Cosh) Eval(t float64) (float64, float64, float64) {
	c, s := math.Cosh(t), math.Sinh(t)
	return c, s, c
}

// Name returns "cosh".
func (Cosh) Name() string { return "cosh" }

// Sinh is t ↦ sinh t (section 2.5).
type Sinh struct{}

// Eval returns sinh t, cosh t, sinh t.
func (Sinh) Eval(t float64) (float64, float64, float64) {
	c, s := math.Cosh(t), math.Sinh(t)
	return s, c, s
}

// Name returns "sinh".
func (Sinh) Name() string { return "sinh" }

// Identity is t ↦ t (the second layer of softmax and ResNet+softmax).
type Identity struct{}

// Eval returns t, 1, 0.
func (Identity) Eval(t float64) (float64, float64, float64) { return t, 1, 0 }

// Name returns "identity".
func (Identity) Name() string { return "identity" }

// ReLUShift is t ↦ max(t − θ, 0) with φ' ∈ {0, 1} (taking φ'(θ) = 0) and
// φ” = 0. Its Hessian jumps where an f_k crosses θ, so the local theory only
// applies with a margin (section 5.2, A10). With θ = 0, R1 reduces to
// softmax regression on the simplex.
type ReLUShift struct{ Theta float64 }

// Eval returns max(t−θ, 0), 1{t > θ}, 0.
func (r ReLUShift) Eval(t float64) (float64, float64, float64) {
	if t > r.Theta {
		return t - r.Theta, 1, 0
	}
	return 0, 0, 0
}

// Name returns "relu(θ)".
func (r ReLUShift) Name() string { return fmt.Sprintf("relu(%g)", r.Theta) }

// Softplus is t ↦ ln(1 + e^t), a smooth ReLU.
type Softplus struct{}

// Eval returns ln(1+e^t), σ(t), σ(t)(1−σ(t)) computed without overflow.
func (Softplus) Eval(t float64) (float64, float64, float64) {
	var v, s float64
	if t > 0 {
		e := math.Exp(-t)
		v = t + math.Log1p(e)
		s = 1 / (1 + e)
	} else {
		e := math.Exp(t)
		v = math.Log1p(e)
		s = e / (1 + e)
	}
	return v, s, s * (1 - s)
}

// Name returns "softplus".
func (Softplus) Name() string { return "softplus" }

// Square is t ↦ t².
type Square struct{}

// Eval returns t², 2t, 2.
func (Square) Eval(t float64) (float64, float64, float64) { return t * t, 2 * t, 2 }

// Name returns "square".
func (Square) Name() string { return "square" }
