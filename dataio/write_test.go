package dataio

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// TestRoundTrip writes matrices of several shapes with WriteMatrix and
// reads them back bit for bit (-0, subnormals and ±MaxFloat64 included) in
// every format; CSR stays CSR through .mtx.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dir := t.TempDir()
	for _, sh := range [][2]int{{1, 1}, {1, 7}, {7, 1}, {13, 5}, {4, 60}} {
		d := randDense(rng, sh[0], sh[1])
		s := randCSR(rng, sh[0], sh[1], 0.3)
		for _, ext := range []string{".npy", ".mtx", ".csv"} {
			p := filepath.Join(dir, "m"+ext)
			if err := WriteMatrix(p, d); err != nil {
				t.Fatal(err)
			}
			got, err := ReadMatrix(p)
			if err != nil {
				t.Fatalf("%v %s: %v", sh, ext, err)
			}
			if _, ok := got.(*mat.Dense); !ok {
				t.Errorf("%v %s: dense written, %T read", sh, ext, got)
			}
			if err := sameMatrix(got, d); err != nil {
				t.Errorf("%v %s dense: %v", sh, ext, err)
			}
			// A CSR written to .mtx reads back as the same CSR (explicit
			// zeros included); to .npy or .csv as its dense form.
			if err := WriteMatrix(p, s); err != nil {
				t.Fatal(err)
			}
			got, err = ReadMatrix(p)
			if err != nil {
				t.Fatalf("%v %s: %v", sh, ext, err)
			}
			want := mat.Matrix(s.ToDense())
			if ext == ".mtx" {
				want = s
			}
			if err := sameMatrix(got, want); err != nil {
				t.Errorf("%v %s sparse: %v", sh, ext, err)
			}
			// A generic mat.Matrix (a transpose view) goes through At.
			if err := WriteMatrix(p, d.T()); err != nil {
				t.Fatal(err)
			}
			if got, err = ReadMatrix(p); err != nil || sameMatrix(got, d.T()) != nil {
				t.Errorf("%v %s transpose: %v %v", sh, ext, err, sameMatrix(got, d.T()))
			}
		}
	}
}

// TestVectorRoundTrip checks WriteVector/ReadVector in every format, that
// .npy vectors are 1-d, and that ReadVector takes n x 1 and 1 x n
// matrices but not a general matrix.
func TestVectorRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	dir := t.TempDir()
	v := randDense(rng, 1, 9).RawRowView(0)
	for _, ext := range []string{".npy", ".mtx", ".csv"} {
		p := filepath.Join(dir, "v"+ext)
		if err := WriteVector(p, v); err != nil {
			t.Fatal(err)
		}
		got, err := ReadVector(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameMatrix(mat.NewDense(len(got), 1, got), mat.NewDense(len(v), 1, v)); err != nil {
			t.Errorf("%s: %v", ext, err)
		}
		m, _ := ReadMatrix(p)
		if r, c := m.Dims(); r != len(v) || c != 1 {
			t.Errorf("%s: vector reads as %d x %d matrix", ext, r, c)
		}
		// 1 x n and sparse n x 1 also read as vectors.
		if err := WriteMatrix(p, mat.NewDense(1, len(v), v)); err != nil {
			t.Fatal(err)
		}
		if got, err = ReadVector(p); err != nil || sameMatrix(mat.NewDense(1, len(got), got), mat.NewDense(1, len(v), v)) != nil {
			t.Errorf("%s row vector: %v", ext, err)
		}
		if _, err := ReadVector(filepath.Join("testdata", "np_f8_c.npy")); err == nil || !strings.Contains(err.Error(), "3 x 4") {
			t.Errorf("ReadVector of a 3 x 4 matrix: %v", err)
		}
	}
	s := linalg.CSRFromDense(mat.NewDense(4, 1, []float64{0, 2, 0, -1}), 0)
	p := filepath.Join(dir, "s.mtx")
	if err := WriteMatrix(p, s); err != nil {
		t.Fatal(err)
	}
	got, err := ReadVector(p)
	if err != nil || len(got) != 4 || got[1] != 2 || got[3] != -1 || got[0] != 0 {
		t.Errorf("sparse vector: %v %v", got, err)
	}
	if err := WriteVector(filepath.Join(dir, "v.npy"), v); err != nil {
		t.Fatal(err)
	}
	h, err := ReadNpyHeader(mustOpen(t, filepath.Join(dir, "v.npy")), "v.npy")
	if err != nil || len(h.Shape) != 1 || h.Shape[0] != len(v) || h.Descr != "<f8" || h.Major != 1 || h.DataOffset%64 != 0 {
		t.Errorf("vector .npy header %+v, %v: want 1-d '<f8' v1.0 with 64-byte aligned data", h, err)
	}
}

