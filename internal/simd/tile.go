package simd

import "math"

// DotTile2x4 adds to the 2×4 tile c[i*ldc+j] (i < 2, j < 4) the dot
// products Σ_{l<m} p[i*ldp+l]·q[j*ldq+l] of two rows of p with four rows of
// q: the register tile of blocked Gram (SYRK) and panel-product kernels.
//
// Each of the eight sums is accumulated in 4 lanes with fused
// multiply-adds: lane k takes the elements l ≡ k (mod 4) of the 4-aligned
// prefix in increasing order, then the remainder l = m4+k (m4 = m &^ 3)
// with the missing lanes padded by zeros (a fused 0·0 + lane); the lanes
// are reduced as (l0+l1)+(l2+l3) and the result is added to c. The AVX2
// kernel and the portable loop follow this order exactly, so the result is
// bit-identical on every CPU and with -tags purego. m = 0 leaves c
// unchanged.
//
// It needs ldc >= 4, len(c) >= ldc+4, len(p) >= ldp+m and
// len(q) >= 3·ldq+m (when m > 0); otherwise it panics.
//
// Cost: 8m fused multiply-adds; about 16 flops per cycle per core with
// AVX2 when the rows are in L1 or L2.
func DotTile2x4(c []float64, ldc int, p []float64, ldp int, q []float64, ldq, m int) {
	if m <= 0 {
		if m < 0 {
			panic("simd: DotTile2x4 with negative length")
		}
		return
	}
	if ldc < 4 || ldp < 0 || ldq < 0 || len(c) < ldc+4 || len(p) < ldp+m || len(q) < 3*ldq+m {
		panic("simd: DotTile2x4 operands too short")
	}
	if useAsm {
		dotTile2x4Asm(&c[0], ldc, &p[0], ldp, &q[0], ldq, m)
		return
	}
	dotTile2x4Go(c, ldc, p, ldp, q, ldq, m)
}

// dotTile2x4Go is the portable DotTile2x4; the caller has checked the
// operands. Each sum keeps its four lanes in registers (faster in pure Go
// than interleaving the eight sums, which spills them).
func dotTile2x4Go(c []float64, ldc int, p []float64, ldp int, q []float64, ldq, m int) {
	m4 := m &^ 3
	for i := 0; i < 2; i++ {
		a := p[i*ldp : i*ldp+m : i*ldp+m]
		row := c[i*ldc : i*ldc+4 : i*ldc+4]
		for j := 0; j < 4; j++ {
			b := q[j*ldq : j*ldq+m : j*ldq+m]
			var l0, l1, l2, l3 float64
			for l := 0; l < m4; l += 4 {
				x, y := a[l:l+4:l+4], b[l:l+4:l+4]
				l0 = math.FMA(x[0], y[0], l0)
				l1 = math.FMA(x[1], y[1], l1)
				l2 = math.FMA(x[2], y[2], l2)
				l3 = math.FMA(x[3], y[3], l3)
			}
			if m4 < m {
				// Zero-padded last step, as the masked loads of the kernel.
				var x, y [4]float64
				copy(x[:], a[m4:])
				copy(y[:], b[m4:])
				l0 = math.FMA(x[0], y[0], l0)
				l1 = math.FMA(x[1], y[1], l1)
				l2 = math.FMA(x[2], y[2], l2)
				l3 = math.FMA(x[3], y[3], l3)
			}
			row[j] += (l0 + l1) + (l2 + l3)
		}
	}
}
