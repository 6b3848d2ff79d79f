package softmax

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
	"github.com/sketchwork/sketchwork/solve"
	"github.com/sketchwork/sketchwork/solve/newton"
)

// Approximate Newton converges on a small G2 instance for every loss:
// unit steps from x* + 10·r_th·u contract the H*-norm error by at least the
// bound ε0/(1−ε0) + 0.1 per step (ε0 = 0.3) down to the floor, and the
// safeguarded default reaches ‖g‖ ≤ 1e-10‖g_0‖ from x_0 = 0.
func TestConvergenceSmallG2(t *testing.T) {
	spec := GenSpec{Kind: "G2", N: 2000, D: 15, Seed: 3}
	a, err := Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []Model{{Kind: "softmax"}, {Kind: "resnet-softmax"}, {Kind: "two-layer", Phi: Softplus{}}} {
		t.Run(m.Name(), func(t *testing.T) {
			in, err := PlantInstance(spec, a, m, 0.5, 0)
			if err != nil {
				t.Fatal(err)
			}
			p, err := in.Problem()
			if err != nil {
				t.Fatal(err)
			}
			ref, err := FindReference(context.Background(), p, in.XTrue)
			if err != nil {
				t.Fatal(err)
			}
			dg, err := Diagnose(p, ref, 0.3, 20, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !(dg.L > 0 && dg.MHat > 0 && dg.RTh > 0) {
				t.Fatalf("diagnostics l=%g M̂=%g r_th=%g", dg.L, dg.MHat, dg.RTh)
			}
			x0 := slices.Clone(ref.X)
			u := make([]float64, len(x0))
			for j := range u {
				u[j] = math.Sin(float64(j + 1))
			}
			floats.AddScaled(x0, 10*dg.RTh/floats.Norm(u, 2), u)
			res, err := newton.Minimize(context.Background(), p, x0, newton.Options{
				Mode: newton.UnitStep, Hessian: newton.Sampled{Eps0: 0.3, Seed: 9},
				XRef: ref.X, Metric: ref.H, GradTol: -1, MaxIter: 12, Stagnation: -1})
			if err != nil {
				t.Fatal(err)
			}
			e0 := res.Iters[0].MDist
			bound := 0.3/0.7 + 0.1
			steps := 0
			for k := 0; k+1 < len(res.Iters); k++ {
				e, f := res.Iters[k].MDist, res.Iters[k+1].MDist
				if e < 1e-7*e0 {
					break // the floating-point floor (A11)
				}
				steps++
				if f > bound*e {
					t.Errorf("step %d: ‖e‖_H* %.3g → %.3g, ratio %.3f above the bound %.3f", k, e, f, f/e, bound)
				}
			}
			if steps < 3 {
				t.Errorf("only %d steps above the floor", steps)
			}
			// The safeguarded default from x_0 = 0.
			res, err = newton.Minimize(context.Background(), p, make([]float64, len(x0)), newton.Options{Hessian: newton.Sampled{Seed: 1}, GradTol: 1e-10, MaxIter: 60})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != solve.Converged || res.StopRule != newton.StopGradient {
				t.Errorf("from 0: %s (%s) after %d iterations, ‖g‖/‖g0‖ = %.3g", res.Status, res.StopRule, res.Stats.Iterations, res.GradNorm/res.Grad0)
			}
			if d := floats.Distance(res.X, ref.X, 2) / floats.Norm(ref.X, 2); d > 1e-6 {
				t.Errorf("from 0: relative distance to x* %.3g", d)
			}
		})
	}
}

// Generators are reproducible for a seed at GOMAXPROCS 1 and 2, and G2 has
// ‖A‖₂ = 3.
func TestGeneratorsReproducible(t *testing.T) {
	for _, kind := range []string{"G1", "G2", "G3"} {
		spec := GenSpec{Kind: kind, N: 5000, D: 12, Seed: 7}
		gen := func(procs int) mat.Matrix {
			old := runtime.GOMAXPROCS(procs)
			defer runtime.GOMAXPROCS(old)
			a, err := Generate(spec)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		a1, a2 := gen(1), gen(2)
		if !mat.Equal(a1, a2) {
			t.Errorf("%s differs between GOMAXPROCS 1 and 2", kind)
		}
		if kind == "G2" {
			var sv mat.SVD
			sv.Factorize(a1, mat.SVDNone)
			if s := sv.Values(nil)[0]; math.Abs(s-3) > 1e-6 {
				t.Errorf("G2 has ‖A‖₂ = %v, want 3", s)
			}
		}
		if kind == "G3" {
			c := a1.(*linalg.CSR)
			if c.NNZ() != 5*5000 {
				t.Errorf("G3 has %d nonzeros, want %d", c.NNZ(), 5*5000)
			}
		}
	}
	if _, err := Generate(GenSpec{Kind: "G9", N: 5, D: 2}); err == nil {
		t.Error("unknown generator accepted")
	}
}

// The ResNet guard of section 4.3: α = ⟨e^z + z, 1⟩ < β is a domain error
// that names α and β, and Minimize refuses such a start.
func TestResNetGuard(t *testing.T) {
	n := 4
	b := []float64{0.25, 0.25, 0.25, 0.25}
	l := ResNetSoftmax(b, 0.5)
	z := []float64{-3, -3, -3, -3} // α = 4(e^-3 − 3) < 0
	_, err := l.Eval(nil, z)
	if !errors.Is(err, newton.ErrDomain) || !strings.Contains(err.Error(), "β") {
		t.Fatalf("α below β: err = %v", err)
	}
	a := mat.NewDense(n, 1, []float64{1, 1, 1, 1})
	p, err := newton.NewProblem(a, l, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newton.Minimize(context.Background(), p, []float64{-3}, newton.Options{}); !errors.Is(err, newton.ErrDomain) {
		t.Errorf("start with α ≤ 0: err = %v", err)
	}
	// Overflow guard: z > MaxZ is refused rather than producing Inf.
	if _, err := l.Eval(nil, []float64{800, 0, 0, 0}); !errors.Is(err, newton.ErrDomain) {
		t.Errorf("z > %d: err = %v", MaxZ, err)
	}
}

func TestModelErrors(t *testing.T) {
	if _, err := (Model{Kind: "nope"}).Loss([]float64{1}); err == nil {
		t.Error("unknown loss accepted")
	}
	if _, err := NewTwoLayerR2(mat.NewDense(2, 3, nil), Softplus{}, []float64{1}); err == nil {
		t.Error("R2 with mismatched b accepted")
	}
}
