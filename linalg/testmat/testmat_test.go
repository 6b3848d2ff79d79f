package testmat

import (
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/rng"
	"github.com/sketchwork/sketchwork/linalg"
)

const eps = 0x1p-52

// dense returns a dense copy of an instance's matrix.
func dense(a mat.Matrix) *mat.Dense {
	if c, ok := a.(*linalg.CSR); ok {
		return c.ToDense()
	}
	return mat.DenseCopyOf(a)
}

// singularValues returns the singular values of a, largest first.
func singularValues(t *testing.T, a mat.Matrix) []float64 {
	t.Helper()
	var svd mat.SVD
	if !svd.Factorize(dense(a), mat.SVDNone) {
		t.Fatal("SVD failed")
	}
	return svd.Values(nil)
}

func cond(t *testing.T, a mat.Matrix) float64 {
	s := singularValues(t, a)
	return s[0] / s[len(s)-1]
}

// mpBand returns the factor (1+√(d/n)+t/√n)/(1-√(d/n)-t/√n): by Davidson and
// Szarek's bound the condition number of an n x d Gaussian matrix lies below
// it with probability >= 1-2exp(-t²/2) (t = 3: >= 0.98).
func mpBand(n, d int, t float64) float64 {
	r := math.Sqrt(float64(d)/float64(n)) + t/math.Sqrt(float64(n))
	return (1 + r) / (1 - r)
}

func TestKappaConditionNumberWithinBand(t *testing.T) {
	const n, d = 2000, 20
	f := mpBand(n, d, 3)
	for i, kappa := range []float64{1, 1e4, 1e8} {
		inst, err := Kappa(uint64(10+i), Params{N: n, D: d, Kappa: kappa, Noise: 0.1})
		if err != nil {
			t.Fatal(err)
		}
		c := cond(t, inst.A)
		// κ(A) ∈ [κ/f, κ·f] since A = (G/√n)·diag(σ)·Vᵀ and κ(G/√n) <= f.
		if c < kappa/f || c > kappa*f {
			t.Errorf("kappa=%g: cond(A) = %.4g outside [%.4g, %.4g]", kappa, c, kappa/f, kappa*f)
		}
		if inst.Kappa != kappa {
			t.Errorf("Kappa field %v, want %v", inst.Kappa, kappa)
		}
	}
}

func TestKappaExactIsExact(t *testing.T) {
	const n, d = 1500, 12
	for i, kappa := range []float64{1, 1e4, 1e8} {
		for _, rho := range []float64{1e-8, 1e-2, 0.5} {
			inst, err := KappaExact(uint64(20+i), Params{N: n, D: d, Kappa: kappa, Rho: rho})
			if err != nil {
				t.Fatal(err)
			}
			a := inst.A.(*mat.Dense)
			// Condition number: σ_min is computed with absolute error ~ u·σ_max,
			// so the relative error of κ is ~ κ·u; allow 1e3 times that.
			if c := cond(t, a); math.Abs(c-kappa) > 1e3*eps*kappa*kappa+1e-12*kappa {
				t.Errorf("kappa=%g: cond(A) = %.15g", kappa, c)
			}
			s := singularValues(t, a)
			if math.Abs(s[0]-1) > 1e-13 {
				t.Errorf("kappa=%g: σ_max = %.17g, want 1", kappa, s[0])
			}
			// Residual: r = b - A x*; ||r|| = ρ and Aᵀr = 0 to rounding.
			r := slices.Clone(inst.B)
			ax := make([]float64, n)
			linalg.Dense(a).MulVecTo(ax, false, inst.XStar)
			floats.Sub(r, ax)
			if got := floats.Norm(r, 2); math.Abs(got-rho) > 1e-13*(1+rho) || inst.OPT != rho {
				t.Errorf("kappa=%g rho=%g: ||b - A x*|| = %.17g, OPT = %v", kappa, rho, got, inst.OPT)
			}
			atr := make([]float64, d)
			linalg.Dense(a).MulVecTo(atr, true, r)
			// ||Aᵀr|| <= c·u·||A||·||b||: the residual direction is orthogonal to
			// range(A) up to the orthogonality of the CholeskyQR2 basis.
			if got := floats.Norm(atr, 2); got > 1e3*eps*floats.Norm(inst.B, 2) {
				t.Errorf("kappa=%g rho=%g: ||Aᵀ r|| = %.3g not at rounding level", kappa, rho, got)
			}
			if math.Abs(floats.Norm(inst.XStar, 2)-1) > 1e-14 {
				t.Errorf("x* not a unit vector")
			}
		}
	}
}

