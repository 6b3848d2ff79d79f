package sketch

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/internal/rng"
	"github.com/sketchwork/sketchwork/internal/simd"
	"github.com/sketchwork/sketchwork/linalg"
)

// ErrRankDeficient is wrapped by the errors of the leverage-score routines
// when the matrix (or its sketch) does not have full column rank, so that a
// caller can fall back (for example, keep every row) with errors.Is instead
// of matching messages. A ridge term λ > 0 never gives this error.
var ErrRankDeficient = errors.New("matrix is rank deficient")

func rankErr(format string, args ...any) error {
	return fmt.Errorf("sketch: %w: %s", ErrRankDeficient, fmt.Sprintf(format, args...))
}

// Condition limits of the Cholesky route. A triangular factor R from the
// Cholesky factorization of a Gram matrix G = MᵀM gives leverage scores
// ‖m_iᵀR⁻¹‖² with a relative error of about d·u·κ(G) (Cholesky's backward
// error d·u·‖G‖ amplified by κ(G) = κ(M)²), against about d·u·κ(M) from a
// Householder QR of M. Scores (approximate, already off by the sketch's
// distortion and the χ²_k/k factor) accept κ(G) up to 1e10: at most about
// 4e-4 relative at d = 200, invisible next to a factor-2 guarantee. Exact
// accepts 1e6 (about 4e-8). Beyond, or when the factorization breaks down,
// the factor comes from a QR, which also detects rank deficiency.
const (
	approxCondLimit = 1e10
	exactCondLimit  = 1e6
)

// LeverageEstimator computes leverage scores with reusable scratch space:
// once it has seen a problem's size, further calls of the same size
// allocate only the few small objects that starting worker goroutines
// costs (no O(n), O(s·d) or O(d²) buffers). The zero value is ready to use.
// It is not safe for concurrent use; use one estimator per goroutine.
//
// Scores is the approximation of regression.md section 3 (Drineas,
// Magdon-Ismail, Mahoney and Woodruff, with a sparse sketch) behind
// ApproxLeverageScores, NewLeverage and approximate Newton's Hessian
// sampler; Exact gives the exact scores of diag(w)·A by a Gram-based
// factorization.
type LeverageEstimator struct {
	hash  []uint32  // n·ζ sketch column hashes (bucket<<1 | sign)
	sa    []float64 // S·diag(w)·A (s x d), then the ridge rows
	saMat mat.Dense // view of sa for the Gram
	view  mat.Dense // view of dense input for the Gram (Exact)
	gram  mat.SymDense
	gws   linalg.GramWorkspace
	w2    []float64 // squared row weights (Exact)
	ws    []float64 // d x k: W = R⁻¹G (row-major)
	wt    []float64 // k4 x d: Wᵀ, rows k..k4-1 zero
	tau   []float64 // QR reflector scales
	work  []float64 // LAPACK scratch
	iwork []int
	pcg   *rand.PCG
	rnd   *rand.Rand
}

