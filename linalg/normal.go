package linalg

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/simd"
)

// Normal is an operator that applies its normal matrix AᵀA, and the
// least-squares gradient Aᵀ(b − Ax), in one pass over its stored entries:
// the fused kernel of regression.md section 4.4, which halves the memory
// traffic of an LSQR iteration (two passes) on a memory-bound machine.
type Normal interface {
	Operator
	// GramVecTo sets dst = Aᵀ(A x). One pass over A.
	GramVecTo(dst, x []float64)
	// ResidualGradTo sets dst = Aᵀ(b − A x) and returns ||b − A x||². One pass over A.
	ResidualGradTo(dst, b, x []float64) float64
}

// GramVecTo sets dst = Aᵀ(A x) in one pass: each row block's A_k x is
// computed into a cache-resident buffer and immediately multiplied by A_kᵀ.
func (d DenseOp) GramVecTo(dst, x []float64) {
	d.fused(dst, nil, x)
}

// ResidualGradTo sets dst = Aᵀ(b − A x) and returns ||b − A x||² in one pass.
func (d DenseOp) ResidualGradTo(dst, b, x []float64) float64 {
	return d.fused(dst, b, x)
}

// fused implements both one-pass kernels; b == nil means the Gram product.
// Each row is read from memory once: its dot product with x and the
// scaled accumulation of the row use the same cache-resident data. The
// squared residual travels as an extra element of each partial vector so
// that it, too, is reduced in a fixed order.
func (d DenseOp) fused(dst, b, x []float64) float64 {
	raw := d.M.RawMatrix()
	r, c := raw.Rows, raw.Cols
	if len(x) != c || len(dst) != c || (b != nil && len(b) != r) {
		panic(ErrShape)
	}
	accp := getVec(c + 1)
	acc := *accp
	transReduce(acc, r, rowBlock(c), func(lo, hi int, p []float64) {
		var rr float64
		for i := lo; i < hi; i++ {
			row := raw.Data[i*raw.Stride : i*raw.Stride+c]
			t := simd.Dot(row, x)
			if b != nil {
				t = b[i] - t
				rr += t * t
			}
			if t != 0 {
				simd.Axpy(p[:c], t, row)
			}
		}
		p[c] += rr
	})
	copy(dst, acc[:c])
	res := acc[c]
	putVec(accp)
	return res
}

// GramVecTo sets dst = Aᵀ(A x) in one pass over the stored entries.
func (m *CSR) GramVecTo(dst, x []float64) { m.fused(dst, nil, x) }

// ResidualGradTo sets dst = Aᵀ(b − A x) and returns ||b − A x||² in one pass.
func (m *CSR) ResidualGradTo(dst, b, x []float64) float64 { return m.fused(dst, b, x) }

func (m *CSR) fused(dst, b, x []float64) float64 {
	if len(x) != m.c || len(dst) != m.c || (b != nil && len(b) != m.r) {
		panic(ErrShape)
	}
	accp := getVec(m.c + 1)
	acc := *accp
	transReduce(acc, m.r, m.rowBlockNNZ(), func(lo, hi int, p []float64) {
		var rr float64
		for i := lo; i < hi; i++ {
			cols := m.Col[m.RowPtr[i]:m.RowPtr[i+1]]
			vals := m.Val[m.RowPtr[i]:m.RowPtr[i+1]]
			var t float64
			for k, j := range cols {
				t += vals[k] * x[j]
			}
			if b != nil {
				t = b[i] - t
				rr += t * t
			}
			if t == 0 {
				continue
			}
			for k, j := range cols {
				p[j] += vals[k] * t
			}
		}
		p[m.c] += rr
	})
	copy(dst, acc[:m.c])
	res := acc[m.c]
	putVec(accp)
	return res
}

// GramTo sets dst = Aᵀ(A X) for a block of vectors X (d x k) in one pass.
func (d DenseOp) GramTo(dst *mat.Dense, x *mat.Dense) {
	raw := d.M.RawMatrix()
	xr := x.RawMatrix()
	dr := dst.RawMatrix()
	r, c := raw.Rows, raw.Cols
	k := xr.Cols
	if xr.Rows != c || dr.Rows != c || dr.Cols != k {
		panic(ErrShape)
	}
	block := rowBlock(c + k)
	accp := getVec(c * k)
	acc := *accp
	transReduce(acc, r, block, func(lo, hi int, p []float64) {
		tp := getVec((hi - lo) * k)
		t := *tp
		sub := blas64.General{Rows: hi - lo, Cols: c, Stride: raw.Stride, Data: raw.Data[lo*raw.Stride:]}
		tg := blas64.General{Rows: hi - lo, Cols: k, Stride: k, Data: t}
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, sub, xr, 0, tg)
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, sub, tg, 1, blas64.General{Rows: c, Cols: k, Stride: k, Data: p})
		putVec(tp)
	})
	for i := 0; i < c; i++ {
		copy(dr.Data[i*dr.Stride:i*dr.Stride+k], acc[i*k:(i+1)*k])
	}
	putVec(accp)
}

