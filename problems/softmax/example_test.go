package softmax_test

import (
	"context"
	"fmt"

	"github.com/sketchwork/sketchwork/problems/softmax"
	"github.com/sketchwork/sketchwork/solve/newton"
)

// Softmax regression on a planted G2 instance, solved by approximate Newton
// with the leverage-sampled Hessian and the safeguarded default steps.
func Example() {
	spec := softmax.GenSpec{Kind: "G2", N: 5000, D: 20, Seed: 1}
	in, err := softmax.NewInstance(spec, softmax.Model{Kind: "softmax"}, 0.5, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := in.Problem()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := newton.Minimize(context.Background(), p, make([]float64, 20), newton.Options{
		Hessian: newton.Sampled{Eps0: 0.3, Seed: 7},
		GradTol: 1e-10,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s by the %s rule, ‖g‖/‖g_0‖ below 1e-10: %v\n", res.Status, res.StopRule, res.GradNorm <= 1e-10*res.Grad0)
	// Output:
	// converged by the gradient rule, ‖g‖/‖g_0‖ below 1e-10: true
}

// The ResNet+softmax guard of section 4.3: a start where the normalizer
// α = ⟨e^z + z, 1⟩ falls below β is refused with an error.
func ExampleResNetSoftmax() {
	loss := softmax.ResNetSoftmax([]float64{0.5, 0.5}, 0)
	_, err := loss.Eval(nil, []float64{-2, -2})
	fmt.Println(err != nil)
	// Output:
	// true
}
