package sketch

import (
	"fmt"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
	"github.com/sketchwork/sketchwork/linalg/testmat"
)

// benchDense returns a fixed-seed n x d Gaussian matrix.
func benchDense(b testing.TB, n, d int) *mat.Dense {
	if b != nil {
		b.Helper()
	}
	inst, err := testmat.Gaussian(1, testmat.Params{N: n, D: d})
	if err != nil {
		b.Fatal(err)
	}
	return inst.A.(*mat.Dense)
}

// BenchmarkApply measures S·A on dense input, with s = 4d (Gaussian 2d,
// CountSketch d²/4) and ζ = 8. bytes/op is one pass over A, so MB/s is
// the effective read bandwidth.
func BenchmarkApply(b *testing.B) {
	shapes := [][2]int{{100000, 50}, {200000, 400}}
	for _, sh := range shapes {
		n, d := sh[0], sh[1]
		a := benchDense(b, n, d)
		for _, k := range []Kind{SparseSign, CountSketch, Gaussian, SRHT, Uniform} {
			s := 4 * d
			switch k {
			case Gaussian:
				s = 2 * d
				if n*d > 1e7 {
					continue // O(s·n·d): 64 GFLOP at this size, not a useful benchmark
				}
			case CountSketch:
				s = d * d / 4
			}
			sk, err := New(Spec{Kind: k, Rows: s, Scaling: Isometry}, n, 1)
			if err != nil {
				b.Fatal(err)
			}
			dst := mat.NewDense(s, d, nil)
			b.Run(fmt.Sprintf("kind=%s,n=%d,d=%d", k, n, d), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(8 * n * d))
				for b.Loop() {
					sk.Apply(dst, a)
				}
			})
		}
	}
}

// BenchmarkSparseSignNNZ is the T2 family: sparse sign (s = 4d, ζ = 8)
// applied to G6 CSR matrices with d = 200 and z = 8 entries per row, n from
// 62500 to 500000, so nnz spans an 8x range (0.5M to 4M). T2 asks for time
// ∝ nnz: fit the exponent of ns/op against nnz (0.9-1.1). (At fixed n the
// per-row hashing is a fixed cost, so varying z alone gives a smaller
// exponent for short rows.)
func BenchmarkSparseSignNNZ(b *testing.B) {
	const d, z = 200, 8
	for _, n := range []int{62500, 125000, 250000, 500000} {
		sk, err := New(Spec{Kind: SparseSign, Rows: 4 * d, Scaling: Isometry}, n, 1)
		if err != nil {
			b.Fatal(err)
		}
		dst := mat.NewDense(4*d, d, nil)
		inst, err := testmat.Sparse(2, testmat.Params{N: n, D: d, Z: z})
		if err != nil {
			b.Fatal(err)
		}
		a := inst.A.(*linalg.CSR)
		b.Run(fmt.Sprintf("nnz=%d", a.NNZ()), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(12*a.NNZ() + 8*(n+1)))
			for b.Loop() {
				sk.Apply(dst, a)
			}
		})
	}
}

// BenchmarkApproxLeverage measures the library variant's time on a dense
// matrix (sketch, QR, one pass with r₂ columns).
func BenchmarkApproxLeverage(b *testing.B) {
	a := benchDense(b, 100000, 50)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ApproxLeverageScores(a, ApproxOptions{}, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTensorPowerRows measures TensorSketch of the rows of A^⊗p.
func BenchmarkTensorPowerRows(b *testing.B) {
	a := benchDense(b, 10000, 64)
	for _, p := range []int{2, 3} {
		ts, err := NewTensor(Spec{Kind: TensorSketch, Rows: 1024, Degree: p}, 64, 1)
		if err != nil {
			b.Fatal(err)
		}
		dst := mat.NewDense(10000, 1024, nil)
		b.Run(fmt.Sprintf("p=%d,n=10000,d=64,m=1024", p), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ts.PowerRows(dst, a)
			}
		})
	}
}
