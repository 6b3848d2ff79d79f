package experiment

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg/testmat"
	"github.com/sketchwork/sketchwork/sketch"
)

// The quick sketch-distortion experiment runs, produces its table and
// three figures, and its checks pass.
func TestSketchDistortion(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the quick experiment (a few seconds)")
	}
	e := sketchDistortion()
	o, err := e.Run(context.Background(), Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Tables) != 1 || len(o.Tables[0].Rows) != 27 || len(o.Figures) != 3 {
		t.Fatalf("outcome has %d tables (%d rows) and %d figures", len(o.Tables), len(o.Tables[0].Rows), len(o.Figures))
	}
	if len(o.Checks) != 8 {
		t.Errorf("%d checks, want 8", len(o.Checks))
	}
	for _, c := range o.Checks {
		if !c.Pass {
			t.Errorf("%s failed: %s", c.Name, c.Detail)
		}
	}
}

// The helpers: the basis is orthonormal with leverage scores summing to d,
// the distortion of an exact isometry is 0 and of a too-short sketch 1.
func TestSketchDistortionHelpers(t *testing.T) {
	inst, err := testmat.Spiky(3, testmat.Params{N: 500, D: 6, Delta: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	u, scores, err := sdBasis(inst.A)
	if err != nil {
		t.Fatal(err)
	}
	var g mat.Dense
	g.Mul(u.T(), u)
	for i := 0; i < 6; i++ {
		for j := 0; j < 6; j++ {
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(g.At(i, j)-want) > 1e-12 {
				t.Fatalf("UᵀU differs from I at (%d,%d): %v", i, j, g.At(i, j))
			}
		}
	}
	if s := floats.Sum(scores); math.Abs(s-6) > 1e-10 {
		t.Errorf("scores sum to %v, want 6", s)
	}
	// A 3-row sketch of a 6-dimensional subspace has distortion 1.
	short, _ := sketch.New(sketch.Spec{Kind: sketch.Gaussian, Rows: 3, Scaling: sketch.Isometry}, 500, 1)
	if d := sdDistortion(short, u); d != 1 {
		t.Errorf("distortion of a 3-row sketch %v, want 1", d)
	}
	// SRHT with s = n' = n rows (n a power of two) is an exact isometry.
	inst2, _ := testmat.Gaussian(4, testmat.Params{N: 512, D: 5})
	u2, _, err := sdBasis(inst2.A)
	if err != nil {
		t.Fatal(err)
	}
	full, _ := sketch.New(sketch.Spec{Kind: sketch.SRHT, Rows: 512, Scaling: sketch.Isometry}, 512, 1)
	if d := sdDistortion(full, u2); d > 1e-12 {
		t.Errorf("distortion of the full SRHT %v, want 0", d)
	}
	v := []float64{5, 1, 4, 2, 3}
	if sdQuantile(v, 0.5) != 3 || sdQuantile(v, 0.9) != 5 || sdFracAtMost(v, 2) != 0.4 {
		t.Error("sdQuantile / sdFracAtMost")
	}
}
