package dataio

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// streamAll runs one pass and returns the assembled matrix: dense chunks
// are copied into place (checking First and the chunk bound), entry
// chunks summed through CSRFromTriplets.
func streamAll(t *testing.T, s *Stream, chunkBytes int) mat.Matrix {
	t.Helper()
	r, c := s.Dims()
	if chunkBytes == 0 {
		chunkBytes = DefaultChunkBytes
	}
	var dense *mat.Dense
	var ts []linalg.Triplet
	next := 0
	for {
		ch, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if ch.First != next {
			t.Fatalf("chunk First = %d, want %d", ch.First, next)
		}
		if s.Sparse() {
			if ch.Dense != nil || len(ch.Entries) == 0 {
				t.Fatalf("sparse chunk with Dense %v, %d entries", ch.Dense, len(ch.Entries))
			}
			if limit := max(2, chunkBytes/tripletBytes); len(ch.Entries) > limit {
				t.Fatalf("chunk of %d entries exceeds the bound %d", len(ch.Entries), limit)
			}
			ts = append(ts, ch.Entries...)
			next += len(ch.Entries)
			continue
		}
		if ch.Entries != nil || ch.Dense == nil {
			t.Fatal("dense chunk without Dense")
		}
		k, cc := ch.Dense.Dims()
		if cc != c || k == 0 || (k > 1 && k*c*8 > chunkBytes) {
			t.Fatalf("chunk %d x %d exceeds the bound of %d bytes", k, cc, chunkBytes)
		}
		if dense == nil {
			dense = mat.NewDense(r, c, nil)
		}
		dense.Slice(next, next+k, 0, c).(*mat.Dense).Copy(ch.Dense)
		next += k
	}
	if s.Sparse() {
		m, err := linalg.CSRFromTriplets(r, c, ts)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if next != r {
		t.Fatalf("pass delivered %d of %d rows", next, r)
	}
	return dense
}

// symArrayText writes an n x n symmetric (sign +1) or skew-symmetric
// (sign -1) matrix as MatrixMarket array text, with several values per
// line and comment lines in between.
func symArrayText(rng *rand.Rand, n int, skew bool) (string, *mat.Dense) {
	d := mat.NewDense(n, n, nil)
	var b strings.Builder
	kind, diag := "symmetric", 0
	if skew {
		kind, diag = "skew-symmetric", 1
	}
	fmt.Fprintf(&b, "%%%%MatrixMarket matrix array real %s\n%% test\n%d %d\n", kind, n, n)
	k := 0
	for j := 0; j < n; j++ {
		for i := j + diag; i < n; i++ {
			v := float64(rng.IntN(1000)) / 8
			d.Set(i, j, v)
			if skew {
				d.Set(j, i, -v)
			} else {
				d.Set(j, i, v)
			}
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			k++
			switch k % 5 {
			case 0:
				b.WriteString("\n")
			case 3:
				b.WriteString("\n% comment line\n  ")
			default:
				b.WriteString(" \t")
			}
		}
	}
	return b.String(), d
}

// streamFixtures writes the files the streaming tests read.
func streamFixtures(t *testing.T) map[string]string {
	rng := rand.New(rand.NewPCG(11, 12))
	dir := t.TempDir()
	files := map[string]string{}
	put := func(name string, data []byte) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files[name] = p
	}
	d := randDense(rng, 257, 7)
	ints := mat.NewDense(61, 5, nil)
	for i := range ints.RawMatrix().Data {
		ints.RawMatrix().Data[i] = float64(rng.IntN(1<<20) - 1<<19)
	}
	put("c.npy", rawFile(t, d, ".npy"))
	put("f8f.npy", npyBytes(1, npyDict("<f8", true, "(257, 7)"), rawElems(d, "<f8", true)))
	put("f4f.npy", npyBytes(3, npyDict("<f4", true, "(61, 5)"), rawElems(ints, "<f4", true)))
	put("i4c.npy", npyBytes(2, npyDict("<i4", false, "(61, 5)"), rawElems(ints, "<i4", false)))
	put("i8f.npy", npyBytes(1, npyDict("<i8", true, "(61, 5)"), rawElems(ints, "<i8", true)))
	put("vec.npy", npyBytes(1, npyDict("<f8", false, "(257,)"), rawElems(d.ColView(0), "<f8", false)))
	put("scalar.npy", npyBytes(1, npyDict("<f8", false, "()"), rawElems(mat.NewDense(1, 1, []float64{4}), "<f8", false)))
	put("coord.mtx", rawFile(t, randCSR(rng, 300, 11, 0.2), ".mtx"))
	put("array.mtx", rawFile(t, d, ".mtx"))
	sym, _ := symArrayText(rng, 37, false)
	put("symarray.mtx", []byte(sym))
	skew, _ := symArrayText(rng, 23, true)
	put("skewarray.mtx", []byte(skew))
	// Symmetric coordinate with duplicates, comments and a pattern file.
	var b strings.Builder
	b.WriteString("%%MatrixMarket matrix coordinate real symmetric\n%c\n40 40 300\n")
	for k := 0; k < 300; k++ {
		i := rng.IntN(40)
		j := rng.IntN(i + 1)
		fmt.Fprintf(&b, "%d %d %g\n", i+1, j+1, rng.NormFloat64())
		if k%50 == 0 {
			b.WriteString("% comment\n\n")
		}
	}
	put("symcoord.mtx", []byte(b.String()))
	b.Reset()
	b.WriteString("%%MatrixMarket matrix coordinate integer skew-symmetric\n30 30 100\n")
	for k := 0; k < 100; k++ {
		i := 1 + rng.IntN(29)
		fmt.Fprintf(&b, "%d %d %d\n", i+1, rng.IntN(i)+1, rng.IntN(100)-50)
	}
	put("skewcoord.mtx", []byte(b.String()))
	put("pattern.mtx", []byte("%%MatrixMarket matrix coordinate pattern symmetric\n5 5 4\n1 1\n3 1\n5 2\n4 4\n"))
	put("empty.mtx", []byte("%%MatrixMarket matrix coordinate real general\n5 3 0\n"))
	put("plain.csv", rawFile(t, d, ".csv"))
	put("header.csv", []byte("\xef\xbb\xbf\"a\",b\r\n1,2\r\n 3 ,4\r\n5,\t6\r\n\r\n \n"))
	put("bom.csv", []byte("\xef\xbb\xbf1,2\n3,4\n"))
	return files
}

