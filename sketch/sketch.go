package sketch

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/rng"
	"github.com/sketchwork/sketchwork/linalg"
)

// Sketch is an immutable s x n sketching operator S built from a Spec and a
// seed. It never stores S when S is large: sparse and sampling sketches keep
// O(s) state and regenerate column i's randomness from a counter at i, and a
// Gaussian sketch regenerates its column panels from per-panel streams. Its
// methods may be called from many goroutines at once.
//
// Sketch satisfies linalg.Operator: MulVecTo(dst, false, x) is S x and
// MulVecTo(dst, true, y) is Sᵀ y.
type Sketch struct {
	spec  Spec
	n     int
	seed  uint64
	scale float64 // scalar factor of the operator (Gaussian, SRHT, sparse kinds)

	// CountSketch and SparseSign: column i's buckets and signs.
	hash rng.Counter

	// Gaussian: Sᵀ panels of panelRows columns of S, from gaussKey.
	gaussKey uint64
	gaussMat []float64 // Sᵀ (n x s), materialised lazily when small
	gaussOne sync.Once

	// SRHT: padded length, sampled rows of H (sorted), signs of D.
	npad  int
	hrows []int
	signs rng.Counter

	// Uniform and Leverage: S[k, idx[k]] = w[k].
	idx []int
	w   []float64
}

// New returns the s x n sketch of the oblivious kinds Gaussian, SRHT,
// CountSketch, SparseSign and Uniform for a matrix with n rows. The same
// (spec, n, seed) always gives the same operator, on any machine and for any
// GOMAXPROCS. Leverage sampling needs data (NewLeverage, NewSampling) and
// TensorSketch acts on tensor products (NewTensor); an invalid spec (Rows
// < 1, NNZPerCol > Rows, SRHT Rows above the padded length, ...) is an error
// wrapping ErrSpec.
func New(spec Spec, n int, seed uint64) (*Sketch, error) {
	sp, err := spec.resolve(n)
	if err != nil {
		return nil, err
	}
	sk := &Sketch{spec: sp, n: n, seed: seed, scale: 1}
	key := func(purpose string) uint64 { return rng.Key(seed, "sketch", sp.Kind.String(), purpose) }
	s := sp.Rows
	switch sp.Kind {
	case Gaussian:
		sk.gaussKey = key("entries")
		if sp.Scaling == Isometry {
			sk.scale = 1 / math.Sqrt(float64(s))
		}
	case CountSketch, SparseSign:
		sk.hash = rng.NewCounter(key("columns"))
		if sp.Scaling == Isometry {
			sk.scale = 1 / math.Sqrt(float64(sp.NNZPerCol))
		}
	case SRHT:
		sk.npad = nextPow2(n)
		sk.signs = rng.NewCounter(key("signs"))
		sk.hrows = distinctSorted(rng.Derive(seed, "sketch", "srht", "rows"), sk.npad, s)
		if sp.Scaling == Isometry {
			sk.scale = 1 / math.Sqrt(float64(s))
		}
	case Uniform:
		c := rng.NewCounter(key("draws"))
		sk.idx = make([]int, s)
		sk.w = make([]float64, s)
		w := 1.0
		if sp.Scaling == Isometry {
			w = math.Sqrt(float64(n) / float64(s))
		}
		for k := range sk.idx {
			sk.idx[k] = bucket64(c.At(uint64(k)), n)
			sk.w[k] = w
		}
	case Leverage:
		return nil, specErr("leverage sampling depends on the data: use NewLeverage or NewSampling")
	case TensorSketch:
		return nil, specErr("TensorSketch sketches tensor products: use NewTensor")
	}
	return sk, nil
}

// Spec returns the resolved spec: defaults filled in (NNZPerCol for sparse
// sign, Rows after leverage oversampling), exactly what was built.
func (sk *Sketch) Spec() Spec { return sk.spec }

// Seed returns the seed the sketch was built from.
func (sk *Sketch) Seed() uint64 { return sk.seed }

// Next returns a seed for an independent next sketch, derived from this
// one's seed (RandBLAS's next state): chained sketches need no extra seed.
func (sk *Sketch) Next() uint64 { return rng.Key(sk.seed, "sketch", "next") }

// Dims returns (s, n): S maps R^n to R^s.
func (sk *Sketch) Dims() (r, c int) { return sk.spec.Rows, sk.n }

// Indices returns a copy of the sampled row indices of a Uniform or
// Leverage sketch (S·A stacks rows Indices()[k] of A scaled by Weights()[k]),
// nil for other kinds.
func (sk *Sketch) Indices() []int { return append([]int(nil), sk.idx...) }

