package sketch_test

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg/testmat"
	"github.com/sketchwork/sketchwork/sketch"
)

// A sparse sign sketch with s = 8d rows embeds the column space of a
// 4000 x 20 matrix: the singular values of S·A are those of A up to a
// factor 1 ± 0.5.
func ExampleNew() {
	inst, _ := testmat.Gaussian(1, testmat.Params{N: 4000, D: 20})
	sk, err := sketch.New(sketch.Spec{Kind: sketch.SparseSign, Rows: 160, Scaling: sketch.Isometry}, 4000, 42)
	if err != nil {
		panic(err)
	}
	var sa mat.Dense
	sk.Apply(&sa, inst.A)
	r, c := sa.Dims()
	fmt.Println(sk.Spec(), r, c)

	var full, sketched mat.SVD
	full.Factorize(inst.A, mat.SVDNone)
	sketched.Factorize(&sa, mat.SVDNone)
	ratio := make([]float64, 20)
	floats.DivTo(ratio, sketched.Values(nil), full.Values(nil))
	fmt.Printf("σ(SA)/σ(A) in [%.1f, %.1f]\n", math.Floor(10*floats.Min(ratio))/10, math.Ceil(10*floats.Max(ratio))/10)
	// Output:
	// sparse-sign(s=160,zeta=8,isometry) 160 20
	// σ(SA)/σ(A) in [0.6, 1.3]
}

// An Accumulator sketches a matrix that arrives in row blocks (in any
// order) and gives the same S·A as Apply on the whole matrix, up to
// rounding.
func ExampleSketch_NewAccumulator() {
	inst, _ := testmat.Gaussian(2, testmat.Params{N: 1000, D: 5, Noise: 0.1})
	a := inst.A.(*mat.Dense)
	sk, _ := sketch.New(sketch.Spec{Kind: sketch.CountSketch, Rows: 50}, 1000, 7)
	ac, err := sk.NewAccumulator(5)
	if err != nil {
		panic(err)
	}
	for _, first := range []int{600, 0, 300} { // blocks of 300, 300 and 400 rows
		last := min(first+300, 1000)
		if first == 600 {
			last = 1000
		}
		_ = ac.AddRows(first, a.Slice(first, last, 0, 5).(*mat.Dense))
		_ = ac.AddRHS(first, inst.B[first:last])
	}
	var whole mat.Dense
	sk.Apply(&whole, a)
	fmt.Println(ac.RowsAdded(), mat.EqualApprox(ac.SA(), &whole, 1e-12))
	// Output: 1000 true
}

// Approximate leverage scores are within a factor 2 of the exact ones for
// almost every row, at the cost of one sparse sketch, a small QR and one
// pass over A.
func ExampleApproxLeverageScores() {
	inst, _ := testmat.HeavyTailed(3, testmat.Params{N: 4000, D: 20, Nu: 1})
	exact, _ := sketch.LeverageScores(inst.A)
	approx, err := sketch.ApproxLeverageScores(inst.A, sketch.ApproxOptions{}, 5)
	if err != nil {
		panic(err)
	}
	within := 0
	for i := range exact {
		if approx[i] >= exact[i]/2 && approx[i] <= 2*exact[i] {
			within++
		}
	}
	fmt.Printf("sum of exact scores %.4f, rows within a factor 2: %.0f%%\n", floats.Sum(exact), math.Floor(100*float64(within)/4000))
	// Output: sum of exact scores 20.0000, rows within a factor 2: 99%
}

// TensorSketch estimates <x,y>^p from sketches of x^⊗p and y^⊗p without
// forming the d^p-dimensional tensors.
func ExampleNewTensor() {
	x := []float64{1, 0.5, -0.5, 0.25}
	y := []float64{0.5, 1, 0.25, -1}
	const m, p = 4096, 3
	ts, err := sketch.NewTensor(sketch.Spec{Kind: sketch.TensorSketch, Rows: m, Degree: p}, 4, 9)
	if err != nil {
		panic(err)
	}
	tx, ty := make([]float64, m), make([]float64, m)
	ts.Power(tx, x)
	ts.Power(ty, y)
	fmt.Printf("<x,y>^3 = %.3f, estimate within 0.1: %v\n", math.Pow(floats.Dot(x, y), p), math.Abs(floats.Dot(tx, ty)-math.Pow(floats.Dot(x, y), p)) < 0.1)
	// Output: <x,y>^3 = 0.244, estimate within 0.1: true
}

// SampleRows draws rows by importance scores and returns the weights that
// make a sampled Gram or Hessian unbiased.
func ExampleSampleRows() {
	scores := []float64{4, 1, 1, 1, 1}
	rs, err := sketch.SampleRows(scores, 3, sketch.Poisson, 11)
	if err != nil {
		panic(err)
	}
	for k, i := range rs.Index {
		fmt.Printf("row %d weight %.3f\n", i, rs.Weight[k])
	}
	// Output:
	// row 0 weight 1.000
	// row 3 weight 1.633
}
