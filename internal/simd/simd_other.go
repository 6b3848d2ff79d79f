//go:build !amd64 || purego

package simd

const useAsm = false

func axpyAsm(a float64, x, y []float64) { panic("simd: no assembly kernels") }

func dotAsm(x, y []float64) float64 { panic("simd: no assembly kernels") }
