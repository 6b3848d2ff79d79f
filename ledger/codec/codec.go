package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MaxVarintLen is the longest minimal uvarint encoding of a uint64.
const MaxVarintLen = 10

// Sentinel decode failures; a *DecodeError wraps exactly one of them.
var (
	ErrShort          = errors.New("input too short")
	ErrNonMinimal     = errors.New("non-minimal uvarint")
	ErrVarintOverflow = errors.New("uvarint overflows 64 bits")
	ErrOverCap        = errors.New("length over cap")
	ErrBadBool        = errors.New("boolean byte not 0 or 1")
	ErrTrailing       = errors.New("trailing bytes")
)

// DecodeError reports where decoding failed: the field being read, the byte
// offset of the read and the reason (one of the sentinel errors, testable
// with errors.Is).
type DecodeError struct {
	Field  string
	Offset int
	Err    error
	Detail string
}

func (e *DecodeError) Error() string {
	s := fmt.Sprintf("codec: %s at byte %d: %v", e.Field, e.Offset, e.Err)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Writer builds a canonical encoding. The zero value is ready to use.
type Writer struct {
	buf []byte
}

// NewWriter returns a Writer whose buffer has capacity sizeHint.
func NewWriter(sizeHint int) *Writer {
	if sizeHint < 0 {
		sizeHint = 0
	}
	return &Writer{buf: make([]byte, 0, sizeHint)}
}

// Bytes returns the encoding written so far. The slice aliases the Writer's
// buffer until the next write.
func (w *Writer) Bytes() []byte { return w.buf }

// Len returns the number of bytes written.
func (w *Writer) Len() int { return len(w.buf) }

// U8 appends one byte.
func (w *Writer) U8(v uint8) { w.buf = append(w.buf, v) }

// Bool appends 1 for true and 0 for false.
func (w *Writer) Bool(v bool) {
	if v {
		w.buf = append(w.buf, 1)
	} else {
		w.buf = append(w.buf, 0)
	}
}

// U32 appends v as 4 little-endian bytes.
func (w *Writer) U32(v uint32) { w.buf = binary.LittleEndian.AppendUint32(w.buf, v) }

// U64 appends v as 8 little-endian bytes.
func (w *Writer) U64(v uint64) { w.buf = binary.LittleEndian.AppendUint64(w.buf, v) }

// I64 appends v as 8 little-endian two's-complement bytes.
func (w *Writer) I64(v int64) { w.U64(uint64(v)) }

// Uvarint appends the minimal LEB128 encoding of v.
func (w *Writer) Uvarint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }

// Raw appends b unchanged (for fixed-size fields such as hashes).
func (w *Writer) Raw(b []byte) { w.buf = append(w.buf, b...) }

// VarBytes appends uvarint(len(b)) followed by b.
func (w *Writer) VarBytes(b []byte) {
	w.Uvarint(uint64(len(b)))
	w.buf = append(w.buf, b...)
}

// UvarintLen returns the length of the minimal uvarint encoding of v.
func UvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// AppendUvarint appends the minimal uvarint encoding of v to b.
func AppendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// Reader decodes a canonical encoding from a byte slice. It never panics; the
// first failure is sticky (see Err).
type Reader struct {
	b   []byte
	off int
	err error
}

// NewReader returns a Reader over b. b is not copied; VarBytes and Array
// results are copies, Raw results alias b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err returns the first decode error, or nil.
func (r *Reader) Err() error { return r.err }

// Offset returns the number of bytes consumed.
func (r *Reader) Offset() int { return r.off }

// Remaining returns the number of unread bytes.
func (r *Reader) Remaining() int { return len(r.b) - r.off }

// Finish returns the first decode error, or ErrTrailing if unread bytes
// remain, or nil when the input was consumed exactly.
func (r *Reader) Finish() error {
	if r.err != nil {
		return r.err
	}
	if r.off != len(r.b) {
		r.fail("end", ErrTrailing, fmt.Sprintf("%d unread", len(r.b)-r.off))
		return r.err
	}
	return nil
}

// Fail records err (unless an error is already recorded) as a failure of
// field at the current offset. Decoders use it for semantic checks that
// belong to the encoding (for example a fixed version byte).
func (r *Reader) Fail(field string, err error, detail string) {
	r.fail(field, err, detail)
}

