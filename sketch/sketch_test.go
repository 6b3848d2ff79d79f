package sketch

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// obliviousKinds are the kinds New builds; allKinds adds importance
// sampling (NewSampling).
var (
	obliviousKinds = []Kind{Gaussian, SRHT, CountSketch, SparseSign, Uniform}
	allKinds       = []Kind{Gaussian, SRHT, CountSketch, SparseSign, Uniform, Leverage}
)

// testScores are fixed, uneven importance scores for Leverage sketches.
func testScores(n int) []float64 {
	sc := make([]float64, n)
	for i := range sc {
		sc[i] = 1 + float64((i*7)%11)
	}
	return sc
}

// build returns a sketch of any kind; Leverage samples by testScores.
func build(t testing.TB, k Kind, s, n int, seed uint64, sc Scaling) *Sketch {
	t.Helper()
	spec := Spec{Kind: k, Rows: s, Scaling: sc}
	var sk *Sketch
	var err error
	if k == Leverage {
		sk, err = NewSampling(spec, testScores(n), seed)
	} else {
		sk, err = New(spec, n, seed)
	}
	if err != nil {
		t.Fatalf("%s: %v", k, err)
	}
	return sk
}

func randDense(r *rand.Rand, n, d int) *mat.Dense {
	a := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			a.Set(i, j, r.NormFloat64())
		}
	}
	return a
}

// randSparse returns an n x d dense matrix with about density·n·d nonzeros.
func randSparse(r *rand.Rand, n, d int, density float64) *mat.Dense {
	a := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			if r.Float64() < density {
				a.Set(i, j, r.NormFloat64())
			}
		}
	}
	return a
}

// explicit returns S as a dense s x n matrix (S applied to the identity).
func explicit(sk *Sketch) *mat.Dense {
	_, n := sk.Dims()
	id := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		id.Set(i, i, 1)
	}
	var s mat.Dense
	sk.Apply(&s, id)
	return &s
}

// closeMat reports max|a-b| <= tol·max(1, max|b|).
func closeMat(a, b mat.Matrix, tol float64) (bool, float64) {
	var diff mat.Dense
	diff.Sub(a, b)
	e := mat.Norm(&diff, math.Inf(1))
	return e <= tol*math.Max(1, mat.Norm(b, math.Inf(1))), e
}

// TestOperatorProductsAgreeWithApply checks S x, Sᵀ y, S X, Sᵀ Y, ApplyVec
// and Apply on dense, strided and CSR inputs against the explicit matrix
// S = Apply(I), for every kind, shapes that exercise the narrow (row chunk)
// and wide (column split) kernels, and a length that SRHT must pad.
func TestOperatorProductsAgreeWithApply(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	const n, s = 700, 40
	for _, k := range allKinds {
		for _, sc := range []Scaling{Natural, Isometry} {
			sk := build(t, k, s, n, 3, sc)
			S := explicit(sk)
			for _, d := range []int{1, 5, 70} {
				a := randDense(r, n, d)
				var want mat.Dense
				want.Mul(S, a)
				var got mat.Dense
				sk.Apply(&got, a)
				if ok, e := closeMat(&got, &want, 1e-13); !ok {
					t.Errorf("%s %s d=%d: Apply differs from explicit S·A by %.3g", k, sc, d, e)
				}
				// A strided view of the same matrix, and a strided dst.
				wide := mat.NewDense(n, d+3, nil)
				wide.Slice(0, n, 0, d).(*mat.Dense).Copy(a)
				dstWide := mat.NewDense(s, d+2, nil)
				dst := dstWide.Slice(0, s, 0, d).(*mat.Dense)
				sk.Apply(dst, wide.Slice(0, n, 0, d))
				if ok, e := closeMat(dst, &want, 1e-13); !ok {
					t.Errorf("%s %s d=%d: strided Apply off by %.3g", k, sc, d, e)
				}
				// CSR input with the same entries as a sparse dense matrix.
				sp := randSparse(r, n, d, 0.3)
				var wantSp, gotSp mat.Dense
				wantSp.Mul(S, sp)
				sk.Apply(&gotSp, linalg.CSRFromDense(sp, 0))
				if ok, e := closeMat(&gotSp, &wantSp, 1e-13); !ok {
					t.Errorf("%s %s d=%d: CSR Apply off by %.3g", k, sc, d, e)
				}
				// A·Sᵀ for the transposed matrix.
				var right mat.Dense
				sk.ApplyRight(&right, a.T())
				if ok, e := closeMat(right.T(), &want, 1e-13); !ok {
					t.Errorf("%s %s d=%d: ApplyRight off by %.3g", k, sc, d, e)
				}
				// Operator block products.
				mt := mat.NewDense(s, d, nil)
				sk.MulTo(mt, false, a)
				if ok, e := closeMat(mt, &want, 1e-13); !ok {
					t.Errorf("%s %s d=%d: MulTo off by %.3g", k, sc, d, e)
				}
				y := randDense(r, s, d)
				var wantT mat.Dense
				wantT.Mul(S.T(), y)
				gotT := mat.NewDense(n, d, nil)
				sk.MulTo(gotT, true, y)
				if ok, e := closeMat(gotT, &wantT, 1e-13); !ok {
					t.Errorf("%s %s d=%d: MulTo(trans) off by %.3g", k, sc, d, e)
				}
			}
			x := randDense(r, n, 1).RawMatrix().Data
			y := randDense(r, s, 1).RawMatrix().Data
			sx, sx2, sty := make([]float64, s), make([]float64, s), make([]float64, n)
			sk.MulVecTo(sx, false, x)
			sk.ApplyVec(sx2, x)
			sk.MulVecTo(sty, true, y)
			wantX := mat.NewVecDense(s, nil)
			wantX.MulVec(S, mat.NewVecDense(n, x))
			wantY := mat.NewVecDense(n, nil)
			wantY.MulVec(S.T(), mat.NewVecDense(s, y))
			if ok, e := closeMat(mat.NewVecDense(s, sx), wantX, 1e-13); !ok || !slices.Equal(sx, sx2) {
				t.Errorf("%s %s: MulVecTo off by %.3g (ApplyVec equal: %v)", k, sc, e, slices.Equal(sx, sx2))
			}
			if ok, e := closeMat(mat.NewVecDense(n, sty), wantY, 1e-13); !ok {
				t.Errorf("%s %s: MulVecTo(trans) off by %.3g", k, sc, e)
			}
		}
	}
}

