package testmat

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/internal/rng"
	"github.com/sketchwork/sketchwork/linalg"
)

// genBlock is the number of rows generated from one random stream. It is a
// constant, so an instance does not depend on the number of cores.
const genBlock = 1024

// blockRows runs fn on every block of genBlock rows of [0, n) on all cores,
// handing it the block's own stream under key.
func blockRows(n int, key uint64, fn func(r *rand.Rand, lo, hi int)) {
	par.Blocks(n, genBlock, func(b, lo, hi int) {
		fn(rng.Stream(key, uint64(b)), lo, hi)
	})
}

// gaussMatrix returns an n x d matrix of i.i.d. N(0, scale²) entries.
func gaussMatrix(n, d int, key uint64, scale float64) *mat.Dense {
	a := mat.NewDense(n, d, nil)
	raw := a.RawMatrix()
	blockRows(n, key, func(r *rand.Rand, lo, hi int) {
		row := raw.Data[lo*d : hi*d]
		for k := range row {
			row[k] = scale * r.NormFloat64()
		}
	})
	return a
}

// gaussVec returns n standard normal values from the stream seed/labels.
func gaussVec(n int, seed uint64, labels ...string) []float64 {
	r := rng.Derive(seed, labels...)
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return v
}

// rhs returns b = A x + noise·e with e ~ N(0, I) drawn per row block.
func rhs(a mat.Matrix, x []float64, noise float64, key uint64) []float64 {
	n, _ := a.Dims()
	b := make([]float64, n)
	linalg.AsOperator(a).MulVecTo(b, false, x)
	if noise > 0 {
		blockRows(n, key, func(r *rand.Rand, lo, hi int) {
			for i := lo; i < hi; i++ {
				b[i] += noise * r.NormFloat64()
			}
		})
	}
	return b
}

// finish fills the right-hand side and the known solution of a system
// b = A x0 + noise·e.
func finish(inst *Instance, seed uint64, gen string) {
	_, d := inst.A.Dims()
	x0 := gaussVec(d, seed, "testmat", gen, "x0")
	inst.B = rhs(inst.A, x0, inst.Params.Noise, rng.Key(seed, "testmat", gen, "noise"))
	inst.XStar, inst.OPT = nil, math.NaN()
	if inst.Params.Noise == 0 {
		inst.XStar, inst.OPT = x0, 0
	}
}

// mpRatio is the expected condition number (1+√(d/n))/(1-√(d/n)) of an
// n x d Gaussian matrix (Marchenko-Pastur edges), NaN for n <= d.
func mpRatio(n, d int) float64 {
	if n <= d {
		return math.NaN()
	}
	r := math.Sqrt(float64(d) / float64(n))
	return (1 + r) / (1 - r)
}

// geometricSigma returns σ_j = κ^{-(j-1)/(d-1)}, j = 1..d (σ_1 = 1, σ_d = 1/κ).
func geometricSigma(d int, kappa float64) []float64 {
	s := make([]float64, d)
	for j := range s {
		if d == 1 {
			s[j] = 1
			continue
		}
		s[j] = math.Pow(kappa, -float64(j)/float64(d-1))
	}
	return s
}

// randomOrthogonal returns the Q factor of a d x d Gaussian matrix.
func randomOrthogonal(d int, seed uint64, labels ...string) *mat.Dense {
	g := mat.NewDense(d, d, gaussVec(d*d, seed, labels...))
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	return &q
}

// mulRight sets the rows of a to a·m (m is k x k, a is n x k) in row blocks on
// all cores; each row's result depends only on that row, so the output is
// the same for any GOMAXPROCS.
func mulRight(a *mat.Dense, m *mat.Dense) {
	raw := a.RawMatrix()
	mr := m.RawMatrix()
	k := raw.Cols
	if mr.Rows != k || mr.Cols != k {
		panic(linalg.ErrShape)
	}
	par.Blocks(raw.Rows, genBlock, func(_, lo, hi int) {
		src := make([]float64, (hi-lo)*k)
		for i := lo; i < hi; i++ {
			copy(src[(i-lo)*k:(i-lo+1)*k], raw.Data[i*raw.Stride:i*raw.Stride+k])
		}
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas64.General{Rows: hi - lo, Cols: k, Stride: k, Data: src}, mr,
			0, blas64.General{Rows: hi - lo, Cols: k, Stride: raw.Stride, Data: raw.Data[lo*raw.Stride:]})
	})
}