func (r *Reader) fail(field string, err error, detail string) {
	if r.err == nil {
		r.err = &DecodeError{Field: field, Offset: r.off, Err: err, Detail: detail}
	}
}

// take returns the next n bytes, or nil after recording ErrShort.
func (r *Reader) take(field string, n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.fail(field, ErrShort, fmt.Sprintf("need %d, have %d", n, len(r.b)-r.off))
		return nil
	}
	s := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return s
}

// U8 reads one byte.
func (r *Reader) U8(field string) uint8 {
	s := r.take(field, 1)
	if s == nil {
		return 0
	}
	return s[0]
}

// Bool reads one byte that must be 0 or 1.
func (r *Reader) Bool(field string) bool {
	if r.err != nil {
		return false
	}
	at := r.off
	v := r.U8(field)
	if r.err != nil {
		return false
	}
	if v > 1 {
		r.off = at
		r.fail(field, ErrBadBool, fmt.Sprintf("byte 0x%02x", v))
		return false
	}
	return v == 1
}

// U32 reads 4 little-endian bytes.
func (r *Reader) U32(field string) uint32 {
	s := r.take(field, 4)
	if s == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(s)
}

// U64 reads 8 little-endian bytes.
func (r *Reader) U64(field string) uint64 {
	s := r.take(field, 8)
	if s == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(s)
}

// I64 reads 8 little-endian two's-complement bytes.
func (r *Reader) I64(field string) int64 { return int64(r.U64(field)) }

// Uvarint reads a minimal uvarint. Non-minimal encodings (a final 0x00 group
// after the first byte), encodings longer than 10 bytes and values above
// 2^64-1 are rejected.
func (r *Reader) Uvarint(field string) uint64 {
	if r.err != nil {
		return 0
	}
	var v uint64
	start := r.off
	for i := 0; ; i++ {
		if r.off >= len(r.b) {
			r.off = start
			r.fail(field, ErrShort, "unterminated uvarint")
			return 0
		}
		c := r.b[r.off]
		r.off++
		if i == MaxVarintLen-1 && c > 1 {
			r.off = start
			r.fail(field, ErrVarintOverflow, "")
			return 0
		}
		v |= uint64(c&0x7f) << (7 * uint(i))
		if c < 0x80 {
			if c == 0 && i > 0 {
				r.off = start
				r.fail(field, ErrNonMinimal, "")
				return 0
			}
			return v
		}
	}
}

// Len reads a uvarint length or count and checks it against max and, when
// unitSize > 0, against the bytes left (each element needs at least unitSize
// bytes). Both checks happen before any allocation by the caller.
func (r *Reader) Len(field string, max uint64, unitSize int) int {
	at := r.off
	n := r.Uvarint(field)
	if r.err != nil {
		return 0
	}
	if n > max {
		r.off = at
		r.fail(field, ErrOverCap, fmt.Sprintf("%d > max %d", n, max))
		return 0
	}
	if unitSize > 0 && n > uint64(r.Remaining()/unitSize) {
		r.off = at
		r.fail(field, ErrShort, fmt.Sprintf("%d elements of >= %d bytes, %d bytes left", n, unitSize, r.Remaining()))
		return 0
	}
	return int(n)
}

// VarBytes reads uvarint(len) followed by len bytes, with len <= max, and
// returns a copy (nil for length 0).
func (r *Reader) VarBytes(field string, max uint64) []byte {
	n := r.Len(field, max, 1)
	if r.err != nil || n == 0 {
		return nil
	}
	s := r.take(field, n)
	if s == nil {
		return nil
	}
	out := make([]byte, n)
	copy(out, s)
	return out
}

// Array fills dst with the next len(dst) bytes (for fixed-size fields).
func (r *Reader) Array(field string, dst []byte) {
	s := r.take(field, len(dst))
	if s == nil {
		clear(dst)
		return
	}
	copy(dst, s)
}

// Raw returns the next n bytes without copying; the result aliases the input.
func (r *Reader) Raw(field string, n int) []byte { return r.take(field, n) }
