package simd

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func randVec(r *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64() * math.Pow(2, float64(r.IntN(20)-10))
	}
	return v
}

// TestKernelsMatchPortable checks that the dispatched kernels (assembly on
// AVX2 machines) give exactly the bits of the portable loops, for every
// length from 0 to 100 and some long ones.
func TestKernelsMatchPortable(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	lengths := []int{1000, 1023, 4096 + 7}
	for n := 0; n <= 100; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		x, y := randVec(r, n), randVec(r, n+3)
		if got, want := Dot(x, y), dotGo(x, y); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("n=%d: Dot %v, portable %v", n, got, want)
		}
		a := r.NormFloat64()
		y1 := append([]float64(nil), y...)
		y2 := append([]float64(nil), y...)
		Axpy(y1, a, x)
		axpyGo(y2, a, x)
		for i := range y1 {
			if math.Float64bits(y1[i]) != math.Float64bits(y2[i]) {
				t.Fatalf("n=%d: Axpy differs at %d", n, i)
			}
		}
		if y1[len(y1)-1] != y[len(y)-1] {
			t.Fatalf("n=%d: Axpy wrote past len(x)", n)
		}
	}
	t.Logf("assembly kernels used: %v", useAsm)
}

// TestDotAccuracy compares Dot with an exact big.Float sum: the error is
// within the standard bound γ_n Σ|x_i y_i| with γ_n = n·u/(1−n·u).
func TestDotAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{5, 17, 100, 1000, 10000} {
		x, y := randVec(r, n), randVec(r, n)
		exact := new(big.Float).SetPrec(2048)
		var abs float64
		for i := range x {
			p := new(big.Float).SetPrec(2048).Mul(big.NewFloat(x[i]), big.NewFloat(y[i]))
			exact.Add(exact, p)
			abs += math.Abs(x[i] * y[i])
		}
		want, _ := exact.Float64()
		u := 0x1p-53
		gamma := float64(n) * u / (1 - float64(n)*u)
		if err := math.Abs(Dot(x, y) - want); err > gamma*abs {
			t.Errorf("n=%d: error %g > bound %g", n, err, gamma*abs)
		}
	}
}

func BenchmarkDot(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	x, y := randVec(r, 400), randVec(r, 400)
	b.SetBytes(2 * 8 * 400)
	for i := 0; i < b.N; i++ {
		Dot(x, y)
	}
}
