package softmax

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/internal/rng"
	"github.com/sketchwork/sketchwork/linalg"
	"github.com/sketchwork/sketchwork/solve/newton"
)

// GenSpec describes one of the seeded instance generators of section 8.1.
type GenSpec struct {
	// Kind is "G1" (A_ij ~ N(0, 1/d), well conditioned), "G2" (ill
	// conditioned and coherent: A = diag(ρ) G Σ Qᵀ with Student-t row scales,
	// rescaled to ‖A‖₂ = 3) or "G3" (sparse CSR, RowNNZ Gaussian entries per
	// row at random columns).
	Kind string
	N, D int
	// KappaA is G2's κ_A: Σ = diag(logspace(0, −½·log10 κ_A, d)). 0 means 1e3.
	KappaA float64
	// RowNNZ is G3's nonzeros per row. 0 means 5.
	RowNNZ int
	// Seed keys every random draw of the generator.
	Seed uint64
}

// Generate returns the matrix A of spec: *mat.Dense for G1/G2, *linalg.CSR
// for G3. Generation is parallel over row blocks with one random stream per
// block, so A is the same for any GOMAXPROCS.
func Generate(spec GenSpec) (mat.Matrix, error) {
	n, d := spec.N, spec.D
	if n <= 0 || d <= 0 {
		return nil, fmt.Errorf("softmax: generator %s needs positive sizes, got n=%d d=%d", spec.Kind, n, d)
	}
	key := rng.Key(spec.Seed, "softmax/gen", spec.Kind)
	switch strings.ToUpper(spec.Kind) {
	case "G1":
		a := mat.NewDense(n, d, nil)
		gaussianRows(a.RawMatrix(), key, 1/math.Sqrt(float64(d)))
		return a, nil
	case "G2":
		return genG2(spec, key)
	case "G3":
		s := spec.RowNNZ
		if s == 0 {
			s = 5
		}
		s = min(s, d)
		rowPtr := make([]int, n+1)
		for i := range rowPtr {
			rowPtr[i] = i * s
		}
		col := make([]int32, n*s)
		val := make([]float64, n*s)
		par.Blocks(n, 4096, func(b, lo, hi int) {
			r := rng.Stream(key, uint64(b))
			for i := lo; i < hi; i++ {
				cs := col[i*s : (i+1)*s]
				for k := range cs {
				again:
					c := int32(r.IntN(d))
					for _, prev := range cs[:k] {
						if prev == c {
							goto again
						}
					}
					cs[k] = c
				}
				slices.Sort(cs)
				for k := range cs {
					val[i*s+k] = r.NormFloat64()
				}
			}
		})
		return linalg.NewCSR(n, d, rowPtr, col, val)
	}
	return nil, fmt.Errorf("softmax: unknown generator %q (want G1, G2 or G3)", spec.Kind)
}

// gaussianRows fills a with N(0, sd²) entries, one stream per row block.
func gaussianRows(a blas64.General, key uint64, sd float64) {
	par.Blocks(a.Rows, 1024, func(b, lo, hi int) {
		r := rng.Stream(key, uint64(b))
		for i := lo; i < hi; i++ {
			row := a.Data[i*a.Stride : i*a.Stride+a.Cols]
			for j := range row {
				row[j] = sd * r.NormFloat64()
			}
		}
	})
}

