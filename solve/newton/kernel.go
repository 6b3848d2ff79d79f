package newton

// Register tile of the Gram and block-product kernels: dotTile computes
// tileI×tileJ dot products of rows of two panels.
const (
	tileI = 2
	tileJ = 4
)

// dotTile adds to c[i*ldc+j] (i < tileI, j < tileJ) the dot products over
// l < m of p[i*ldp+l] and q[j*ldq+l]. It is the inner kernel of the blocked
// Gram; dotTileGo is the portable version.
var dotTile = dotTileGo

func dotTileGo(p []float64, ldp int, q []float64, ldq, m int, c []float64, ldc int) {
	p0 := p[:m]
	p1 := p[ldp : ldp+m]
	q0 := q[:m]
	q1 := q[ldq : ldq+m]
	q2 := q[2*ldq : 2*ldq+m]
	q3 := q[3*ldq : 3*ldq+m]
	var c00, c01, c02, c03, c10, c11, c12, c13 float64
	for l, a0 := range p0 {
		a1 := p1[l]
		b0, b1, b2, b3 := q0[l], q1[l], q2[l], q3[l]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
	}
	r0 := c[:4]
	r1 := c[ldc : ldc+4]
	r0[0] += c00
	r0[1] += c01
	r0[2] += c02
	r0[3] += c03
	r1[0] += c10
	r1[1] += c11
	r1[2] += c12
	r1[3] += c13
}
