package dataio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// DefaultChunkBytes is the chunk memory bound used when
// StreamOptions.ChunkBytes is 0.
const DefaultChunkBytes = 8 << 20

// tripletBytes is the memory of one linalg.Triplet.
const tripletBytes = 24

// StreamOptions configures OpenStream.
type StreamOptions struct {
	// ChunkBytes bounds the memory of one chunk: a dense chunk holds at
	// most ChunkBytes/(8*cols) rows (but always at least one row), an entry
	// chunk at most ChunkBytes/24 triplets (at least 2). 0 means
	// DefaultChunkBytes (8 MiB).
	ChunkBytes int
	// AllowNonFinite accepts NaN and ±Inf; by default they are an error
	// naming the position, reported when the stream reaches them.
	AllowNonFinite bool
}

// Chunk is one piece of a streamed matrix. Exactly one of Dense and Entries
// is set. Its memory belongs to the Stream and is overwritten by the next
// call to Next or Reset: copy what you want to keep.
type Chunk struct {
	// First is, for a dense chunk, the index of the chunk's first row;
	// for an entry chunk, the number of entries delivered before it in
	// this pass.
	First int
	// Dense holds rows First .. First+k-1 of the matrix (.npy, MatrixMarket
	// array and CSV files).
	Dense *mat.Dense
	// Entries holds 0-based entries of a MatrixMarket coordinate file in
	// file order, symmetric and skew-symmetric files expanded (an entry
	// off the diagonal is followed by its mirror). Duplicate entries are
	// delivered as they are: the matrix is their sum.
	Entries []linalg.Triplet
}

type streamKind int

const (
	kindNpyC streamKind = iota
	kindNpyF
	kindMMCoord
	kindMMArray
	kindCSV
)

// Stream reads a matrix file chunk by chunk in bounded memory, for
// one-pass (or few-pass) algorithms over files larger than memory. A
// Stream is not safe for concurrent use.
type Stream struct {
	path       string
	f          *os.File
	size       int64
	kind       streamKind
	rows, cols int
	opts       StreamOptions

	pos    int   // next row (dense) or entries delivered (coordinate)
	done   bool  // the pass has ended
	err    error // sticky error of this pass
	passes int
	closed bool

	// .npy
	npy     NpyHeader
	rowsPer int
	raw     []byte
	buf     []float64
	dec     func([]float64, []byte) []float64
	elem    func([]byte) float64

	// MatrixMarket
	mm      *mmHeader
	br      *bufio.Reader
	lr      *lineReader
	ents    *mmEntries
	read    int // entry lines read (coordinate)
	trip    []linalg.Triplet
	starts  []tokState // array: where each stored column starts
	cursors []tokState // array: where each column's next needed value starts
	curPos  []int      // array: stored position within the column at the cursor
	tr      *tokReader
	colBR   *bufio.Reader
	colRd   offsetReader

	// CSV
	csv *csvReader
}

// offsetReader reads a file sequentially from off with ReadAt.
type offsetReader struct {
	f   *os.File
	off int64
}

func (r *offsetReader) Read(b []byte) (int, error) {
	n, err := r.f.ReadAt(b, r.off)
	r.off += int64(n)
	if n > 0 && err == io.EOF {
		err = nil
	}
	return n, err
}

