package dataio

import (
	"bytes"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// TestNumPyFixtures reads files written by NumPy itself (see
// testdata/gen_fixtures.py) and compares them with the formula that made
// them.
func TestNumPyFixtures(t *testing.T) {
	a := fixtureA(3, 4)
	ai := fixtureInt(3, 4)
	col := mat.NewDense(3, 1, []float64{0.75, 1.75, 2.75})
	for _, tc := range []struct {
		file string
		want mat.Matrix
	}{
		{"np_f8_c.npy", a},
		{"np_f8_f.npy", a},
		{"np_f4_c.npy", a},
		{"np_f4_f.npy", a},
		{"np_i4_c.npy", ai},
		{"np_i8_f.npy", ai},
		{"np_f8_v2.npy", a},
		{"np_f8_v3.npy", a},
		{"np_f8_1d.npy", col},
		{"np_f8_0d.npy", mat.NewDense(1, 1, []float64{2.5})},
	} {
		got, err := ReadMatrix(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if _, ok := got.(*mat.Dense); !ok {
			t.Errorf("%s: got %T, want *mat.Dense", tc.file, got)
		}
		if err := sameMatrix(got, tc.want); err != nil {
			t.Errorf("%s: %v", tc.file, err)
		}
	}
	v, err := ReadVector(filepath.Join("testdata", "np_f8_1d.npy"))
	if err != nil || len(v) != 3 || v[0] != 0.75 || v[2] != 2.75 {
		t.Errorf("ReadVector(np_f8_1d.npy) = %v, %v", v, err)
	}
	for file, want := range map[string]string{
		"np_f8_be.npy": `">f8": big-endian`,
		"np_c16.npy":   `"<c16"`,
		"np_bool.npy":  `"|b1"`,
		"np_3d.npy":    "3 dimensions",
	} {
		p := filepath.Join("testdata", file)
		_, err := ReadMatrix(p)
		if err == nil || !strings.HasPrefix(err.Error(), p+": ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one starting with the path and naming %s", file, err, want)
		}
	}
}

// TestHandMadeNpy builds headers byte by byte for every version, dtype and
// order, including Python 2 style "3L" dimensions and double quotes.
func TestHandMadeNpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a := mat.NewDense(5, 3, nil)
	for i := 0; i < 5; i++ {
		for j := 0; j < 3; j++ {
			a.Set(i, j, float64(rng.IntN(2001)-1000)) // exact in every dtype
		}
	}
	for _, major := range []byte{1, 2, 3} {
		for _, descr := range []string{"<f8", "<f4", "<i4", "<i8"} {
			for _, fortran := range []bool{false, true} {
				b := npyBytes(major, npyDict(descr, fortran, "(5, 3)"), rawElems(a, descr, fortran))
				got, err := ReadNpy(bytes.NewReader(b), "hand.npy", ReadOptions{})
				if err != nil {
					t.Errorf("v%d %s fortran=%v: %v", major, descr, fortran, err)
					continue
				}
				if err := sameMatrix(got, a); err != nil {
					t.Errorf("v%d %s fortran=%v: %v", major, descr, fortran, err)
				}
			}
		}
	}
	// Python 2 long dimensions, double quotes, no trailing comma.
	b := npyBytes(1, `{"descr": "<f8", "fortran_order": False, "shape": (5L, 3L)}`, rawElems(a, "<f8", false))
	got, err := ReadNpy(bytes.NewReader(b), "py2.npy", ReadOptions{})
	if err != nil || sameMatrix(got, a) != nil {
		t.Errorf("python 2 header: %v", err)
	}
	// float32 values convert exactly to float64.
	f := mat.NewDense(1, 3, []float64{float64(float32(0.1)), -1.5, float64(float32(math.Pi))})
	got, err = ReadNpy(bytes.NewReader(npyBytes(1, npyDict("<f4", false, "(1, 3)"), rawElems(f, "<f4", false))), "f4.npy", ReadOptions{})
	if err != nil || sameMatrix(got, f) != nil {
		t.Errorf("float32 conversion: %v %v", got, err)
	}
}

