package newton

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// BenchmarkHessianBuild measures one Hessian build at n = 100000, d = 200
// (dense, and CSR with 8 entries per row) with a positive diagonal
// curvature: the exact Hessian (the weighted Gram of all rows), the sampled
// one with newton's approximate leverage scores (CountSketch s = 20d,
// k = 12) and with SketchLeverage (sparse sign ζ = 8). lev-ms and gram-ms
// are the medians of BuildStats.LeverageTime and GramTime over the runs;
// successive runs use successive iteration numbers, so every run draws new
// sketches.
func BenchmarkHessianBuild(b *testing.B) {
	const n, d = 100000, 200
	r := rand.New(rand.NewPCG(1, 2))
	dense := randDense(r, n, d)
	trip := make([]linalg.Triplet, 0, 8*n)
	for i := 0; i < n; i++ {
		for k := 0; k < 8; k++ {
			trip = append(trip, linalg.Triplet{I: i, J: r.IntN(d), V: r.NormFloat64()})
		}
	}
	sparse, err := linalg.CSRFromTriplets(n, d, trip)
	if err != nil {
		b.Fatal(err)
	}
	dv := make([]float64, n)
	for i := range dv {
		dv[i] = 0.5 + r.Float64()
	}
	c := &Curvature{D: dv}
	for _, in := range []struct {
		name string
		a    mat.Matrix
	}{{"dense", dense}, {"csr", sparse}} {
		p, err := NewProblem(in.a, testSoftmax{b: make([]float64, n)}, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, hb := range []HessianBuilder{Exact{}, Sampled{Seed: 1}, Sampled{Seed: 1, Scores: SketchLeverage}} {
			b.Run(fmt.Sprintf("%s/%s/n=%d,d=%d", in.name, hb.Name(), n, d), func(b *testing.B) {
				s := hb.NewSession(p)
				h := mat.NewSymDense(d, nil)
				if _, err := s.Build(h, c, 0); err != nil { // warm the workspaces
					b.Fatal(err)
				}
				var lev, gram []float64
				b.ReportAllocs()
				b.ResetTimer()
				for it := 1; it <= b.N; it++ {
					st, err := s.Build(h, c, it)
					if err != nil {
						b.Fatal(err)
					}
					lev = append(lev, st.LeverageTime.Seconds()*1e3)
					gram = append(gram, st.GramTime.Seconds()*1e3)
				}
				b.ReportMetric(median(lev), "lev-ms")
				b.ReportMetric(median(gram), "gram-ms")
			})
		}
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