// TestStructure checks each kind's explicit matrix against its definition.
func TestStructure(t *testing.T) {
	const n, s = 300, 32
	for _, sc := range []Scaling{Natural, Isometry} {
		// Sparse sign and CountSketch: exactly ζ nonzeros ±1 (±1/√ζ) per column.
		for _, c := range []struct {
			k    Kind
			zeta int
		}{{CountSketch, 1}, {SparseSign, 8}, {SparseSign, 3}, {SparseSign, 32}} {
			sk, err := New(Spec{Kind: c.k, Rows: s, NNZPerCol: c.zeta, Scaling: sc}, n, 5)
			if err != nil {
				t.Fatal(err)
			}
			mag := 1.0
			if sc == Isometry && c.k == SparseSign {
				mag = 1 / math.Sqrt(float64(c.zeta))
			}
			S := explicit(sk)
			for i := 0; i < n; i++ {
				nz := 0
				for r := 0; r < s; r++ {
					if v := S.At(r, i); v != 0 {
						nz++
						if math.Abs(v) != mag {
							t.Fatalf("%s ζ=%d %s: entry %v, want ±%v", c.k, c.zeta, sc, v, mag)
						}
					}
				}
				if nz != c.zeta {
					t.Fatalf("%s ζ=%d: column %d has %d nonzeros", c.k, c.zeta, i, nz)
				}
			}
			if got := sk.Spec().NNZPerCol; got != c.zeta {
				t.Errorf("resolved NNZPerCol %d, want %d", got, c.zeta)
			}
		}
		// SRHT with n a power of two: S Sᵀ = (n/s)·I at isometry scale (rows
		// of an orthogonal Hadamard matrix), entries ±1/√s.
		sk := build(t, SRHT, s, 256, 7, sc)
		S := explicit(sk)
		var sst mat.Dense
		sst.Mul(S, S.T())
		want := 256.0
		if sc == Isometry {
			want = 256.0 / s
		}
		for i := 0; i < s; i++ {
			for j := 0; j < s; j++ {
				w := 0.0
				if i == j {
					w = want
				}
				if math.Abs(sst.At(i, j)-w) > 1e-12 {
					t.Fatalf("SRHT %s: (SSᵀ)_%d%d = %v, want %v", sc, i, j, sst.At(i, j), w)
				}
			}
		}
		// Importance sampling: weight 1/√(s·p_i) (isometry) or 1/√(n·p_i).
		lev := build(t, Leverage, s, n, 9, sc)
		sum := floats.Sum(testScores(n))
		norm := float64(n)
		if sc == Isometry {
			norm = s
		}
		for k, i := range lev.Indices() {
			p := testScores(n)[i] / sum
			if w := lev.Weights()[k]; math.Abs(w*w*norm*p-1) > 1e-14 {
				t.Fatalf("leverage %s: weight %v for p = %v", sc, w, p)
			}
		}
		// Uniform sampling: one entry per row, √(n/s) at isometry scale.
		u := build(t, Uniform, s, n, 9, sc)
		U := explicit(u)
		w := 1.0
		if sc == Isometry {
			w = math.Sqrt(float64(n) / s)
		}
		for r := 0; r < s; r++ {
			nz := 0
			for i := 0; i < n; i++ {
				if v := U.At(r, i); v != 0 {
					nz++
					if math.Abs(v-w) > 1e-15 || i != u.Indices()[r] {
						t.Fatalf("uniform: row %d entry (%d) = %v", r, i, v)
					}
				}
			}
			if nz != 1 {
				t.Fatalf("uniform: row %d has %d entries", r, nz)
			}
		}
	}
}