// Gaussian is G1: A_ij ~ N(0,1), b = A x0 + noise·e. Kappa is the expected
// condition number (1+√(d/n))/(1-√(d/n)).
func Gaussian(seed uint64, p Params) (*Instance, error) {
	if err := checkShape(p); err != nil {
		return nil, err
	}
	if err := checkNonNeg("noise", p.Noise); err != nil {
		return nil, err
	}
	inst := &Instance{
		A:      gaussMatrix(p.N, p.D, rng.Key(seed, "testmat", "gaussian", "A"), 1),
		Kappa:  mpRatio(p.N, p.D),
		Name:   name("gaussian", p, "n", "d", "noise"),
		Params: p,
	}
	finish(inst, seed, "gaussian")
	return inst, nil
}

// Kappa is G2: A = (G/√n)·diag(σ)·Vᵀ with G an n x d Gaussian matrix,
// σ_j = κ^{-(j-1)/(d-1)} and V a random orthogonal matrix. The condition
// number of A is within a factor (1+√(d/n))/(1-√(d/n)) of κ with high
// probability; the cost is O(nd²), any n.
func Kappa(seed uint64, p Params) (*Instance, error) {
	if err := checkShape(p); err != nil {
		return nil, err
	}
	if err := checkKappa(p.Kappa); err != nil {
		return nil, err
	}
	if err := checkNonNeg("noise", p.Noise); err != nil {
		return nil, err
	}
	n, d := p.N, p.D
	a := gaussMatrix(n, d, rng.Key(seed, "testmat", "kappa", "G"), 1/math.Sqrt(float64(n)))
	mulRight(a, sigmaVT(geometricSigma(d, p.Kappa), randomOrthogonal(d, seed, "testmat", "kappa", "V")))
	inst := &Instance{A: a, Kappa: p.Kappa, Name: name("kappa", p, "n", "d", "kappa", "noise"), Params: p}
	finish(inst, seed, "kappa")
	return inst, nil
}

// sigmaVT returns diag(σ)·Vᵀ.
func sigmaVT(sigma []float64, v *mat.Dense) *mat.Dense {
	d := len(sigma)
	m := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			m.Set(i, j, sigma[i]*v.At(j, i))
		}
	}
	return m
}

// KappaExact is G2' (Epperly's test problem): U is the orthonormal factor of
// an n x (d+1) Gaussian matrix Z, A = U_{:,1:d}·diag(σ)·Vᵀ with the geometric
// σ of Kappa (so κ(A) = κ up to rounding), x* a random unit vector and
// b = A x* + ρ·U_{:,d+1}. The residual is orthogonal to range(A), so x* is
// the minimiser and OPT = ρ. Needs n >= d+1; memory 2× that of A.
//
// U = Z·R⁻¹ comes from one Cholesky QR pass (RᵀR = ZᵀZ), orthonormal to
// about u·κ(Z)² ≈ 1e-15 because a tall Gaussian Z is well conditioned, and is
// never formed: A = Z·(R⁻¹_{:,1:d}·diag(σ)·Vᵀ). Cost: a Gram matrix and one
// matrix product, 2nd² multiply-adds on all cores.
func KappaExact(seed uint64, p Params) (*Instance, error) {
	if err := checkShape(p); err != nil {
		return nil, err
	}
	if p.N < p.D+1 {
		return nil, fmt.Errorf("testmat: kappa-exact needs n >= d+1 for the residual direction, got n = %d, d = %d", p.N, p.D)
	}
	if err := checkKappa(p.Kappa); err != nil {
		return nil, err
	}
	if err := checkNonNeg("rho", p.Rho); err != nil {
		return nil, err
	}
	n, d := p.N, p.D
	z := gaussMatrix(n, d+1, rng.Key(seed, "testmat", "kappa-exact", "U"), 1/math.Sqrt(float64(n)))
	var chol mat.Cholesky
	if !chol.Factorize(gram(z)) {
		return nil, fmt.Errorf("testmat: Gram matrix of the random basis is not positive definite")
	}
	var r, rinv mat.TriDense
	chol.UTo(&r)
	if err := rinv.InverseTri(&r); err != nil {
		return nil, fmt.Errorf("testmat: triangular factor of the random basis: %w", err)
	}
	// m = [R⁻¹_{:,1:d}·diag(σ)·Vᵀ, R⁻¹_{:,d+1}] maps Z to [A, r*/ρ].
	var left mat.Dense
	left.Mul(mat.DenseCopyOf(&rinv).Slice(0, d+1, 0, d), sigmaVT(geometricSigma(d, p.Kappa), randomOrthogonal(d, seed, "testmat", "kappa-exact", "V")))
	m := mat.NewDense(d+1, d+1, nil)
	m.Slice(0, d+1, 0, d).(*mat.Dense).Copy(&left)
	for i := 0; i <= d; i++ {
		m.Set(i, d, rinv.At(i, d))
	}
	mulRight(z, m)
	a := z.Slice(0, n, 0, d).(*mat.Dense)
	x := gaussVec(d, seed, "testmat", "kappa-exact", "xstar")
	floats.Scale(1/floats.Norm(x, 2), x)
	b := make([]float64, n)
	linalg.Dense(a).MulVecTo(b, false, x)
	for i := range b {
		b[i] += p.Rho * z.At(i, d)
	}
	return &Instance{
		A: mat.DenseCopyOf(a), B: b, XStar: x, OPT: p.Rho, Kappa: p.Kappa,
		Name:   name("kappa-exact", p, "n", "d", "kappa", "rho"),
		Params: p,
	}, nil
}

