package lsq

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/dataio"
	"github.com/sketchwork/sketchwork/linalg"
	"github.com/sketchwork/sketchwork/linalg/testmat"
	"github.com/sketchwork/sketchwork/solve"
)

// TestSolveFileMatchesInMemory streams dense (.npy) and sparse (.mtx) files
// in small chunks and checks that SketchSolve and SketchPrecond give the
// in-memory answers (up to the summation order of the streamed sketch) and
// count their passes over the file.
func TestSolveFileMatchesInMemory(t *testing.T) {
	dir := t.TempDir()
	dense := exact(t, 51, 6000, 15, 1e5, 0.01)
	sparse, err := testmat.Sparse(5, testmat.Params{N: 6000, D: 30, Z: 4, Noise: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		inst *testmat.Instance
	}{{"A.npy", dense}, {"A.mtx", sparse}} {
		path := filepath.Join(dir, c.name)
		if err := dataio.WriteMatrix(path, c.inst.A); err != nil {
			t.Fatal(err)
		}
		for _, m := range []Method{SketchSolve, SketchPrecond} {
			s := Settings{Method: m, Seed: 3}
			mem, err := Solve(context.Background(), c.inst.A, c.inst.B, s)
			if err != nil {
				t.Fatal(err)
			}
			str, err := SolveFile(context.Background(), path, c.inst.B, s, dataio.StreamOptions{ChunkBytes: 16 << 10})
			if err != nil {
				t.Fatalf("%s %v: %v", c.name, m, err)
			}
			if str.Status != solve.Converged {
				t.Errorf("%s %v: status %v", c.name, m, str.Status)
			}
			// The streamed sketch sums in a different order (differences of
			// u relative in SA), which moves x by up to about u·κ relative.
			xn := math.Sqrt(dot(mem.X, mem.X))
			tol := 100 * u * 1e5
			if e := dist(str.X, mem.X) / xn; e > tol {
				t.Errorf("%s %v: streamed answer differs by %.2e (relative)", c.name, m, e)
			}
			// Passes: the sketch, then per refinement round one gradient
			// and per inner iteration one Gram product; a coordinate file
			// costs two passes per product.
			per := 1.0
			if _, ok := c.inst.A.(*linalg.CSR); ok {
				per = 2
			}
			want := 1 + per*float64(str.Iterations+str.Refinements+1)
			if str.Passes != want {
				t.Errorf("%s %v: %g passes, want %g (iterations %d, rounds %d)", c.name, m, str.Passes, want, str.Iterations, str.Refinements)
			}
		}
	}
	// Bad files: NaN in the body, truncated data, size mismatch with b.
	a := mat2npy(t, dir, "nan.npy", dense, 10, 3, math.NaN())
	if _, err := SolveFile(context.Background(), a, dense.B, Settings{Method: SketchSolve}, dataio.StreamOptions{}); !errors.Is(err, ErrInput) {
		t.Errorf("NaN in a streamed file: %v", err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "A.npy"))
	trunc := filepath.Join(dir, "trunc.npy")
	os.WriteFile(trunc, raw[:len(raw)-100], 0o644)
	if _, err := SolveFile(context.Background(), trunc, dense.B, Settings{Method: SketchPrecond}, dataio.StreamOptions{}); !errors.Is(err, ErrInput) {
		t.Errorf("truncated file: %v", err)
	}
	if _, err := SolveFile(context.Background(), filepath.Join(dir, "A.npy"), dense.B[:10], Settings{}, dataio.StreamOptions{}); !errors.Is(err, ErrInput) {
		t.Errorf("short b: %v", err)
	}
}

func dot(x, y []float64) float64 {
	var s float64
	for i := range x {
		s += x[i] * y[i]
	}
	return s
}

// mat2npy writes inst.A with entry (i, j) replaced by v and returns the path.
func mat2npy(t *testing.T, dir, name string, inst *testmat.Instance, i, j int, v float64) string {
	t.Helper()
	m := mat.DenseCopyOf(inst.A)
	m.Set(i, j, v)
	p := filepath.Join(dir, name)
	if err := dataio.WriteMatrix(p, m); err != nil {
		t.Fatal(err)
	}
	return p
}