func genG2(spec GenSpec, key uint64) (*mat.Dense, error) {
	n, d := spec.N, spec.D
	kappa := spec.KappaA
	if kappa == 0 {
		kappa = 1e3
	}
	if !(kappa >= 1) {
		return nil, fmt.Errorf("softmax: G2 needs κ_A ≥ 1, got %g", kappa)
	}
	// Σ Qᵀ with Q Haar-orthogonal (QR of a Gaussian, signs fixed by diag R).
	r := rng.Derive(key, "haar")
	g := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			g.Set(i, j, r.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q, rr mat.Dense
	qr.QTo(&q)
	qr.RTo(&rr)
	sqt := mat.NewDense(d, d, nil) // Σ Qᵀ
	lo := -0.5 * math.Log10(kappa)
	for i := 0; i < d; i++ {
		s := 1.0
		if d > 1 {
			s = math.Pow(10, lo*float64(i)/float64(d-1))
		}
		if rr.At(i, i) < 0 {
			s = -s
		}
		for j := 0; j < d; j++ {
			sqt.Set(i, j, s*q.At(j, i))
		}
	}
	// Row scales ρ_i = |t_2| + 0.1 (Student-t with 2 degrees of freedom).
	rho := make([]float64, n)
	rr2 := rng.Derive(key, "rho")
	for i := range rho {
		z := rr2.NormFloat64()
		g1, g2 := rr2.NormFloat64(), rr2.NormFloat64()
		c := g1*g1 + g2*g2 // χ²₂
		rho[i] = math.Abs(z/math.Sqrt(c/2)) + 0.1
	}
	a := mat.NewDense(n, d, nil)
	ar := a.RawMatrix()
	sr := sqt.RawMatrix()
	const block = 256
	par.Blocks(n, block, func(b, lo, hi int) {
		gr := rng.Stream(key, uint64(b))
		m := hi - lo
		buf := make([]float64, m*d)
		for i := 0; i < m; i++ {
			sc := rho[lo+i]
			for j := 0; j < d; j++ {
				buf[i*d+j] = sc * gr.NormFloat64()
			}
		}
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas64.General{Rows: m, Cols: d, Stride: d, Data: buf}, sr, 0,
			blas64.General{Rows: m, Cols: d, Stride: ar.Stride, Data: ar.Data[lo*ar.Stride:]})
	})
	norm := SpectralNorm(a, 1e-9, 500)
	a.Scale(3/norm, a)
	return a, nil
}

