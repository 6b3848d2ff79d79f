package sketch

import (
	"fmt"
	"testing"
)

// BenchmarkApproxLeverageLarge measures ApproxLeverageScores on a dense
// 100000 x 200 Gaussian matrix with row weights, with approximate Newton's
// settings (CountSketch: ζ = 1, s = 20d, k = 12 Gaussian columns) and with
// the library defaults (ζ = 8, s = 12d, r₂ = 64).
func BenchmarkApproxLeverageLarge(b *testing.B) {
	const n, d = 100000, 200
	a := benchDense(b, n, d)
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.5 + float64(i%7)/7
	}
	for _, c := range []struct {
		name string
		opts ApproxOptions
	}{
		{"newton(zeta=1,s=20d,k=12)", ApproxOptions{SketchRows: 20 * d, NNZPerCol: 1, GaussCols: 12, Weights: w}},
		{"defaults(zeta=8,s=12d,k=64)", ApproxOptions{Weights: w}},
	} {
		b.Run(fmt.Sprintf("%s/n=%d,d=%d", c.name, n, d), func(b *testing.B) {
			b.ReportAllocs()
			seed := uint64(0)
			for b.Loop() {
				seed++
				if _, err := ApproxLeverageScores(a, c.opts, seed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
