package sketch

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// kron returns the row-major Kronecker product x1⊗...⊗xp.
func kron(xs ...[]float64) []float64 {
	out := []float64{1}
	for _, x := range xs {
		next := make([]float64, 0, len(out)*len(x))
		for _, a := range out {
			for _, b := range x {
				next = append(next, a*b)
			}
		}
		out = next
	}
	return out
}

func newTensor(t testing.TB, m, p, d int, seed uint64) *Tensor {
	t.Helper()
	ts, err := NewTensor(Spec{Kind: TensorSketch, Rows: m, Degree: p}, d, seed)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestTensorSketchExact: the FFT evaluation equals the explicit definition
// (entry I of the tensor goes to bucket Σh_k(i_k) mod m with sign Πg_k(i_k))
// applied to the explicit Kronecker product, for odd, even and power-of-two
// m; Power, PowerRows and ProductRows agree with Product; Tᵀ is the adjoint.
func TestTensorSketchExact(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, m := range []int{1, 7, 30, 64} {
		for _, p := range []int{1, 2, 3} {
			const d = 5
			ts := newTensor(t, m, p, d, 9)
			xs := make([][]float64, p)
			for k := range xs {
				xs[k] = randDense(r, d, 1).RawMatrix().Data
			}
			got := make([]float64, m)
			ts.Product(got, xs...)
			want := make([]float64, m)
			ts.MulVecTo(want, false, kron(xs...))
			// Explicit definition from the exposed hashes.
			want2 := make([]float64, m)
			flat := kron(xs...)
			for f, v := range flat {
				bucket, sign, rest := 0, 1.0, f
				for k := p - 1; k >= 0; k-- {
					i := rest % d
					rest /= d
					h, g := ts.Hash(k, i)
					bucket += h
					sign *= g
				}
				want2[bucket%m] += sign * v
			}
			if !floats.EqualApprox(want, want2, 1e-14) {
				t.Fatalf("m=%d p=%d: MulVecTo differs from the definition", m, p)
			}
			if !floats.EqualApprox(got, want, 1e-12) {
				t.Fatalf("m=%d p=%d: FFT product %v, explicit %v", m, p, got, want)
			}
			pw := make([]float64, m)
			ts.Power(pw, xs[0])
			same := make([][]float64, p)
			for k := range same {
				same[k] = xs[0]
			}
			ts.Product(got, same...)
			if !floats.EqualApprox(pw, got, 1e-14) {
				t.Fatalf("m=%d p=%d: Power differs from Product(x, ..., x)", m, p)
			}
			// Adjoint: <T v, y> = <v, Tᵀ y>.
			_, n := ts.Dims()
			v := randDense(r, n, 1).RawMatrix().Data
			y := randDense(r, m, 1).RawMatrix().Data
			tv, ty := make([]float64, m), make([]float64, n)
			ts.MulVecTo(tv, false, v)
			ts.MulVecTo(ty, true, y)
			if math.Abs(floats.Dot(tv, y)-floats.Dot(v, ty)) > 1e-12*(1+math.Abs(floats.Dot(tv, y))) {
				t.Fatalf("m=%d p=%d: Tᵀ is not the adjoint", m, p)
			}
		}
	}
	// Rows.
	ts := newTensor(t, 32, 2, 6, 3)
	a := randDense(r, 200, 6)
	b := randDense(r, 200, 6)
	var pr, qr mat.Dense
	ts.PowerRows(&pr, a)
	ts.ProductRows(&qr, a, b)
	row := make([]float64, 32)
	for i := 0; i < 200; i++ {
		ts.Power(row, a.RawRowView(i))
		if !floats.Equal(row, pr.RawRowView(i)) {
			t.Fatalf("PowerRows row %d differs from Power", i)
		}
		ts.Product(row, a.RawRowView(i), b.RawRowView(i))
		if !floats.Equal(row, qr.RawRowView(i)) {
			t.Fatalf("ProductRows row %d differs from Product", i)
		}
	}
}

// tensorVariance is the exact variance of <T(x^⊗p), T(y^⊗p)> for fully
// random hashes: with a = <x,y>², b = ||x||²||y||² - Σx_i²y_i² and
// c = <x,y>² - Σx_i²y_i² (the three ways the four indices of each factor
// can pair up),
//
//	Var = [(a+b)^p + (a+c)^p - 2a^p]/m + g·[(a+b+c)^p - (a+b)^p - (a+c)^p + a^p]/m²,
//
// g = gcd(2, m). For p = 1 it is CountSketch's (||x||²||y||² + <x,y>² -
// 2Σx_i²y_i²)/m. (Derived for this test; it is below Avron, Nguyen and
// Woodruff's (2+3^p)/m·||x||^{2p}||y||^{2p}.)
func tensorVariance(x, y []float64, p, m int) float64 {
	xy := floats.Dot(x, y)
	x2, y2 := floats.Dot(x, x), floats.Dot(y, y)
	cross := 0.0
	for i := range x {
		cross += x[i] * x[i] * y[i] * y[i]
	}
	a, b, c := xy*xy, x2*y2-cross, xy*xy-cross
	pw := func(v float64) float64 { return math.Pow(v, float64(p)) }
	g := 1.0
	if m%2 == 0 {
		g = 2
	}
	fm := float64(m)
	return (pw(a+b)+pw(a+c)-2*pw(a))/fm + g*(pw(a+b+c)-pw(a+b)-pw(a+c)+pw(a))/(fm*fm)
}

// TestTensorSketchInnerProducts: over K = 4000 seeds the estimates
// <T(x^⊗p), T(y^⊗p)> have mean <x,y>^p (within 5 standard errors) and
// variance equal to tensorVariance (within 5 standard errors of the sample
// variance, estimated from the fourth moment). False-alarm probability
// about 1e-6 per check. The variance also respects the (2+3^p)/m bound.
func TestTensorSketchInnerProducts(t *testing.T) {
	const d, K = 6, 4000
	x := []float64{1, -0.5, 0.3, 0.8, 0, 1.2}
	y := []float64{0.7, 0.4, -1, 0.9, 0.5, 1.1}
	for _, p := range []int{1, 2, 3} {
		for _, m := range []int{31, 32} {
			truth := math.Pow(floats.Dot(x, y), float64(p))
			want := tensorVariance(x, y, p, m)
			tx, ty := make([]float64, m), make([]float64, m)
			var s1, s2, s3, s4 float64
			for seed := range uint64(K) {
				ts := newTensor(t, m, p, d, 5000+seed)
				ts.Power(tx, x)
				ts.Power(ty, y)
				z := floats.Dot(tx, ty)
				s1 += z
				s2 += z * z
				s3 += z * z * z
				s4 += z * z * z * z
			}
			mean := s1 / K
			v := s2/K - mean*mean
			if math.Abs(mean-truth) > 5*math.Sqrt(v/K) {
				t.Errorf("p=%d m=%d: mean %.4f, want <x,y>^p = %.4f (SE %.4f)", p, m, mean, truth, math.Sqrt(v/K))
			}
			// Fourth central moment for the standard error of the variance.
			m4 := s4/K - 4*mean*s3/K + 6*mean*mean*s2/K - 3*math.Pow(mean, 4)
			se := math.Sqrt(math.Max(0, m4-v*v) / K)
			t.Logf("p=%d m=%d var %.4f formula %.4f se %.4f mean %.4f truth %.4f", p, m, v, want, se, mean, truth)
			if math.Abs(v-want) > 5*se {
				t.Errorf("p=%d m=%d: variance %.4f, formula %.4f (SE %.4f)", p, m, v, want, se)
			}
			bound := (2 + math.Pow(3, float64(p))) / float64(m) * math.Pow(floats.Dot(x, x)*floats.Dot(y, y), float64(p))
			if want > bound {
				t.Errorf("p=%d m=%d: variance %.4f above the (2+3^p)/m bound %.4f", p, m, want, bound)
			}
		}
	}
}
