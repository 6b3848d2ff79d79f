package dataio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// maxNpyHeader bounds the header length we accept (NumPy itself refuses
// headers over 10000 bytes by default).
const maxNpyHeader = 1 << 20

// NpyHeader is the parsed header of an .npy file (NumPy format versions 1.0,
// 2.0 and 3.0).
type NpyHeader struct {
	Major, Minor int    // format version
	Descr        string // dtype: one of "<f8", "<f4", "<i4", "<i8"
	FortranOrder bool   // data stored column by column
	Shape        []int  // 0, 1 or 2 dimensions, none of them zero
	DataOffset   int64  // byte offset of the first data byte
}

// Dims returns the matrix shape the array is read as: a 2-d array as is, a
// 1-d array of length n as n x 1, a 0-d array as 1 x 1.
func (h NpyHeader) Dims() (rows, cols int) {
	switch len(h.Shape) {
	case 0:
		return 1, 1
	case 1:
		return h.Shape[0], 1
	default:
		return h.Shape[0], h.Shape[1]
	}
}

// ItemSize returns the number of bytes per element of the dtype.
func (h NpyHeader) ItemSize() int { return npyItemSize(h.Descr) }

// DataBytes returns the number of data bytes the shape calls for.
func (h NpyHeader) DataBytes() int64 {
	r, c := h.Dims()
	return int64(r) * int64(c) * int64(h.ItemSize())
}

// shapeString formats the shape like Python does: (), (n,), (r, c).
func (h NpyHeader) shapeString() string {
	switch len(h.Shape) {
	case 0:
		return "()"
	case 1:
		return fmt.Sprintf("(%d,)", h.Shape[0])
	default:
		parts := make([]string, len(h.Shape))
		for i, s := range h.Shape {
			parts[i] = strconv.Itoa(s)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
}

func npyItemSize(descr string) int {
	switch descr {
	case "<f8", "<i8":
		return 8
	case "<f4", "<i4":
		return 4
	}
	return 0
}

// ReadNpyHeader reads and validates the magic, version and header of an
// .npy stream, leaving r positioned at the first data byte. name prefixes
// error messages. It rejects unsupported versions, dtypes (naming them),
// shapes with more than two dimensions or a zero dimension, and shapes whose
// byte size overflows.
func ReadNpyHeader(r io.Reader, name string) (NpyHeader, error) {
	var h NpyHeader
	var pre [10]byte
	n, err := io.ReadFull(r, pre[:8])
	if err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return h, errPlain(name, "empty file")
		}
		if !isEOF(err) {
			return h, &Error{Path: name, Offset: int64(n), Msg: "read failed", Err: err}
		}
		if !strings.HasPrefix(npyMagic, string(pre[:min(n, 6)])) {
			return h, errAt(name, 0, "not an .npy file: magic bytes %q, want %q", pre[:min(n, 6)], npyMagic)
		}
		return h, errAt(name, int64(n), "truncated .npy preamble: file ends after %d bytes", n)
	}
	if string(pre[:6]) != npyMagic {
		return h, errAt(name, 0, "not an .npy file: magic bytes %q, want %q", pre[:6], npyMagic)
	}
	h.Major, h.Minor = int(pre[6]), int(pre[7])
	var hlen int64
	var off int64
	switch {
	case h.Major == 1 && h.Minor == 0:
		if n, err := io.ReadFull(r, pre[8:10]); err != nil {
			return h, truncErr(name, 8+int64(n), err, "truncated .npy preamble: header length missing")
		}
		hlen = int64(binary.LittleEndian.Uint16(pre[8:10]))
		off = 10
	case (h.Major == 2 || h.Major == 3) && h.Minor == 0:
		var l [4]byte
		if n, err := io.ReadFull(r, l[:]); err != nil {
			return h, truncErr(name, 8+int64(n), err, "truncated .npy preamble: header length missing")
		}
		hlen = int64(binary.LittleEndian.Uint32(l[:]))
		off = 12
	default:
		return h, errAt(name, 6, "unsupported .npy format version %d.%d (supported: 1.0, 2.0, 3.0)", h.Major, h.Minor)
	}
	if hlen > maxNpyHeader {
		return h, errAt(name, 8, "implausible .npy header length %d bytes (limit %d)", hlen, maxNpyHeader)
	}
	buf := make([]byte, hlen)
	if n, err := io.ReadFull(r, buf); err != nil {
		return h, truncErr(name, off+int64(n), err, fmt.Sprintf("truncated .npy header: %d of %d header bytes present", n, hlen))
	}
	h.DataOffset = off + hlen
	if err := parseNpyDict(&h, string(buf)); err != nil {
		txt := []byte(strings.TrimRight(string(buf), " \n"))
		if len(txt) > 200 {
			txt = append(txt[:200:200], "..."...)
		}
		return h, errAt(name, off, "bad .npy header %q: %v", txt, err)
	}
	if h.ItemSize() == 0 {
		return h, errAt(name, off, "%s", dtypeMessage(h.Descr))
	}
	if len(h.Shape) > 2 {
		return h, errAt(name, off, "array has %d dimensions (shape %s); only 0-d, 1-d and 2-d arrays are supported", len(h.Shape), h.shapeString())
	}
	for _, s := range h.Shape {
		if s == 0 {
			return h, errAt(name, off, "zero-sized array (shape %s)", h.shapeString())
		}
	}
	rows, cols := h.Dims()
	if mulCheck(mulCheck(int64(rows), int64(cols)), int64(h.ItemSize())) < 0 || int64(rows)*int64(cols) > math.MaxInt/8 {
		return h, errAt(name, off, "array shape %s is too large", h.shapeString())
	}
	return h, nil
}