// Scores sets dst (length n) to approximate leverage scores of the n x d
// matrix a (of diag(w)·a with opts.Weights, ridge scores with opts.Ridge):
//
//  1. S·diag(w)·A with a sparse sign sketch S of s = opts.SketchRows rows
//     and ζ = opts.NNZPerCol nonzeros per column (ζ = 1 is a CountSketch),
//     one pass over A, each goroutine owning a range of S's rows;
//  2. an upper-triangular R with RᵀR = (SA)ᵀSA + λI: the Cholesky factor of
//     that Gram (linalg.WeightedGramTo) when its estimated condition number
//     is at most 1e10, otherwise the R of a Householder QR of [SA; √λ·I];
//  3. W = R⁻¹G with G a d x k Gaussian (N(0, 1/k) entries, k =
//     opts.GaussCols);
//  4. dst_i = w_i²·‖a_iᵀW‖², one more pass over A in 2 x 4 register tiles
//     (simd.DotTile2x4) for dense rows.
//
// Zero options take the defaults of ApproxOptions. Cost: O(ζ·nnz(A) +
// s·d² + d³ + nnz(A)·k). The result is bit-identical for any GOMAXPROCS
// and, since the kernels use fused multiply-adds in a fixed order with
// bit-identical portable fallbacks, whether or not the CPU has AVX2 (and
// with -tags purego). A
// wrong-length dst panics with linalg.ErrShape; bad options, non-finite
// weights or sketched entries are errors, and a sketch without full column
// rank (λ = 0) is an error wrapping ErrRankDeficient.
func (e *LeverageEstimator) Scores(dst []float64, a mat.Matrix, opts ApproxOptions, seed uint64) error {
	n, d := a.Dims()
	if n == 0 || d == 0 {
		return fmt.Errorf("sketch: leverage scores of an empty %dx%d matrix", n, d)
	}
	if len(dst) != n {
		panic(linalg.ErrShape)
	}
	s := opts.SketchRows
	if s == 0 {
		s = DefaultApproxSketchFactor * d
	}
	if s < d {
		return fmt.Errorf("sketch: approximate leverage scores need SketchRows >= d = %d, got %d", d, s)
	}
	zeta := opts.NNZPerCol
	if zeta == 0 {
		zeta = min(DefaultNNZPerCol, s)
	}
	k := opts.GaussCols
	if k == 0 {
		k = DefaultApproxGaussCols
	}
	if zeta < 0 || zeta > s || k < 0 {
		return fmt.Errorf("sketch: invalid approximation options %+v", opts)
	}
	if !(opts.Ridge >= 0) || math.IsInf(opts.Ridge, 0) {
		return fmt.Errorf("sketch: ridge parameter %v, need a finite lambda >= 0", opts.Ridge)
	}
	if err := checkWeights(opts.Weights, n); err != nil {
		return err
	}
	sk, err := New(Spec{Kind: SparseSign, Rows: s, NNZPerCol: zeta, Scaling: Isometry}, n, rng.Key(seed, "approx-leverage", "sketch"))
	if err != nil {
		return err
	}
	src := makeSource(a)
	e.hash = grow(e.hash, n*zeta)
	sk.hashColumns(e.hash)
	rows := s
	if opts.Ridge > 0 {
		rows = s + d
	}
	e.sa = grow(e.sa, rows*d)
	sk.applyOwned(e.sa, src, opts.Weights, e.hash)
	if err := checkFinite(e.sa[:s*d]); err != nil {
		return fmt.Errorf("sketch: sketched matrix: %w", err)
	}
	sa := blas64.General{Rows: rows, Cols: d, Stride: d, Data: e.sa[:rows*d]}
	r, err := e.factor(sa, s, opts.Ridge, approxCondLimit)
	if err != nil {
		return err
	}
	// W = R⁻¹G, G_jl ~ N(0, 1/k).
	if e.pcg == nil {
		e.pcg = new(rand.PCG)
		e.rnd = rand.New(e.pcg)
	}
	key := rng.Key(seed, "approx-leverage", "gaussian")
	e.pcg.Seed(key, rng.SplitMix64(key))
	e.ws = grow(e.ws, d*k)
	w := blas64.General{Rows: d, Cols: k, Stride: k, Data: e.ws[:d*k]}
	sd := 1 / math.Sqrt(float64(k))
	for i := range w.Data {
		w.Data[i] = sd * e.rnd.NormFloat64()
	}
	blas64.Trsm(blas.Left, blas.NoTrans, 1, r, w)
	e.rowScores(dst, src, opts.Weights, w)
	return nil
}

