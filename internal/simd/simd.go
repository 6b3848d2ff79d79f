// Package simd holds the vector kernels under Sketchwork's hot loops: AXPY,
// DOT and the 2×4 dot-product register tile of blocked Gram and panel
// products (DotTile2x4), with AVX2/FMA assembly on amd64 and portable Go
// fallbacks that round bit-for-bit identically (every multiply-add is one
// fused, correctly rounded math.FMA, and lanes are summed in a fixed,
// documented order), so results never depend on the CPU a computation runs
// on or on whether the assembly path was taken. Build with -tags purego to
// force the portable path.
//
// Cost: memory bound for long vectors; about 4 fused multiply-adds per cycle
// per core with AVX2 (DotTile2x4 reuses each loaded element 2-4 times and
// runs at about 16 flops per cycle from L1/L2).
package simd

import "math"

// Axpy sets y[i] = fma(a, x[i], y[i]) for i < len(x); len(y) >= len(x).
func Axpy(y []float64, a float64, x []float64) {
	y = y[:len(x)]
	if useAsm && len(x) >= 4 {
		axpyAsm(a, x, y)
		return
	}
	axpyGo(y, a, x)
}

// Dot returns Σ x[i]·y[i] for i < len(x) (len(y) >= len(x)), accumulated in
// 16 lanes with fused multiply-adds (lane k takes the elements i ≡ k mod 16
// of the 16-aligned prefix, then lanes 0-3 take the 4-aligned remainder),
// reduced as ((s0+s2)+(s1+s3)) with s_k = (l_k + l_{k+4}) + (l_{k+8} +
// l_{k+12}), and finished with the scalar tail, one FMA per element.
func Dot(x, y []float64) float64 {
	y = y[:len(x)]
	if useAsm && len(x) >= 16 {
		return dotAsm(x, y)
	}
	return dotGo(x, y)
}

func axpyGo(y []float64, a float64, x []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = math.FMA(a, v, y[i])
	}
}

func dotGo(x, y []float64) float64 {
	var l [16]float64
	n := len(x)
	n16 := n &^ 15
	for i := 0; i < n16; i += 16 {
		xs, ys := x[i:i+16:i+16], y[i:i+16:i+16]
		for k := range l {
			l[k] = math.FMA(xs[k], ys[k], l[k])
		}
	}
	n4 := n &^ 3
	for i := n16; i < n4; i += 4 {
		for k := 0; k < 4; k++ {
			l[k] = math.FMA(x[i+k], y[i+k], l[k])
		}
	}
	var s [4]float64
	for k := range s {
		s[k] = (l[k] + l[k+4]) + (l[k+8] + l[k+12])
	}
	r := (s[0] + s[2]) + (s[1] + s[3])
	for i := n4; i < n; i++ {
		r = math.FMA(x[i], y[i], r)
	}
	return r
}
