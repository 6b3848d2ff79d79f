package corpus

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/sketchwork/sketchwork/ledger/hashx"
)

func TestSymbolMapping(t *testing.T) {
	for b := 0; b < 256; b++ {
		s := Symbol(byte(b))
		var want uint8
		switch {
		case b >= 32 && b <= 126:
			want = uint8(b - 32)
		case b == '\n':
			want = 95
		default:
			want = '?' - 32
		}
		if s != want {
			t.Fatalf("Symbol(%d) = %d, want %d", b, s, want)
		}
		if s >= V {
			t.Fatalf("Symbol(%d) = %d out of range", b, s)
		}
	}
	for s := uint8(0); s < V; s++ {
		if Symbol(Byte(s)) != s {
			t.Fatalf("Byte(%d) does not invert Symbol", s)
		}
	}
	in := []byte("Tab\there, caf\xc3\xa9\r\nend~ {}")
	got := Text(Normalize(in))
	// Tab, both bytes of the UTF-8 e-acute and '\r' map to '?'.
	if want := []byte("Tab?here, caf???\nend~ {}"); !bytes.Equal(got, want) {
		t.Fatalf("round trip %q, want %q", got, want)
	}
	defer func() {
		if recover() == nil {
			t.Error("Byte(96) did not panic")
		}
	}()
	Byte(V)
}

// chunkRoot recomputes the corpus root from its definition.
func chunkRoot(syms []uint8) hashx.Hash {
	var leaves [][]byte
	for len(syms) > 0 {
		n := min(len(syms), 4096)
		leaves = append(leaves, append([]byte(nil), syms[:n]...))
		syms = syms[n:]
	}
	return hashx.MerkleRoot(leaves)
}

func TestRoot(t *testing.T) {
	syms := Normalize(Synthetic(3, 3*4096+17))
	if Root(syms) != chunkRoot(syms) {
		t.Fatal("Root differs from its definition")
	}
	if got, want := Root(syms[:100]), hashx.LeafHash(syms[:100]); got != want {
		t.Fatal("one-chunk root is not the leaf hash")
	}
	if Root(nil) != hashx.EmptyRoot {
		t.Fatal("empty root")
	}
	base := Root(syms)
	for _, i := range []int{0, 4095, 4096, len(syms) - 1} {
		mod := append([]uint8(nil), syms...)
		mod[i] ^= 1
		if Root(mod) == base {
			t.Errorf("changing symbol %d does not change the root", i)
		}
	}
	if Root(syms[:len(syms)-1]) == base {
		t.Error("dropping the last symbol does not change the root")
	}
}

func TestEmbedded(t *testing.T) {
	text := EmbeddedText()
	if len(text) > 2<<20 || len(text) < 64<<10 {
		t.Fatalf("embedded corpus has %d bytes", len(text))
	}
	for i, b := range text {
		if (b < 32 || b > 126) && b != '\n' {
			t.Fatalf("embedded corpus byte %d is %#x, which normalises to '?'", i, b)
		}
	}
	c := Embedded()
	if !bytes.Equal(Text(c.Symbols()), text) {
		t.Fatal("embedded corpus does not round-trip")
	}
	if got := c.Root().String(); got != EmbeddedRootHex {
		t.Fatalf("embedded CorpusRoot %s, pinned %s", got, EmbeddedRootHex)
	}
	if c.Root() != chunkRoot(c.Symbols()) {
		t.Fatal("embedded root differs from its definition")
	}
	if Embedded() != c {
		t.Fatal("Embedded is not shared")
	}
}

func TestWindowsAndSplit(t *testing.T) {
	text := Synthetic(5, 45000)
	c, err := New(text)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Symbols()
	if c.NumWindows() != len(s)-3 || c.Len() != len(s) {
		t.Fatal("window count")
	}
	for _, i := range []int{0, 1, 4095, 4096, c.NumWindows() - 1} {
		w := c.Window(i)
		if w.C3 != s[i] || w.C2 != s[i+1] || w.C1 != s[i+2] || w.Y != s[i+3] {
			t.Fatalf("window %d = %+v, symbols %v", i, w, s[i:i+4])
		}
	}
	train, held := c.Train(), c.HeldOut()
	if len(train)+len(held) != c.NumWindows() {
		t.Fatalf("split sizes %d + %d != %d", len(train), len(held), c.NumWindows())
	}
	// Windows 0..4095 and 40960..(end) are held out for 45000 symbols.
	if want := 4096 + (c.NumWindows() - 40960); len(held) != want {
		t.Fatalf("held-out size %d, want %d", len(held), want)
	}
	seen := make([]bool, c.NumWindows())
	for _, list := range [][]uint32{train, held} {
		for j, i := range list {
			if j > 0 && list[j-1] >= i {
				t.Fatal("split not ascending")
			}
			if seen[i] {
				t.Fatalf("window %d in both splits", i)
			}
			seen[i] = true
		}
	}
	for _, i := range held {
		if (i/4096)%10 != 0 {
			t.Fatalf("window %d held out but not in a held-out block", i)
		}
	}
	for _, i := range train {
		if (i/4096)%10 == 0 {
			t.Fatalf("window %d in training but in a held-out block", i)
		}
	}
	ev := c.EvalSet(EvalWindows)
	if len(ev) != EvalWindows || ev[0] != c.Window(0) || ev[EvalWindows-1] != c.Window(EvalWindows-1) {
		t.Fatal("EvalSet is not the first held-out windows")
	}
	if len(c.EvalSet(1<<30)) != len(held) {
		t.Fatal("EvalSet not capped at the held-out size")
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(make([]byte, MinSymbols-1)); err == nil {
		t.Fatal("too short a text accepted")
	}
	c, err := New(Synthetic(1, MinSymbols))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Train()) != 1 || len(c.HeldOut()) != 4096 {
		t.Fatalf("minimal corpus split %d/%d", len(c.Train()), len(c.HeldOut()))
	}
}