// leverage returns the exact leverage scores a_iᵀ(AᵀA)⁻¹a_i of a
// well-conditioned dense matrix.
func leverage(t *testing.T, a *mat.Dense) []float64 {
	n, d := a.Dims()
	var g mat.SymDense
	g.SymOuterK(1, a.T())
	var chol mat.Cholesky
	if !chol.Factorize(&g) {
		t.Fatal("AᵀA not positive definite")
	}
	var inv mat.SymDense
	if err := chol.InverseTo(&inv); err != nil {
		t.Fatal(err)
	}
	l := make([]float64, n)
	y := mat.NewVecDense(d, nil)
	for i := range l {
		row := a.RowView(i)
		y.MulVec(&inv, row)
		l[i] = mat.Dot(row, y)
	}
	return l
}

func TestSpikyLeverage(t *testing.T) {
	const n, d = 4000, 20
	for _, delta := range []float64{1 / math.Sqrt(n), 1e-3} {
		inst, err := Spiky(7, Params{N: n, D: d, Delta: delta})
		if err != nil {
			t.Fatal(err)
		}
		a := inst.A.(*mat.Dense)
		l := leverage(t, a)
		// AᵀA = I + δ²GᵀG with G an (n-d) x d Gaussian block whose eigenvalues
		// lie in [(√(n-d)-√d-3)², (√(n-d)+√d+3)²] with probability >= 0.98
		// (Davidson-Szarek, t = 3); the spike's leverage [(AᵀA)⁻¹]_jj lies
		// between the inverse extreme eigenvalues: ≈ 1/(1+δ²n).
		hi := math.Sqrt(n-d) + math.Sqrt(d) + 3
		lo := math.Sqrt(n-d) - math.Sqrt(d) - 3
		lmin, lmax := 1/(1+delta*delta*hi*hi), 1/(1+delta*delta*lo*lo)
		rows := SpikeRows(7, n, d)
		seen := map[int]bool{}
		for j, i := range rows {
			if seen[i] {
				t.Fatalf("spike row %d used twice", i)
			}
			seen[i] = true
			for c := 0; c < d; c++ {
				want := 0.0
				if c == j {
					want = 1
				}
				if a.At(i, c) != want {
					t.Fatalf("row %d is not e_%d", i, j)
				}
			}
			if l[i] < lmin || l[i] > lmax {
				t.Errorf("delta=%g: spike %d leverage %.4f outside [%.4f, %.4f] (1/(1+δ²n) = %.4f)",
					delta, j, l[i], lmin, lmax, 1/(1+delta*delta*n))
			}
		}
		// The background rows share the rest: sum of leverages = d.
		if s := floats.Sum(l); math.Abs(s-d) > 1e-8 {
			t.Errorf("sum of leverage scores %v, want %d", s, d)
		}
	}
}

func TestSparseEveryColumnAndRow(t *testing.T) {
	for _, sh := range []struct{ n, d, z int }{{5000, 300, 3}, {3000, 50, 10}, {100, 100, 100}, {20, 10, 9}} {
		inst, err := Sparse(3, Params{N: sh.n, D: sh.d, Z: sh.z})
		if err != nil {
			t.Fatal(err)
		}
		a := inst.A.(*linalg.CSR)
		colCount := make([]int, sh.d)
		for i := 0; i < sh.n; i++ {
			cols, vals := a.SparseRow(i)
			if len(cols) < sh.z {
				t.Fatalf("%+v: row %d has %d < z entries", sh, i, len(cols))
			}
			for k, c := range cols {
				colCount[c]++
				if vals[k] == 0 {
					t.Fatalf("zero stored value")
				}
			}
		}
		for j, c := range colCount {
			if c == 0 {
				t.Fatalf("%+v: column %d is empty", sh, j)
			}
		}
		// Exactly z random entries per row plus d forced ones (fewer only
		// when a row would exceed d entries).
		if sh.z+1 < sh.d && a.NNZ() != sh.n*sh.z+sh.d {
			t.Errorf("%+v: nnz = %d, want n·z + d = %d", sh, a.NNZ(), sh.n*sh.z+sh.d)
		}
	}
}

