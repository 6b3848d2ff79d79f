//go:build amd64 && !purego

package simd

// dotTile2x4Asm is DotTile2x4 with AVX2 and FMA (needs useAsm); the caller
// has checked the operands.
//
//go:noescape
func dotTile2x4Asm(c *float64, ldc int, p *float64, ldp int, q *float64, ldq int, m int)
