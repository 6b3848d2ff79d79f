package sketch

import (
	"math"
	"math/bits"
	"sync"

	"gonum.org/v1/gonum/dsp/fourier"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/internal/rng"
	"github.com/sketchwork/sketchwork/linalg"
)

// Tensor is a TensorSketch (Pham and Pagh 2013): an m x d^p operator T
// sketching order-p tensor products without forming them. Factor k
// (k = 1..p) is an independent CountSketch C_k: R^d -> R^m with bucket
// h_k(i) and sign g_k(i), and
//
//	T(x1⊗...⊗xp) = C_1x1 ∗ ... ∗ C_pxp = IFFT(FFT(C_1x1) ∘ ... ∘ FFT(C_pxp)),
//
// the circular convolution of the count sketches: entry (I = (i1..ip)) of
// the tensor lands in bucket Σ_k h_k(i_k) mod m with sign Π_k g_k(i_k). Cost
// O(p·(d + m log m)) per tensor product instead of O(d^p). Inner products
// are unbiased, E<T(x^⊗p), T(y^⊗p)> = <x,y>^p, with variance O(3^p/m)·
// ||x||^{2p}||y||^{2p} (Avron, Nguyen and Woodruff 2014 give (2+3^p)/m).
// The entries are ±1 and E[TᵀT] = I, so Natural and Isometry scaling
// coincide. m with small prime factors (a power of two) keeps the FFT fast.
//
// A Tensor is immutable and safe for concurrent use. It is a
// linalg.Operator on R^{d^p} (vectors indexed by (i1, ..., ip) in row-major
// order, flat index ((i1·d + i2)·d + ...)·d + ip) when d^p fits in memory.
type Tensor struct {
	spec Spec
	d, p int
	seed uint64
	h    [][]int     // h[k][i]: bucket of factor k
	g    [][]float64 // g[k][i]: sign of factor k
	pool sync.Pool   // *tensorWork
}

type tensorWork struct {
	fft  *fourier.FFT
	cs   []float64
	spec []complex128
	acc  []complex128
}

// NewTensor returns the TensorSketch with m = spec.Rows rows and order
// p = spec.Degree for vectors of length d (spec.Kind must be TensorSketch).
// Factor k's hashes come from the counter stream keyed by (seed, k).
func NewTensor(spec Spec, d int, seed uint64) (*Tensor, error) {
	if spec.Kind != TensorSketch {
		return nil, specErr("NewTensor builds TensorSketch sketches, got kind %s", spec.Kind)
	}
	sp, err := spec.resolve(d)
	if err != nil {
		return nil, err
	}
	t := &Tensor{spec: sp, d: d, p: sp.Degree, seed: seed}
	m := sp.Rows
	t.h = make([][]int, t.p)
	t.g = make([][]float64, t.p)
	for k := 0; k < t.p; k++ {
		c := rng.NewCounter(rng.Key(seed, "sketch", "tensorsketch", "factor", rng.Label(k)))
		t.h[k] = make([]int, d)
		t.g[k] = make([]float64, d)
		for i := 0; i < d; i++ {
			z := c.At(uint64(i))
			t.h[k][i] = rng.Bucket(z, m)
			t.g[k][i] = rng.Sign(z)
		}
	}
	t.pool.New = func() any {
		return &tensorWork{
			fft:  fourier.NewFFT(m),
			cs:   make([]float64, m),
			spec: make([]complex128, m/2+1),
			acc:  make([]complex128, m/2+1),
		}
	}
	return t, nil
}

// Spec returns the resolved spec.
func (t *Tensor) Spec() Spec { return t.spec }

// Seed returns the seed the sketch was built from.
func (t *Tensor) Seed() uint64 { return t.seed }

// Degree returns p.
func (t *Tensor) Degree() int { return t.p }

// Hash returns the bucket and sign of index i in factor k (the count
// sketch C_k), for tests and explicit constructions.
func (t *Tensor) Hash(k, i int) (bucket int, sign float64) { return t.h[k][i], t.g[k][i] }

// Dims returns (m, d^p); d^p saturates at math.MaxInt.
func (t *Tensor) Dims() (r, c int) {
	n := 1
	for range t.p {
		hi, lo := bits.Mul64(uint64(n), uint64(t.d))
		if hi != 0 || lo > math.MaxInt {
			return t.spec.Rows, math.MaxInt
		}
		n = int(lo)
	}
	return t.spec.Rows, n
}

// countSketch sets cs = C_k x.
func (t *Tensor) countSketch(cs []float64, k int, x []float64) {
	clear(cs)
	h, g := t.h[k], t.g[k]
	for i, v := range x {
		cs[h[i]] += g[i] * v
	}
}

// Product sets dst (length m) = T(x1⊗...⊗xp); it needs exactly p vectors
// of length d.
func (t *Tensor) Product(dst []float64, xs ...[]float64) {
	if len(xs) != t.p || len(dst) != t.spec.Rows {
		panic(linalg.ErrShape)
	}
	for _, x := range xs {
		if len(x) != t.d {
			panic(linalg.ErrShape)
		}
	}
	w := t.pool.Get().(*tensorWork)
	t.product(w, dst, func(k int) []float64 { return xs[k] })
	t.pool.Put(w)
}

