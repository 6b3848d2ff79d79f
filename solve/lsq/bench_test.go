package lsq

import (
	"context"
	"fmt"
	"testing"

	"github.com/sketchwork/sketchwork/linalg/testmat"
)

// BenchmarkSolve compares the methods on a dense Gaussian problem and the
// sparse ill-conditioned one in the same process; run with
//
//	go test -run XXX -bench Solve -benchtime 3x ./solve/lsq
//
// and compare the ns/op of precond against direct (the gonum QR baseline).
func BenchmarkSolve(b *testing.B) {
	type tc struct {
		name string
		gen  func() (*testmat.Instance, error)
	}
	cases := []tc{
		{"dense/n=100000,d=200", func() (*testmat.Instance, error) {
			return testmat.Gaussian(1, testmat.Params{N: 100000, D: 200, Noise: 1})
		}},
		{"sparse/n=100000,d=500,density=0.01", func() (*testmat.Instance, error) {
			return testmat.SparseIllCond(1, testmat.Params{N: 100000, D: 500, Density: 0.01, Kappa: 1e6, Noise: 0.1})
		}},
	}
	for _, c := range cases {
		inst, err := c.gen()
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range []Method{SketchPrecond, SketchSolve, Direct} {
			for _, tol := range []float64{0, 3e-6} {
				if m != SketchPrecond && tol != 0 {
					continue
				}
				b.Run(fmt.Sprintf("%s/%s/tol=%g", c.name, m, tol), func(b *testing.B) {
					b.ReportAllocs()
					var res *Result
					for i := 0; i < b.N; i++ {
						res, err = Solve(context.Background(), inst.A, inst.B, Settings{Method: m, Tol: tol, Seed: 1})
						if err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(res.Iterations), "iters")
					b.ReportMetric(res.Passes, "passes")
				})
			}
		}
	}
}