func TestSparseIllCondNearTarget(t *testing.T) {
	const n, d = 5000, 40
	for _, kappa := range []float64{1, 1e3, 1e6} {
		inst, err := SparseIllCond(5, Params{N: n, D: d, Density: 0.1, Kappa: kappa})
		if err != nil {
			t.Fatal(err)
		}
		// Unit columns scaled by σ: κ(A) within a factor κ(B) of the target,
		// B the normalised pattern (≈ 500 entries per column, κ(B) ≈ 1.6);
		// factor 2 is the stated tolerance.
		c := cond(t, inst.A)
		if c < kappa/2 || c > 2*kappa {
			t.Errorf("kappa=%g: cond(A) = %.4g not within factor 2", kappa, c)
		}
	}
}

func TestHeavyTailedCovariance(t *testing.T) {
	// For ν > 2 the rows are multivariate t with covariance Σ·ν/(ν-2),
	// Σ_jl = 2·0.5^|j-l|. ν = 9 uses the sum-of-squares χ² path, ν = 200.5
	// the Marsaglia-Tsang gamma path. With n = 40000 the standard error of
	// each covariance entry is below 0.03; tolerance 0.12 (4 SE).
	const n, d = 40000, 4
	for _, nu := range []float64{9, 200.5} {
		inst, err := HeavyTailed(11, Params{N: n, D: d, Nu: nu})
		if err != nil {
			t.Fatal(err)
		}
		var cov mat.SymDense
		cov.SymOuterK(1/float64(n), inst.A.(*mat.Dense).T())
		for j := 0; j < d; j++ {
			for l := j; l < d; l++ {
				want := 2 * math.Pow(0.5, float64(l-j)) * nu / (nu - 2)
				if got := cov.At(j, l); math.Abs(got-want) > 0.12 {
					t.Errorf("nu=%g: cov(%d,%d) = %.4f, want %.4f", nu, j, l, got, want)
				}
			}
		}
	}
	// ν = 1: Cauchy-like rows make the leverage very non-uniform.
	inst, err := HeavyTailed(11, Params{N: 4000, D: 20, Nu: 1})
	if err != nil {
		t.Fatal(err)
	}
	l := leverage(t, inst.A.(*mat.Dense))
	if mx := floats.Max(l); mx < 0.5 {
		t.Errorf("nu=1: coherence %.3f, expected a row with leverage > 0.5 (uniform is %.4f)", mx, 20.0/4000)
	}
}

func TestGammaVariateMoments(t *testing.T) {
	// Gamma(α, 1) has mean α and variance α. 200000 draws: SE of the mean
	// √(α/N); tolerance 5 SE for the mean and 5% for the variance.
	const N = 200000
	for _, alpha := range []float64{0.5, 2.5, 30} {
		r := rng.Derive(1, "gamma-test")
		var s, s2 float64
		for range N {
			x := gammaVariate(r, alpha)
			s += x
			s2 += x * x
		}
		mean := s / N
		v := s2/N - mean*mean
		if math.Abs(mean-alpha) > 5*math.Sqrt(alpha/N) || math.Abs(v/alpha-1) > 0.05 {
			t.Errorf("alpha=%g: mean %.4f var %.4f", alpha, mean, v)
		}
	}
}

