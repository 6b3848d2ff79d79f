//go:build !amd64 || purego

package simd

func dotTile2x4Asm(c *float64, ldc int, p *float64, ldp int, q *float64, ldq int, m int) {
	panic("simd: no assembly kernels")
}
