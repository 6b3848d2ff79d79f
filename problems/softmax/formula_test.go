package softmax

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
	"github.com/sketchwork/sketchwork/solve/newton"
)

// formulaCase is one loss of the family at a random point.
type formulaCase struct {
	name string
	loss func(n int, r *rand.Rand, z0 []float64) newton.Loss
	rank int // rank of the low-rank part: 2 for the normalized family, 0 for elementwise
}

// plantB returns b = f(z0)∘(1 + 0.3ξ) for a normalized loss.
func plantNormalized(u Activation, phi Activation, z0 []float64, r *rand.Rand) []float64 {
	n := len(z0)
	f := make([]float64, n)
	var a float64
	for i, z := range z0 {
		f[i], _, _ = u.Eval(z)
		a += f[i]
	}
	b := make([]float64, n)
	for i := range f {
		y, d1, _ := phi.Eval(f[i] / a)
		b[i] = y + 0.3*d1*(f[i]/a)*r.NormFloat64()
	}
	return b
}

func formulaCases() []formulaCase {
	return []formulaCase{
		{"exp", func(n int, r *rand.Rand, z0 []float64) newton.Loss {
			b := make([]float64, n)
			for i, z := range z0 {
				b[i] = math.Exp(z) * (1 + 0.3*r.NormFloat64())
			}
			return &Elementwise{U: Exp{}, B: b}
		}, 0},
		{"cosh", func(n int, r *rand.Rand, z0 []float64) newton.Loss {
			b := make([]float64, n)
			for i, z := range z0 {
				b[i] = math.Cosh(z) * (1 + 0.3*r.NormFloat64())
			}
			return &Elementwise{U: Cosh{}, B: b}
		}, 0},
		{"sinh", func(n int, r *rand.Rand, z0 []float64) newton.Loss {
			b := make([]float64, n)
			for i, z := range z0 {
				b[i] = math.Sinh(z) * (1 + 0.3*r.NormFloat64())
			}
			return &Elementwise{U: Sinh{}, B: b}
		}, 0},
		{"softmax", func(n int, r *rand.Rand, z0 []float64) newton.Loss {
			return SoftmaxRegression(plantNormalized(Exp{}, Identity{}, z0, r))
		}, 2},
		{"resnet-softmax", func(n int, r *rand.Rand, z0 []float64) newton.Loss {
			return ResNetSoftmax(plantNormalized(ExpPlusID{}, Identity{}, z0, r), 0)
		}, 2},
		{"two-layer-R1-softplus", func(n int, r *rand.Rand, z0 []float64) newton.Loss {
			return TwoLayer(plantNormalized(Exp{}, Softplus{}, z0, r), Softplus{})
		}, 2},
		{"two-layer-R1-square", func(n int, r *rand.Rand, z0 []float64) newton.Loss {
			return TwoLayer(plantNormalized(Exp{}, Square{}, z0, r), Square{})
		}, 2},
		{"two-layer-R1-relu", func(n int, r *rand.Rand, z0 []float64) newton.Loss {
			phi := ReLUShift{Theta: 1 / float64(n)}
			return TwoLayer(plantNormalized(Exp{}, phi, z0, r), phi)
		}, 2},
		{"two-layer-R2-softplus", func(n int, r *rand.Rand, z0 []float64) newton.Loss {
			m := 7
			v := mat.NewDense(m, n, nil)
			for k := 0; k < m; k++ {
				for i := 0; i < n; i++ {
					v.Set(k, i, r.NormFloat64())
				}
			}
			b := make([]float64, m)
			for k := range b {
				b[k] = r.NormFloat64()
			}
			l, err := NewTwoLayerR2(v, Softplus{}, b)
			if err != nil {
				panic(err)
			}
			return l
		}, 2},
	}
}

// reluMargin returns min_k |f_k − θ| relative to θ for the ReLU case.
func reluMargin(z []float64, theta float64) float64 {
	f := softmaxOf(z)
	m := math.Inf(1)
	for _, v := range f {
		m = min(m, math.Abs(v-theta)/theta)
	}
	return m
}

func softmaxOf(z []float64) []float64 {
	mx := floats.Max(z)
	f := make([]float64, len(z))
	var s float64
	for i, v := range z {
		f[i] = math.Exp(v - mx)
		s += f[i]
	}
	floats.Scale(1/s, f)
	return f
}