// TestIsometryExpectation: E[SᵀS] = I at isometry scale. Average SᵀS over
// K = 1500 seeds (n = 24, s = 8) and require every entry within 5.5
// empirical standard errors of δ_ij. Per entry the false-alarm chance is
// about 4e-8 (normal tail), so about 2.5e-5 for the 576 entries of a kind.
// Natural scaling must miss the identity (the test's power check).
func TestIsometryExpectation(t *testing.T) {
	const n, s, K = 24, 8, 1500
	for _, k := range allKinds {
		for _, sc := range []Scaling{Isometry, Natural} {
			sum := mat.NewDense(n, n, nil)
			sq := mat.NewDense(n, n, nil)
			for seed := range uint64(K) {
				S := explicit(build(t, k, s, n, 1000+seed, sc))
				var g mat.Dense
				g.Mul(S.T(), S)
				sum.Add(sum, &g)
				g.MulElem(&g, &g)
				sq.Add(sq, &g)
			}
			worst := 0.0
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					mean := sum.At(i, j) / K
					sd := math.Sqrt(math.Max(0, sq.At(i, j)/K-mean*mean))
					want := 0.0
					if i == j {
						want = 1
					}
					z := math.Abs(mean-want) / (sd/math.Sqrt(K) + 1e-12)
					worst = math.Max(worst, z)
				}
			}
			if sc == Isometry && worst > 5.5 {
				t.Errorf("%s: E[SᵀS] differs from I by %.1f standard errors", k, worst)
			}
			if sc == Natural && k != CountSketch && worst < 20 {
				t.Errorf("%s natural: E[SᵀS] within %.1f SE of I; the test cannot see a wrong scale", k, worst)
			}
		}
	}
}

