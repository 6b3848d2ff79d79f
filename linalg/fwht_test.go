package linalg

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// hadamard returns the explicit Sylvester-Hadamard matrix of order n,
// H_ij = (-1)^popcount(i AND j).
func hadamard(n int) *mat.Dense {
	h := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if bits.OnesCount(uint(i&j))%2 == 0 {
				h.Set(i, j, 1)
			} else {
				h.Set(i, j, -1)
			}
		}
	}
	return h
}

func TestFWHTAgainstExplicitHadamard(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 4, 8, 64, 512, 2048} {
		h := hadamard(n)
		x := randVec(rnd, n)
		want := make([]float64, n)
		mat.NewVecDense(n, want).MulVec(h, mat.NewVecDense(n, slices.Clone(x)))
		FWHT(x)
		// Each output is a sum of n terms of size O(1): absolute error
		// ~ log2(n)·u·sqrt(n)·|x|; 1e-12·n is a generous multiple.
		for i := range x {
			if math.Abs(x[i]-want[i]) > 1e-12*float64(n) {
				t.Fatalf("n=%d: FWHT[%d] = %v, explicit H x = %v", n, i, x[i], want[i])
			}
		}
	}
}

// TestFWHTRowsAgainstExplicit checks the row transform, including strided
// views (the padding columns must be left untouched) and the parallel,
// radix-4 high stages (rows*cols above the parallel threshold).
func TestFWHTRowsAgainstExplicit(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, sh := range [][2]int{{1, 3}, {2, 1}, {8, 5}, {256, 3}, {1024, 70}, {4096, 1}, {512, 300}} {
		r, c := sh[0], sh[1]
		h := hadamard(r)
		for _, pad := range []int{0, 3} {
			stride := c + pad
			data := make([]float64, r*stride)
			for i := range data {
				data[i] = rnd.NormFloat64()
			}
			full := mat.NewDense(r, stride, slices.Clone(data))
			a := full.Slice(0, r, 0, c).(*mat.Dense)
			var want mat.Dense
			want.Mul(h, a)
			FWHTRows(a)
			for i := 0; i < r; i++ {
				for j := 0; j < stride; j++ {
					got := full.At(i, j)
					if j >= c {
						if got != data[i*stride+j] {
							t.Fatalf("%dx%d: padding (%d,%d) modified", r, c, i, j)
						}
						continue
					}
					if math.Abs(got-want.At(i, j)) > 1e-12*float64(r) {
						t.Fatalf("%dx%d stride %d: entry (%d,%d) = %v, want %v", r, c, stride, i, j, got, want.At(i, j))
					}
				}
			}
		}
	}
}

func TestFWHTInvolution(t *testing.T) {
	// H H = n I: transforming twice and dividing by n restores x.
	rnd := rand.New(rand.NewPCG(7, 8))
	n := 1 << 17 // long enough for the parallel high stages
	x := randVec(rnd, n)
	y := slices.Clone(x)
	FWHT(y)
	FWHT(y)
	for i := range y {
		if math.Abs(y[i]/float64(n)-x[i]) > 1e-12 {
			t.Fatalf("H H x / n differs from x at %d: %v vs %v", i, y[i]/float64(n), x[i])
		}
	}
}

func TestFWHTDeterministicAcrossGOMAXPROCS(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	r, c := 1<<12, 40
	src := make([]float64, r*c)
	for i := range src {
		src[i] = rnd.NormFloat64()
	}
	run := func(procs int) []float64 {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		d := slices.Clone(src)
		FWHTRowsRaw(d, r, c, c)
		return d
	}
	a, b := run(1), run(4)
	if !slices.Equal(a, b) {
		t.Fatal("FWHTRows differs between GOMAXPROCS=1 and 4")
	}
}

func TestFWHTPanicsOnBadLength(t *testing.T) {
	for _, n := range []int{0, 3, 6, 1000} {
		func() {
			defer func() {
				if r := recover(); r != ErrShape {
					t.Errorf("len %d: recovered %v, want ErrShape", n, r)
				}
			}()
			FWHT(make([]float64, n))
		}()
	}
}

func TestNextPow2(t *testing.T) {
	for _, c := range [][2]int{{0, 1}, {1, 1}, {2, 2}, {3, 4}, {4000, 4096}, {4096, 4096}, {4097, 8192}} {
		if got := NextPow2(c[0]); got != c[1] {
			t.Errorf("NextPow2(%d) = %d, want %d", c[0], got, c[1])
		}
	}
	if Log2(4096) != 12 {
		t.Error("Log2(4096) != 12")
	}
}

func BenchmarkFWHTRows(b *testing.B) {
	for _, sh := range [][2]int{{1 << 20, 1}, {1 << 15, 64}, {1 << 14, 400}} {
		r, c := sh[0], sh[1]
		data := make([]float64, r*c)
		for i := range data {
			data[i] = float64(i % 7)
		}
		b.Run(fmt.Sprintf("rows=%d,cols=%d", r, c), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(8 * r * c))
			for b.Loop() {
				FWHTRowsRaw(data, r, c, c)
			}
		})
	}
}