// Weights returns a copy of the row scales of a sampling sketch, nil for
// other kinds.
func (sk *Sketch) Weights() []float64 { return append([]float64(nil), sk.w...) }

// Apply sets dst = S·A for an n x d matrix A. dst must be empty (it is then
// sized s x d) or s x d; it must not alias a, which is not modified.
// Fast paths: *mat.Dense (row-major, parallel), *linalg.CSR and any
// linalg.Rows (O(ζ·nnz(A)) for CountSketch and SparseSign); any other
// mat.Matrix is first copied to a dense matrix. Cost per kind: see the
// package documentation. The result is bit-identical for any GOMAXPROCS.
func (sk *Sketch) Apply(dst *mat.Dense, a mat.Matrix) {
	n, d := a.Dims()
	if n != sk.n {
		panic(linalg.ErrShape)
	}
	if d == 0 {
		return
	}
	out := prepareDst(dst, sk.spec.Rows, d)
	sk.apply(out, makeSource(a), nil)
}

// ApplyRight sets dst = A·Sᵀ for an m x n matrix A (dst m x s; an empty
// dst is sized): a sketch of the rows' space, as in randomized low-rank
// approximation. It transposes A into a temporary n x m matrix (O(mn)
// memory) and applies S to it; the result equals (S·Aᵀ)ᵀ bit for bit.
func (sk *Sketch) ApplyRight(dst *mat.Dense, a mat.Matrix) {
	m, n := a.Dims()
	if n != sk.n {
		panic(linalg.ErrShape)
	}
	if m == 0 {
		return
	}
	out := prepareDst(dst, m, sk.spec.Rows)
	var sat mat.Dense
	sk.Apply(&sat, mat.DenseCopyOf(a.T()))
	raw := sat.RawMatrix()
	for i := 0; i < raw.Rows; i++ {
		for j := 0; j < raw.Cols; j++ {
			out.Data[j*out.Stride+i] = raw.Data[i*raw.Stride+j]
		}
	}
}

// ApplyVec sets dst = S b (len(b) = n, len(dst) = s).
func (sk *Sketch) ApplyVec(dst, b []float64) { sk.MulVecTo(dst, false, b) }

// MulVecTo sets dst = S x, or dst = Sᵀ x when trans is true (linalg.Operator).
func (sk *Sketch) MulVecTo(dst []float64, trans bool, x []float64) {
	s, n := sk.spec.Rows, sk.n
	if !trans {
		if len(x) != n || len(dst) != s {
			panic(linalg.ErrShape)
		}
		sk.apply(vecGeneral(dst), source{n: n, d: 1, dense: vecGeneral(x), isDense: true}, nil)
		return
	}
	if len(x) != s || len(dst) != n {
		panic(linalg.ErrShape)
	}
	sk.applyT(vecGeneral(dst), vecGeneral(x))
}

// MulTo sets dst = S X (X n x k, dst s x k), or dst = Sᵀ X when trans is true
// (X s x k, dst n x k) (linalg.Operator). dst must be sized already.
func (sk *Sketch) MulTo(dst *mat.Dense, trans bool, x *mat.Dense) {
	s, n := sk.spec.Rows, sk.n
	xr, dr := x.RawMatrix(), dst.RawMatrix()
	if !trans {
		if xr.Rows != n || dr.Rows != s || dr.Cols != xr.Cols {
			panic(linalg.ErrShape)
		}
		sk.apply(dr, source{n: n, d: xr.Cols, dense: xr, isDense: true}, nil)
		return
	}
	if xr.Rows != s || dr.Rows != n || dr.Cols != xr.Cols {
		panic(linalg.ErrShape)
	}
	sk.applyT(dr, xr)
}

// apply sets out (s x d) = S·diag(w)·A; w = nil means no row weights (only
// the sparse kinds support weights).
func (sk *Sketch) apply(out blas64.General, src source, w []float64) {
	switch sk.spec.Kind {
	case CountSketch, SparseSign:
		sk.sparseApply(out, src, w)
	case Gaussian:
		sk.gaussApply(out, src)
	case SRHT:
		sk.srhtApply(out, src)
	case Uniform, Leverage:
		sk.sampleApply(out, src)
	}
}

// applyT sets out (n x k) = Sᵀ·y (y s x k).
func (sk *Sketch) applyT(out, y blas64.General) {
	switch sk.spec.Kind {
	case CountSketch, SparseSign:
		sk.sparseApplyT(out, y)
	case Gaussian:
		sk.gaussApplyT(out, y)
	case SRHT:
		sk.srhtApplyT(out, y)
	case Uniform, Leverage:
		sk.sampleApplyT(out, y)
	}
}

// Compile-time check that a Sketch is a linalg.Operator.
var _ linalg.Operator = (*Sketch)(nil)