// TestDeterminism (T9): the same seed gives bit-identical S·A, S x and Sᵀ y
// at GOMAXPROCS 1, 2 and 8, for every kind, dense (narrow and wide) and CSR
// input, with enough rows for several chunks and panels; another seed
// differs. Approximate leverage scores too.
func TestDeterminism(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	const n, s = 5000, 96
	inputs := map[string]mat.Matrix{
		"dense-narrow": randDense(r, n, 10),
		"dense-wide":   randDense(r, n, 80),
		"csr":          linalg.CSRFromDense(randSparse(r, n, 50, 0.1), 0),
	}
	x := randDense(r, n, 1).RawMatrix().Data
	y := randDense(r, s, 1).RawMatrix().Data
	for _, k := range allKinds {
		run := func(procs int, seed uint64) []float64 {
			old := runtime.GOMAXPROCS(procs)
			defer runtime.GOMAXPROCS(old)
			sk := build(t, k, s, n, seed, Isometry)
			var out []float64
			for _, name := range []string{"dense-narrow", "dense-wide", "csr"} {
				var sa mat.Dense
				sk.Apply(&sa, inputs[name])
				out = append(out, sa.RawMatrix().Data...)
			}
			sx, sty := make([]float64, s), make([]float64, n)
			sk.MulVecTo(sx, false, x)
			sk.MulVecTo(sty, true, y)
			return append(append(out, sx...), sty...)
		}
		a, b, c := run(1, 11), run(2, 11), run(8, 11)
		if !slices.Equal(a, b) || !slices.Equal(b, c) || !slices.Equal(a, run(2, 11)) {
			t.Errorf("%s: results differ between runs or GOMAXPROCS 1, 2 and 8", k)
		}
		if slices.Equal(a, run(2, 12)) {
			t.Errorf("%s: seeds 11 and 12 gave the same sketch", k)
		}
	}
	scores := func(procs int) []float64 {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		l, err := ApproxLeverageScores(inputs["dense-wide"], ApproxOptions{}, 5)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	if !slices.Equal(scores(1), scores(8)) {
		t.Error("approximate leverage scores differ between GOMAXPROCS 1 and 8")
	}
}

// TestGaussianExtends: with natural scaling a Gaussian sketch with more rows
// starts with the rows of a smaller one (RandBLAS-style growth), also across
// the materialisation threshold.
func TestGaussianExtends(t *testing.T) {
	for _, n := range []int{700, 70000} {
		small, _ := New(Spec{Kind: Gaussian, Rows: 50}, n, 4)
		big, _ := New(Spec{Kind: Gaussian, Rows: 130}, n, 4)
		y := make([]float64, 50)
		yb := make([]float64, 130)
		for r := 0; r < 50; r++ {
			y[r], yb[r] = 1, 1 // Sᵀ·(1,...,1,0,...) sums the first 50 rows
		}
		a, b := make([]float64, n), make([]float64, n)
		small.MulVecTo(a, true, y)
		big.MulVecTo(b, true, yb)
		if !floats.EqualApprox(a, b, 1e-12) {
			t.Errorf("n=%d: the first 50 rows of the 130-row sketch differ from the 50-row sketch", n)
		}
	}
}

// TestAccumulatorEqualsApply streams A in shuffled row blocks and as
// shuffled sparse entries and compares with Apply on the whole matrix.
func TestAccumulatorEqualsApply(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	const n, s = 3000, 60
	for _, k := range []Kind{Gaussian, CountSketch, SparseSign, Uniform, Leverage} {
		for _, d := range []int{7, 70} {
			sk := build(t, k, s, n, 21, Isometry)
			a := randSparse(r, n, d, 0.2)
			b := randDense(r, n, 1).RawMatrix().Data
			var want mat.Dense
			sk.Apply(&want, a)
			wantB := make([]float64, s)
			sk.ApplyVec(wantB, b)

			ac, err := sk.NewAccumulator(d)
			if err != nil {
				t.Fatal(err)
			}
			starts := []int{}
			for lo := 0; lo < n; lo += 317 {
				starts = append(starts, lo)
			}
			r.Shuffle(len(starts), func(i, j int) { starts[i], starts[j] = starts[j], starts[i] })
			for _, lo := range starts {
				hi := min(n, lo+317)
				if err := ac.AddRows(lo, a.Slice(lo, hi, 0, d).(*mat.Dense)); err != nil {
					t.Fatal(err)
				}
				if err := ac.AddRHS(lo, b[lo:hi]); err != nil {
					t.Fatal(err)
				}
			}
			if ac.RowsAdded() != n {
				t.Errorf("RowsAdded = %d", ac.RowsAdded())
			}
			if ok, e := closeMat(ac.SA(), &want, 1e-13); !ok {
				t.Errorf("%s d=%d: accumulated rows differ from Apply by %.3g", k, d, e)
			}
			if !floats.EqualApprox(ac.SB(), wantB, 1e-12) {
				t.Errorf("%s d=%d: accumulated S·b differs", k, d)
			}
			// Entries in random order, in several calls.
			ac.Reset()
			var ts []linalg.Triplet
			for i := 0; i < n; i++ {
				for j := 0; j < d; j++ {
					if v := a.At(i, j); v != 0 {
						ts = append(ts, linalg.Triplet{I: i, J: j, V: v})
					}
				}
			}
			r.Shuffle(len(ts), func(i, j int) { ts[i], ts[j] = ts[j], ts[i] })
			for lo := 0; lo < len(ts); lo += 5000 {
				if err := ac.AddEntries(ts[lo:min(len(ts), lo+5000)]); err != nil {
					t.Fatal(err)
				}
			}
			if ok, e := closeMat(ac.SA(), &want, 1e-13); !ok {
				t.Errorf("%s d=%d: accumulated entries differ from Apply by %.3g", k, d, e)
			}
		}
	}
	sk := build(t, SparseSign, s, n, 1, Isometry)
	ac, _ := sk.NewAccumulator(4)
	if err := ac.AddRows(n-2, mat.NewDense(3, 4, nil)); err == nil {
		t.Error("rows past n accepted")
	}
	if err := ac.AddRows(0, mat.NewDense(3, 5, nil)); err == nil {
		t.Error("wrong column count accepted")
	}
	if err := ac.AddEntries([]linalg.Triplet{{I: 0, J: 4, V: 1}}); err == nil {
		t.Error("entry outside accepted")
	}
	srht := build(t, SRHT, s, n, 1, Isometry)
	if _, err := srht.NewAccumulator(4); err == nil {
		t.Error("SRHT accumulator accepted")
	}
}

func TestSpecErrors(t *testing.T) {
	bad := []struct {
		spec Spec
		n    int
		want string
	}{
		{Spec{Kind: Gaussian, Rows: 0}, 10, "Rows >= 1"},
		{Spec{Rows: 5}, 10, "unknown kind"},
		{Spec{Kind: SparseSign, Rows: 4, NNZPerCol: 5}, 10, "NNZPerCol"},
		{Spec{Kind: SparseSign, Rows: 4}, 10, "NNZPerCol"}, // default 8 > 4
		{Spec{Kind: SRHT, Rows: 17}, 10, "too many"},
		{Spec{Kind: Leverage, Rows: 5}, 10, "NewLeverage"},
		{Spec{Kind: TensorSketch, Rows: 5, Degree: 2}, 10, "NewTensor"},
		{Spec{Kind: Gaussian, Rows: 5, Scaling: 7}, 10, "scaling"},
		{Spec{Kind: Gaussian, Rows: 5}, 0, ">= 1"},
	}
	for _, c := range bad {
		_, err := New(c.spec, c.n, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrSpec) {
			t.Errorf("%+v: error %v, want ErrSpec mentioning %q", c.spec, err, c.want)
		}
	}
	if _, err := NewSampling(Spec{Kind: Leverage, Rows: 3}, []float64{1, -1, 2}, 1); err == nil {
		t.Error("negative score accepted")
	}
	if _, err := NewSampling(Spec{Kind: Leverage, Rows: 3}, []float64{0, 0}, 1); err == nil {
		t.Error("all-zero scores accepted")
	}
	if _, err := NewSampling(Spec{Kind: Leverage, Rows: 3, Leverage: LeverageOptions{Mix: 1}}, []float64{1, 2}, 1); err == nil {
		t.Error("Mix = 1 accepted")
	}
	if _, err := NewTensor(Spec{Kind: TensorSketch, Rows: 8}, 4, 1); err == nil {
		t.Error("TensorSketch without Degree accepted")
	}
	sk, err := NewSampling(Spec{Kind: Leverage, Rows: 10, Leverage: LeverageOptions{Oversample: 2.5}}, []float64{1, 2, 3}, 1)
	if err != nil || sk.Spec().Rows != 25 || sk.Spec().Leverage.Oversample != 1 {
		t.Errorf("oversampling: %v %+v", err, sk.Spec())
	}
}

func TestParseKind(t *testing.T) {
	for _, k := range Kinds() {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	for name, want := range map[string]Kind{"OSNAP": SparseSign, "sparsesign": SparseSign, " Gaussian ": Gaussian, "count-sketch": CountSketch} {
		if got, err := ParseKind(name); err != nil || got != want {
			t.Errorf("ParseKind(%q) = %v, %v", name, got, err)
		}
	}
	if _, err := ParseKind("fourier"); err == nil || !strings.Contains(err.Error(), "sparse-sign") {
		t.Errorf("unknown kind: %v", err)
	}
	if got := fmt.Sprint(Spec{Kind: SparseSign, Rows: 80, NNZPerCol: 8, Scaling: Isometry}); got != "sparse-sign(s=80,zeta=8,isometry)" {
		t.Errorf("Spec.String() = %q", got)
	}
}

// TestSparseSignDenseCSRIdentical: the dense and CSR kernels of sparse sign
// and CountSketch use the same fused multiply-adds, so when the work is
// large enough for both to use the maximum number of chunks (ζ·entries >=
// 32·s·d) they agree bit for bit (stored zeros add nothing).
func TestSparseSignDenseCSRIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	const n = 20000
	for _, k := range []Kind{SparseSign, CountSketch} {
		a := randSparse(r, n, 12, 0.2)
		if k == CountSketch {
			a = randSparse(r, n, 90, 0.1)
		}
		sk := build(t, k, 60, n, 4, Isometry)
		var x, y mat.Dense
		sk.Apply(&x, a)
		sk.Apply(&y, linalg.CSRFromDense(a, 0))
		if !mat.Equal(&x, &y) {
			t.Errorf("%s: dense and CSR results differ", k)
		}
	}
}
