package softmax

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/solve/newton"
)

// TwoLayerR2 is P1's two-layer loss in the alternative reading R2 (section
// 5.3): a fixed second weight matrix V (m×n) between the softmax and the
// entrywise activation,
//
//	L(z) = ½‖φ(V·softmax(z)) − b‖²,  b ∈ R^m.
//
// Its z-space Hessian is JᵀVᵀdiag(γ_h)VJ + diag(f∘q̂) − (q̂∘f)fᵀ − f(q̂∘f)ᵀ
// with J = diag(f) − ffᵀ: the first term is the Gram factor G = VJ with
// weights γ_h of newton.Curvature, the rest diagonal + rank 2. Results that
// use it depend on the reconstruction R2; the recommended reading is R1
// (TwoLayer).
type TwoLayerR2 struct {
	V   *mat.Dense // m×n
	Phi Activation
	B   []float64 // length m
}

// NewTwoLayerR2 checks the sizes and returns the R2 loss.
func NewTwoLayerR2(v *mat.Dense, phi Activation, b []float64) (*TwoLayerR2, error) {
	m, _ := v.Dims()
	if m != len(b) {
		return nil, fmt.Errorf("%w: V has %d rows but b has %d entries", ErrShape, m, len(b))
	}
	return &TwoLayerR2{V: v, Phi: phi, B: b}, nil
}

// Len returns n, the number of columns of V.
func (l *TwoLayerR2) Len() int { _, n := l.V.Dims(); return n }

// forward computes f = softmax(z), h = V f, e = φ(h) − b, r = φ'(h)∘e,
// q = Vᵀr and s = ⟨q, f⟩; it returns the loss.
func (l *TwoLayerR2) forward(z []float64) (f, h, e, q []float64, s, val float64) {
	n := len(z)
	m, _ := l.V.Dims()
	f = make([]float64, n)
	mx := math.Inf(-1)
	for _, v := range z {
		mx = max(mx, v)
	}
	var alpha float64
	for i, v := range z {
		f[i] = math.Exp(v - mx)
		alpha += f[i]
	}
	for i := range f {
		f[i] /= alpha
	}
	h = make([]float64, m)
	mat.NewVecDense(m, h).MulVec(l.V, mat.NewVecDense(n, f))
	e = make([]float64, m)
	r := make([]float64, m)
	for k, hk := range h {
		y, d1, _ := l.Phi.Eval(hk)
		e[k] = y - l.B[k]
		r[k] = d1 * e[k]
		val += e[k] * e[k]
	}
	q = make([]float64, n)
	mat.NewVecDense(n, q).MulVec(l.V.T(), mat.NewVecDense(m, r))
	for i, qi := range q {
		s += qi * f[i]
	}
	return f, h, e, q, s, 0.5 * val
}

// Eval returns the loss and the gradient f∘(q − ⟨q,f⟩).
func (l *TwoLayerR2) Eval(grad, z []float64) (float64, error) {
	for i, v := range z {
		if math.IsNaN(v) {
			return math.NaN(), fmt.Errorf("%w: two-layer-R2: z[%d] is NaN", newton.ErrDomain, i)
		}
	}
	f, _, _, q, s, val := l.forward(z)
	if grad != nil {
		for i := range grad {
			grad[i] = f[i] * (q[i] - s)
		}
	}
	return val, nil
}

// Curvature sets c to diag(f∘q̂) + [f, q̂∘f]·[[0,−1],[−1,0]]·[f, q̂∘f]ᵀ plus
// the Gram factor G = V diag(f) − h fᵀ with weights γ_h = φ'(h)² + e∘φ”(h).
func (l *TwoLayerR2) Curvature(c *newton.Curvature, z []float64) error {
	n := len(z)
	m, _ := l.V.Dims()
	c.Reset(n, 2)
	f, h, e, q, s, _ := l.forward(z)
	pr := c.P.RawMatrix()
	for i := range f {
		qh := q[i] - s
		c.D[i] = f[i] * qh
		pr.Data[i*pr.Stride] = f[i]
		pr.Data[i*pr.Stride+1] = qh * f[i]
	}
	c.K.SetSym(0, 0, 0)
	c.K.SetSym(0, 1, -1)
	c.K.SetSym(1, 1, 0)
	g := mat.NewDense(m, n, nil)
	gw := make([]float64, m)
	for k := 0; k < m; k++ {
		_, d1, d2 := l.Phi.Eval(h[k])
		gw[k] = d1*d1 + e[k]*d2
		for i := 0; i < n; i++ {
			g.Set(k, i, l.V.At(k, i)*f[i]-h[k]*f[i])
		}
	}
	c.G, c.GW = g, gw
	return nil
}