// OpenStream opens a file for streaming: .npy (C or Fortran order, any
// supported dtype) and MatrixMarket array files give Dense chunks,
// MatrixMarket coordinate files Entries chunks, and CSV files Dense chunks
// too. It validates the header (and, for .npy, the file size against the
// shape) up front; errors in the body are reported by Next when it
// reaches them. Array and CSV files are read once by OpenStream (to index
// columns or count rows), so their errors appear there.
//
// Memory: an .npy stream holds one chunk of float64 rows plus the raw bytes
// of the same rows, so at most 2*ChunkBytes; a coordinate stream one
// triplet chunk plus a 64 KiB read buffer; an array stream one chunk, a
// read buffer and 56 bytes per column (the position of each column's next
// value); a CSV stream one chunk plus a 64 KiB read buffer.
func OpenStream(path string, opts StreamOptions) (*Stream, error) {
	if opts.ChunkBytes < 0 {
		panic("dataio: negative StreamOptions.ChunkBytes")
	}
	if opts.ChunkBytes == 0 {
		opts.ChunkBytes = DefaultChunkBytes
	}
	format := FormatOf(path)
	if format == Unknown {
		return nil, formatErr(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, openErr(path, err)
	}
	s := &Stream{path: path, f: f, opts: opts, size: -1}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		s.size = st.Size()
	}
	switch format {
	case NPY:
		err = s.openNpy()
	case MatrixMarket:
		err = s.openMM()
	default:
		err = s.openCSV()
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func (s *Stream) openNpy() error {
	h, err := ReadNpyHeader(bufio.NewReader(io.NewSectionReader(s.f, 0, maxNpyHeader+16)), s.path)
	if err != nil {
		return err
	}
	if s.size < 0 {
		return errPlain(s.path, "streaming needs a regular file")
	}
	if err := checkNpySize(s.path, h, s.size); err != nil {
		return err
	}
	s.npy = h
	s.rows, s.cols = h.Dims()
	s.kind = kindNpyC
	if h.FortranOrder && s.rows > 1 && s.cols > 1 {
		s.kind = kindNpyF
	}
	s.rowsPer = max(1, min(s.rows, s.opts.ChunkBytes/(8*s.cols)))
	s.buf = make([]float64, 0, s.rowsPer*s.cols)
	s.raw = make([]byte, s.rowsPer*s.cols*h.ItemSize())
	s.dec = npyDecoder(h.Descr)
	s.elem = npyElem(h.Descr)
	return nil
}

func (s *Stream) openMM() error {
	s.br = bufio.NewReaderSize(s.f, 1<<16)
	s.lr = newLineReader(s.br, 0, 0)
	h, err := readMMHeader(s.lr, s.path, ReadOptions{AllowNonFinite: s.opts.AllowNonFinite})
	if err != nil {
		return err
	}
	s.mm = h
	s.rows, s.cols = h.rows, h.cols
	if h.coord {
		s.kind = kindMMCoord
		s.ents = &mmEntries{h: h, name: s.path, opts: ReadOptions{AllowNonFinite: s.opts.AllowNonFinite}}
		s.trip = make([]linalg.Triplet, 0, max(2, s.opts.ChunkBytes/tripletBytes))
		return nil
	}
	s.kind = kindMMArray
	if s.size < 0 {
		return errPlain(s.path, "streaming a MatrixMarket array file needs a regular file")
	}
	// Every stored value takes at least two bytes (a digit and a
	// separator, the last one may lack it): refuse a size line the file
	// cannot possibly satisfy before allocating per-column state.
	if room := (s.size - h.dataOff + 1) / 2; int64(h.nnz) > room {
		return errLine(s.path, h.dataLine, h.sizeOff, "the size line declares %d x %d (%d stored values) but the file has only %d bytes after it (truncated)",
			h.rows, h.cols, h.nnz, s.size-h.dataOff)
	}
	s.rowsPer = max(1, min(s.rows, s.opts.ChunkBytes/(8*s.cols)))
	s.buf = make([]float64, s.rowsPer*s.cols)
	return s.indexArray()
}

// indexArray reads an array file once, validating every value and
// recording where each stored column starts.
func (s *Stream) indexArray() error {
	h := s.mm
	tr := &tokReader{br: s.br, st: tokState{off: h.dataOff, line: h.dataLine + 1, bol: true}}
	s.starts = make([]tokState, h.cols)
	s.cursors = make([]tokState, h.cols)
	s.curPos = make([]int, h.cols)
	pos := newMMPos(h)
	n := 0
	for {
		before := tr.st
		tok, off, line, ok := tr.next()
		if !ok {
			break
		}
		if n == h.nnz {
			return errLine(s.path, line, off, "more values than the %s %d x %d matrix of the size line (line %d) stores (%d)", h.symmetry, h.rows, h.cols, h.dataLine, h.nnz)
		}
		if pos.first() {
			s.starts[pos.j] = before
		}
		v, err := parseMMValue(tok, h.field)
		if err != nil {
			return errLine(s.path, line, off, "%v", err)
		}
		if !s.opts.AllowNonFinite && !finite(v) {
			return &Error{Path: s.path, Line: line, Row: pos.i + 1, Col: pos.j + 1, Offset: off,
				Msg: fmt.Sprintf("non-finite value %s (use StreamOptions.AllowNonFinite to accept it)", nonFinite(v))}
		}
		n++
		pos.advance()
	}
	if tr.err != nil {
		return &Error{Path: s.path, Offset: tr.st.off, Msg: "read failed", Err: tr.err}
	}
	if n < h.nnz {
		return errLine(s.path, tr.st.line, tr.st.off, "file ends after %d of the %d values the %s %d x %d matrix of the size line (line %d) stores (truncated)",
			n, h.nnz, h.symmetry, h.rows, h.cols, h.dataLine)
	}
	// Column reads fetch about k values each: size the buffer to match.
	s.colBR = bufio.NewReaderSize(nil, min(1<<16, max(4096, 24*s.rowsPer)))
	s.tr = &tokReader{br: s.colBR}
	s.colRd.f = s.f
	copy(s.cursors, s.starts)
	return nil
}

// Dims returns the matrix dimensions.
func (s *Stream) Dims() (rows, cols int) { return s.rows, s.cols }

// Sparse reports whether chunks carry Entries (a MatrixMarket coordinate
// file) rather than Dense rows.
func (s *Stream) Sparse() bool { return s.kind == kindMMCoord }

// Passes returns the number of completed passes: passes whose Next
// returned io.EOF. A pass abandoned by Reset does not count.
func (s *Stream) Passes() int { return s.passes }

// Next returns the next chunk of the current pass, or io.EOF after the
// last one. Errors in the file (truncation, bad or non-finite values, entry
// counts that disagree with the size line) are *Error values naming the
// position; an error ends the pass until Reset.
func (s *Stream) Next() (Chunk, error) {
	if s.closed {
		return Chunk{}, errPlain(s.path, "stream is closed")
	}
	if s.err != nil {
		return Chunk{}, s.err
	}
	if s.done {
		return Chunk{}, io.EOF
	}
	var c Chunk
	var err error
	switch s.kind {
	case kindNpyC, kindNpyF:
		c, err = s.nextNpy()
	case kindMMCoord:
		c, err = s.nextCoord()
	case kindMMArray:
		c, err = s.nextArray()
	default:
		c, err = s.nextCSV()
	}
	if err == io.EOF {
		s.done = true
		s.passes++
		return Chunk{}, io.EOF
	}
	if err != nil {
		s.err = err
		return Chunk{}, err
	}
	return c, nil
}

// Reset starts a new pass from the first row or entry.
func (s *Stream) Reset() error {
	if s.closed {
		return errPlain(s.path, "stream is closed")
	}
	s.pos, s.done, s.err = 0, false, nil
	switch s.kind {
	case kindMMCoord:
		if _, err := s.f.Seek(s.mm.dataOff, io.SeekStart); err != nil {
			return &Error{Path: s.path, Offset: s.mm.dataOff, Msg: "seek failed", Err: err}
		}
		s.br.Reset(s.f)
		s.lr = newLineReader(s.br, s.mm.dataLine, s.mm.dataOff)
		s.read = 0
	case kindMMArray:
		copy(s.cursors, s.starts)
		clear(s.curPos)
	case kindCSV:
		return s.seekCSV()
	}
	return nil
}

// Close releases the file. Further calls to Next and Reset fail.
func (s *Stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.f.Close(); err != nil {
		return &Error{Path: s.path, Offset: -1, Msg: "close failed", Err: err}
	}
	return nil
}

func (s *Stream) nextNpy() (Chunk, error) {
	if s.pos >= s.rows {
		return Chunk{}, io.EOF
	}
	h := s.npy
	k := min(s.rowsPer, s.rows-s.pos)
	is := int64(h.ItemSize())
	n := k * s.cols
	raw := s.raw[:n*int(is)]
	if s.kind == kindNpyC {
		off := h.DataOffset + int64(s.pos)*int64(s.cols)*is
		if err := s.readAt(raw, off); err != nil {
			return Chunk{}, err
		}
		s.buf = s.dec(s.buf[:0], raw)
	} else {
		s.buf = s.buf[:n]
		seg := k * int(is)
		for j := 0; j < s.cols; j++ {
			b := raw[j*seg : (j+1)*seg]
			off := h.DataOffset + (int64(j)*int64(s.rows)+int64(s.pos))*is
			if err := s.readAt(b, off); err != nil {
				return Chunk{}, err
			}
			for i := 0; i < k; i++ {
				s.buf[i*s.cols+j] = s.elem(b[i*int(is):])
			}
		}
	}
	if !s.opts.AllowNonFinite {
		for e, v := range s.buf {
			if !finite(v) {
				i, j := s.pos+e/s.cols, e%s.cols
				fe := i*s.cols + j
				if s.kind == kindNpyF {
					fe = j*s.rows + i
				}
				return Chunk{}, npyValueErr(s.path, h, fe, v, "StreamOptions")
			}
		}
	}
	c := Chunk{First: s.pos, Dense: mat.NewDense(k, s.cols, s.buf)}
	s.pos += k
	return c, nil
}

// readAt fills b from offset off, reporting a short file as truncation.
func (s *Stream) readAt(b []byte, off int64) error {
	n, err := s.f.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	return truncErr(s.path, off+int64(n), err,
		fmt.Sprintf("data truncated: shape %s of dtype %q needs %d data bytes, the file ends early", s.npy.shapeString(), s.npy.Descr, s.npy.DataBytes()))
}

// npyElem returns a decoder of one raw element.
func npyElem(descr string) func([]byte) float64 {
	switch descr {
	case "<f8":
		return func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }
	case "<f4":
		return func(b []byte) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))) }
	case "<i4":
		return func(b []byte) float64 { return float64(int32(binary.LittleEndian.Uint32(b))) }
	case "<i8":
		return func(b []byte) float64 { return float64(int64(binary.LittleEndian.Uint64(b))) }
	}
	panic("dataio: npyElem: unsupported dtype " + descr)
}