// dtypeMessage explains why a dtype is not supported.
func dtypeMessage(descr string) string {
	const supported = "supported: '<f8' float64, '<f4' float32, '<i4' int32, '<i8' int64, little-endian"
	if len(descr) > 1 && descr[0] == '>' {
		return fmt.Sprintf("unsupported dtype %s: big-endian data is not supported (convert with a.astype('<f8')); %s", quote([]byte(descr)), supported)
	}
	return fmt.Sprintf("unsupported dtype %s (%s)", quote([]byte(descr)), supported)
}

// truncErr reports a short read at off: truncation if the input ended,
// the I/O error otherwise.
func truncErr(name string, off int64, err error, msg string) *Error {
	if isEOF(err) {
		return errAt(name, off, "%s", msg)
	}
	return &Error{Path: name, Offset: off, Msg: "read failed", Err: err}
}

func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// parseNpyDict parses the Python dict literal of an .npy header, e.g.
// {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }.
func parseNpyDict(h *NpyHeader, s string) error {
	p := &pyParser{s: s}
	p.ws()
	if !p.eat('{') {
		return errors.New("header is not a dict literal")
	}
	seen := map[string]bool{}
	for {
		p.ws()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return fmt.Errorf("dict key: %v", err)
		}
		if seen[key] {
			return fmt.Errorf("duplicate key %s", quote([]byte(key)))
		}
		seen[key] = true
		p.ws()
		if !p.eat(':') {
			return fmt.Errorf("missing ':' after key %s", quote([]byte(key)))
		}
		p.ws()
		switch key {
		case "descr":
			if p.peek() == '[' {
				return errors.New("structured dtype (a list descr) is not supported; save a plain float64 array")
			}
			if h.Descr, err = p.str(); err != nil {
				return fmt.Errorf("descr: %v", err)
			}
		case "fortran_order":
			id := p.ident()
			switch id {
			case "True":
				h.FortranOrder = true
			case "False":
				h.FortranOrder = false
			default:
				return fmt.Errorf("fortran_order is %s, want True or False", quote([]byte(id)))
			}
		case "shape":
			if h.Shape, err = p.intTuple(); err != nil {
				return fmt.Errorf("shape: %v", err)
			}
		default:
			return fmt.Errorf("unexpected key %s", quote([]byte(key)))
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		p.ws()
		if p.eat('}') {
			break
		}
		return fmt.Errorf("expected ',' or '}' at header position %d", p.i)
	}
	p.ws()
	if p.i != len(p.s) {
		return fmt.Errorf("trailing text after the dict at header position %d", p.i)
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return fmt.Errorf("missing key %s", quote([]byte(k)))
		}
	}
	return nil
}