// Power sets dst (length m) = T(x⊗x⊗...⊗x), the sketch of the p-th tensor
// power of x.
func (t *Tensor) Power(dst, x []float64) {
	if len(x) != t.d || len(dst) != t.spec.Rows {
		panic(linalg.ErrShape)
	}
	w := t.pool.Get().(*tensorWork)
	t.product(w, dst, func(int) []float64 { return x })
	t.pool.Put(w)
}

// product computes the convolution of the p count sketches.
func (t *Tensor) product(w *tensorWork, dst []float64, x func(k int) []float64) {
	if t.p == 1 {
		t.countSketch(dst, 0, x(0))
		return
	}
	for k := 0; k < t.p; k++ {
		t.countSketch(w.cs, k, x(k))
		if k == 0 {
			w.fft.Coefficients(w.acc, w.cs)
			continue
		}
		w.fft.Coefficients(w.spec, w.cs)
		for j, c := range w.spec {
			w.acc[j] *= c
		}
	}
	w.fft.Sequence(dst, w.acc)
	inv := 1 / float64(t.spec.Rows)
	for j := range dst {
		dst[j] *= inv
	}
}

// PowerRows sets row i of dst (n x m; an empty dst is sized) to
// T(a_i^⊗p) for every row a_i of the n x d matrix a: the sketch of the rows
// of the row-wise tensor power A^⊗p (the polynomial-kernel feature map).
// Rows are processed in parallel.
func (t *Tensor) PowerRows(dst *mat.Dense, a *mat.Dense) {
	n, d := a.Dims()
	if d != t.d {
		panic(linalg.ErrShape)
	}
	out := prepareDst(dst, n, t.spec.Rows)
	raw := a.RawMatrix()
	par.Blocks(n, 64, func(_, lo, hi int) {
		w := t.pool.Get().(*tensorWork)
		for i := lo; i < hi; i++ {
			row := raw.Data[i*raw.Stride : i*raw.Stride+d]
			t.product(w, out.Data[i*out.Stride:i*out.Stride+t.spec.Rows], func(int) []float64 { return row })
		}
		t.pool.Put(w)
	})
}

// ProductRows sets row i of dst (n x m) to T(a1_i⊗...⊗ap_i) for p matrices
// with n rows and d columns each (row-wise Khatri-Rao products).
func (t *Tensor) ProductRows(dst *mat.Dense, as ...*mat.Dense) {
	if len(as) != t.p {
		panic(linalg.ErrShape)
	}
	n, _ := as[0].Dims()
	raws := make([]mat.RawMatrixer, len(as))
	for k, a := range as {
		if r, c := a.Dims(); r != n || c != t.d {
			panic(linalg.ErrShape)
		}
		raws[k] = a
	}
	out := prepareDst(dst, n, t.spec.Rows)
	par.Blocks(n, 64, func(_, lo, hi int) {
		w := t.pool.Get().(*tensorWork)
		for i := lo; i < hi; i++ {
			t.product(w, out.Data[i*out.Stride:i*out.Stride+t.spec.Rows], func(k int) []float64 {
				r := raws[k].RawMatrix()
				return r.Data[i*r.Stride : i*r.Stride+t.d]
			})
		}
		t.pool.Put(w)
	})
}

// MulVecTo sets dst = T x for x of length d^p, or dst = Tᵀ x (x of length
// m, dst of length d^p) when trans is true: the explicit definition, O(p·d^p).
func (t *Tensor) MulVecTo(dst []float64, trans bool, x []float64) {
	m, n := t.Dims()
	if !trans {
		if len(x) != n || len(dst) != m {
			panic(linalg.ErrShape)
		}
		clear(dst)
		t.walk(func(flat, bucket int, sign float64) { dst[bucket] += sign * x[flat] })
		return
	}
	if len(x) != m || len(dst) != n {
		panic(linalg.ErrShape)
	}
	t.walk(func(flat, bucket int, sign float64) { dst[flat] = sign * x[bucket] })
}

// MulTo applies MulVecTo column by column.
func (t *Tensor) MulTo(dst *mat.Dense, trans bool, x *mat.Dense) {
	m, n := t.Dims()
	xr, xc := x.Dims()
	dr, dc := dst.Dims()
	if xc != dc || (!trans && (xr != n || dr != m)) || (trans && (xr != m || dr != n)) {
		panic(linalg.ErrShape)
	}
	in := make([]float64, xr)
	out := make([]float64, dr)
	for j := 0; j < xc; j++ {
		mat.Col(in, j, x)
		t.MulVecTo(out, trans, in)
		dst.SetCol(j, out)
	}
}

// walk calls fn for every multi-index of [d]^p in row-major order with its
// flat index, bucket Σh_k(i_k) mod m and sign Πg_k(i_k).
func (t *Tensor) walk(fn func(flat, bucket int, sign float64)) {
	m := t.spec.Rows
	flat := 0
	var rec func(k, bucket int, sign float64)
	rec = func(k, bucket int, sign float64) {
		if k == t.p {
			fn(flat, bucket, sign)
			flat++
			return
		}
		for i := 0; i < t.d; i++ {
			rec(k+1, (bucket+t.h[k][i])%m, sign*t.g[k][i])
		}
	}
	rec(0, 0, 1)
}

var _ linalg.Operator = (*Tensor)(nil)
