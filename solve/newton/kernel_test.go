package newton

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Every dotTile implementation equals the plain double loop, for lengths
// that are and are not multiples of 4 and strides wider than the rows; the
// padding around the rows and the tile holds NaN, so a read or write out of
// bounds shows.
func TestDotTileKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	kernels := map[string]func([]float64, int, []float64, int, int, []float64, int){"go": dotTileGo, "selected": dotTile}
	for name, k := range kernels {
		for _, m := range []int{1, 3, 4, 7, 8, 33, 128, 203} {
			ldp, ldq, ldc := m+3, m+5, 6
			p := make([]float64, 2*ldp)
			q := make([]float64, 4*ldq)
			for i := range p {
				p[i] = math.NaN()
			}
			for i := range q {
				q[i] = math.NaN()
			}
			for i := 0; i < 2; i++ {
				for l := 0; l < m; l++ {
					p[i*ldp+l] = r.NormFloat64()
				}
			}
			for j := 0; j < 4; j++ {
				for l := 0; l < m; l++ {
					q[j*ldq+l] = r.NormFloat64()
				}
			}
			c := make([]float64, 2*ldc)
			for i := range c {
				c[i] = math.NaN()
			}
			for i := 0; i < 2; i++ {
				for j := 0; j < 4; j++ {
					c[i*ldc+j] = float64(i + j)
				}
			}
			k(p, ldp, q, ldq, m, c, ldc)
			for i := 0; i < 2; i++ {
				for j := 0; j < ldc; j++ {
					got := c[i*ldc+j]
					if j >= 4 {
						if !math.IsNaN(got) {
							t.Errorf("%s m=%d: wrote outside the tile at (%d,%d)", name, m, i, j)
						}
						continue
					}
					want := float64(i + j)
					var scale float64
					for l := 0; l < m; l++ {
						want += p[i*ldp+l] * q[j*ldq+l]
						scale += math.Abs(p[i*ldp+l] * q[j*ldq+l])
					}
					if math.Abs(got-want) > 1e-14*(scale+1) {
						t.Errorf("%s m=%d: c[%d,%d] = %v, want %v", name, m, i, j, got, want)
					}
				}
			}
		}
	}
}
