package simd

import "math"

// SparseRowMul adds xᵀW to dst for a sparse row x with entries vals[t] at
// columns cols[t] and a row-major W with leading dimension ldw:
//
//	dst[j] += Σ_t vals[t]·w[cols[t]·ldw + j]   for j < len(dst),
//
// each dst[j] accumulated by fused multiply-adds in increasing t (the AVX2
// kernel keeps 4-16 consecutive j in registers, one lane each, so it rounds
// exactly as the portable loop). It is the sparse-row kernel of products
// A·W with A in CSR form (for example leverage scores ‖a_iᵀW‖²): one call
// per row amortises the call over all of the row's entries.
//
// It needs len(vals) >= len(cols), ldw >= 0 and 0 <= cols[t] with
// cols[t]·ldw + len(dst) <= len(w); otherwise it panics.
//
// Cost: len(cols)·len(dst) fused multiply-adds, about 16 per cycle per core
// with AVX2 when W is in L1/L2.
func SparseRowMul(dst []float64, cols []int32, vals []float64, w []float64, ldw int) {
	k, nnz := len(dst), len(cols)
	if k == 0 || nnz == 0 {
		return
	}
	if len(vals) < nnz || ldw < 0 {
		panic("simd: SparseRowMul operands too short")
	}
	var maxc uint32
	for _, c := range cols {
		maxc = max(maxc, uint32(c)) // a negative column becomes huge
	}
	if maxc > uint32(1<<31-1) || int(maxc)*ldw+k > len(w) {
		panic("simd: SparseRowMul column out of range")
	}
	if useAsm {
		sparseRowMulAsm(&dst[0], k, &cols[0], &vals[0], nnz, &w[0], ldw)
		return
	}
	sparseRowMulGo(dst, cols, vals, w, ldw)
}

// sparseRowMulGo is the portable SparseRowMul; the caller has checked the
// operands.
func sparseRowMulGo(dst []float64, cols []int32, vals []float64, w []float64, ldw int) {
	k := len(dst)
	for t, c := range cols {
		v := vals[t]
		row := w[int(c)*ldw : int(c)*ldw+k : int(c)*ldw+k]
		for j, y := range row {
			dst[j] = math.FMA(v, y, dst[j])
		}
	}
}
