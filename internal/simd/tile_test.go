package simd

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// tileOperands returns two rows of p and four rows of q of length m with
// strides wider than m, the padding poisoned with NaN so that a read past a
// row shows, and a 2×ldc tile whose columns beyond 4 hold NaN.
func tileOperands(r *rand.Rand, m int) (c []float64, ldc int, p []float64, ldp int, q []float64, ldq int) {
	ldp, ldq, ldc = m+3, m+5, 6
	nan := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = math.NaN()
		}
		return v
	}
	p, q, c = nan(2*ldp), nan(4*ldq), nan(2*ldc)
	for i := 0; i < 2; i++ {
		copy(p[i*ldp:], randVec(r, m))
	}
	for j := 0; j < 4; j++ {
		copy(q[j*ldq:], randVec(r, m))
	}
	for i := 0; i < 2; i++ {
		for j := 0; j < 4; j++ {
			c[i*ldc+j] = r.NormFloat64()
		}
	}
	return
}

// TestDotTileMatchesPortable: the dispatched DotTile2x4 (AVX2 on capable
// machines) gives exactly the bits of the portable loop, for every length
// from 0 to 70 (all tail lengths) and some long ones, reads no padding and
// writes nothing outside the tile.
func TestDotTileMatchesPortable(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	lengths := []int{128, 199, 200, 1001}
	for m := 0; m <= 70; m++ {
		lengths = append(lengths, m)
	}
	for _, m := range lengths {
		c, ldc, p, ldp, q, ldq := tileOperands(r, m)
		c2 := append([]float64(nil), c...)
		DotTile2x4(c, ldc, p, ldp, q, ldq, m)
		if m > 0 {
			dotTile2x4Go(c2, ldc, p, ldp, q, ldq, m)
		}
		for k := range c {
			if j := k % ldc; j >= 4 {
				if !math.IsNaN(c[k]) {
					t.Fatalf("m=%d: wrote outside the tile at %d", m, k)
				}
				continue
			}
			if math.IsNaN(c[k]) || math.Float64bits(c[k]) != math.Float64bits(c2[k]) {
				t.Fatalf("m=%d: entry %d = %v, portable %v", m, k, c[k], c2[k])
			}
		}
	}
	t.Logf("assembly kernels used: %v", useAsm)
}

// TestDotTileAccuracy compares every entry with an exact big.Float sum
// c + Σ p_il q_jl: the error is within γ_{m+1}(|c| + Σ|p_il q_jl|).
func TestDotTileAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, m := range []int{1, 3, 4, 7, 33, 128, 1003} {
		c, ldc, p, ldp, q, ldq := tileOperands(r, m)
		c0 := append([]float64(nil), c...)
		DotTile2x4(c, ldc, p, ldp, q, ldq, m)
		u := 0x1p-53
		gamma := float64(m+1) * u / (1 - float64(m+1)*u)
		for i := 0; i < 2; i++ {
			for j := 0; j < 4; j++ {
				exact := new(big.Float).SetPrec(2048).SetFloat64(c0[i*ldc+j])
				abs := math.Abs(c0[i*ldc+j])
				for l := 0; l < m; l++ {
					a, b := p[i*ldp+l], q[j*ldq+l]
					exact.Add(exact, new(big.Float).SetPrec(2048).Mul(big.NewFloat(a), big.NewFloat(b)))
					abs += math.Abs(a * b)
				}
				want, _ := exact.Float64()
				if e := math.Abs(c[i*ldc+j] - want); e > gamma*abs {
					t.Errorf("m=%d (%d,%d): error %g > bound %g", m, i, j, e, gamma*abs)
				}
			}
		}
	}
}

// TestDotTileChecksOperands: short operands panic instead of reading out of
// bounds in assembly.
func TestDotTileChecksOperands(t *testing.T) {
	c, p, q := make([]float64, 8), make([]float64, 20), make([]float64, 40)
	for name, f := range map[string]func(){
		"short p":    func() { DotTile2x4(c, 4, p[:19], 10, q, 10, 10) },
		"short q":    func() { DotTile2x4(c, 4, p, 10, q[:39], 10, 10) },
		"short c":    func() { DotTile2x4(c[:7], 4, p, 10, q, 10, 10) },
		"ldc < 4":    func() { DotTile2x4(c, 3, p, 10, q, 10, 10) },
		"negative m": func() { DotTile2x4(c, 4, p, 10, q, 10, -1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	DotTile2x4(c, 4, p, 10, q, 10, 10) // exactly long enough
}

func BenchmarkDotTile(b *testing.B) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, m := range []int{128, 200} {
		c, ldc, p, ldp, q, ldq := tileOperands(r, m)
		b.Run("m="+itoa(m), func(b *testing.B) {
			b.SetBytes(int64(8 * 6 * m))
			for b.Loop() {
				DotTile2x4(c, ldc, p, ldp, q, ldq, m)
			}
		})
		b.Run("portable/m="+itoa(m), func(b *testing.B) {
			b.SetBytes(int64(8 * 6 * m))
			for b.Loop() {
				dotTile2x4Go(c, ldc, p, ldp, q, ldq, m)
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
