package sketch_test

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/sketchwork/sketchwork/linalg/testmat"
	"github.com/sketchwork/sketchwork/sketch"
)

// A LeverageEstimator reuses its scratch across calls: an iterative method
// that needs scores of diag(√D_t)·A at every iteration t allocates its
// buffers once.
func ExampleLeverageEstimator() {
	inst, _ := testmat.HeavyTailed(3, testmat.Params{N: 4000, D: 20, Nu: 1})
	n, d := inst.A.Dims()
	var est sketch.LeverageEstimator
	exact := make([]float64, n)
	approx := make([]float64, n)
	w := make([]float64, n)
	for t := 0; t < 3; t++ {
		for i := range w {
			w[i] = math.Sqrt(1 + float64((i+t)%5)) // √D_t
		}
		if err := est.Exact(exact, inst.A, w); err != nil {
			panic(err)
		}
		// CountSketch with s = 20d rows and 12 Gaussian columns: cheap, and
		// accurate enough for sampling (χ²₁₂/12 alone is within a factor 3
		// with probability 0.98).
		opts := sketch.ApproxOptions{SketchRows: 20 * d, NNZPerCol: 1, GaussCols: 12, Weights: w}
		if err := est.Scores(approx, inst.A, opts, uint64(t)); err != nil {
			panic(err)
		}
		within := 0
		for i := range exact {
			if approx[i] >= exact[i]/3 && approx[i] <= 3*exact[i] {
				within++
			}
		}
		fmt.Printf("iteration %d: Σ exact = %.4f, rows within a factor 3: %.0f%%\n", t, floats.Sum(exact), math.Floor(100*float64(within)/float64(n)))
	}
	// Output:
	// iteration 0: Σ exact = 20.0000, rows within a factor 3: 96%
	// iteration 1: Σ exact = 20.0000, rows within a factor 3: 99%
	// iteration 2: Σ exact = 20.0000, rows within a factor 3: 98%
}