// Exact sets dst (length n) to the exact leverage scores of diag(w)·a
// (weights nil: of a), τ_i = w_i²·a_iᵀ(AᵀW²A)⁻¹a_i, Σ τ_i = d, from the
// Cholesky factor R of the weighted Gram AᵀW²A (linalg.WeightedGramTo) and
// one pass dst_i = w_i²·‖a_iᵀR⁻¹‖²: O(nnz(A)·d + d³), about twice the
// flops of the Gram, with no n x d copy. When the Gram's estimated
// condition number exceeds 1e6 (scores would lose more than about 1e-8
// relative accuracy) or it is not numerically positive definite, the scores
// are the squared row norms of the thin Q of diag(w)·A (LeverageScores's
// Householder QR on a weighted dense copy, O(nd²)); a rank-deficient
// diag(w)·A then gives an error wrapping ErrRankDeficient. Rows with
// w_i = 0 get 0. Bit-identical for any GOMAXPROCS. A wrong-length dst
// panics with linalg.ErrShape; non-finite weights or entries are errors.
func (e *LeverageEstimator) Exact(dst []float64, a mat.Matrix, weights []float64) error {
	n, d := a.Dims()
	if n == 0 || d == 0 {
		return fmt.Errorf("sketch: leverage scores of an empty %dx%d matrix", n, d)
	}
	if len(dst) != n {
		panic(linalg.ErrShape)
	}
	if err := checkWeights(weights, n); err != nil {
		return err
	}
	var w2 []float64
	if weights != nil {
		e.w2 = grow(e.w2, n)
		w2 = e.w2[:n]
		for i, v := range weights {
			w2[i] = v * v
		}
	}
	// One dense copy at most (for matrices that are neither *mat.Dense nor
	// linalg.Rows), shared by the Gram and the score pass.
	src := makeSource(a)
	ga := a
	if src.isDense {
		e.view.SetRawMatrix(src.dense)
		ga = &e.view
	}
	if e.gram.IsEmpty() || e.gram.SymmetricDim() != d {
		e.gram = mat.SymDense{}
	}
	linalg.WeightedGramTo(&e.gram, ga, nil, w2, &e.gws)
	g := e.gram.RawSymmetric()
	for i := 0; i < d; i++ {
		if err := checkFinite(g.Data[i*g.Stride+i : i*g.Stride+d]); err != nil {
			return fmt.Errorf("sketch: Gram matrix of the (weighted) input: %w", err)
		}
	}
	r, ok := e.cholesky(g, exactCondLimit)
	if !ok {
		return e.exactQR(dst, a, weights)
	}
	// W = R⁻¹ (d x d).
	e.ws = grow(e.ws, d*d)
	w := blas64.General{Rows: d, Cols: d, Stride: d, Data: e.ws[:d*d]}
	clear(w.Data)
	for i := 0; i < d; i++ {
		w.Data[i*d+i] = 1
	}
	blas64.Trsm(blas.Left, blas.NoTrans, 1, r, w)
	e.rowScores(dst, src, weights, w)
	return nil
}

// exactQR is Exact's fallback: squared row norms of the thin Q of
// diag(w)·A.
func (e *LeverageEstimator) exactQR(dst []float64, a mat.Matrix, weights []float64) error {
	m := mat.DenseCopyOf(a)
	if weights != nil {
		for i, v := range weights {
			row := m.RawRowView(i)
			for j := range row {
				row[j] *= v
			}
		}
	}
	q, err := thinQ(m, 0)
	if err != nil {
		return err
	}
	raw := q.RawMatrix()
	for i := range dst {
		if weights != nil && weights[i] == 0 {
			dst[i] = 0 // exactly, as on the Cholesky route
			continue
		}
		var s float64
		for _, v := range raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols] {
			s = math.FMA(v, v, s)
		}
		dst[i] = s
	}
	return nil
}

// factor returns an upper-triangular R (d x d) with RᵀR = MᵀM for
// M = [first s rows of sa; √λ·I]: the Cholesky factor of the Gram when its
// estimated condition number is at most limit, otherwise the R of a
// Householder QR of M computed in sa (which has s+d rows when λ > 0).
func (e *LeverageEstimator) factor(sa blas64.General, s int, ridge, limit float64) (blas64.Triangular, error) {
	d := sa.Cols
	e.saMat.SetRawMatrix(blas64.General{Rows: s, Cols: d, Stride: sa.Stride, Data: sa.Data[:(s-1)*sa.Stride+d]})
	if e.gram.IsEmpty() || e.gram.SymmetricDim() != d {
		e.gram = mat.SymDense{}
	}
	linalg.WeightedGramTo(&e.gram, &e.saMat, nil, nil, &e.gws)
	g := e.gram.RawSymmetric()
	for j := 0; j < d; j++ {
		g.Data[j*g.Stride+j] += ridge
	}
	if r, ok := e.cholesky(g, limit); ok {
		return r, nil
	}
	rows := s
	if ridge > 0 {
		rows = s + d
		clear(sa.Data[s*sa.Stride : (s+d)*sa.Stride])
		for j := 0; j < d; j++ {
			sa.Data[(s+j)*sa.Stride+j] = math.Sqrt(ridge)
		}
	}
	m := blas64.General{Rows: rows, Cols: d, Stride: sa.Stride, Data: sa.Data}
	e.tau = grow(e.tau, d)
	tau := e.tau[:d]
	e.work = grow(e.work, 1)
	lapack64.Geqrf(m, tau, e.work, -1)
	e.work = grow(e.work, int(e.work[0]))
	lapack64.Geqrf(m, tau, e.work, len(e.work))
	if j, ok := fullRank(m, rows); !ok {
		return blas64.Triangular{}, rankErr("column %d of the sketched matrix's R is negligible; A needs full column rank (or use Ridge > 0)", j)
	}
	return blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: d, Stride: m.Stride, Data: m.Data}, nil
}

