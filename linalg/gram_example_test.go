package linalg_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// The weighted Gram of chosen rows is what a sampled Newton Hessian
// Σ_t w_t a_{r_t} a_{r_t}ᵀ needs; a workspace makes repeated calls cheap.
func ExampleWeightedGramTo() {
	a := mat.NewDense(4, 2, []float64{
		1, 0,
		0, 1,
		1, 1,
		2, -1,
	})
	var ws linalg.GramWorkspace
	var g mat.SymDense
	linalg.WeightedGramTo(&g, a, nil, nil, &ws) // AᵀA
	fmt.Printf("AᵀA = %v\n", mat.Formatted(&g, mat.FormatMATLAB()))
	linalg.WeightedGramTo(&g, a, []int{3, 3, 0}, []float64{0.5, 0.5, 2}, &ws) // 1·a₃a₃ᵀ + 2·a₀a₀ᵀ
	fmt.Printf("G = %v\n", mat.Formatted(&g, mat.FormatMATLAB()))
	// Output:
	// AᵀA = [6 -1; -1 3]
	// G = [6 -2; -2 1]
}