// NormalBlock applies the fused one-pass kernels to blocks of vectors.
type NormalBlock interface {
	// GramTo sets dst = Aᵀ(A X) for X with as many rows as A has columns.
	GramTo(dst, x *mat.Dense)
	// ResidualGradBlockTo sets G = Aᵀ(B − A X) and rr[j] = ||B_j − A X_j||².
	ResidualGradBlockTo(g, b, x *mat.Dense, rr []float64)
}

// ResidualGradBlockTo sets G = Aᵀ(B − A X) and rr[j] = ||B_j − A X_j||² in one pass.
func (d DenseOp) ResidualGradBlockTo(g, b, x *mat.Dense, rr []float64) {
	raw := d.M.RawMatrix()
	xr, br, gr := x.RawMatrix(), b.RawMatrix(), g.RawMatrix()
	r, c := raw.Rows, raw.Cols
	k := xr.Cols
	if xr.Rows != c || gr.Rows != c || gr.Cols != k || br.Rows != r || br.Cols != k || len(rr) != k {
		panic(ErrShape)
	}
	block := rowBlock(c + k)
	accp := getVec(c*k + k)
	acc := *accp
	transReduce(acc, r, block, func(lo, hi int, p []float64) {
		tp := getVec((hi - lo) * k)
		t := *tp
		for i := lo; i < hi; i++ {
			copy(t[(i-lo)*k:(i-lo+1)*k], br.Data[i*br.Stride:i*br.Stride+k])
		}
		sub := blas64.General{Rows: hi - lo, Cols: c, Stride: raw.Stride, Data: raw.Data[lo*raw.Stride:]}
		tg := blas64.General{Rows: hi - lo, Cols: k, Stride: k, Data: t}
		blas64.Gemm(blas.NoTrans, blas.NoTrans, -1, sub, xr, 1, tg)
		for i := 0; i < hi-lo; i++ {
			for j, v := range t[i*k : (i+1)*k] {
				p[c*k+j] += v * v
			}
		}
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, sub, tg, 1, blas64.General{Rows: c, Cols: k, Stride: k, Data: p[:c*k]})
		putVec(tp)
	})
	for i := 0; i < c; i++ {
		copy(gr.Data[i*gr.Stride:i*gr.Stride+k], acc[i*k:(i+1)*k])
	}
	copy(rr, acc[c*k:])
	putVec(accp)
}

// GramTo sets dst = Aᵀ(A X) in one pass over the stored entries.
func (m *CSR) GramTo(dst, x *mat.Dense) {
	m.fusedBlock(dst, nil, x, nil)
}

// ResidualGradBlockTo sets G = Aᵀ(B − A X) and rr[j] = ||B_j − A X_j||² in one pass.
func (m *CSR) ResidualGradBlockTo(g, b, x *mat.Dense, rr []float64) {
	m.fusedBlock(g, b, x, rr)
}

func (m *CSR) fusedBlock(g, b, x *mat.Dense, rr []float64) {
	xr, gr := x.RawMatrix(), g.RawMatrix()
	k := xr.Cols
	if xr.Rows != m.c || gr.Rows != m.c || gr.Cols != k {
		panic(ErrShape)
	}
	var br blas64.General
	if b != nil {
		br = b.RawMatrix()
		if br.Rows != m.r || br.Cols != k || len(rr) != k {
			panic(ErrShape)
		}
	}
	accp := getVec(m.c*k + k)
	acc := *accp
	transReduce(acc, m.r, max(1, m.rowBlockNNZ()/max(1, k)), func(lo, hi int, p []float64) {
		tp := getVec(k)
		t := *tp
		for i := lo; i < hi; i++ {
			clear(t)
			for q := m.RowPtr[i]; q < m.RowPtr[i+1]; q++ {
				v := m.Val[q]
				xrow := xr.Data[int(m.Col[q])*xr.Stride : int(m.Col[q])*xr.Stride+k]
				for j, xv := range xrow {
					t[j] += v * xv
				}
			}
			if b != nil {
				brow := br.Data[i*br.Stride : i*br.Stride+k]
				for j := range t {
					t[j] = brow[j] - t[j]
					p[m.c*k+j] += t[j] * t[j]
				}
			}
			for q := m.RowPtr[i]; q < m.RowPtr[i+1]; q++ {
				v := m.Val[q]
				out := p[int(m.Col[q])*k : int(m.Col[q])*k+k]
				for j, tv := range t {
					out[j] += v * tv
				}
			}
		}
		putVec(tp)
	})
	for i := 0; i < m.c; i++ {
		copy(gr.Data[i*gr.Stride:i*gr.Stride+k], acc[i*k:(i+1)*k])
	}
	if rr != nil {
		copy(rr, acc[m.c*k:])
	}
	putVec(accp)
}
