package dataio

import (
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// rowReader returns the rows of a mat.Matrix without copying where the
// storage allows it.
type rowReader struct {
	m   mat.Matrix
	raw *mat.Dense
	csr *linalg.CSR
	buf []float64
}

func newRowReader(m mat.Matrix) *rowReader {
	_, c := m.Dims()
	rr := &rowReader{m: m}
	switch t := m.(type) {
	case *mat.Dense:
		rr.raw = t
	case *linalg.CSR:
		rr.csr = t
		rr.buf = make([]float64, c)
	default:
		rr.buf = make([]float64, c)
	}
	return rr
}

// row returns row i; the slice is valid until the next call.
func (rr *rowReader) row(i int) []float64 {
	switch {
	case rr.raw != nil:
		return rr.raw.RawRowView(i)
	case rr.csr != nil:
		clear(rr.buf)
		cols, vals := rr.csr.SparseRow(i)
		for k, j := range cols {
			rr.buf[j] = vals[k]
		}
		return rr.buf
	default:
		for j := range rr.buf {
			rr.buf[j] = rr.m.At(i, j)
		}
		return rr.buf
	}
}
