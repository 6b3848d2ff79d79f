//go:build !amd64 || purego

package sketch

// axpy sets y[i] = fma(a, x[i], y[i]) for i < len(x) (len(y) >= len(x)).
func axpy(y []float64, a float64, x []float64) { axpyGo(y[:len(x)], a, x) }