// rawFile returns what WriteMatrix writes for m.
func rawFile(t *testing.T, m mat.Matrix, ext string) []byte {
	p := filepath.Join(t.TempDir(), "m"+ext)
	if err := WriteMatrix(p, m); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStreamMatchesRead checks, for every streamable kind of file and
// several chunk sizes, that two passes (with Reset, and a Reset in the
// middle of a pass) each deliver exactly the matrix ReadMatrix returns.
func TestStreamMatchesRead(t *testing.T) {
	for name, p := range streamFixtures(t) {
		want, err := ReadMatrix(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, cb := range []int{1, 8*7*3 + 5, 1000, 0} {
			t.Run(fmt.Sprintf("%s/chunk=%d", name, cb), func(t *testing.T) {
				s, err := OpenStream(p, StreamOptions{ChunkBytes: cb})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				wr, wc := want.Dims()
				if r, c := s.Dims(); r != wr || c != wc {
					t.Fatalf("Dims %dx%d, want %dx%d", r, c, wr, wc)
				}
				_, isCSR := want.(*linalg.CSR)
				if s.Sparse() != isCSR {
					t.Fatalf("Sparse() = %v for %T", s.Sparse(), want)
				}
				for pass := 1; pass <= 2; pass++ {
					got := streamAll(t, s, cb)
					if err := sameMatrix(got, want); err != nil {
						t.Fatalf("pass %d: %v", pass, err)
					}
					if s.Passes() != pass {
						t.Fatalf("Passes() = %d after pass %d", s.Passes(), pass)
					}
					if _, err := s.Next(); err != io.EOF {
						t.Fatalf("Next after the end: %v", err)
					}
					if s.Passes() != pass {
						t.Fatal("a second io.EOF counted another pass")
					}
					if err := s.Reset(); err != nil {
						t.Fatal(err)
					}
				}
				// Abandon a pass after one chunk: it does not count (unless
				// that chunk was already the end).
				wantPasses := 3
				if _, err := s.Next(); err == io.EOF {
					wantPasses++
				} else if err != nil {
					t.Fatal(err)
				}
				if err := s.Reset(); err != nil {
					t.Fatal(err)
				}
				if got := streamAll(t, s, cb); sameMatrix(got, want) != nil || s.Passes() != wantPasses {
					t.Fatalf("after an abandoned pass: %v, Passes %d", sameMatrix(got, want), s.Passes())
				}
			})
		}
	}
}

// TestStreamBoundedMemory streams files far larger than the chunk bound
// and checks that all the memory the stream allocates, from OpenStream to
// the end of two passes, stays within a small multiple of ChunkBytes while
// the data is checked against the source.
func TestStreamBoundedMemory(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	dir := t.TempDir()
	d := randDense(rng, 4096, 512) // 16 MiB of float64
	sp := randCSR(rng, 20000, 300, 0.02)
	ad := randDense(rng, 3000, 40)
	cases := []struct {
		name  string
		m     mat.Matrix
		chunk int
	}{
		{"big.npy", d, 64 << 10},
		{"big.mtx", sp, 48 << 10},
		{"bigarray.mtx", ad, 16 << 10},
		{"big.csv", ad, 16 << 10},
	}
	for _, tc := range cases {
		p := filepath.Join(dir, tc.name)
		if err := WriteMatrix(p, tc.m); err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(p)
		r, c := tc.m.Dims()
		// Reference column sums to check that every value went through.
		wantSum := colSums(tc.m)
		var ms0, ms1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		s, err := OpenStream(p, StreamOptions{ChunkBytes: tc.chunk})
		if err != nil {
			t.Fatal(err)
		}
		sum := make([]float64, c)
		chunks := 0
		for pass := 0; pass < 2; pass++ {
			clear(sum)
			for {
				ch, err := s.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				chunks++
				if ch.Dense != nil {
					k, _ := ch.Dense.Dims()
					for i := 0; i < k; i++ {
						for j, v := range ch.Dense.RawRowView(i) {
							sum[j] += v
						}
					}
				}
				for _, e := range ch.Entries {
					sum[e.J] += e.V
				}
			}
			s.Reset()
		}
		runtime.ReadMemStats(&ms1)
		s.Close()
		alloc := ms1.TotalAlloc - ms0.TotalAlloc
		// Two buffers of ChunkBytes (values and raw bytes or read buffers),
		// 64 KiB read buffers, 56 bytes per column for array files, and a
		// few hundred bytes per chunk for the chunk header.
		limit := uint64(2*tc.chunk + 3*64<<10 + 56*c + 512*chunks)
		if alloc > limit || float64(alloc) > 0.1*float64(st.Size()) {
			t.Errorf("%s (%d bytes, %dx%d, %d chunks): stream allocated %d bytes, limit %d", tc.name, st.Size(), r, c, chunks, alloc, limit)
		}
		for j := range sum {
			if d := sum[j] - wantSum[j]; d > 1e-9*(1+abs(wantSum[j])) || -d > 1e-9*(1+abs(wantSum[j])) {
				t.Fatalf("%s: column %d sums to %v, want %v", tc.name, j, sum[j], wantSum[j])
			}
		}
		t.Logf("%s: %d bytes streamed twice in %d chunks with %d bytes allocated", tc.name, st.Size(), chunks, alloc)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func colSums(m mat.Matrix) []float64 {
	r, c := m.Dims()
	s := make([]float64, c)
	rows := newRowReader(m)
	for i := 0; i < r; i++ {
		for j, v := range rows.row(i) {
			s[j] += v
		}
	}
	return s
}

// TestStreamErrors checks that header problems are reported by OpenStream,
// body problems by Next when reached (after good chunks), with the
// position, and that an error sticks until Reset.
func TestStreamErrors(t *testing.T) {
	a := fixtureA(3, 4)
	// A coordinate file truncated after 40 of 50 entries: the first chunks
	// (2 entries each) arrive, then the error names the end of the file.
	var b strings.Builder
	b.WriteString("%%MatrixMarket matrix coordinate real general\n10 10 50\n")
	for k := 0; k < 40; k++ {
		fmt.Fprintf(&b, "%d %d 1\n", k%10+1, k/10+1)
	}
	p := writeTemp(t, "trunc.mtx", []byte(b.String()))
	s, err := OpenStream(p, StreamOptions{ChunkBytes: 48})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	good := 0
	for {
		_, err = s.Next()
		if err != nil {
			break
		}
		good++
	}
	want := fmt.Sprintf("%s: line 43, byte offset %d: file ends after 40 of the 50 entries", p, b.Len())
	if good != 20 || err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("after %d good chunks: %v, want %q", good, err, want)
	}
	if _, err2 := s.Next(); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("error did not stick: %v", err2)
	}
	if s.Passes() != 0 {
		t.Errorf("a failed pass counted: %d", s.Passes())
	}
	// NaN in the body of an .npy, in the third chunk of rows.
	nan := mat.DenseCopyOf(fixtureA(9, 4))
	nan.Set(6, 1, math.NaN())
	p = writeTemp(t, "nan.npy", npyBytes(1, npyDict("<f8", false, "(9, 4)"), rawElems(nan, "<f8", false)))
	s2, err := OpenStream(p, StreamOptions{ChunkBytes: 3 * 4 * 8})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for k := 0; k < 2; k++ {
		if _, err := s2.Next(); err != nil {
			t.Fatalf("chunk %d: %v", k, err)
		}
	}
	if _, err := s2.Next(); err == nil || !strings.HasPrefix(err.Error(), p+": row 7, column 2, byte offset 328: non-finite value NaN (use StreamOptions") {
		t.Errorf("NaN: %v", err)
	}
	// With AllowNonFinite the same file streams.
	s3, _ := OpenStream(p, StreamOptions{ChunkBytes: 3 * 4 * 8, AllowNonFinite: true})
	if got := streamAll(t, s3, 3*4*8); sameMatrix(got, nan) != nil {
		t.Errorf("AllowNonFinite: %v", sameMatrix(got, nan))
	}
	s3.Close()

	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"short.npy", "byte offset 178: data truncated", npyBytes(1, npyDict("<f8", false, "(3, 4)"), rawElems(a, "<f8", false))[:178]},
		{"long.npy", "byte offset 224: data longer", append(npyBytes(1, npyDict("<f8", false, "(3, 4)"), rawElems(a, "<f8", false)), 0)},
		{"dtype.npy", `byte offset 10: unsupported dtype "<f2"`, npyBytes(1, npyDict("<f2", false, "(3, 4)"), make([]byte, 24))},
		{"banner.mtx", "line 1", []byte("%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 1\n")},
		{"arrayshort.mtx", "line 7, byte offset 61: file ends after 3 of the 4 values", []byte("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n% padding\n")},
		{"arraytiny.mtx", "line 2, byte offset 41: the size line declares 2 x 2000000000", []byte("%%MatrixMarket matrix array real general\n2 2000000000\n1\n2\n3\n")},
		{"ragged.csv", "line 3, byte offset 8: ragged row: 1 fields", []byte("1,2\n3,4\n5\n")},
		{"nan.csv", "line 2, row 1, column 2, byte offset 6: non-finite value NaN (use StreamOptions", []byte("a,b\n1,nan\n")},
		{"arraynan.mtx", "line 4, row 2, column 2, byte offset 51: non-finite value NaN", []byte("%%MatrixMarket matrix array real general\n2 2\n1 2\n3 nan\n")},
	} {
		p := writeTemp(t, tc.name, tc.data)
		_, err := OpenStream(p, StreamOptions{})
		if err == nil || !strings.HasPrefix(err.Error(), p+": "+tc.want) {
			t.Errorf("%s: OpenStream error %v, want %q", tc.name, err, tc.want)
		}
	}
	// Close ends the stream.
	s.Close()
	if _, err := s.Next(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Next after Close: %v", err)
	}
	if err := s.Reset(); err == nil {
		t.Error("Reset after Close succeeded")
	}
}