func u64(x uint64) []byte { return binary.LittleEndian.AppendUint64(nil, x) }

func TestSelectIndexDefinition(t *testing.T) {
	seed := hashx.Tagged("test", []byte("seed"))
	for _, n := range []int{1, 7, 1000, 83512, 1 << 40} {
		for k := uint64(0); k < 3; k++ {
			for j := uint64(0); j < 5; j++ {
				h := hashx.Tagged(hashx.TagIndex, seed[:], u64(k), u64(j))
				want := int(binary.LittleEndian.Uint64(h[:8]) % uint64(n))
				if got := SelectIndex(seed, k, j, n); got != want {
					t.Fatalf("SelectIndex(k=%d, j=%d, n=%d) = %d, want %d", k, j, n, got, want)
				}
			}
		}
	}
	// Each input matters.
	a := SelectIndex(seed, 1, 2, 1<<40)
	seed2 := seed
	seed2[31] ^= 1
	if a == SelectIndex(seed, 2, 2, 1<<40) || a == SelectIndex(seed, 1, 3, 1<<40) || a == SelectIndex(seed2, 1, 2, 1<<40) {
		t.Fatal("selection ignores k, j or the seed")
	}
}

// TestSelectIndexUniform counts 200,000 selections into 10 bins. Each count
// is Binomial(200000, 0.1): mean 20000, sd 134; a 6-sd band fails with
// probability < 1e-8 per bin for a uniform selector.
func TestSelectIndexUniform(t *testing.T) {
	var counts [10]int
	seed := hashx.Tagged("uniform")
	for j := uint64(0); j < 200000; j++ {
		counts[SelectIndex(seed, j%8, j, 10)]++
	}
	for b, c := range counts {
		if c < 20000-6*134 || c > 20000+6*134 {
			t.Errorf("bin %d has %d selections", b, c)
		}
	}
}

func TestBatches(t *testing.T) {
	c, err := New(Synthetic(9, 50000))
	if err != nil {
		t.Fatal(err)
	}
	seed := hashx.Tagged(hashx.TagTrain, []byte("batch"))
	b := c.TrainBatch(nil, seed, 3, 64)
	if len(b) != 64 {
		t.Fatal("batch size")
	}
	for j, w := range b {
		i := c.Train()[SelectIndex(seed, 3, uint64(j), len(c.Train()))]
		if w != c.Window(int(i)) {
			t.Fatalf("training window %d differs from its definition", j)
		}
	}
	if b2 := c.TrainBatch(make([]Window, 0, 64), seed, 3, 64); !equalWindows(b, b2) {
		t.Fatal("training batch not deterministic")
	}
	if equalWindows(b, c.TrainBatch(nil, seed, 4, 64)) {
		t.Fatal("steps 3 and 4 select the same batch")
	}
	v := c.HeldOutBatch(nil, seed, 0, 256)
	for j, w := range v {
		i := c.HeldOut()[SelectIndex(seed, 0, uint64(j), len(c.HeldOut()))]
		if !IsHeldOut(int(i)) || w != c.Window(int(i)) {
			t.Fatalf("held-out window %d differs from its definition", j)
		}
	}
	if n := testing.AllocsPerRun(10, func() { b = c.TrainBatch(b[:0], seed, 1, 64) }); n != 0 {
		t.Errorf("TrainBatch into a large enough buffer allocates %v times", n)
	}
}

func equalWindows(a, b []Window) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSynthetic(t *testing.T) {
	a := Synthetic(7, 20000)
	if len(a) != 20000 {
		t.Fatal("length")
	}
	if !bytes.Equal(a, Synthetic(7, 20000)) {
		t.Fatal("not deterministic")
	}
	if !bytes.Equal(a[:5000], Synthetic(7, 5000)) {
		t.Fatal("a shorter text is not a prefix")
	}
	if bytes.Equal(a[:5000], Synthetic(8, 5000)) {
		t.Fatal("seed ignored")
	}
	spaces, letters, newlines := 0, 0, 0
	for _, b := range a {
		switch {
		case b == ' ':
			spaces++
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z':
			letters++
		case b == '\n':
			newlines++
		case b < 32 || b > 126:
			t.Fatalf("byte %#x outside the vocabulary", b)
		}
	}
	// English prose: ~15-20% spaces, ~75-80% letters, lines of <= 72 columns.
	if f := float64(spaces) / 20000; f < 0.12 || f > 0.25 {
		t.Errorf("space fraction %.3f", f)
	}
	if f := float64(letters) / 20000; f < 0.65 || f > 0.85 {
		t.Errorf("letter fraction %.3f", f)
	}
	for _, line := range bytes.Split(a, []byte("\n")) {
		if len(line) > 72 {
			t.Fatalf("line of %d columns", len(line))
		}
	}
}

func BenchmarkTrainBatch64(b *testing.B) {
	c := Embedded()
	seed := hashx.Tagged(hashx.TagTrain, []byte("bench"))
	buf := make([]Window, 0, 64)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = c.TrainBatch(buf[:0], seed, uint64(i), 64)
	}
}