func TestGaussianConsistentSystem(t *testing.T) {
	inst, err := Gaussian(4, Params{N: 3000, D: 30})
	if err != nil {
		t.Fatal(err)
	}
	if inst.OPT != 0 || inst.XStar == nil {
		t.Fatal("noise 0 should give a consistent system with known x*")
	}
	ax := make([]float64, 3000)
	linalg.AsOperator(inst.A).MulVecTo(ax, false, inst.XStar)
	if !floats.EqualApprox(ax, inst.B, 1e-12) {
		t.Error("b != A x* for noise 0")
	}
	c := cond(t, inst.A)
	if f := mpBand(3000, 30, 3); c > f || c < inst.Kappa/f {
		t.Errorf("cond(G1) = %.4g, expected %.4g (bound %.4g)", c, inst.Kappa, f)
	}
	noisy, err := Gaussian(4, Params{N: 3000, D: 30, Noise: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if noisy.XStar != nil || !math.IsNaN(noisy.OPT) {
		t.Error("noisy system should report x* unknown")
	}
	if !mat.Equal(noisy.A, inst.A) {
		t.Error("noise must not change A")
	}
}

func TestBlockCoherentStructure(t *testing.T) {
	const n, d, q = 3000, 10, 3
	inst, err := BlockCoherent(2, Params{N: n, D: d, Q: q, Delta: 0})
	if err != nil {
		t.Fatal(err)
	}
	a := inst.A.(*mat.Dense)
	l := leverage(t, a)
	for i := n - q; i < n; i++ {
		if math.Abs(l[i]-1) > 1e-12 {
			t.Errorf("identity row %d has leverage %v, want 1", i, l[i])
		}
	}
	if c := cond(t, a); c > mpBand(n-q, d-q, 3) {
		t.Errorf("cond = %.4g above the Gaussian block's band", c)
	}
}

// TestDeterminism: every generator gives bit-identical output for the same
// seed, at GOMAXPROCS 1 and 2, and different output for another seed.
func TestDeterminism(t *testing.T) {
	for _, g := range Generators() {
		p := g.Defaults()
		p.N, p.D = 2500, 12 // three generation blocks
		if g.Name == "block-coherent" {
			p.Q = 2
		}
		if g.Name == "sparse" {
			p.Z = 3
		}
		if g.Name == "sparse-illcond" {
			p.Density = 0.25
		}
		gen := func(seed uint64, procs int) *Instance {
			old := runtime.GOMAXPROCS(procs)
			defer runtime.GOMAXPROCS(old)
			inst, err := g.Generate(seed, p)
			if err != nil {
				t.Fatalf("%s: %v", g.Name, err)
			}
			return inst
		}
		a, b, c := gen(9, 1), gen(9, 2), gen(10, 2)
		if !mat.Equal(dense(a.A), dense(b.A)) || !slices.Equal(a.B, b.B) || !slices.Equal(a.XStar, b.XStar) {
			t.Errorf("%s: output differs between GOMAXPROCS=1 and 2", g.Name)
		}
		if mat.Equal(dense(a.A), dense(c.A)) {
			t.Errorf("%s: seeds 9 and 10 gave the same matrix", g.Name)
		}
		if r, cc := a.A.Dims(); r != p.N || cc != p.D || len(a.B) != p.N {
			t.Errorf("%s: shape %dx%d, len(b) %d", g.Name, r, cc, len(a.B))
		}
		if !strings.HasPrefix(a.Name, g.Name+"(") {
			t.Errorf("%s: instance name %q", g.Name, a.Name)
		}
	}
}

func TestParameterErrors(t *testing.T) {
	bad := []struct {
		gen  string
		p    Params
		want string
	}{
		{"gaussian", Params{N: 5, D: 10}, "n = 5 < d = 10"},
		{"gaussian", Params{N: 5, D: 0}, "d = 0"},
		{"kappa", Params{N: 50, D: 10, Kappa: 0.5}, "kappa"},
		{"kappa", Params{N: 50, D: 10, Kappa: math.NaN()}, "kappa"},
		{"kappa-exact", Params{N: 10, D: 10, Kappa: 10}, "n >= d+1"},
		{"kappa-exact", Params{N: 50, D: 10, Kappa: 10, Rho: -1}, "rho"},
		{"heavy-tailed", Params{N: 50, D: 10, Nu: 0}, "nu"},
		{"spiky", Params{N: 50, D: 10, Delta: -1}, "delta"},
		{"block-coherent", Params{N: 50, D: 10, Q: 11}, "q = 11"},
		{"sparse", Params{N: 50, D: 10, Z: 11}, "z = 11"},
		{"sparse-illcond", Params{N: 50, D: 10, Density: 0, Kappa: 10}, "density"},
		{"gaussian", Params{N: 50, D: 10, Noise: math.Inf(1)}, "noise"},
	}
	for _, c := range bad {
		g, err := Lookup(c.gen)
		if err != nil {
			t.Fatal(err)
		}
		_, err = g.Generate(1, c.p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %+v: error %v, want one mentioning %q", c.gen, c.p, err, c.want)
		}
	}
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), "kappa-exact") {
		t.Errorf("Lookup of an unknown name: %v", err)
	}
	var p Params
	if err := p.Set("n", 2.5); err == nil {
		t.Error("n = 2.5 accepted")
	}
	if err := p.Set("bogus", 1); err == nil {
		t.Error("unknown knob accepted")
	}
	for _, k := range knobNames {
		if err := p.Set(k, 7); err != nil || p.Get(k) != 7 {
			t.Errorf("Set/Get %s: %v %v", k, err, p.Get(k))
		}
	}
}
