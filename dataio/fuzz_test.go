package dataio

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// fuzzOpts bounds what a fuzz input may make the readers allocate.
var fuzzOpts = ReadOptions{MaxBytes: 1 << 24}

// addSeeds adds the fixtures with the extension and the bad inputs.
func addSeeds(f *testing.F, ext string) {
	ents, _ := os.ReadDir("testdata")
	for _, e := range ents {
		if filepath.Ext(e.Name()) == ext {
			if b, err := os.ReadFile(filepath.Join("testdata", e.Name())); err == nil {
				f.Add(b)
			}
		}
	}
	for _, tc := range badInputs() {
		if filepath.Ext(tc.name) == ext {
			f.Add(tc.data)
		}
	}
}

// checkErr asserts the error conventions for a rejected fuzz input.
func checkErr(t *testing.T, err error, name string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), name+": ") {
		t.Fatalf("error %q (%T) does not follow the conventions", err, err)
	}
}

// checkStream streams the same bytes from a file in small chunks and
// compares with what the in-memory reader decided: a matrix it accepted
// must stream to the same matrix; an input it rejected must fail to
// stream too, except for what the streaming reader cannot see (the memory
// limit, duplicate coordinate entries summing to ±Inf).
func checkStream(t *testing.T, dir, ext string, data []byte, m mat.Matrix, readErr error) {
	t.Helper()
	p := filepath.Join(dir, "in"+ext)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if readErr != nil && strings.Contains(readErr.Error(), "limit (ReadOptions.MaxBytes)") {
		return
	}
	s, err := OpenStream(p, StreamOptions{ChunkBytes: 64})
	if err != nil {
		checkErr(t, err, p)
		if readErr == nil {
			t.Fatalf("read accepted, OpenStream rejected: %v", err)
		}
		return
	}
	defer s.Close()
	r, c := s.Dims()
	var ts []linalg.Triplet
	var d *mat.Dense
	for {
		ch, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			checkErr(t, err, p)
			if readErr == nil {
				t.Fatalf("read accepted, stream rejected: %v", err)
			}
			return
		}
		if ch.Dense != nil {
			if d == nil {
				d = mat.NewDense(r, c, nil)
			}
			k, _ := ch.Dense.Dims()
			d.Slice(ch.First, ch.First+k, 0, c).(*mat.Dense).Copy(ch.Dense)
		}
		ts = append(ts, ch.Entries...)
	}
	if readErr != nil {
		if strings.Contains(readErr.Error(), "duplicate entries sum to") {
			return
		}
		t.Fatalf("read rejected (%v), stream accepted", readErr)
	}
	var got mat.Matrix = d
	if s.Sparse() {
		var err error
		if got, err = linalg.CSRFromTriplets(r, c, ts); err != nil {
			t.Fatal(err)
		}
	}
	if err := sameMatrix(got, m); err != nil {
		t.Fatalf("stream differs from read: %v", err)
	}
}

// reader is a matrix reader with the ReadNpy/ReadCSV/ReadMatrixMarket
// signature, its result as a mat.Matrix (nil on error).
type reader func(r io.Reader, name string, opts ReadOptions) (mat.Matrix, error)

func denseReader(read func(io.Reader, string, ReadOptions) (*mat.Dense, error)) reader {
	return func(r io.Reader, name string, opts ReadOptions) (mat.Matrix, error) {
		m, err := read(r, name, opts)
		if m == nil {
			return nil, err
		}
		return m, err
	}
}

// fuzzFormat is the body of the parser fuzz targets: read never panics;
// what it rejects follows the error conventions and returns no matrix;
// what it accepts round-trips through write to the same matrix and
// streams from a file to the same matrix (checkStream).
func fuzzFormat(f *testing.F, ext string, read reader, write func(io.Writer, mat.Matrix) error) {
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := read(bytes.NewReader(data), "fuzz"+ext, fuzzOpts)
		if err != nil {
			checkErr(t, err, "fuzz"+ext)
			if m != nil {
				t.Fatal("matrix returned with an error")
			}
		} else {
			var buf bytes.Buffer
			if err := write(&buf, m); err != nil {
				t.Fatal(err)
			}
			m2, err := read(&buf, "again"+ext, fuzzOpts)
			if err != nil {
				t.Fatalf("rereading our own output: %v", err)
			}
			if err := sameMatrix(m2, m); err != nil {
				t.Fatalf("round trip: %v", err)
			}
		}
		checkStream(t, dir, ext, data, m, err)
	})
}

// FuzzReadNpy: ReadNpy never panics; what it accepts round-trips through
// WriteNpy to the same matrix and streams to the same matrix.
func FuzzReadNpy(f *testing.F) {
	addSeeds(f, ".npy")
	fuzzFormat(f, ".npy", denseReader(ReadNpy), WriteNpy)
}

// FuzzReadMatrixMarket: ReadMatrixMarket never panics; what it accepts
// round-trips through WriteMatrixMarket (CSR to CSR, dense to dense) and
// streams to the same matrix.
func FuzzReadMatrixMarket(f *testing.F) {
	addSeeds(f, ".mtx")
	fuzzFormat(f, ".mtx", ReadMatrixMarket, WriteMatrixMarket)
}

// FuzzReadCSV: ReadCSV never panics; what it accepts round-trips through
// WriteCSV to the same matrix and streams to the same matrix.
func FuzzReadCSV(f *testing.F) {
	addSeeds(f, ".csv")
	f.Add([]byte("x,y\n1,2\n3,4\n"))
	f.Add([]byte("1e308,-0,5e-324\r\n0x1p-2,1_0,+3\n\n"))
	fuzzFormat(f, ".csv", denseReader(ReadCSV), WriteCSV)
}