// formulaProblem builds A (n×d, N(0, 1/d)), x, and the loss planted at x.
func formulaProblem(t *testing.T, c formulaCase, n, d int, seed uint64) (*newton.Problem, []float64) {
	t.Helper()
	for try := uint64(0); ; try++ {
		if try > 200 {
			t.Fatal("no ReLU instance with a margin found")
		}
		r := rand.New(rand.NewPCG(seed, try))
		a := mat.NewDense(n, d, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				a.Set(i, j, r.NormFloat64()/math.Sqrt(float64(d)))
			}
		}
		x := make([]float64, d)
		for j := range x {
			x[j] = r.NormFloat64() / math.Sqrt(float64(d))
		}
		z := make([]float64, n)
		linalg.Dense(a).MulVecTo(z, false, x)
		if c.name == "two-layer-R1-relu" && reluMargin(z, 1/float64(n)) < 2e-4 {
			continue // finite differences would straddle the kink
		}
		loss := c.loss(n, r, z)
		// Evaluate the derivatives away from the planting point.
		for j := range x {
			x[j] += 0.2 * r.NormFloat64() / math.Sqrt(float64(d))
		}
		if c.name == "two-layer-R1-relu" {
			linalg.Dense(a).MulVecTo(z, false, x)
			if reluMargin(z, 1/float64(n)) < 2e-4 {
				continue
			}
		}
		w := make([]float64, n)
		for i := range w {
			w[i] = 0.1 / float64(n) * (1 + r.Float64())
		}
		p, err := newton.NewProblem(a, loss, w)
		if err != nil {
			t.Fatal(err)
		}
		return p, x
	}
}

// T1: gradient against central differences, h = 1e-5·max(1, ‖x‖), relative
// error < 1e-6 (newton-regressions.md section 7).
func TestT1GradientFiniteDifferences(t *testing.T) {
	for _, c := range formulaCases() {
		for _, sz := range [][2]int{{50, 5}, {500, 10}} {
			t.Run(fmt.Sprintf("%s/n=%d", c.name, sz[0]), func(t *testing.T) {
				p, x := formulaProblem(t, c, sz[0], sz[1], 11)
				g := make([]float64, len(x))
				if _, err := p.Gradient(g, x); err != nil {
					t.Fatal(err)
				}
				h := 1e-5 * max(1, floats.Norm(x, 2))
				fdg := fd.Gradient(nil, func(x []float64) float64 {
					v, err := p.Value(x)
					if err != nil {
						t.Fatal(err)
					}
					return v
				}, x, &fd.Settings{Formula: fd.Central, Step: h})
				rel := floats.Distance(g, fdg, 2) / floats.Norm(g, 2)
				if !(rel < 1e-6) {
					t.Errorf("gradient relative error %.3g ≥ 1e-6", rel)
				}
			})
		}
	}
}

// T2: Hessian against central differences of the gradient; relative
// Frobenius error < 1e-6, and the built Hessian equals Aᵀ(core)A formed
// densely from the factored curvature.
func TestT2HessianFiniteDifferences(t *testing.T) {
	for _, c := range formulaCases() {
		for _, sz := range [][2]int{{50, 5}, {500, 10}} {
			t.Run(fmt.Sprintf("%s/n=%d", c.name, sz[0]), func(t *testing.T) {
				n, d := sz[0], sz[1]
				p, x := formulaProblem(t, c, n, d, 23)
				hs := mat.NewSymDense(d, nil)
				if err := p.Hessian(hs, x); err != nil {
					t.Fatal(err)
				}
				h := 1e-5 * max(1, floats.Norm(x, 2))
				jac := mat.NewDense(d, d, nil)
				fd.Jacobian(jac, func(dst, x []float64) {
					if _, err := p.Gradient(dst, x); err != nil {
						t.Fatal(err)
					}
				}, x, &fd.JacobianSettings{Formula: fd.Central, Step: h})
				var diff mat.Dense
				diff.Sub(jac, hs)
				rel := mat.Norm(&diff, 2) / mat.Norm(hs, 2)
				if !(rel < 1e-6) {
					t.Errorf("Hessian relative error %.3g ≥ 1e-6", rel)
				}
				// Dense reference: Aᵀ · core · A.
				var cv newton.Curvature
				if err := p.CurvatureAt(&cv, x); err != nil {
					t.Fatal(err)
				}
				core := cv.Dense()
				a := denseA(p)
				var ca, ref mat.Dense
				ca.Mul(core, a)
				ref.Mul(a.T(), &ca)
				var asym float64
				for i := 0; i < d; i++ {
					for j := 0; j < d; j++ {
						asym = max(asym, math.Abs(ref.At(i, j)-ref.At(j, i)))
					}
				}
				if asym > 1e-14*mat.Norm(&ref, math.Inf(1)) {
					t.Errorf("AᵀcoreA not symmetric: %.3g", asym)
				}
				diff.Sub(&ref, hs)
				if e := mat.Norm(&diff, 2) / mat.Norm(hs, 2); e > 1e-12 {
					t.Errorf("built Hessian differs from dense AᵀcoreA by %.3g", e)
				}
			})
		}
	}
}

