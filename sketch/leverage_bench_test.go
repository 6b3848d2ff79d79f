package sketch

import (
	"fmt"
	"testing"

	"github.com/sketchwork/sketchwork/linalg/testmat"
)

// BenchmarkApproxLeverageLarge measures ApproxLeverageScores on a dense
// 100000 x 200 Gaussian matrix with row weights, with approximate Newton's
// settings (CountSketch: ζ = 1, s = 20d, k = 12 Gaussian columns) and with
// the library defaults (ζ = 8, s = 12d, r₂ = 64); and on a CSR matrix with
// 320000 rows, d = 50 and 20 entries per row (newton-cost's largest G3
// instance) with Newton's settings.
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
	sp, err := testmat.Sparse(2, testmat.Params{N: 320000, D: 50, Z: 20})
	if err != nil {
		b.Fatal(err)
	}
	ws := make([]float64, 320000)
	for i := range ws {
		ws[i] = 0.5 + float64(i%7)/7
	}
	b.Run("newton(zeta=1,s=20d,k=12)/csr,n=320000,d=50,z=20", func(b *testing.B) {
		b.ReportAllocs()
		seed := uint64(0)
		for b.Loop() {
			seed++
			if _, err := ApproxLeverageScores(sp.A, ApproxOptions{SketchRows: 1000, NNZPerCol: 1, GaussCols: 12, Weights: ws}, seed); err != nil {
				b.Fatal(err)
			}
		}
	})
}
