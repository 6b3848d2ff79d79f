package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

func TestRoundTripAllKinds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 2000; trial++ {
		u8 := uint8(rng.Uint32())
		u32 := rng.Uint32()
		u64 := rng.Uint64() >> rng.UintN(64)
		i64 := int64(rng.Uint64())
		uv := rng.Uint64() >> rng.UintN(64)
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		var fixed [32]byte
		fixed[rng.IntN(32)] = 7
		flag := rng.IntN(2) == 1

		w := NewWriter(0)
		w.U8(u8)
		w.U32(u32)
		w.U64(u64)
		w.I64(i64)
		w.Uvarint(uv)
		w.VarBytes(b)
		w.Raw(fixed[:])
		w.Bool(flag)
		enc := append([]byte(nil), w.Bytes()...)
		if want := 1 + 4 + 8 + 8 + UvarintLen(uv) + UvarintLen(uint64(len(b))) + len(b) + 32 + 1; len(enc) != want {
			t.Fatalf("encoded %d bytes, want %d", len(enc), want)
		}

		r := NewReader(enc)
		var gotFixed [32]byte
		g8, g32, g64, gi, guv := r.U8("a"), r.U32("b"), r.U64("c"), r.I64("d"), r.Uvarint("e")
		gb := r.VarBytes("f", 40)
		r.Array("g", gotFixed[:])
		gflag := r.Bool("h")
		if err := r.Finish(); err != nil {
			t.Fatal(err)
		}
		if g8 != u8 || g32 != u32 || g64 != u64 || gi != i64 || guv != uv || !bytes.Equal(gb, b) || gotFixed != fixed || gflag != flag {
			t.Fatalf("trial %d: round trip mismatch", trial)
		}
	}
}