// cholesky factors the symmetric g (upper triangle) in place and reports
// whether it is numerically positive definite with an estimated 1-norm
// condition number at most limit (LAPACK's Pocon).
func (e *LeverageEstimator) cholesky(g blas64.Symmetric, limit float64) (blas64.Triangular, bool) {
	d := g.N
	e.work = grow(e.work, 3*d)
	if cap(e.iwork) < d {
		e.iwork = make([]int, d)
	}
	anorm := lapack64.Lansy(lapack.MaxColumnSum, g, e.work[:d])
	r, ok := lapack64.Potrf(g)
	if !ok || !(anorm > 0) {
		return r, false
	}
	rcond := lapack64.Pocon(g, anorm, e.work[:3*d], e.iwork[:d])
	return r, rcond*limit >= 1
}

// rowScores sets dst_i = w_i²·‖a_iᵀW‖² for the d x k matrix W (w = nil:
// no weights; rows with w_i = 0 get 0). Dense rows go through
// simd.DotTile2x4 against Wᵀ (two rows at a time, a lone row paired with
// itself so that every row's arithmetic is the same whatever the
// blocking), sparse rows form a_iᵀW with simd.SparseRowMul (64 columns of
// W at a time). Rows are independent: no reduction, any partition.
func (e *LeverageEstimator) rowScores(dst []float64, src source, wts []float64, w blas64.General) {
	n, d, k := src.n, src.d, w.Cols
	k4 := (k + 3) &^ 3
	var wt []float64
	if src.isDense {
		e.wt = grow(e.wt, k4*d)
		wt = e.wt[:k4*d]
		clear(wt[k*d:])
		for i := 0; i < d; i++ {
			for j, v := range w.Data[i*w.Stride : i*w.Stride+k] {
				wt[j*d+i] = v
			}
		}
	}
	weight := func(i int) float64 {
		if wts == nil {
			return 1
		}
		return wts[i] * wts[i]
	}
	const zbuf = 64
	block := max(2, ((1<<15)/max(1, k4)+1)&^1)
	par.Blocks(n, block, func(_, lo, hi int) {
		for i := lo; i < hi; {
			if src.isDense {
				ldp := src.dense.Stride
				two := i+1 < hi
				if !two {
					ldp = 0 // pair the last row with itself
				}
				c0, c1 := weight(i), 0.0
				if two {
					c1 = weight(i + 1)
				}
				var s0, s1 float64
				if c0 != 0 || c1 != 0 {
					p := src.dense.Data[i*src.dense.Stride:]
					for j0 := 0; j0 < k4; j0 += 4 {
						var t [8]float64
						simd.DotTile2x4(t[:], 4, p, ldp, wt[j0*d:], d, d)
						for jj := 0; jj < 4 && j0+jj < k; jj++ {
							s0 = math.FMA(t[jj], t[jj], s0)
							s1 = math.FMA(t[4+jj], t[4+jj], s1)
						}
					}
				}
				dst[i] = c0 * s0
				if two {
					dst[i+1] = c1 * s1
					i += 2
				} else {
					i++
				}
				continue
			}
			ci := weight(i)
			var s float64
			if ci != 0 {
				cols, vals := src.rows.SparseRow(i)
				var z [zbuf]float64
				for j0 := 0; j0 < k; j0 += zbuf {
					zz := z[:min(zbuf, k-j0)]
					clear(zz)
					simd.SparseRowMul(zz, cols, vals, w.Data[j0:], w.Stride)
					for _, v := range zz {
						s = math.FMA(v, v, s)
					}
				}
			}
			dst[i] = ci * s
			i++
		}
	})
}

// checkWeights reports a weight vector of the wrong length or with a
// non-finite entry.
func checkWeights(w []float64, n int) error {
	if w == nil {
		return nil
	}
	if len(w) != n {
		return fmt.Errorf("sketch: %d row weights for %d rows", len(w), n)
	}
	if err := checkFinite(w); err != nil {
		return fmt.Errorf("sketch: row weights: %w", err)
	}
	return nil
}

// grow returns buf with length n, reusing its storage when large enough.
func grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}