// TestMatrixMarketFixtures reads files written by SciPy's mmwrite.
func TestMatrixMarketFixtures(t *testing.T) {
	a := fixtureA(3, 4)
	ai := fixtureInt(3, 4)
	pattern := [][2]int{{0, 0}, {0, 3}, {1, 1}, {2, 0}, {2, 2}}
	sparse := func(src *mat.Dense, one bool) *linalg.CSR {
		var ts []linalg.Triplet
		for _, p := range pattern {
			v := src.At(p[0], p[1])
			if one {
				v = 1
			}
			ts = append(ts, linalg.Triplet{I: p[0], J: p[1], V: v})
		}
		m, _ := linalg.CSRFromTriplets(3, 4, ts)
		return m
	}
	// The symmetric fixture: m[p, q] = m[q, p] = (p+1) + (q+1)/4 for p >= q.
	symEntries := [][2]int{{0, 0}, {1, 0}, {3, 1}, {3, 3}, {2, 2}}
	var symTs, skewTs []linalg.Triplet
	for k, e := range symEntries {
		v := float64(e[0]+1) + float64(e[1]+1)/4
		symTs = append(symTs, linalg.Triplet{I: e[0], J: e[1], V: v})
		if e[0] != e[1] {
			symTs = append(symTs, linalg.Triplet{I: e[1], J: e[0], V: v})
		}
		if k == 1 || k == 2 {
			skewTs = append(skewTs, linalg.Triplet{I: e[0], J: e[1], V: v}, linalg.Triplet{I: e[1], J: e[0], V: -v})
		}
	}
	sym, _ := linalg.CSRFromTriplets(4, 4, symTs)
	skew, _ := linalg.CSRFromTriplets(4, 4, skewTs)
	dsym := mat.NewDense(3, 3, []float64{1, 2.5, -3, 2.5, 4, 0.5, -3, 0.5, 6})
	dskew := mat.NewDense(3, 3, []float64{0, 2.5, -3, -2.5, 0, 0.5, 3, -0.5, 0})
	for _, tc := range []struct {
		file string
		want mat.Matrix
	}{
		{"sp_real.mtx", sparse(a, false)},
		{"sp_int.mtx", sparse(ai, false)},
		{"sp_pattern.mtx", sparse(a, true)},
		{"sp_sym.mtx", sym},
		{"sp_skew.mtx", skew},
		{"dense_real.mtx", a},
		{"dense_sym.mtx", dsym},
		{"dense_skew.mtx", dskew},
	} {
		got, err := ReadMatrix(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if err := sameMatrix(got, tc.want); err != nil {
			t.Errorf("%s: %v", tc.file, err)
		}
	}
	// The explicit zero a[0, 3] = 0 of sp_real.mtx is kept as a stored entry.
	m, _ := ReadMatrix(filepath.Join("testdata", "sp_real.mtx"))
	if s := m.(*linalg.CSR); s.NNZ() != 5 {
		t.Errorf("sp_real.mtx: %d stored entries, want 5 (explicit zero kept)", s.NNZ())
	}
}

// TestMatrixMarketText covers syntax the fixtures do not: case, comments
// and blank lines anywhere, several array values per line, CRLF, duplicate
// entries (summed), "double" as a synonym of real.
func TestMatrixMarketText(t *testing.T) {
	src := "%%matrixmarket MATRIX Coordinate Real General\r\n% comment\r\n\r\n  % indented comment\r\n2 3 4\r\n1 1 1.5\r\n\r\n% mid comment\r\n2 3 -2\r\n1 1 0.25\r\n 2\t1   1e-3 \r\n"
	m, err := ReadMatrixMarket(strings.NewReader(src), "t.mtx", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := mat.NewDense(2, 3, []float64{1.75, 0, 0, 1e-3, 0, -2})
	if err := sameMatrix(m.(*linalg.CSR).ToDense(), want); err != nil {
		t.Error(err)
	}
	arr := "%%MatrixMarket matrix array double general\n2 3\n1 2\n3 4 % not a comment mid-line? no: a token\n"
	if _, err := ReadMatrixMarket(strings.NewReader(arr), "t.mtx", ReadOptions{}); err == nil {
		t.Error("mid-line % accepted as a value")
	}
	arr = "%%MatrixMarket matrix array double general\n2 3\n1 2\n% comment\n3 4\n5\n6"
	m, err = ReadMatrixMarket(strings.NewReader(arr), "t.mtx", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sameMatrix(m, mat.NewDense(2, 3, []float64{1, 3, 5, 2, 4, 6})); err != nil {
		t.Error(err)
	}
	if _, ok := m.(*mat.Dense); !ok {
		t.Errorf("array file gave %T", m)
	}
}

// TestCSV covers header detection, spacing, CRLF, a byte-order mark and
// trailing blank lines.
func TestCSV(t *testing.T) {
	want := mat.NewDense(2, 3, []float64{1, -2.5, 3e-7, 0, 4, 5})
	for _, src := range []string{
		"1,-2.5,3e-7\n0,4,5\n",
		"1,-2.5,3e-7\n0,4,5",
		"x,y,z\n1,-2.5,3e-7\n0,4,5\n\n\n",
		"\xef\xbb\xbf\"a, b\",\"c\",d\r\n 1 , -2.5,\t3e-7\r\n0,4,5\r\n \r\n",
		",x,y\n1,-2.5,3e-7\n0,4,5\n",
	} {
		got, err := ReadCSV(strings.NewReader(src), "t.csv", ReadOptions{})
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		if err := sameMatrix(got, want); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
	// A single column with a header.
	got, err := ReadCSV(strings.NewReader("b\n1\n2\n"), "t.csv", ReadOptions{})
	if err != nil || sameMatrix(got, mat.NewDense(2, 1, []float64{1, 2})) != nil {
		t.Errorf("one column: %v %v", got, err)
	}
}

// TestAllowNonFinite checks that the option admits NaN and ±Inf in every
// format and that the default rejects them.
func TestAllowNonFinite(t *testing.T) {
	want := mat.NewDense(1, 3, []float64{math.NaN(), math.Inf(1), math.Inf(-1)})
	files := map[string][]byte{
		"a.npy": npyBytes(1, npyDict("<f8", false, "(1, 3)"), rawElems(want, "<f8", false)),
		"a.csv": []byte("NaN,+Inf,-Inf\n"),
		"a.mtx": []byte("%%MatrixMarket matrix array real general\n1 3\nnan\ninf\n-inf\n"),
	}
	for name, data := range files {
		p := writeTemp(t, name, data)
		if _, err := ReadMatrix(p); err == nil || !strings.Contains(err.Error(), "NaN") {
			t.Errorf("%s: default accepted NaN (err %v)", name, err)
		}
		got, err := ReadMatrixWith(p, ReadOptions{AllowNonFinite: true})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := sameMatrix(got, want); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestMaxBytes checks that a header promising a huge matrix is refused
// before allocation when a limit is set.
func TestMaxBytes(t *testing.T) {
	opts := ReadOptions{MaxBytes: 1 << 20}
	big := npyBytes(1, npyDict("<f8", false, "(100000, 100000)"), nil)
	if _, err := ReadNpy(bytes.NewReader(big), "big.npy", opts); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("npy: %v", err)
	}
	mtx := "%%MatrixMarket matrix coordinate real general\n2000000000 2000000000 1\n1 1 1\n"
	if _, err := ReadMatrixMarket(strings.NewReader(mtx), "big.mtx", opts); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("mtx: %v", err)
	}
	if _, err := ReadCSV(strings.NewReader(strings.Repeat("1,2,3,4\n", 40000)), "big.csv", opts); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("csv: %v", err)
	}
	// Without a limit a header promising much more data than present is
	// still safe: allocation follows the data, and truncation is reported.
	if _, err := ReadNpy(bytes.NewReader(big), "big.npy", ReadOptions{}); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("npy without limit: %v", err)
	}
}
