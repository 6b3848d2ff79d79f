package sketch

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg/testmat"
)

// distortion returns max_j |σ_j(SU) - 1| for an isometric sketch S and an
// orthonormal U (regression.md section 1.2: S is an ε-embedding of range(U)
// iff every σ_j(SU) lies in [√(1-ε), √(1+ε)]).
func distortion(t testing.TB, sk *Sketch, u *mat.Dense) float64 {
	var su mat.Dense
	sk.Apply(&su, u)
	var svd mat.SVD
	if !svd.Factorize(&su, mat.SVDNone) {
		t.Fatal("SVD failed")
	}
	worst := 0.0
	for _, s := range svd.Values(nil) {
		worst = math.Max(worst, math.Abs(s-1))
	}
	_, d := u.Dims()
	if r, _ := su.Dims(); r < d {
		worst = 1 // fewer rows than columns: some σ_j = 0
	}
	return worst
}

func instance(t testing.TB, gen string, seed uint64, set func(*testmat.Params)) *testmat.Instance {
	t.Helper()
	g, err := testmat.Lookup(gen)
	if err != nil {
		t.Fatal(err)
	}
	p := g.Defaults()
	p.N, p.D = 4000, 20
	if set != nil {
		set(&p)
	}
	inst, err := g.Generate(seed, p)
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func basis(t testing.TB, a mat.Matrix) *mat.Dense {
	q, err := thinQ(a, 0)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// seeds is the fixed seed list of the statistical tests (T1 asks for >= 50).
var seeds = func() []uint64 {
	s := make([]uint64, 50)
	for i := range s {
		s[i] = uint64(100 + i)
	}
	return s
}()

func median(v []float64) float64 {
	w := slices.Clone(v)
	slices.Sort(w)
	if len(w)%2 == 1 {
		return w[len(w)/2]
	}
	return (w[len(w)/2-1] + w[len(w)/2]) / 2
}

// TestGaussianDistortionTracksTheory is T1's Gaussian part. For an s x n
// Gaussian S with N(0,1/s) entries and orthonormal U (n x d), every singular
// value of SU lies in 1 ± (√(d/s) + t/√s) with probability >= 1-2exp(-t²/2)
// (Davidson-Szarek). With t = 4 that is >= 1-6.7e-4 per seed, so the union
// bound over the 200 (seed, size) pairs gives failure probability <= 0.14,
// and the true tail (Tracy-Widom fluctuations of order s^(-2/3), far below
// t/√s) makes a false alarm negligible. The median over the 50 seeds must
// also track √(d/s) within 25% (regression.md T1). That alone misses a
// scale error of 10%, so the scale is checked too: ||SU||_F²/d has mean 1
// and variance 2/(sd) for isometric Gaussian S; the average over the K = 50
// seeds must be within 5 standard errors √(2/(sdK)) of 1 (false alarm
// ~6e-7).
func TestGaussianDistortionTracksTheory(t *testing.T) {
	const d = 20
	u := basis(t, instance(t, "gaussian", 1, nil).A)
	n, _ := u.Dims()
	for _, s := range []int{2 * d, 4 * d, 8 * d, 16 * d} {
		theory := math.Sqrt(float64(d) / float64(s))
		bound := theory + 4/math.Sqrt(float64(s))
		var dist []float64
		fro := 0.0
		for _, seed := range seeds {
			sk := build(t, Gaussian, s, n, seed, Isometry)
			var su mat.Dense
			sk.Apply(&su, u)
			f := mat.Norm(&su, 2)
			fro += f * f / d
			e := distortion(t, sk, u)
			if e > bound {
				t.Errorf("s=%d seed %d: distortion %.3f above the Davidson-Szarek bound %.3f", s, seed, e, bound)
			}
			dist = append(dist, e)
		}
		t.Logf("s=%d: median distortion %.4f, √(d/s) = %.4f", s, median(dist), theory)
		mean, se := fro/float64(len(seeds)), math.Sqrt(2/float64(s*d*len(seeds)))
		if math.Abs(mean-1) > 5*se {
			t.Errorf("s=%d: mean ||SU||²_F/d = %.4f, want 1 ± %.4f: wrong scale", s, mean, 5*se)
		}
		if m := median(dist); math.Abs(m/theory-1) > 0.25 {
			t.Errorf("s=%d: median distortion %.3f vs √(d/s) = %.3f: off by more than 25%%", s, m, theory)
		}
	}
}

// TestEmbeddingAtTheorySizes is T1: at s = 8d (Gaussian, SRHT, sparse sign
// ζ = 8) and s = 8d² (CountSketch) the distortion is <= 0.5 in >= 90% of
// the 50 seeds, on an incoherent (G1) and a coherent (G4, spikes of
// leverage ≈ 1) subspace. For Gaussian the Davidson-Szarek bound with
// √(d/s) = 0.354 gives failure probability <= 2exp(-(0.146·√160)²/2) =
// 0.36 per seed at ε = 0.5 and in fact far less; the 90% threshold is
// regression.md's. Leverage sampling at s = ⌈8d·ln d⌉ also passes on G4
// and G3 (ν = 1), while uniform sampling at the same size fails on G4 in
// >= 50% of seeds (it misses spike rows: each is drawn with probability
// 1-(1-1/n)^s ≈ 0.11).
func TestEmbeddingAtTheorySizes(t *testing.T) {
	const d = 20
	insts := map[string]*testmat.Instance{
		"G1": instance(t, "gaussian", 1, nil),
		"G4": instance(t, "spiky", 2, func(p *testmat.Params) { p.Delta = 1e-6 }),
		"G3": instance(t, "heavy-tailed", 3, func(p *testmat.Params) { p.Nu = 1 }),
	}
	bases := map[string]*mat.Dense{}
	for k, in := range insts {
		bases[k] = basis(t, in.A)
	}
	n := 4000
	sampleRows := int(math.Ceil(8 * d * math.Log(d)))
	frac := func(kind Kind, s int, inst string, spec func(seed uint64) *Sketch) float64 {
		ok := 0
		for _, seed := range seeds {
			var sk *Sketch
			if spec != nil {
				sk = spec(seed)
			} else {
				sk = build(t, kind, s, n, seed, Isometry)
			}
			if distortion(t, sk, bases[inst]) <= 0.5 {
				ok++
			}
		}
		return float64(ok) / float64(len(seeds))
	}
	for _, inst := range []string{"G1", "G4"} {
		for _, c := range []struct {
			k Kind
			s int
		}{{Gaussian, 8 * d}, {SRHT, 8 * d}, {SparseSign, 8 * d}, {CountSketch, 8 * d * d}} {
			if f := frac(c.k, c.s, inst, nil); f < 0.9 {
				t.Errorf("%s s=%d on %s: distortion <= 0.5 in only %.0f%% of seeds", c.k, c.s, inst, 100*f)
			}
		}
	}
	for _, inst := range []string{"G4", "G3"} {
		scores, err := LeverageScores(insts[inst].A)
		if err != nil {
			t.Fatal(err)
		}
		f := frac(Leverage, sampleRows, inst, func(seed uint64) *Sketch {
			sk, err := NewSampling(Spec{Kind: Leverage, Rows: sampleRows, Scaling: Isometry}, scores, seed)
			if err != nil {
				t.Fatal(err)
			}
			return sk
		})
		if f < 0.9 {
			t.Errorf("leverage sampling s=%d on %s: distortion <= 0.5 in only %.0f%% of seeds", sampleRows, inst, 100*f)
		}
	}
	if f := frac(Uniform, sampleRows, "G4", nil); f > 0.5 {
		t.Errorf("uniform sampling s=%d on G4 succeeded in %.0f%% of seeds; it should fail in >= 50%%", sampleRows, 100*f)
	}
}

// TestLeverageScoresExact checks the exact scores against their definition
// a_iᵀ(AᵀA)⁻¹a_i (normal equations are accurate on this well-conditioned
// matrix), Σℓ = d, ridge scores against Σσ²/(σ²+λ), and the errors.
func TestLeverageScoresExact(t *testing.T) {
	inst := instance(t, "heavy-tailed", 4, func(p *testmat.Params) { p.N, p.D, p.Nu = 500, 8, 3 })
	a := inst.A.(*mat.Dense)
	l, err := LeverageScores(a)
	if err != nil {
		t.Fatal(err)
	}
	var g mat.SymDense
	g.SymOuterK(1, a.T())
	var chol mat.Cholesky
	if !chol.Factorize(&g) {
		t.Fatal("Cholesky failed")
	}
	for i := 0; i < 500; i++ {
		row := mat.VecDenseCopyOf(a.RowView(i))
		var y mat.VecDense
		if err := chol.SolveVecTo(&y, row); err != nil {
			t.Fatal(err)
		}
		if want := mat.Dot(row, &y); math.Abs(l[i]-want) > 1e-10 {
			t.Fatalf("ℓ_%d = %v, a_iᵀ(AᵀA)⁻¹a_i = %v", i, l[i], want)
		}
		if l[i] < 0 || l[i] > 1+1e-12 {
			t.Fatalf("ℓ_%d = %v outside [0,1]", i, l[i])
		}
	}
	if s := floats.Sum(l); math.Abs(s-8) > 1e-10 {
		t.Errorf("Σℓ = %v, want 8", s)
	}
	var svd mat.SVD
	svd.Factorize(a, mat.SVDNone)
	for _, lambda := range []float64{0.1, 10, 1e4} {
		lr, err := RidgeLeverageScores(a, lambda)
		if err != nil {
			t.Fatal(err)
		}
		sd := 0.0
		for _, s := range svd.Values(nil) {
			sd += s * s / (s*s + lambda)
		}
		if got := floats.Sum(lr); math.Abs(got-sd) > 1e-10*sd {
			t.Errorf("λ=%g: Σℓ(λ) = %v, statistical dimension %v", lambda, got, sd)
		}
	}
	// Rank deficiency: a repeated column.
	bad := mat.DenseCopyOf(a)
	for i := 0; i < 500; i++ {
		bad.Set(i, 3, bad.At(i, 1))
	}
	if _, err := LeverageScores(bad); err == nil {
		t.Error("rank-deficient matrix accepted")
	}
	if _, err := ApproxLeverageScores(bad, ApproxOptions{}, 1); err == nil {
		t.Error("approximate scores of a rank-deficient matrix accepted")
	}
	if _, err := RidgeLeverageScores(bad, 1); err != nil {
		t.Errorf("ridge scores of a rank-deficient matrix: %v", err)
	}
	bad.Set(7, 2, math.NaN())
	if _, err := LeverageScores(bad); err == nil {
		t.Error("NaN accepted")
	}
	if _, err := LeverageScores(mat.NewDense(3, 5, nil)); err == nil {
		t.Error("wide matrix accepted")
	}
}

// fracWithin returns the fraction of i with got_i ∈ [want_i/f, f·want_i].
func fracWithin(got, want []float64, f float64) float64 {
	in := 0
	for i := range got {
		if got[i] >= want[i]/f && got[i] <= f*want[i] {
			in++
		}
	}
	return float64(in) / float64(len(got))
}

// TestApproxLeverageT8 is T8: ℓ̃_i ∈ [ℓ_i/2, 2ℓ_i] for >= 99% of rows, for
// each of 10 seeds, on G3 (ν = 1), G4 (δ = 1e-3) and G2 (κ = 1e8), with the
// library defaults (s = 12d, r₂ = 64; measured worst case 99.6%). Also the
// row-weighted and ridge variants against exact scores of diag(w)·A and
// exact ridge scores, and the cheaper regression.md variant (s = 4d,
// r₂ = 32) on the side that matters for sampling: it underestimates a score
// by more than 2x on < 1% of rows (it does not reach T8's two-sided 99%:
// only 82-87% of rows are within a factor 2, see DefaultApproxSketchFactor).
func TestApproxLeverageT8(t *testing.T) {
	cases := map[string]*testmat.Instance{
		"G3": instance(t, "heavy-tailed", 5, func(p *testmat.Params) { p.Nu = 1 }),
		"G4": instance(t, "spiky", 6, func(p *testmat.Params) { p.Delta = 1e-3 }),
		"G2": instance(t, "kappa", 7, func(p *testmat.Params) { p.Kappa = 1e8 }),
	}
	for name, inst := range cases {
		exact, err := LeverageScores(inst.A)
		if err != nil {
			t.Fatal(err)
		}
		for seed := uint64(0); seed < 10; seed++ {
			approx, err := ApproxLeverageScores(inst.A, ApproxOptions{}, seed)
			if err != nil {
				t.Fatal(err)
			}
			if f := fracWithin(approx, exact, 2); f < 0.99 {
				t.Errorf("%s seed %d: only %.2f%% of rows within a factor 2", name, seed, 100*f)
			}
			cheap, err := ApproxLeverageScores(inst.A, ApproxOptions{SketchRows: 80, GaussCols: 32}, seed)
			if err != nil {
				t.Fatal(err)
			}
			under := 0
			for i := range cheap {
				if cheap[i] < exact[i]/2 {
					under++
				}
			}
			if float64(under) > 0.01*float64(len(cheap)) {
				t.Errorf("%s seed %d: s=4d, r2=32 underestimates %d rows by more than 2x", name, seed, under)
			}
		}
	}
	// Row weights: scores of diag(w)·A without forming it.
	a := cases["G3"].A.(*mat.Dense)
	n, d := a.Dims()
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.1 + float64(i%13)
	}
	scaled := mat.DenseCopyOf(a)
	for i := 0; i < n; i++ {
		row := scaled.RawRowView(i)
		floats.Scale(w[i], row)
	}
	exactW, err := LeverageScores(scaled)
	if err != nil {
		t.Fatal(err)
	}
	approxW, err := ApproxLeverageScores(a, ApproxOptions{Weights: w}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if f := fracWithin(approxW, exactW, 2); f < 0.99 {
		t.Errorf("weighted: only %.2f%% of rows within a factor 2", 100*f)
	}
	// Ridge: λ near the middle of the spectrum so the scores change.
	var svd mat.SVD
	svd.Factorize(a, mat.SVDNone)
	sv := svd.Values(nil)
	lambda := sv[d/2] * sv[d/2]
	exactR, err := RidgeLeverageScores(a, lambda)
	if err != nil {
		t.Fatal(err)
	}
	approxR, err := ApproxLeverageScores(a, ApproxOptions{Ridge: lambda}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if f := fracWithin(approxR, exactR, 2); f < 0.99 {
		t.Errorf("ridge: only %.2f%% of rows within a factor 2", 100*f)
	}
	if f := fracWithin(exactR, exactW, 1.01); f > 0.5 {
		t.Error("ridge scores equal the plain ones; λ has no effect")
	}
	// Sparse input gives the same scores as dense (up to rounding).
	sp := instance(t, "sparse", 8, func(p *testmat.Params) { p.N, p.D, p.Z = 3000, 30, 3 })
	fromCSR, err := ApproxLeverageScores(sp.A, ApproxOptions{}, 9)
	if err != nil {
		t.Fatal(err)
	}
	fromDense, err := ApproxLeverageScores(mat.DenseCopyOf(sp.A), ApproxOptions{}, 9)
	if err != nil {
		t.Fatal(err)
	}
	if !floats.EqualApprox(fromCSR, fromDense, 1e-10) {
		t.Error("approximate scores differ between CSR and dense input")
	}
}

// TestNewLeverage builds exact and approximate leverage sketches and checks
// that they embed the coherent G4 subspace.
func TestNewLeverage(t *testing.T) {
	inst := instance(t, "spiky", 10, func(p *testmat.Params) { p.Delta = 1e-6 })
	u := basis(t, inst.A)
	s := int(math.Ceil(8 * 20 * math.Log(20)))
	for _, approx := range []bool{false, true} {
		sk, err := NewLeverage(Spec{Kind: Leverage, Rows: s, Scaling: Isometry,
			Leverage: LeverageOptions{Approximate: approx, Oversample: 1.5}}, inst.A, 11)
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := sk.Dims(); r != int(math.Ceil(1.5*float64(s))) {
			t.Errorf("oversampled rows %d", r)
		}
		if e := distortion(t, sk, u); e > 0.5 {
			t.Errorf("approx=%v: distortion %.3f", approx, e)
		}
	}
}

// TestSampleRows: with-replacement and Poisson samples are unbiased for
// Σ_i x_i (the 1-d case of E[Σ w²a aᵀ] = AᵀA): over 4000 seeds the mean of
// Σ_k w_k²·x_{i_k} is within 5 standard errors of Σx (false alarm ~6e-7).
func TestSampleRows(t *testing.T) {
	const n, s, K = 200, 20, 4000
	scores := testScores(n)
	x := make([]float64, n)
	for i := range x {
		x[i] = 1 + math.Sin(float64(i))
	}
	truth := floats.Sum(x)
	for _, mode := range []SampleMode{WithReplacement, Poisson} {
		var sum, sq, count float64
		for seed := range uint64(K) {
			rs, err := SampleRows(scores, s, mode, seed)
			if err != nil {
				t.Fatal(err)
			}
			v := 0.0
			for k, i := range rs.Index {
				v += rs.Weight[k] * rs.Weight[k] * x[i]
			}
			sum += v
			sq += v * v
			count += float64(len(rs.Index))
			if mode == Poisson && !slices.IsSorted(rs.Index) {
				t.Fatal("Poisson indices not increasing")
			}
			if mode == WithReplacement && len(rs.Index) != s {
				t.Fatalf("with replacement drew %d rows", len(rs.Index))
			}
		}
		mean := sum / K
		se := math.Sqrt((sq/K - mean*mean) / K)
		if math.Abs(mean-truth) > 5*se {
			t.Errorf("mode %d: mean estimate %.4f, truth %.4f (SE %.4f)", mode, mean, truth, se)
		}
		if mode == Poisson && math.Abs(count/K-s) > 1 {
			t.Errorf("Poisson: %.2f rows on average, want about %d", count/K, s)
		}
	}
	if _, err := SampleRows([]float64{1, math.NaN()}, 3, Poisson, 1); err == nil {
		t.Error("NaN score accepted")
	}
	if _, err := SampleRows([]float64{1, 2}, 0, Poisson, 1); err == nil {
		t.Error("s = 0 accepted")
	}
}