// pyParser scans the small subset of Python literals used by .npy headers.
type pyParser struct {
	s string
	i int
}

func (p *pyParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\t' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *pyParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *pyParser) eat(c byte) bool {
	if p.peek() == c && p.i < len(p.s) {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", fmt.Errorf("expected a quoted string at header position %d", p.i)
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, nil
}

func (p *pyParser) ident() string {
	j := p.i
	for p.i < len(p.s) && (isAlnum(p.s[p.i]) || p.s[p.i] == '_') {
		p.i++
	}
	return p.s[j:p.i]
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// intTuple parses (), (n,), (a, b) and longer tuples of non-negative
// integers, accepting Python 2's "L" suffix.
func (p *pyParser) intTuple() ([]int, error) {
	if !p.eat('(') {
		return nil, fmt.Errorf("expected a tuple at header position %d", p.i)
	}
	shape := []int{}
	for {
		p.ws()
		if p.eat(')') {
			return shape, nil
		}
		j := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if j == p.i {
			return nil, fmt.Errorf("expected a non-negative integer at header position %d", p.i)
		}
		v, err := strconv.ParseInt(p.s[j:p.i], 10, 64)
		if err != nil || v > math.MaxInt32*int64(math.MaxInt32) {
			return nil, fmt.Errorf("dimension %s out of range", quote([]byte(p.s[j:p.i])))
		}
		if len(shape) >= 32 {
			return nil, errors.New("too many dimensions")
		}
		shape = append(shape, int(v))
		p.eat('L')
		p.ws()
		if p.eat(',') {
			continue
		}
		p.ws()
		if p.eat(')') {
			if len(shape) == 1 {
				return nil, errors.New("a 1-tuple needs a trailing comma: (n,)")
			}
			return shape, nil
		}
		return nil, fmt.Errorf("expected ',' or ')' at header position %d", p.i)
	}
}

// ReadNpy reads an .npy stream (format 1.0, 2.0 or 3.0; '<f8', '<f4',
// '<i4' or '<i8'; C or Fortran order; 0-d, 1-d or 2-d) into a new dense
// matrix, converting to float64. A 1-d array of length n reads as n x 1. The
// data must be exactly as long as the shape says. name prefixes error
// messages.
func ReadNpy(r io.Reader, name string, opts ReadOptions) (*mat.Dense, error) {
	h, err := ReadNpyHeader(r, name)
	if err != nil {
		return nil, err
	}
	return readNpyData(r, name, h, opts, false)
}

// readNpyData decodes the data section. sized reports that the caller has
// checked the input holds exactly the data the header calls for, so the
// result can be allocated up front.
func readNpyData(r io.Reader, name string, h NpyHeader, opts ReadOptions, sized bool) (*mat.Dense, error) {
	rows, cols := h.Dims()
	total := rows * cols
	if err := opts.checkBudget(name, fmt.Sprintf("a %d x %d matrix", rows, cols), mulCheck(int64(total), 8)); err != nil {
		return nil, err
	}
	is := h.ItemSize()
	// Unless the input is known to hold all the data, memory follows the
	// data actually read.
	var data []float64
	var buf []byte
	if sized {
		data = make([]float64, 0, total)
		buf = make([]byte, min(total*is, 1<<20))
	} else {
		data = make([]float64, 0, min(total, 1<<10))
		buf = make([]byte, min(total*is, 1<<16))
	}
	dec := npyDecoder(h.Descr)
	for len(data) < total {
		want := min((total-len(data))*is, len(buf))
		n, err := io.ReadFull(r, buf[:want])
		if err != nil {
			got := int64(len(data))*int64(is) + int64(n)
			return nil, truncErr(name, h.DataOffset+got, err,
				fmt.Sprintf("data truncated: shape %s of dtype %q needs %d data bytes, the file ends after %d", h.shapeString(), h.Descr, h.DataBytes(), got))
		}
		start := len(data)
		data = dec(data, buf[:want])
		if !opts.AllowNonFinite {
			for e := start; e < len(data); e++ {
				if !finite(data[e]) {
					return nil, npyValueErr(name, h, e, data[e], "ReadOptions")
				}
			}
		}
	}
	var one [1]byte
	if n, _ := io.ReadFull(r, one[:]); n > 0 {
		return nil, errAt(name, h.DataOffset+h.DataBytes(),
			"data longer than the header says: shape %s of dtype %q needs %d data bytes, but more follow", h.shapeString(), h.Descr, h.DataBytes())
	}
	if h.FortranOrder && rows > 1 && cols > 1 {
		t := make([]float64, total)
		for j := 0; j < cols; j++ {
			col := data[j*rows : (j+1)*rows]
			for i, v := range col {
				t[i*cols+j] = v
			}
		}
		data = t
	}
	return mat.NewDense(rows, cols, data), nil
}

// npyValueErr reports the non-finite element with file-order index e.
func npyValueErr(name string, h NpyHeader, e int, v float64, opts string) *Error {
	rows, cols := h.Dims()
	i, j := e/cols, e%cols
	if h.FortranOrder {
		i, j = e%rows, e/rows
	}
	return &Error{Path: name, Row: i + 1, Col: j + 1, Offset: h.DataOffset + int64(e)*int64(h.ItemSize()),
		Msg: fmt.Sprintf("non-finite value %s (use %s.AllowNonFinite to accept it)", nonFinite(v), opts)}
}

// npyDecoder returns a function appending the float64 values of raw
// little-endian elements of the dtype to dst.
func npyDecoder(descr string) func(dst []float64, b []byte) []float64 {
	switch descr {
	case "<f8":
		return func(dst []float64, b []byte) []float64 {
			l := len(dst)
			dst = slices.Grow(dst, len(b)/8)[:l+len(b)/8]
			out := dst[l:]
			for k := range out {
				out[k] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*k:]))
			}
			return dst
		}
	case "<f4":
		return func(dst []float64, b []byte) []float64 {
			for k := 0; k+4 <= len(b); k += 4 {
				dst = append(dst, float64(math.Float32frombits(binary.LittleEndian.Uint32(b[k:]))))
			}
			return dst
		}
	case "<i4":
		return func(dst []float64, b []byte) []float64 {
			for k := 0; k+4 <= len(b); k += 4 {
				dst = append(dst, float64(int32(binary.LittleEndian.Uint32(b[k:]))))
			}
			return dst
		}
	case "<i8":
		return func(dst []float64, b []byte) []float64 {
			for k := 0; k+8 <= len(b); k += 8 {
				dst = append(dst, float64(int64(binary.LittleEndian.Uint64(b[k:]))))
			}
			return dst
		}
	}
	panic("dataio: npyDecoder: unsupported dtype " + descr)
}

