package dataio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/fileutil"
	"github.com/sketchwork/sketchwork/linalg"
)

// Format is a file format chosen by extension.
type Format int

// The supported formats.
const (
	Unknown      Format = iota
	NPY                 // .npy: NumPy binary
	MatrixMarket        // .mtx: MatrixMarket text
	CSV                 // .csv: comma-separated text
)

// String returns the format's file extension.
func (f Format) String() string {
	switch f {
	case NPY:
		return ".npy"
	case MatrixMarket:
		return ".mtx"
	case CSV:
		return ".csv"
	}
	return "unknown"
}

// FormatOf returns the format for path's extension (case-insensitive), or
// Unknown.
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".npy":
		return NPY
	case ".mtx":
		return MatrixMarket
	case ".csv":
		return CSV
	}
	return Unknown
}

func formatErr(path string) error {
	return errPlain(path, "unknown file extension %q (want .npy, .mtx or .csv)", filepath.Ext(path))
}

// openErr wraps an error from os.Open so its message starts with the path.
func openErr(path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return &Error{Path: path, Offset: -1, Msg: "cannot " + pe.Op, Err: pe.Err}
	}
	return &Error{Path: path, Offset: -1, Msg: "cannot open", Err: err}
}

// ReadMatrix reads a matrix from a file chosen by extension: .npy and .csv
// give a *mat.Dense (a 1-d .npy array of length n as n x 1), .mtx a
// *linalg.CSR for coordinate files and a *mat.Dense for array files. It
// rejects NaN and ±Inf and every malformed input with an *Error whose
// message starts with the path and names the position.
func ReadMatrix(path string) (mat.Matrix, error) {
	return ReadMatrixWith(path, ReadOptions{})
}

// ReadMatrixWith is ReadMatrix with options.
func ReadMatrixWith(path string, opts ReadOptions) (mat.Matrix, error) {
	format := FormatOf(path)
	if format == Unknown {
		return nil, formatErr(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, openErr(path, err)
	}
	defer f.Close()
	switch format {
	case NPY:
		d, err := readNpyFile(f, path, opts)
		if err != nil {
			return nil, err
		}
		return d, nil
	case MatrixMarket:
		return ReadMatrixMarket(f, path, opts)
	default:
		d, err := ReadCSV(f, path, opts)
		if err != nil {
			return nil, err
		}
		return d, nil
	}
}

// readNpyFile reads an .npy file, checking its size against the header
// before allocating.
func readNpyFile(f *os.File, path string, opts ReadOptions) (*mat.Dense, error) {
	br := bufio.NewReaderSize(f, 1<<20)
	h, err := ReadNpyHeader(br, path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	sized := false
	if err == nil && st.Mode().IsRegular() {
		if err := checkNpySize(path, h, st.Size()); err != nil {
			return nil, err
		}
		sized = true
	}
	return readNpyData(br, path, h, opts, sized)
}

// checkNpySize compares the file size with the size the header implies.
func checkNpySize(path string, h NpyHeader, size int64) error {
	want := h.DataOffset + h.DataBytes()
	switch {
	case size < want:
		return errAt(path, size, "data truncated: shape %s of dtype %q needs %d data bytes, the file ends after %d",
			h.shapeString(), h.Descr, h.DataBytes(), max(0, size-h.DataOffset))
	case size > want:
		return errAt(path, want, "data longer than the header says: shape %s of dtype %q needs %d data bytes, %d more follow",
			h.shapeString(), h.Descr, h.DataBytes(), size-want)
	}
	return nil
}

// ReadVector reads a vector: a 1-d .npy array, or an n x 1 or 1 x n matrix
// in any supported format.
func ReadVector(path string) ([]float64, error) {
	return ReadVectorWith(path, ReadOptions{})
}

// ReadVectorWith is ReadVector with options.
func ReadVectorWith(path string, opts ReadOptions) ([]float64, error) {
	m, err := ReadMatrixWith(path, opts)
	if err != nil {
		return nil, err
	}
	r, c := m.Dims()
	if r != 1 && c != 1 {
		return nil, errPlain(path, "expected a vector (n x 1 or 1 x n), got a %d x %d matrix", r, c)
	}
	if d, ok := m.(*mat.Dense); ok {
		raw := d.RawMatrix()
		if c == 1 && raw.Stride == 1 || r == 1 {
			return raw.Data[:r*c], nil
		}
	}
	v := make([]float64, r*c)
	if s, ok := m.(*linalg.CSR); ok {
		for i := 0; i < r; i++ {
			cols, vals := s.SparseRow(i)
			for k, j := range cols {
				v[i*c+int(j)] = vals[k]
			}
		}
		return v, nil
	}
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			v[i*c+j] = m.At(i, j)
		}
	}
	return v, nil
}

// testHookWriter, when set by tests, wraps the writer of every file write
// (to inject failures).
var testHookWriter func(io.Writer) io.Writer

// writeFile writes path atomically with write; on any failure an existing
// file at path is left untouched.
func writeFile(path string, check func() error, write func(w io.Writer) error) error {
	if err := check(); err != nil {
		return errPlain(path, "%v", err)
	}
	err := fileutil.WriteAtomic(path, 0o644, func(w io.Writer) error {
		if testHookWriter != nil {
			w = testHookWriter(w)
		}
		return write(w)
	})
	if err != nil {
		return &Error{Path: path, Offset: -1, Msg: "write failed (any existing file is unchanged)", Err: unwrapWriting(err)}
	}
	return nil
}

// unwrapWriting strips fileutil's "writing PATH: " prefix (the path leads
// our message already).
func unwrapWriting(err error) error {
	if u := errors.Unwrap(err); u != nil && strings.HasPrefix(err.Error(), "writing ") {
		return u
	}
	return err
}

// WriteMatrix writes m to a file chosen by extension, atomically (a failed
// write leaves an existing file untouched): .npy as version 1.0 '<f8' C
// order, .mtx as coordinate real general for a *linalg.CSR and array real
// general otherwise, .csv as plain %.17g numbers without header.
func WriteMatrix(path string, m mat.Matrix) error {
	format := FormatOf(path)
	if format == Unknown {
		return formatErr(path)
	}
	check := func() error {
		if r, c := m.Dims(); r == 0 || c == 0 {
			return fmt.Errorf("cannot write a zero-sized (%d x %d) matrix", r, c)
		}
		return nil
	}
	return writeFile(path, check, func(w io.Writer) error {
		switch format {
		case NPY:
			return WriteNpy(w, m)
		case MatrixMarket:
			return WriteMatrixMarket(w, m)
		default:
			return WriteCSV(w, m)
		}
	})
}

// WriteVector writes v to a file chosen by extension, atomically: .npy as
// a 1-d array, .csv as one column, .mtx as an n x 1 array.
func WriteVector(path string, v []float64) error {
	format := FormatOf(path)
	if format == Unknown {
		return formatErr(path)
	}
	check := func() error {
		if len(v) == 0 {
			return errors.New("cannot write an empty vector")
		}
		return nil
	}
	return writeFile(path, check, func(w io.Writer) error {
		if format == NPY {
			return WriteNpyVector(w, v)
		}
		m := mat.NewDense(len(v), 1, v)
		if format == MatrixMarket {
			return WriteMatrixMarket(w, m)
		}
		return WriteCSV(w, m)
	})
}