// gram returns zᵀz, accumulated over at most 16 fixed row chunks (symmetric
// rank-k updates) reduced in chunk order, so the result is the same for any
// GOMAXPROCS.
func gram(z *mat.Dense) *mat.SymDense {
	raw := z.RawMatrix()
	n, k := raw.Rows, raw.Cols
	chunks := min(16, par.NumBlocks(n, genBlock))
	per := (n + chunks - 1) / chunks
	parts := make([]blas64.Symmetric, chunks)
	par.Blocks(chunks, 1, func(c, _, _ int) {
		lo, hi := c*per, min(n, (c+1)*per)
		parts[c] = blas64.Symmetric{N: k, Stride: k, Data: make([]float64, k*k), Uplo: blas.Upper}
		if hi > lo {
			blas64.Syrk(blas.Trans, 1, blas64.General{Rows: hi - lo, Cols: k, Stride: raw.Stride, Data: raw.Data[lo*raw.Stride:]}, 0, parts[c])
		}
	})
	g := mat.NewSymDense(k, nil)
	for c := range parts {
		for i := 0; i < k; i++ {
			for j := i; j < k; j++ {
				g.SetSym(i, j, g.At(i, j)+parts[c].Data[i*k+j])
			}
		}
	}
	return g
}

// HeavyTailed is G3 (Ma, Mahoney and Yu's designs): rows a_i = z_i/√(w_i/ν)
// with z_i ~ N(0, Σ), Σ_jl = 2·0.5^{|j-l|}, and w_i ~ χ²_ν, i.e. multivariate
// t rows. ν = 1 gives very non-uniform leverage scores, ν = 3 moderate.
func HeavyTailed(seed uint64, p Params) (*Instance, error) {
	if err := checkShape(p); err != nil {
		return nil, err
	}
	if !(p.Nu > 0) || math.IsInf(p.Nu, 0) {
		return nil, fmt.Errorf("testmat: nu = %v, need finite degrees of freedom nu > 0", p.Nu)
	}
	if err := checkNonNeg("noise", p.Noise); err != nil {
		return nil, err
	}
	n, d := p.N, p.D
	a := mat.NewDense(n, d, nil)
	raw := a.RawMatrix()
	innov := math.Sqrt(2 * 0.75) // AR(1) innovation scale: Var = 0.25·2 + 1.5 = 2
	blockRows(n, rng.Key(seed, "testmat", "heavy-tailed", "A"), func(r *rand.Rand, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := raw.Data[i*d : (i+1)*d]
			row[0] = math.Sqrt2 * r.NormFloat64()
			for j := 1; j < d; j++ {
				row[j] = 0.5*row[j-1] + innov*r.NormFloat64()
			}
			w := 0.0
			for w == 0 {
				w = chiSquare(r, p.Nu)
			}
			floats.Scale(1/math.Sqrt(w/p.Nu), row)
		}
	})
	inst := &Instance{A: a, Kappa: math.NaN(), Name: name("heavy-tailed", p, "n", "d", "nu", "noise"), Params: p}
	finish(inst, seed, "heavy-tailed")
	return inst, nil
}

// chiSquare draws from χ²_ν: a sum of ν squared normals for small integer
// ν, otherwise 2·Gamma(ν/2).
func chiSquare(r *rand.Rand, nu float64) float64 {
	if nu == math.Trunc(nu) && nu <= 16 {
		s := 0.0
		for k := 0; k < int(nu); k++ {
			g := r.NormFloat64()
			s += g * g
		}
		return s
	}
	return 2 * gammaVariate(r, nu/2)
}

