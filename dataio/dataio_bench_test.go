package dataio

import (
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// benchFile writes m to a temporary file and returns its path and size.
func benchFile(b *testing.B, name string, m mat.Matrix) (string, int64) {
	b.Helper()
	p := filepath.Join(b.TempDir(), name)
	if err := WriteMatrix(p, m); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	return p, st.Size()
}

func benchDense(r, c int) *mat.Dense {
	rng := rand.New(rand.NewPCG(1, 1))
	d := mat.NewDense(r, c, nil)
	for i := range d.RawMatrix().Data {
		d.RawMatrix().Data[i] = rng.NormFloat64()
	}
	return d
}

// BenchmarkRead reads whole files; MB/s is file bytes per second.
func BenchmarkRead(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	cases := []struct {
		name string
		m    mat.Matrix
	}{
		{"npy/20000x200", benchDense(20000, 200)},
		{"csv/2000x200", benchDense(2000, 200)},
		{"mtx-array/2000x200", benchDense(2000, 200)},
		{"mtx-coord/100000x1000-z10", randCSR(rng, 100000, 1000, 0.01)},
	}
	for _, tc := range cases {
		ext := "." + tc.name[:3]
		p, size := benchFile(b, "m"+ext, tc.m)
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ReadMatrix(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStream makes full passes over files with the default chunk size.
func BenchmarkStream(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	cases := []struct {
		name string
		m    mat.Matrix
	}{
		{"npy/20000x200", benchDense(20000, 200)},
		{"mtx-array/2000x200", benchDense(2000, 200)},
		{"mtx-coord/100000x1000-z10", randCSR(rng, 100000, 1000, 0.01)},
	}
	for _, tc := range cases {
		ext := "." + tc.name[:3]
		p, size := benchFile(b, "m"+ext, tc.m)
		b.Run(tc.name, func(b *testing.B) {
			s, err := OpenStream(p, StreamOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				for {
					if _, err := s.Next(); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
				s.Reset()
			}
		})
	}
}

// BenchmarkWrite writes files atomically (including the fsync).
func BenchmarkWrite(b *testing.B) {
	d := benchDense(20000, 200)
	for _, ext := range []string{".npy", ".csv"} {
		p := filepath.Join(b.TempDir(), "m"+ext)
		b.Run(ext[1:], func(b *testing.B) {
			for b.Loop() {
				if err := WriteMatrix(p, d); err != nil {
					b.Fatal(err)
				}
			}
			st, _ := os.Stat(p)
			b.SetBytes(st.Size())
		})
	}
}
