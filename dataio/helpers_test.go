package dataio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// fixtureA is the matrix of testdata/gen_fixtures.py: a[i, j] =
// (i+1) - (j+1)/4 with 0-based i, j.
func fixtureA(r, c int) *mat.Dense {
	d := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			d.Set(i, j, float64(i+1)-float64(j+1)/4)
		}
	}
	return d
}

// fixtureInt is the integer fixture: 10*(i+1) - (j+1).
func fixtureInt(r, c int) *mat.Dense {
	d := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			d.Set(i, j, float64(10*(i+1)-(j+1)))
		}
	}
	return d
}

// randDense returns an r x c matrix with entries of widely varying
// magnitude and sign, including exact zeros and -0.
func randDense(rng *rand.Rand, r, c int) *mat.Dense {
	d := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			v := rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
			switch rng.IntN(20) {
			case 0:
				v = 0
			case 1:
				v = math.Copysign(0, -1)
			case 2:
				v = math.SmallestNonzeroFloat64
			case 3:
				v = -math.MaxFloat64
			}
			d.Set(i, j, v)
		}
	}
	return d
}

// randCSR returns an r x c sparse matrix with about density*r*c entries,
// some of them explicit zeros.
func randCSR(rng *rand.Rand, r, c int, density float64) *linalg.CSR {
	var ts []linalg.Triplet
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if rng.Float64() < density {
				v := rng.NormFloat64()
				if rng.IntN(10) == 0 {
					v = 0
				}
				ts = append(ts, linalg.Triplet{I: i, J: j, V: v})
			}
		}
	}
	m, err := linalg.CSRFromTriplets(r, c, ts)
	if err != nil {
		panic(err)
	}
	return m
}

// sameMatrix reports the first difference between a and b: dimensions,
// storage kind for CSR, or an entry (compared with ==, and by sign bit
// for zeros so -0 must round-trip).
func sameMatrix(a, b mat.Matrix) error {
	ar, ac := a.Dims()
	br, bc := b.Dims()
	if ar != br || ac != bc {
		return fmt.Errorf("dims %dx%d vs %dx%d", ar, ac, br, bc)
	}
	as, aok := a.(*linalg.CSR)
	bs, bok := b.(*linalg.CSR)
	if aok != bok {
		return fmt.Errorf("storage %T vs %T", a, b)
	}
	if aok {
		for i := 0; i < ar; i++ {
			c1, v1 := as.SparseRow(i)
			c2, v2 := bs.SparseRow(i)
			if len(c1) != len(c2) {
				return fmt.Errorf("row %d has %d vs %d stored entries", i, len(c1), len(c2))
			}
			for k := range c1 {
				if c1[k] != c2[k] || !sameFloat(v1[k], v2[k]) {
					return fmt.Errorf("row %d entry %d: (%d, %v) vs (%d, %v)", i, k, c1[k], v1[k], c2[k], v2[k])
				}
			}
		}
		return nil
	}
	for i := 0; i < ar; i++ {
		for j := 0; j < ac; j++ {
			if x, y := a.At(i, j), b.At(i, j); !sameFloat(x, y) {
				return fmt.Errorf("entry (%d, %d): %v vs %v", i, j, x, y)
			}
		}
	}
	return nil
}

func sameFloat(x, y float64) bool {
	if math.IsNaN(x) || math.IsNaN(y) {
		return math.IsNaN(x) && math.IsNaN(y)
	}
	return x == y && math.Signbit(x) == math.Signbit(y)
}

// npyBytes builds an .npy file by hand: the given version, a header dict
// (padded to a multiple of 64 bytes like NumPy does), then data.
func npyBytes(major byte, dict string, data []byte) []byte {
	pre := 10
	if major >= 2 {
		pre = 12
	}
	total := pre + len(dict) + 1
	hdr := dict + strings.Repeat(" ", (64-total%64)%64) + "\n"
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.WriteByte(major)
	b.WriteByte(0)
	if major >= 2 {
		binary.Write(&b, binary.LittleEndian, uint32(len(hdr)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	}
	b.WriteString(hdr)
	b.Write(data)
	return b.Bytes()
}

// npyDict formats a header dict.
func npyDict(descr string, fortran bool, shape string) string {
	fo := "False"
	if fortran {
		fo = "True"
	}
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, fo, shape)
}

// rawElems encodes the entries of m (in C or Fortran order) as the dtype.
func rawElems(m mat.Matrix, descr string, fortran bool) []byte {
	r, c := m.Dims()
	var b bytes.Buffer
	put := func(v float64) {
		switch descr {
		case "<f8":
			binary.Write(&b, binary.LittleEndian, v)
		case "<f4":
			binary.Write(&b, binary.LittleEndian, float32(v))
		case "<i4":
			binary.Write(&b, binary.LittleEndian, int32(v))
		case "<i8":
			binary.Write(&b, binary.LittleEndian, int64(v))
		case ">f8":
			binary.Write(&b, binary.BigEndian, v)
		default:
			panic(descr)
		}
	}
	if fortran {
		for j := 0; j < c; j++ {
			for i := 0; i < r; i++ {
				put(m.At(i, j))
			}
		}
	} else {
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				put(m.At(i, j))
			}
		}
	}
	return b.Bytes()
}

// writeTemp writes data to name in a fresh temporary directory.
func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