func mustOpen(t *testing.T, p string) io.Reader {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestNpyHeaderLayout pins the written header against NumPy's own layout:
// the header of testdata/np_f8_c.npy (written by NumPy 1.24) is
// byte-identical to ours for the same shape.
func TestNpyHeaderLayout(t *testing.T) {
	ref, err := os.ReadFile(filepath.Join("testdata", "np_f8_c.npy"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteNpy(&buf, fixtureA(3, 4)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), ref) {
		t.Errorf("our .npy differs from NumPy's:\nours:  %q\nnumpy: %q", buf.Bytes()[:128], ref[:128])
	}
}

// failAfter is a writer that fails once n bytes have been written.
type failAfter struct {
	w io.Writer
	n int
}

var errDiskFull = errors.New("disk full (injected)")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, errDiskFull
	}
	f.n -= len(p)
	return f.w.Write(p)
}

// TestAtomicWrite checks that a write failing midway (after some bytes hit
// the disk) leaves an existing destination untouched and no temporary file
// behind, for every format and for vectors; and that the error starts with
// the path.
func TestAtomicWrite(t *testing.T) {
	big := randDense(rand.New(rand.NewPCG(7, 8)), 300, 40) // > 64 KiB in every format
	for _, ext := range []string{".npy", ".mtx", ".csv"} {
		dir := t.TempDir()
		p := filepath.Join(dir, "out"+ext)
		if err := os.WriteFile(p, []byte("precious"), 0o644); err != nil {
			t.Fatal(err)
		}
		testHookWriter = func(w io.Writer) io.Writer { return &failAfter{w: w, n: 1000} }
		errM := WriteMatrix(p, big)
		errV := WriteVector(p, big.RawMatrix().Data)
		testHookWriter = nil
		for _, err := range []error{errM, errV} {
			if !errors.Is(err, errDiskFull) || !strings.HasPrefix(err.Error(), p+": ") {
				t.Errorf("%s: error %v, want the injected failure prefixed by the path", ext, err)
			}
		}
		if got, _ := os.ReadFile(p); string(got) != "precious" {
			t.Errorf("%s: destination changed to %d bytes", ext, len(got))
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("%s: temporary files left: %v", ext, ents)
		}
		// Without the failure the same write replaces the file.
		if err := WriteMatrix(p, big); err != nil {
			t.Fatal(err)
		}
		if got, err := ReadMatrix(p); err != nil || sameMatrix(got, big) != nil {
			t.Errorf("%s: rewrite: %v", ext, err)
		}
	}
	// Refused inputs never touch the destination either.
	p := writeTemp(t, "z.npy", []byte("precious"))
	for _, err := range []error{WriteMatrix(p, &mat.Dense{}), WriteVector(p, nil)} {
		if err == nil || !strings.HasPrefix(err.Error(), p+": ") {
			t.Errorf("zero-sized write: %v", err)
		}
	}
	if got, _ := os.ReadFile(p); string(got) != "precious" {
		t.Error("refused write changed the destination")
	}
	if err := WriteMatrix(filepath.Join(t.TempDir(), "x.txt"), big); err == nil || !strings.Contains(err.Error(), ".txt") {
		t.Errorf("unknown extension: %v", err)
	}
}