func (s *Stream) nextCoord() (Chunk, error) {
	h := s.mm
	s.trip = s.trip[:0]
	room := cap(s.trip)
	per := 1 // triplets per entry line
	if h.mirror() {
		per = 2
	}
	for s.read < h.nnz && len(s.trip)+per <= room {
		if !s.lr.next() {
			if s.lr.err != nil {
				return Chunk{}, &Error{Path: s.path, Offset: s.lr.off, Msg: "read failed", Err: s.lr.err}
			}
			return Chunk{}, errLine(s.path, s.lr.line+1, s.lr.off, "file ends after %d of the %d entries the size line (line %d) declares (truncated)", s.read, h.nnz, h.dataLine)
		}
		t := trim(s.lr.text)
		if len(t) == 0 || t[0] == '%' {
			continue
		}
		i, j, v, err := s.ents.parse(s.lr.text, s.lr.line, s.lr.start)
		if err != nil {
			return Chunk{}, err
		}
		s.trip = appendEntry(s.trip, h, i, j, v)
		s.read++
	}
	if s.read == h.nnz {
		// Nothing but comments and blank lines may follow.
		for s.lr.next() {
			t := trim(s.lr.text)
			if len(t) == 0 || t[0] == '%' {
				continue
			}
			return Chunk{}, errLine(s.path, s.lr.line, s.lr.start, "more entries than the %d the size line (line %d) declares", h.nnz, h.dataLine)
		}
		if s.lr.err != nil {
			return Chunk{}, &Error{Path: s.path, Offset: s.lr.off, Msg: "read failed", Err: s.lr.err}
		}
	}
	if len(s.trip) == 0 {
		return Chunk{}, io.EOF
	}
	c := Chunk{First: s.pos, Entries: s.trip}
	s.pos += len(s.trip)
	return c, nil
}

