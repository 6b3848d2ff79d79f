package newton

import (
	"context"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"

	"github.com/sketchwork/sketchwork/solve"
)

// Section 8.3's pitfall: gonum's default stopping rules end these tiny-valued
// losses early; MinimizeGonum disables them and reaches the relative
// gradient tolerance with every method.
func TestGonumBaselines(t *testing.T) {
	p, x0 := testInstance(t, 2000, 10, 0.5, 13, false)
	g0 := make([]float64, len(x0))
	if _, err := p.Gradient(g0, x0); err != nil {
		t.Fatal(err)
	}
	n0 := floats.Norm(g0, 2)
	def, err := optimize.Minimize(p.AsOptimize(), x0, nil, &optimize.LBFGS{})
	if err != nil {
		t.Fatal(err)
	}
	defRel := floats.Norm(def.Location.Gradient, 2) / n0
	t.Logf("gonum LBFGS with default settings: status %v after %d iterations, relative gradient %.3g", def.Status, def.MajorIterations, defRel)
	if defRel < 1e-6 {
		t.Errorf("default gonum settings reached %.3g: the pitfall of section 8.3 did not show", defRel)
	}
	for _, m := range []GonumMethod{LBFGS, GonumNewton, GradientDescent} {
		tol := 1e-8
		maxIter := 2000
		if m == GradientDescent {
			tol = 1e-5 // GD is slow on ill-conditioned H; it must still get there
		}
		res, err := MinimizeGonum(context.Background(), p, x0, m, Options{GradTol: tol, MaxIter: maxIter})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s by %s after %d iterations, relative gradient %.3g", m, res.Status, res.StopRule, res.Stats.Iterations, res.GradNorm/res.Grad0)
		if res.Status != solve.Converged || res.StopRule != StopGradient || !(res.GradNorm <= tol*res.Grad0) {
			t.Errorf("%s: %s (%s), relative gradient %.3g, want ≤ %g", m, res.Status, res.StopRule, res.GradNorm/res.Grad0, tol)
		}
		if len(res.Iters) != res.Stats.Iterations+1 || res.Iters[0].GradNorm != n0 {
			t.Errorf("%s: %d records for %d iterations, first gradient %.3g want %.3g", m, len(res.Iters), res.Stats.Iterations, res.Iters[0].GradNorm, n0)
		}
	}
}
