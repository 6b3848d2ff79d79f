package dataio

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

type badCase struct {
	name string // file name; the extension picks the reader
	data []byte
	want []string // substrings of the message after the path
}

// badInputs lists malformed files with the message parts each must
// produce: what went wrong and where (line, row/column, byte offset).
func badInputs() []badCase {
	a := fixtureA(3, 4)
	c34 := npyDict("<f8", false, "(3, 4)")
	good := npyBytes(1, c34, rawElems(a, "<f8", false)) // data at offset 128
	nan := mat.DenseCopyOf(a)
	nan.Set(1, 2, math.NaN())
	inf := mat.DenseCopyOf(a)
	inf.Set(2, 0, math.Inf(-1))
	v4 := append([]byte{}, good...)
	v4[6] = 4
	v2huge := npyBytes(2, c34, nil)
	copy(v2huge[8:12], []byte{0xff, 0xff, 0xff, 0x7f})
	magic := append([]byte{}, good...)
	magic[5] = 'X'
	mm := func(s string) []byte { return []byte(s) }
	const coord = "%%MatrixMarket matrix coordinate real general\n"
	const array = "%%MatrixMarket matrix array real general\n"
	trunc := coord + "3 4 5\n1 1 1\n2 2 2\n3 3 3\n"
	short := array + "2 3\n1\n2\n3\n4\n5\n"
	return []badCase{
		// .npy
		{"empty.npy", nil, []string{"empty file"}},
		{"short.npy", []byte("\x93NUM"), []string{"byte offset 4", "truncated"}},
		{"magic.npy", magic, []string{"byte offset 0", "not an .npy file", "magic"}},
		{"version.npy", v4, []string{"byte offset 6", "version 4.0"}},
		{"hdrlen.npy", v2huge, []string{"byte offset 8", "implausible .npy header length"}},
		{"trunchdr.npy", good[:40], []string{"byte offset 40", "truncated .npy header"}},
		{"truncdata.npy", good[:128+50], []string{"byte offset 178", "truncated", "needs 96 data bytes"}},
		{"longdata.npy", append(append([]byte{}, good...), 1, 2, 3, 4, 5, 6, 7, 8), []string{"byte offset 224", "longer", "8 more"}},
		{"bigendian.npy", npyBytes(1, npyDict(">f8", false, "(3, 4)"), rawElems(a, ">f8", false)), []string{`dtype ">f8"`, "big-endian"}},
		{"complex.npy", npyBytes(1, npyDict("<c16", false, "(3, 4)"), make([]byte, 192)), []string{`dtype "<c16"`}},
		{"uint8.npy", npyBytes(1, npyDict("|u1", false, "(3, 4)"), make([]byte, 12)), []string{`dtype "|u1"`}},
		{"3d.npy", npyBytes(1, npyDict("<f8", false, "(2, 2, 2)"), make([]byte, 64)), []string{"3 dimensions"}},
		{"zero.npy", npyBytes(1, npyDict("<f8", false, "(0, 3)"), nil), []string{"zero-sized", "(0, 3)"}},
		{"nan.npy", npyBytes(1, c34, rawElems(nan, "<f8", false)), []string{"row 2, column 3, byte offset 176", "NaN"}},
		{"inf.npy", npyBytes(1, npyDict("<f4", true, "(3, 4)"), rawElems(inf, "<f4", true)), []string{"row 3, column 1, byte offset 136", "-Inf"}},
		{"notdict.npy", npyBytes(1, "['descr', '<f8']", nil), []string{"not a dict"}},
		{"nokey.npy", npyBytes(1, "{'descr': '<f8', 'fortran_order': False}", nil), []string{`missing key "shape"`}},
		{"struct.npy", npyBytes(1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (3,)}", nil), []string{"structured dtype"}},
		{"tuple.npy", npyBytes(1, npyDict("<f8", false, "(3)"), make([]byte, 24)), []string{"trailing comma"}},
		{"badbool.npy", npyBytes(1, "{'descr': '<f8', 'fortran_order': 0, 'shape': (3,)}", make([]byte, 24)), []string{"fortran_order"}},
		// MatrixMarket
		{"empty.mtx", nil, []string{"empty file"}},
		{"nobanner.mtx", mm("3 4 1\n1 1 1\n"), []string{"line 1", "%%MatrixMarket"}},
		{"complex.mtx", mm("%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n"), []string{"line 1", "complex"}},
		{"hermitian.mtx", mm("%%MatrixMarket matrix coordinate real hermitian\n1 1 1\n1 1 1\n"), []string{"line 1", "hermitian"}},
		{"patternarray.mtx", mm("%%MatrixMarket matrix array pattern general\n1 1\n"), []string{"line 1", "pattern"}},
		{"nosize.mtx", mm(coord + "% only comments\n"), []string{"line 3", "before the size line"}},
		{"sizeline.mtx", mm(coord + "3 4\n"), []string{"line 2", "size line has 2 numbers, want 3"}},
		{"zero.mtx", mm(coord + "% c\n0 4 0\n"), []string{"line 3", "zero-sized"}},
		{"truncated.mtx", mm(trunc), []string{"line 6", fmt.Sprintf("byte offset %d", len(trunc)), "after 3 of the 5 entries", "truncated"}},
		{"extra.mtx", mm(coord + "3 4 2\n1 1 1\n2 2 2\n3 3 3\n"), []string{"line 5", "more entries than the 2"}},
		{"rowrange.mtx", mm(coord + "3 4 2\n1 1 1\n4 1 2\n"), []string{"line 4", "row index 4 out of range [1, 3]"}},
		{"colzero.mtx", mm(coord + "3 4 2\n1 1 1\n2 0 2\n"), []string{"line 4", "column index 0 out of range"}},
		{"badindex.mtx", mm(coord + "3 4 1\n1.5 1 2\n"), []string{"line 3", "cannot parse row index"}},
		{"fields.mtx", mm(coord + "3 4 1\n1 1\n"), []string{"line 3", "entry has 2 fields, want 3"}},
		{"nan.mtx", mm(coord + "3 4 2\n1 1 1\n2 3 nan\n"), []string{"line 4, row 2, column 3", "NaN"}},
		{"parse.mtx", mm(coord + "3 4 1\n1 1 abc\n"), []string{"line 3", `cannot parse "abc" as a number`}},
		{"range.mtx", mm(coord + "3 4 1\n1 1 1e999\n"), []string{"line 3", "out of float64 range"}},
		{"int.mtx", mm("%%MatrixMarket matrix coordinate integer general\n3 4 1\n1 1 1.5\n"), []string{"line 3", `"1.5" as an integer`}},
		{"suminf.mtx", mm(coord + "3 4 2\n1 1 1e308\n1 1 1e308\n"), []string{"row 1, column 1", "sum to +Inf"}},
		{"symupper.mtx", mm("%%MatrixMarket matrix coordinate real symmetric\n3 3 1\n1 2 1\n"), []string{"line 3", "above the diagonal"}},
		{"skewdiag.mtx", mm("%%MatrixMarket matrix coordinate real skew-symmetric\n3 3 1\n2 2 1\n"), []string{"line 3", "on or above the diagonal"}},
		{"symshape.mtx", mm("%%MatrixMarket matrix coordinate real symmetric\n3 4 1\n"), []string{"line 2", "must be square"}},
		{"arrayshort.mtx", mm(short), []string{"line 8", fmt.Sprintf("byte offset %d", len(short)), "after 5 of the 6 values", "truncated"}},
		{"arraylong.mtx", mm(array + "2 2\n1 2\n3 4\n5\n"), []string{"line 5", "more values"}},
		{"arraynan.mtx", mm(array + "2 2\n1 2\n3 -inf\n"), []string{"line 4, row 2, column 2", "-Inf"}},
		{"arraysymnan.mtx", mm("%%MatrixMarket matrix array real symmetric\n3 3\n1 2 3\n4 NaN 6\n"), []string{"line 4, row 3, column 2", "NaN"}},
		// CSV
		{"empty.csv", nil, []string{"empty file"}},
		{"blankonly.csv", []byte("\n \n"), []string{"no data rows"}},
		{"headeronly.csv", []byte("a,b\n"), []string{"no data rows"}},
		{"ragged.csv", []byte("1,2,3\n4,5,6\n7,8\n"), []string{"line 3", "ragged row: 2 fields", "(line 1) has 3"}},
		{"raggedhdr.csv", []byte("a,b\n1,2,3\n"), []string{"line 2", "the header (line 1) has 2"}},
		{"parse.csv", []byte("1,2\n3,x\n"), []string{"line 2, row 2, column 2, byte offset 6", `cannot parse "x"`}},
		{"mixed.csv", []byte("1,abc\n3,4\n"), []string{"line 1, row 1, column 2", `cannot parse "abc"`}},
		{"nan.csv", []byte("1,NaN\n"), []string{"line 1, row 1, column 2", "NaN"}},
		{"inf.csv", []byte("a,b\n1,2\n3,inf\n"), []string{"line 3, row 2, column 2", "+Inf"}},
		{"blankmid.csv", []byte("1,2\n\n3,4\n"), []string{"line 2", "blank line inside the data"}},
		{"range.csv", []byte("1,2e400\n"), []string{"line 1, row 1, column 2", "out of float64 range"}},
		{"blankfirst.csv", []byte("\n1,2\n"), []string{"line 1", "blank line before the data"}},
		{"trailing.csv", []byte("1,2,\n"), []string{"line 1, row 1, column 3", `cannot parse ""`}},
	}
}

// TestBadInput checks every malformed file: an *Error is returned, its
// message starts with the path and names what and where.
func TestBadInput(t *testing.T) {
	for _, tc := range badInputs() {
		t.Run(tc.name, func(t *testing.T) {
			p := writeTemp(t, tc.name, tc.data)
			m, err := ReadMatrix(p)
			if err == nil {
				t.Fatalf("accepted: %v", m)
			}
			if m != nil {
				t.Errorf("returned a non-nil matrix %T with the error", m)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("error %T is not *Error", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, p+": ") {
				t.Errorf("message %q does not start with the path", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
}

// TestFileErrors covers errors before any parsing.
func TestFileErrors(t *testing.T) {
	p := filepath.Join(t.TempDir(), "missing.npy")
	_, err := ReadMatrix(p)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), p+": ") {
		t.Errorf("missing file: %v", err)
	}
	q := writeTemp(t, "m.txt", []byte("1,2\n"))
	if _, err := ReadMatrix(q); err == nil || !strings.HasPrefix(err.Error(), q+": ") || !strings.Contains(err.Error(), `".txt"`) {
		t.Errorf("unknown extension: %v", err)
	}
	if _, err := OpenStream(q, StreamOptions{}); err == nil || !strings.HasPrefix(err.Error(), q+": ") {
		t.Errorf("streaming an unknown extension: %v", err)
	}
}
