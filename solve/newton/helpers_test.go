package newton

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// testSoftmax is DLS23's softmax regression ½‖softmax(z) − b‖², written
// here from section 3.3 so that the solver's tests do not import the
// problems layer above them.
type testSoftmax struct{ b []float64 }

func (l testSoftmax) Len() int { return len(l.b) }

func (l testSoftmax) f(z []float64) []float64 {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = max(mx, v)
	}
	f := make([]float64, len(z))
	var s float64
	for i, v := range z {
		f[i] = math.Exp(v - mx)
		s += f[i]
	}
	for i := range f {
		f[i] /= s
	}
	return f
}

func (l testSoftmax) Eval(grad, z []float64) (float64, error) {
	f := l.f(z)
	var val, fc float64
	for i, fi := range f {
		c := fi - l.b[i]
		val += c * c
		fc += fi * c
	}
	if grad != nil {
		for i, fi := range f {
			grad[i] = fi*(fi-l.b[i]) - fc*fi
		}
	}
	return 0.5 * val, nil
}

// Curvature: B = diag(f∘r) + ‖f‖²ffᵀ − (f∘r)fᵀ − f(f∘r)ᵀ, r = 2f − b − ⟨f−b,f⟩.
func (l testSoftmax) Curvature(c *Curvature, z []float64) error {
	n := len(z)
	c.Reset(n, 2)
	f := l.f(z)
	var fc, ff float64
	for i, fi := range f {
		fc += fi * (fi - l.b[i])
		ff += fi * fi
	}
	pr := c.P.RawMatrix()
	for i, fi := range f {
		r := 2*fi - l.b[i] - fc
		c.D[i] = fi * r
		pr.Data[i*pr.Stride] = fi
		pr.Data[i*pr.Stride+1] = fi * r
	}
	c.K.SetSym(0, 0, ff)
	c.K.SetSym(0, 1, -1)
	c.K.SetSym(1, 1, 0)
	return nil
}

// testInstance returns a softmax problem with coherent rows (heavy-tailed
// row scales), its planting point and the regularization weights.
func testInstance(t testing.TB, n, d int, gamma float64, seed uint64, sparse bool) (*Problem, []float64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 99))
	a := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		sc := math.Abs(r.NormFloat64()/math.Max(0.05, math.Abs(r.NormFloat64()))) + 0.1
		for j := 0; j < d; j++ {
			if sparse && r.IntN(d) >= 4 {
				continue
			}
			a.Set(i, j, sc*r.NormFloat64()/math.Sqrt(float64(d)))
		}
	}
	// Scale to ‖A‖ ≈ 3 as G2 does (Frobenius / √d is close enough here).
	a.Scale(3*math.Sqrt(float64(d))/mat.Norm(a, 2)/math.Sqrt(float64(d)), a)
	x := make([]float64, d)
	for j := range x {
		x[j] = r.NormFloat64() / math.Sqrt(float64(d))
	}
	z := make([]float64, n)
	linalg.Dense(a).MulVecTo(z, false, x)
	f := testSoftmax{}.f(z)
	b := make([]float64, n)
	for i := range b {
		b[i] = f[i] * (1 + 0.3*r.NormFloat64())
	}
	var w []float64
	if gamma > 0 {
		w = make([]float64, n)
		for i := range w {
			w[i] = math.Sqrt(gamma) / float64(n)
		}
	}
	var am mat.Matrix = a
	if sparse {
		am = linalg.CSRFromDense(a, 0)
	}
	p, err := NewProblem(am, testSoftmax{b: b}, w)
	if err != nil {
		t.Fatal(err)
	}
	return p, x
}

func randDense(r *rand.Rand, n, d int) *mat.Dense {
	a := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			a.Set(i, j, r.NormFloat64())
		}
	}
	return a
}