// npyHeaderBytes returns a version 1.0 '<f8' C-order header for shape,
// padded so the data starts at a multiple of 64 bytes.
func npyHeaderBytes(shape []int) []byte {
	h := NpyHeader{Shape: shape}
	dict := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': %s, }", h.shapeString())
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	hdr := dict + strings.Repeat(" ", pad) + "\n"
	out := make([]byte, 0, 10+len(hdr))
	out = append(out, npyMagic...)
	out = append(out, 1, 0)
	out = binary.LittleEndian.AppendUint16(out, uint16(len(hdr)))
	return append(out, hdr...)
}

// WriteNpy writes m as an .npy stream: format version 1.0, dtype '<f8',
// C order, shape (rows, cols). NaN and ±Inf are written as they are.
func WriteNpy(w io.Writer, m mat.Matrix) error {
	r, c := m.Dims()
	if r == 0 || c == 0 {
		return errors.New("cannot write a zero-sized matrix")
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.Write(npyHeaderBytes([]int{r, c})); err != nil {
		return err
	}
	rows := newRowReader(m)
	var b [8]byte
	for i := 0; i < r; i++ {
		for _, v := range rows.row(i) {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
			bw.Write(b[:])
		}
	}
	return bw.Flush()
}

// WriteNpyVector writes v as a 1-d .npy array (version 1.0, '<f8').
func WriteNpyVector(w io.Writer, v []float64) error {
	if len(v) == 0 {
		return errors.New("cannot write an empty vector")
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.Write(npyHeaderBytes([]int{len(v)})); err != nil {
		return err
	}
	var b [8]byte
	for _, x := range v {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(x))
		bw.Write(b[:])
	}
	return bw.Flush()
}
