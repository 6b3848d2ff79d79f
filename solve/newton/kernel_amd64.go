package newton

import "golang.org/x/sys/cpu"

//go:noescape
func dotTile2x4AVX(p *float64, ldp int, q *float64, ldq int, m int, c *float64, ldc int)

// hasAVXFMA reports whether the AVX2+FMA kernel can run.
var hasAVXFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func init() {
	if hasAVXFMA {
		dotTile = dotTileAVX
	}
}

// dotTileAVX is dotTile with the AVX2+FMA kernel for the multiple-of-4 part
// of the length and a scalar tail. It checks bounds before entering
// assembly.
func dotTileAVX(p []float64, ldp int, q []float64, ldq, m int, c []float64, ldc int) {
	if m <= 0 {
		return
	}
	_ = p[ldp+m-1]
	_ = q[3*ldq+m-1]
	_ = c[ldc+3]
	m4 := m &^ 3
	if m4 > 0 {
		dotTile2x4AVX(&p[0], ldp, &q[0], ldq, m4, &c[0], ldc)
	}
	for l := m4; l < m; l++ {
		a0, a1 := p[l], p[ldp+l]
		for j := 0; j < tileJ; j++ {
			b := q[j*ldq+l]
			c[j] += a0 * b
			c[ldc+j] += a1 * b
		}
	}
}
