package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSparseRowMulMatchesPortable: the dispatched SparseRowMul gives the
// bits of the portable loop for every width k from 0 to 40 and some wide
// ones (all combinations of the 16-, 8-, 4- and 1-column passes), rows with
// 0 to 25 entries (repeated columns included), a stride wider than k whose
// padding holds NaN (never read), and it writes nothing past len(dst). It
// also agrees with a plain double loop within γ_nnz·Σ|terms|.
func TestSparseRowMulMatchesPortable(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	widths := []int{64, 70, 200}
	for k := 0; k <= 40; k++ {
		widths = append(widths, k)
	}
	for _, k := range widths {
		for _, nnz := range []int{0, 1, 2, 7, 25} {
			const rows = 30
			ldw := k + 3
			w := make([]float64, rows*ldw)
			for i := range w {
				if i%ldw < k {
					w[i] = r.NormFloat64()
				} else {
					w[i] = math.NaN()
				}
			}
			cols := make([]int32, nnz)
			vals := randVec(r, nnz)
			for i := range cols {
				cols[i] = int32(r.IntN(rows))
			}
			dst := append(randVec(r, k), math.NaN())
			want := append([]float64(nil), dst...)
			got := append([]float64(nil), dst...)
			SparseRowMul(got[:k], cols, vals, w, ldw)
			sparseRowMulGo(want[:k], cols, vals, w, ldw)
			if !math.IsNaN(got[k]) {
				t.Fatalf("k=%d nnz=%d: wrote past dst", k, nnz)
			}
			for j := 0; j < k; j++ {
				if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
					t.Fatalf("k=%d nnz=%d: dst[%d] = %v, portable %v", k, nnz, j, got[j], want[j])
				}
				plain, abs := dst[j], math.Abs(dst[j])
				for t, c := range cols {
					plain += vals[t] * w[int(c)*ldw+j]
					abs += math.Abs(vals[t] * w[int(c)*ldw+j])
				}
				u := 0x1p-53
				g := float64(2*nnz+1) * u / (1 - float64(2*nnz+1)*u)
				if e := math.Abs(got[j] - plain); e > g*abs {
					t.Fatalf("k=%d nnz=%d: dst[%d] off by %g > %g", k, nnz, j, e, g*abs)
				}
			}
		}
	}
}

// TestSparseRowMulChecksOperands: a column out of range (too large or
// negative) or too few values panics before any assembly runs.
func TestSparseRowMulChecksOperands(t *testing.T) {
	w := make([]float64, 5*8)
	dst := make([]float64, 6)
	for name, f := range map[string]func(){
		"column too large": func() { SparseRowMul(dst, []int32{1, 5}, []float64{1, 2}, w, 8) },
		"row too short":    func() { SparseRowMul(make([]float64, 9), []int32{4}, []float64{1}, w, 8) },
		"negative column":  func() { SparseRowMul(dst, []int32{-1}, []float64{1}, w, 8) },
		"few values":       func() { SparseRowMul(dst, []int32{1, 2}, []float64{1}, w, 8) },
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
	SparseRowMul(dst, []int32{4}, []float64{1}, w, 8) // last row, exactly in range
}

func BenchmarkSparseRowMul(b *testing.B) {
	r := rand.New(rand.NewPCG(15, 16))
	const d, k, nnz = 50, 12, 20
	w := randVec(r, d*k)
	cols := make([]int32, nnz)
	for i := range cols {
		cols[i] = int32(r.IntN(d))
	}
	vals := randVec(r, nnz)
	dst := make([]float64, k)
	b.Run("k=12,nnz=20", func(b *testing.B) {
		for b.Loop() {
			SparseRowMul(dst, cols, vals, w, k)
		}
	})
	b.Run("portable/k=12,nnz=20", func(b *testing.B) {
		for b.Loop() {
			sparseRowMulGo(dst, cols, vals, w, k)
		}
	})
}
