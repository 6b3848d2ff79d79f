//go:build amd64 && !purego

package sketch

import "golang.org/x/sys/cpu"

//go:noescape
func axpyFMA(a float64, x, y []float64)

// hasFMA reports whether the AVX2+FMA kernel can run.
var hasFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// axpy sets y[i] = fma(a, x[i], y[i]) for i < len(x) (len(y) >= len(x)).
// The AVX2 kernel and the portable loop round identically.
func axpy(y []float64, a float64, x []float64) {
	y = y[:len(x)]
	if hasFMA && len(x) >= 4 {
		axpyFMA(a, x, y)
		return
	}
	axpyGo(y, a, x)
}
