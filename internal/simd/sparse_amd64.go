//go:build amd64 && !purego

package simd

// sparseRowMulAsm is SparseRowMul with AVX2 and FMA (needs useAsm); the
// caller has checked the operands.
//
//go:noescape
func sparseRowMulAsm(dst *float64, k int, cols *int32, vals *float64, nnz int, w *float64, ldw int)