// nextArray assembles rows [F, F+k) of an array file. Stored column j holds
// rows j+diag .. rows-1 (all rows for general files) at positions 0, 1, ...;
// each column's cursor sits at the first position not yet needed.
func (s *Stream) nextArray() (Chunk, error) {
	if s.pos >= s.rows {
		return Chunk{}, io.EOF
	}
	h := s.mm
	F := s.pos
	k := min(s.rowsPer, s.rows-F)
	d := s.buf[:k*s.cols]
	clear(d)
	d0, sg := h.diag(), h.sign()
	last := s.cols
	if h.mirror() {
		last = min(s.cols, F+k)
	}
	for j := 0; j < last; j++ {
		n := h.colLen(j)
		lo, hi := 0, n
		inChunk := h.mirror() && j >= F // row j is in the chunk: read the whole column
		base := j + d0                  // matrix row of stored position 0
		if !h.mirror() {
			base = 0
			lo, hi = F, F+k
		} else if !inChunk {
			lo, hi = max(0, F-j-d0), min(n, F+k-j-d0)
		}
		save := min(n, max(0, F+k-j-d0))
		if !h.mirror() {
			save = F + k
		}
		if lo >= hi {
			continue
		}
		if err := s.seekColumn(j); err != nil {
			return Chunk{}, err
		}
		p := s.curPos[j]
		for ; p < hi; p++ {
			if p == save {
				s.cursors[j], s.curPos[j] = s.tr.st, p
			}
			tok, off, line, ok := s.tr.next()
			if !ok {
				if s.tr.err != nil {
					return Chunk{}, &Error{Path: s.path, Offset: s.tr.st.off, Msg: "read failed", Err: s.tr.err}
				}
				return Chunk{}, errLine(s.path, s.tr.st.line, s.tr.st.off, "file ends early (truncated or changed since OpenStream)")
			}
			if p < lo {
				continue
			}
			v, err := parseMMValue(tok, h.field)
			if err != nil {
				return Chunk{}, errLine(s.path, line, off, "%v", err)
			}
			i := base + p
			if !s.opts.AllowNonFinite && !finite(v) {
				return Chunk{}, &Error{Path: s.path, Line: line, Row: i + 1, Col: j + 1, Offset: off,
					Msg: fmt.Sprintf("non-finite value %s (use StreamOptions.AllowNonFinite to accept it)", nonFinite(v))}
			}
			if i >= F && i < F+k {
				d[(i-F)*s.cols+j] = v
			}
			if inChunk && i != j {
				d[(j-F)*s.cols+i] = sg * v
			}
		}
		if p == save {
			s.cursors[j], s.curPos[j] = s.tr.st, p
		}
	}
	c := Chunk{First: F, Dense: mat.NewDense(k, s.cols, d)}
	s.pos += k
	return c, nil
}