// gammaVariate draws from Gamma(shape α, scale 1) by Marsaglia and Tsang's
// method (2000), with the U^{1/α} boost for α < 1.
func gammaVariate(r *rand.Rand, alpha float64) float64 {
	if alpha < 1 {
		return gammaVariate(r, alpha+1) * math.Pow(r.Float64(), 1/alpha)
	}
	d := alpha - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// Spiky is G4: d rows c·e_j (c = 1) at seeded random positions among n-d
// rows δ·N(0, I). The spike rows have leverage ≈ 1/(1+δ²n) (≈ 1 for small
// δ), so a row sample that misses one is (nearly) rank-deficient: uniform
// sampling fails, leverage sampling does not. SpikeRows returns the
// positions.
func Spiky(seed uint64, p Params) (*Instance, error) {
	if err := checkShape(p); err != nil {
		return nil, err
	}
	if err := checkNonNeg("delta", p.Delta); err != nil {
		return nil, err
	}
	if err := checkNonNeg("noise", p.Noise); err != nil {
		return nil, err
	}
	n, d := p.N, p.D
	a := gaussMatrix(n, d, rng.Key(seed, "testmat", "spiky", "A"), p.Delta)
	raw := a.RawMatrix()
	for j, i := range SpikeRows(seed, n, d) {
		row := raw.Data[i*d : (i+1)*d]
		clear(row)
		row[j] = 1
	}
	inst := &Instance{A: a, Kappa: math.NaN(), Name: name("spiky", p, "n", "d", "delta", "noise"), Params: p}
	finish(inst, seed, "spiky")
	return inst, nil
}

// SpikeRows returns the row of spike j (the row equal to e_j) of the Spiky
// instance with this seed and shape: d distinct rows chosen uniformly at
// random (Floyd's algorithm) in random order.
func SpikeRows(seed uint64, n, d int) []int {
	r := rng.Derive(seed, "testmat", "spiky", "positions")
	chosen := make(map[int]bool, d)
	pos := make([]int, 0, d)
	for j := n - d; j < n; j++ {
		t := r.IntN(j + 1)
		if chosen[t] {
			t = j
		}
		chosen[t] = true
		pos = append(pos, t)
	}
	r.Shuffle(len(pos), func(i, j int) { pos[i], pos[j] = pos[j], pos[i] })
	return pos
}

// BlockCoherent is G5 (Blendenpik's coherent case): A = [[G/√(n-q), 0],
// [0, I_q]] plus δ·N(0,1) on every entry, with G an (n-q) x (d-q) Gaussian
// block. The last q rows carry leverage ≈ 1 and uniform sampling misses them.
// Kappa is the expected condition number of the Gaussian block (≈ 1).
func BlockCoherent(seed uint64, p Params) (*Instance, error) {
	if err := checkShape(p); err != nil {
		return nil, err
	}
	if p.Q < 1 || p.Q > p.D {
		return nil, fmt.Errorf("testmat: q = %d, need 1 <= q <= d = %d", p.Q, p.D)
	}
	if err := checkNonNeg("delta", p.Delta); err != nil {
		return nil, err
	}
	if err := checkNonNeg("noise", p.Noise); err != nil {
		return nil, err
	}
	n, d, q := p.N, p.D, p.Q
	a := mat.NewDense(n, d, nil)
	raw := a.RawMatrix()
	gs := 1 / math.Sqrt(float64(n-q))
	blockRows(n, rng.Key(seed, "testmat", "block-coherent", "A"), func(r *rand.Rand, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := raw.Data[i*d : (i+1)*d]
			if i < n-q {
				for j := 0; j < d-q; j++ {
					row[j] = gs * r.NormFloat64()
				}
			} else {
				row[d-q+(i-(n-q))] = 1
			}
			if p.Delta > 0 {
				for j := range row {
					row[j] += p.Delta * r.NormFloat64()
				}
			}
		}
	})
	// Singular values: the Gaussian block's in [1-r, 1+r] with
	// r = √((d-q)/(n-q)), the identity's 1.
	kappa := 1.0
	if d > q {
		kappa = mpRatio(n-q, d-q)
	}
	inst := &Instance{A: a, Kappa: kappa, Name: name("block-coherent", p, "n", "d", "q", "delta", "noise"), Params: p}
	finish(inst, seed, "block-coherent")
	return inst, nil
}