func denseA(p *newton.Problem) *mat.Dense {
	n, d := p.Dims()
	a := mat.NewDense(n, d, nil)
	op := p.Operator()
	e := make([]float64, d)
	col := make([]float64, n)
	for j := 0; j < d; j++ {
		clear(e)
		e[j] = 1
		op.MulVecTo(col, false, e)
		a.SetCol(j, col)
	}
	return a
}

// T3: the core minus its diagonal, P K Pᵀ, has exactly two nonzero
// eigenvalues of opposite signs (det K = −1).
func TestT3CoreInertia(t *testing.T) {
	for _, c := range formulaCases() {
		if c.rank == 0 {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			n, d := 50, 5
			p, x := formulaProblem(t, c, n, d, 37)
			var cv newton.Curvature
			if err := p.CurvatureAt(&cv, x); err != nil {
				t.Fatal(err)
			}
			low := newton.Curvature{D: make([]float64, n), P: cv.P, K: cv.K}
			var es mat.EigenSym
			if !es.Factorize(low.Dense(), false) {
				t.Fatal("eigendecomposition failed")
			}
			ev := es.Values(nil)
			big := math.Max(math.Abs(ev[0]), math.Abs(ev[n-1]))
			var pos, neg int
			for _, v := range ev {
				switch {
				case v > 1e-10*big:
					pos++
				case v < -1e-10*big:
					neg++
				}
			}
			if pos != 1 || neg != 1 {
				t.Errorf("inertia of P K Pᵀ = (%d, %d), want (1, 1); eigenvalues %v ... %v", pos, neg, ev[:2], ev[n-2:])
			}
		})
	}
}

// T4: the expanded DLS23 form of B equals the compact one to < 1e-14.
func TestT4SoftmaxExpandedForm(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for trial := 0; trial < 20; trial++ {
		n := 5 + r.IntN(40)
		z := make([]float64, n)
		b := make([]float64, n)
		for i := range z {
			z[i] = r.NormFloat64()
			b[i] = r.Float64() / float64(n) * 2
		}
		loss := SoftmaxRegression(b)
		var cv newton.Curvature
		if err := loss.Curvature(&cv, z); err != nil {
			t.Fatal(err)
		}
		compact := cv.Dense()
		f := softmaxOf(z)
		var f3b, fcb float64 // ⟨3f − 2b, f⟩, ⟨f − b, f⟩
		for i := range f {
			f3b += (3*f[i] - 2*b[i]) * f[i]
			fcb += (f[i] - b[i]) * f[i]
		}
		var worst, scale float64
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				e := f3b*f[i]*f[j] + b[i]*f[i]*f[j] + f[i]*b[j]*f[j] - 2*f[i]*f[i]*f[j] - 2*f[i]*f[j]*f[j]
				if i == j {
					e += (2*f[i]-b[i])*f[i] - fcb*f[i]
				}
				worst = max(worst, math.Abs(e-compact.At(i, j)))
				scale = max(scale, math.Abs(e))
			}
		}
		if worst >= 1e-14 {
			t.Errorf("trial %d: expanded and compact B differ by %.3g (entries up to %.3g)", trial, worst, scale)
		}
	}
}
