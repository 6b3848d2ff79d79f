package lsq

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
	"github.com/sketchwork/sketchwork/sketch"
)

// source is A as the refinement engine sees it: the fused one-pass kernels,
// the sketch, and a pass counter. In-memory dense and CSR matrices and
// streamed files implement it.
type source interface {
	dims() (n, d int)
	// residGrad sets G = Aᵀ(B − A X) and rr[j] = ||B_j − A X_j||².
	residGrad(g, b, x *mat.Dense, rr []float64)
	// gram sets W = Aᵀ(A Z).
	gram(w, z *mat.Dense)
	// passes returns the passes over A made so far.
	passes() float64
	// operator returns A as an Operator when it is in memory (nil otherwise).
	operator() linalg.Operator
	// sketch sets dst = S·A in one pass.
	sketch(sk *sketch.Sketch, dst *mat.Dense) error
}

// memSource is an in-memory dense or CSR matrix.
type memSource struct {
	a      mat.Matrix // *mat.Dense or *linalg.CSR
	op     linalg.Operator
	normal linalg.Normal
	block  linalg.NormalBlock
	n, d   int
	npass  float64
}

func newMemSource(a mat.Matrix) (*memSource, error) {
	var op interface {
		linalg.Normal
		linalg.NormalBlock
	}
	switch v := a.(type) {
	case *mat.Dense:
		op = linalg.Dense(v)
	case *linalg.CSR:
		op = v
	default:
		dc := mat.DenseCopyOf(a)
		a, op = dc, linalg.Dense(dc)
	}
	n, d := op.Dims()
	if n == 0 || d == 0 {
		return nil, fmt.Errorf("%w: A is empty (%dx%d)", ErrInput, n, d)
	}
	return &memSource{a: a, op: op, normal: op, block: op, n: n, d: d}, nil
}

func (s *memSource) dims() (int, int)          { return s.n, s.d }
func (s *memSource) passes() float64           { return s.npass }
func (s *memSource) operator() linalg.Operator { return s.op }

func (s *memSource) residGrad(g, b, x *mat.Dense, rr []float64) {
	s.npass++
	if _, k := x.Dims(); k == 1 {
		rr[0] = s.normal.ResidualGradTo(colData(g), colData(b), colData(x))
		return
	}
	s.block.ResidualGradBlockTo(g, b, x, rr)
}

func (s *memSource) gram(w, z *mat.Dense) {
	s.npass++
	if _, k := z.Dims(); k == 1 {
		s.normal.GramVecTo(colData(w), colData(z))
		return
	}
	s.block.GramTo(w, z)
}

// colData returns the contiguous data of a one-column matrix.
func colData(m *mat.Dense) []float64 {
	raw := m.RawMatrix()
	if raw.Cols != 1 || (raw.Stride != 1 && raw.Rows > 1) {
		panic("lsq: colData needs a contiguous single column")
	}
	return raw.Data[:raw.Rows]
}

// checkFinite returns an error naming the first NaN or Inf entry of a.
func checkFinite(name string, a mat.Matrix) error {
	bad := func(i, j int, v float64) error {
		return fmt.Errorf("%w: %s[%d,%d] = %v (NaN and Inf are not allowed)", ErrInput, name, i, j, v)
	}
	switch v := a.(type) {
	case *mat.Dense:
		raw := v.RawMatrix()
		for i := 0; i < raw.Rows; i++ {
			for j, x := range raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols] {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return bad(i, j, x)
				}
			}
		}
	case *linalg.CSR:
		r, _ := v.Dims()
		for i := 0; i < r; i++ {
			cols, vals := v.SparseRow(i)
			for k, x := range vals {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return bad(i, int(cols[k]), x)
				}
			}
		}
	default:
		r, c := a.Dims()
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				if x := a.At(i, j); math.IsNaN(x) || math.IsInf(x, 0) {
					return bad(i, j, x)
				}
			}
		}
	}
	return nil
}

func allFinite(m *mat.Dense) bool {
	raw := m.RawMatrix()
	for i := 0; i < raw.Rows; i++ {
		for _, x := range raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols] {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		}
	}
	return true
}

// sketch sets dst = S·A in one pass.
func (s *memSource) sketch(sk *sketch.Sketch, dst *mat.Dense) error {
	s.npass++
	sk.Apply(dst, s.a)
	return nil
}