// SpectralNorm estimates ‖A‖₂ by power iteration on AᵀA from a fixed start,
// stopping when the estimate changes by less than tol (relative) or after
// maxIter iterations.
func SpectralNorm(a mat.Matrix, tol float64, maxIter int) float64 {
	op := linalg.AsOperator(a)
	n, d := op.Dims()
	v := make([]float64, d)
	for j := range v {
		v[j] = 1 / math.Sqrt(float64(d)) * (1 + 0.01*float64(j%7))
	}
	u := make([]float64, n)
	w := make([]float64, d)
	var est float64
	for it := 0; it < maxIter; it++ {
		nv := math.Sqrt(dot(v, v))
		for j := range v {
			v[j] /= nv
		}
		op.MulVecTo(u, false, v)
		op.MulVecTo(w, true, u)
		e := math.Sqrt(dot(u, u))
		copy(v, w)
		if it > 0 && math.Abs(e-est) <= tol*e {
			return e
		}
		est = e
	}
	return est
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// Model is one loss of the family with what planting needs.
type Model struct {
	// Kind is "softmax", "resnet-softmax", "two-layer" (reading R1), or the
	// LSZ23 bonus losses "exp", "cosh", "sinh".
	Kind string
	// Phi is the second activation of "two-layer" (nil means Softplus).
	Phi Activation
	// Beta is the ResNet guard (0 means DefaultBeta).
	Beta float64
}

// Name returns the model's label; two-layer results carry "(reading R1)".
func (m Model) Name() string {
	if m.Kind == "two-layer" {
		return "two-layer-R1(" + m.phi().Name() + ")"
	}
	return m.Kind
}

func (m Model) phi() Activation {
	if m.Phi == nil {
		return Softplus{}
	}
	return m.Phi
}

// Loss returns the data term for targets b.
func (m Model) Loss(b []float64) (newton.Loss, error) {
	switch m.Kind {
	case "softmax":
		return SoftmaxRegression(b), nil
	case "resnet-softmax":
		return ResNetSoftmax(b, m.Beta), nil
	case "two-layer":
		return TwoLayer(b, m.phi()), nil
	case "exp":
		return &Elementwise{U: Exp{}, B: b}, nil
	case "cosh":
		return &Elementwise{U: Cosh{}, B: b}, nil
	case "sinh":
		return &Elementwise{U: Sinh{}, B: b}, nil
	}
	return nil, fmt.Errorf("softmax: unknown loss %q (want softmax, resnet-softmax, two-layer, exp, cosh or sinh)", m.Kind)
}

// Plant returns targets b for pre-activations z = A x_true with relative
// noise σ (section 8.1): b = f∘(1 + σξ) for softmax and ResNet (f the
// normalized output), b = φ(f) + σ·φ'(f)∘f∘ξ for two-layer R1, and
// b = u(z)∘(1 + σξ) for the elementwise losses.
func (m Model) Plant(z []float64, sigma float64, r *rand.Rand) ([]float64, error) {
	n := len(z)
	b := make([]float64, n)
	var u Activation
	switch m.Kind {
	case "exp", "cosh", "sinh":
		l, err := m.Loss(b)
		if err != nil {
			return nil, err
		}
		act := l.(*Elementwise).U
		for i, zi := range z {
			v, _, _ := act.Eval(zi)
			b[i] = v * (1 + sigma*r.NormFloat64())
		}
		return b, nil
	case "resnet-softmax":
		u = ExpPlusID{}
	case "softmax", "two-layer":
		u = Exp{}
	default:
		return nil, fmt.Errorf("softmax: unknown loss %q", m.Kind)
	}
	f := make([]float64, n)
	shift := 0.0
	if m.Kind != "resnet-softmax" {
		shift = math.Inf(-1)
		for _, v := range z {
			shift = max(shift, v)
		}
	}
	var alpha float64
	for i, zi := range z {
		f[i], _, _ = u.Eval(zi - shift)
		alpha += f[i]
	}
	if !(alpha > 0) {
		return nil, fmt.Errorf("softmax: planted normalizer α = %g is not positive", alpha)
	}
	for i := range f {
		f[i] /= alpha
		if m.Kind == "two-layer" {
			y, d1, _ := m.phi().Eval(f[i])
			b[i] = y + sigma*d1*f[i]*r.NormFloat64()
		} else {
			b[i] = f[i] * (1 + sigma*r.NormFloat64())
		}
	}
	return b, nil
}

// Instance is a generated problem with its planted parameters.
type Instance struct {
	Spec  GenSpec
	Model Model
	A     mat.Matrix
	B     []float64
	W     []float64 // regularization weights w_i = √γ/n
	XTrue []float64 // uniform on the unit sphere
	Gamma float64
}

// NewInstance generates A, draws x_true uniformly on the unit sphere, plants
// b with noise σ = sigma (0 means the spec's 0.3) and sets w_i = √γ/n (the
// "non-trivial" regime of section 8.1; γ = 0 means no regularizer).
func NewInstance(spec GenSpec, model Model, gamma, sigma float64) (*Instance, error) {
	a, err := Generate(spec)
	if err != nil {
		return nil, err
	}
	return PlantInstance(spec, a, model, gamma, sigma)
}

// PlantInstance is NewInstance for an already generated A.
func PlantInstance(spec GenSpec, a mat.Matrix, model Model, gamma, sigma float64) (*Instance, error) {
	if sigma == 0 {
		sigma = 0.3
	}
	n, d := a.Dims()
	r := rng.Derive(spec.Seed, "softmax/plant", model.Kind)
	x := make([]float64, d)
	for j := range x {
		x[j] = r.NormFloat64()
	}
	nx := math.Sqrt(dot(x, x))
	for j := range x {
		x[j] /= nx
	}
	z := make([]float64, n)
	linalg.AsOperator(a).MulVecTo(z, false, x)
	b, err := model.Plant(z, sigma, r)
	if err != nil {
		return nil, err
	}
	in := &Instance{Spec: spec, Model: model, A: a, B: b, XTrue: x, Gamma: gamma}
	if gamma > 0 {
		in.W = RegWeights(n, gamma)
	}
	return in, nil
}

// RegWeights returns w_i = √γ/n for every row (the CLI's --reg-gamma).
func RegWeights(n int, gamma float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = math.Sqrt(gamma) / float64(n)
	}
	return w
}

// Problem returns the instance as a newton.Problem.
func (in *Instance) Problem() (*newton.Problem, error) {
	l, err := in.Model.Loss(in.B)
	if err != nil {
		return nil, err
	}
	return newton.NewProblem(in.A, l, in.W)
}