// seekColumn positions the token reader at column j's cursor.
func (s *Stream) seekColumn(j int) error {
	st := s.cursors[j]
	if s.size <= st.off {
		return errAt(s.path, st.off, "file ends early (truncated or changed since OpenStream)")
	}
	s.colRd.off = st.off
	s.colBR.Reset(&s.colRd)
	s.tr.st = st
	return nil
}

// openCSV reads a CSV file once to check it and count its rows.
func (s *Stream) openCSV() error {
	s.kind = kindCSV
	s.br = bufio.NewReaderSize(s.f, 1<<16)
	s.csv = &csvReader{name: s.path, opts: ReadOptions{AllowNonFinite: s.opts.AllowNonFinite}, discard: true}
	if _, err := s.csv.read(s.br); err != nil {
		return err
	}
	s.rows, s.cols = s.csv.rows, s.csv.cols
	s.rowsPer = max(1, min(s.rows, s.opts.ChunkBytes/(8*s.cols)))
	s.buf = make([]float64, s.rowsPer*s.cols)
	return s.seekCSV()
}

// seekCSV positions the reader at the first data row.
func (s *Stream) seekCSV() error {
	if _, err := s.f.Seek(s.csv.firstOff, io.SeekStart); err != nil {
		return &Error{Path: s.path, Offset: s.csv.firstOff, Msg: "seek failed", Err: err}
	}
	s.br.Reset(s.f)
	s.lr = newLineReader(s.br, s.csv.firstLine-1, s.csv.firstOff)
	return nil
}

func (s *Stream) nextCSV() (Chunk, error) {
	if s.pos >= s.rows {
		return Chunk{}, io.EOF
	}
	k := min(s.rowsPer, s.rows-s.pos)
	d := s.buf[:k*s.cols]
	for r := 0; r < k; r++ {
		if !s.lr.next() {
			if s.lr.err != nil {
				return Chunk{}, &Error{Path: s.path, Offset: s.lr.off, Msg: "read failed", Err: s.lr.err}
			}
			return Chunk{}, errLine(s.path, s.lr.line+1, s.lr.off, "file ends early (truncated or changed since OpenStream)")
		}
		text := s.lr.text
		if s.lr.line == 1 {
			text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
		}
		if n := bytes.Count(text, []byte{','}) + 1; n != s.cols {
			return Chunk{}, s.csv.ragged(n, s.lr.line, s.lr.start)
		}
		if err := s.csv.parseFields(text, s.lr.line, s.lr.start, s.pos+r+1, d[r*s.cols:(r+1)*s.cols]); err != nil {
			return Chunk{}, err
		}
	}
	c := Chunk{First: s.pos, Dense: mat.NewDense(k, s.cols, d)}
	s.pos += k
	return c, nil
}
