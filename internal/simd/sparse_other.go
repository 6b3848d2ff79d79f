//go:build !amd64 || purego

package simd

func sparseRowMulAsm(dst *float64, k int, cols *int32, vals *float64, nnz int, w *float64, ldw int) {
	panic("simd: no assembly kernels")
}