func TestLittleEndianLayout(t *testing.T) {
	w := NewWriter(0)
	w.U32(0x01020304)
	w.U64(0x0102030405060708)
	w.I64(-2)
	want := []byte{4, 3, 2, 1, 8, 7, 6, 5, 4, 3, 2, 1, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	if !bytes.Equal(w.Bytes(), want) {
		t.Fatalf("layout %x, want %x", w.Bytes(), want)
	}
}

// TestUvarintAgainstStdlib checks that every minimal encoding decodes to the
// same value as encoding/binary, and that the boundary values have the
// expected lengths.
func TestUvarintAgainstStdlib(t *testing.T) {
	vals := []uint64{0, 1, 127, 128, 255, 16383, 16384, 1<<21 - 1, 1 << 21, 1<<63 - 1, 1 << 63, math.MaxUint64}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 5000; i++ {
		vals = append(vals, rng.Uint64()>>rng.UintN(64))
	}
	for _, v := range vals {
		enc := AppendUvarint(nil, v)
		if len(enc) != UvarintLen(v) {
			t.Fatalf("UvarintLen(%d) = %d, encoding has %d", v, UvarintLen(v), len(enc))
		}
		r := NewReader(enc)
		got := r.Uvarint("v")
		if err := r.Finish(); err != nil || got != v {
			t.Fatalf("uvarint %d: got %d err %v", v, got, err)
		}
		sv, n := binary.Uvarint(enc)
		if sv != v || n != len(enc) {
			t.Fatalf("stdlib disagrees on %x", enc)
		}
	}
	if UvarintLen(math.MaxUint64) != MaxVarintLen {
		t.Fatal("max uvarint length is not 10")
	}
}

func decodeErr(t *testing.T, b []byte, read func(*Reader)) error {
	t.Helper()
	r := NewReader(b)
	read(r)
	return r.Finish()
}

func TestRejectsNonMinimalVarints(t *testing.T) {
	// Every value re-encoded with one or more redundant zero groups must fail,
	// while encoding/binary (which is lenient) accepts them.
	for _, v := range []uint64{0, 1, 127, 128, 300, 1 << 40} {
		enc := AppendUvarint(nil, v)
		for pad := 1; len(enc)+pad <= MaxVarintLen; pad++ {
			nm := append([]byte(nil), enc...)
			nm[len(nm)-1] |= 0x80
			for i := 1; i < pad; i++ {
				nm = append(nm, 0x80)
			}
			nm = append(nm, 0x00)
			if sv, n := binary.Uvarint(nm); n != len(nm) || sv != v {
				t.Fatalf("test construction: %x is not a padded %d", nm, v)
			}
			err := decodeErr(t, nm, func(r *Reader) { r.Uvarint("v") })
			if !errors.Is(err, ErrNonMinimal) {
				t.Fatalf("padded encoding %x of %d: err %v, want ErrNonMinimal", nm, v, err)
			}
		}
	}
}

func TestRejectsVarintOverflowAndShort(t *testing.T) {
	over := append(bytes.Repeat([]byte{0xff}, 9), 0x02) // 2^64 and above
	if err := decodeErr(t, over, func(r *Reader) { r.Uvarint("v") }); !errors.Is(err, ErrVarintOverflow) {
		t.Fatalf("overflow: %v", err)
	}
	eleven := append(bytes.Repeat([]byte{0x80}, 10), 0x01)
	if err := decodeErr(t, eleven, func(r *Reader) { r.Uvarint("v") }); !errors.Is(err, ErrVarintOverflow) {
		t.Fatalf("11-byte varint: %v", err)
	}
	for _, b := range [][]byte{nil, {0x80}, {0xff, 0xff}} {
		if err := decodeErr(t, b, func(r *Reader) { r.Uvarint("v") }); !errors.Is(err, ErrShort) {
			t.Fatalf("short %x: %v", b, err)
		}
	}
}

func TestFixedWidthShortInput(t *testing.T) {
	reads := map[string]func(*Reader){
		"u8":    func(r *Reader) { r.U8("x") },
		"u32":   func(r *Reader) { r.U32("x") },
		"u64":   func(r *Reader) { r.U64("x") },
		"array": func(r *Reader) { var a [32]byte; r.Array("x", a[:]) },
		"bool":  func(r *Reader) { r.Bool("x") },
	}
	widths := map[string]int{"u8": 1, "u32": 4, "u64": 8, "array": 32, "bool": 1}
	for name, read := range reads {
		for n := 0; n < widths[name]; n++ {
			if err := decodeErr(t, make([]byte, n), read); !errors.Is(err, ErrShort) {
				t.Fatalf("%s on %d bytes: %v", name, n, err)
			}
		}
		if err := decodeErr(t, make([]byte, widths[name]), read); err != nil {
			t.Fatalf("%s on exact input: %v", name, err)
		}
		if err := decodeErr(t, make([]byte, widths[name]+1), read); !errors.Is(err, ErrTrailing) {
			t.Fatalf("%s with a trailing byte: %v", name, err)
		}
	}
}

func TestBoolStrict(t *testing.T) {
	for b := 2; b < 256; b++ {
		if err := decodeErr(t, []byte{byte(b)}, func(r *Reader) { r.Bool("flag") }); !errors.Is(err, ErrBadBool) {
			t.Fatalf("bool byte %d: %v", b, err)
		}
	}
}

func TestVarBytesCapsBeforeAllocating(t *testing.T) {
	// Over cap: rejected even though the bytes are present.
	enc := AppendUvarint(nil, 65)
	enc = append(enc, make([]byte, 65)...)
	if err := decodeErr(t, enc, func(r *Reader) { r.VarBytes("memo", 64) }); !errors.Is(err, ErrOverCap) {
		t.Fatalf("over cap: %v", err)
	}
	// A huge claimed length with few bytes behind it: rejected without
	// allocating anything near the claimed size.
	huge := AppendUvarint(nil, 1<<40)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < 100; i++ {
		r := NewReader(huge)
		r.VarBytes("blob", math.MaxUint64)
		if !errors.Is(r.Err(), ErrShort) {
			t.Fatalf("huge length: %v", r.Err())
		}
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 100*1024 {
		t.Fatalf("rejecting a 2^40 length 100 times allocated %d bytes", d)
	}
	// Counts with a minimum element size.
	cnt := AppendUvarint(nil, 5)
	cnt = append(cnt, make([]byte, 5*10-1)...)
	r := NewReader(cnt)
	if r.Len("txs", 1000, 10); !errors.Is(r.Err(), ErrShort) {
		t.Fatalf("count beyond input: %v", r.Err())
	}
	r = NewReader(append(AppendUvarint(nil, 1001), make([]byte, 2000)...))
	if r.Len("txs", 1000, 1); !errors.Is(r.Err(), ErrOverCap) {
		t.Fatalf("count over cap: %v", r.Err())
	}
	// Exact-length memo at the cap round-trips; empty decodes to nil.
	w := NewWriter(0)
	w.VarBytes(bytes.Repeat([]byte{9}, 64))
	w.VarBytes(nil)
	r = NewReader(w.Bytes())
	m, e := r.VarBytes("memo", 64), r.VarBytes("memo2", 64)
	if err := r.Finish(); err != nil || len(m) != 64 || e != nil {
		t.Fatalf("cap-length round trip: %v %d %v", err, len(m), e)
	}
}

func TestStickyErrorAndLocation(t *testing.T) {
	r := NewReader([]byte{1, 2, 3})
	r.U8("version")
	r.U64("amount")
	if v := r.U32("later"); v != 0 {
		t.Fatal("read after error returned data")
	}
	var de *DecodeError
	if !errors.As(r.Err(), &de) || de.Field != "amount" || de.Offset != 1 || !errors.Is(de, ErrShort) {
		t.Fatalf("error %v does not name the failing field and offset", r.Err())
	}
}

// FuzzReader drives a fixed read sequence over arbitrary input. It must never
// panic, and whatever it accepts must re-encode to exactly the input: the
// encoding is canonical.
func FuzzReader(f *testing.F) {
	w := NewWriter(0)
	w.U8(1)
	w.Uvarint(300)
	w.VarBytes([]byte("memo"))
	w.U64(42)
	w.Bool(true)
	f.Add(w.Bytes())
	f.Add([]byte{})
	f.Add([]byte{1, 0x80, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(in)
		a := r.U8("a")
		b := r.Uvarint("b")
		c := r.VarBytes("c", 64)
		d := r.U64("d")
		e := r.Bool("e")
		if r.Finish() != nil {
			return
		}
		w := NewWriter(len(in))
		w.U8(a)
		w.Uvarint(b)
		w.VarBytes(c)
		w.U64(d)
		w.Bool(e)
		if !bytes.Equal(w.Bytes(), in) {
			t.Fatalf("accepted %x but re-encodes to %x", in, w.Bytes())
		}
	})
}
