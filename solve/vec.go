package solve

import "math"

// norm2 returns the Euclidean norm with scaling to avoid overflow (the
// LAPACK dnrm2 recurrence, two-pass for speed: max then scaled sum).
func norm2(x []float64) float64 {
	var amax float64
	for _, v := range x {
		amax = math.Max(amax, math.Abs(v))
	}
	if amax == 0 || math.IsInf(amax, 0) || math.IsNaN(amax) {
		return amax
	}
	// Scale only when squares could overflow or underflow.
	if amax > 1e150 || amax < 1e-150 {
		inv := 1 / amax
		var s float64
		for _, v := range x {
			t := v * inv
			s += t * t
		}
		return amax * math.Sqrt(s)
	}
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * x[i]
		s1 += x[i+1] * x[i+1]
		s2 += x[i+2] * x[i+2]
		s3 += x[i+3] * x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * x[i]
	}
	return math.Sqrt((s0 + s1) + (s2 + s3))
}

// Norm2 returns the Euclidean norm of x, guarded against overflow.
func Norm2(x []float64) float64 { return norm2(x) }

func scale(x []float64, a float64) {
	for i := range x {
		x[i] *= a
	}
}

func dot(x, y []float64) float64 {
	var s0, s1 float64
	i := 0
	for ; i+2 <= len(x); i += 2 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
	}
	if i < len(x) {
		s0 += x[i] * y[i]
	}
	return s0 + s1
}

func allFinite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// AllFinite reports whether x has no NaN or Inf entry.
func AllFinite(x []float64) bool { return allFinite(x) }
