package dataio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// mmHeader is a parsed MatrixMarket banner and size line.
type mmHeader struct {
	coord    bool   // coordinate (sparse) rather than array (dense)
	field    string // "real", "integer" or "pattern"
	symmetry string // "general", "symmetric" or "skew-symmetric"
	rows     int
	cols     int
	nnz      int // coordinate: entry lines; array: stored values

	dataLine int   // number of the size line (data lines follow)
	sizeOff  int64 // offset of the size line
	dataOff  int64 // offset of the byte after the size line
}

// mirror reports whether stored entries stand for two matrix entries.
func (h *mmHeader) mirror() bool { return h.symmetry != "general" }

// sign is the factor applied to mirrored entries.
func (h *mmHeader) sign() float64 {
	if h.symmetry == "skew-symmetric" {
		return -1
	}
	return 1
}

// diag is 1 for skew-symmetric files (whose diagonal is implicit and zero)
// and 0 otherwise: the first stored row of column j is j + diag.
func (h *mmHeader) diag() int {
	if h.symmetry == "skew-symmetric" {
		return 1
	}
	return 0
}

// colLen returns the number of stored values of column j in array format.
func (h *mmHeader) colLen(j int) int {
	if !h.mirror() {
		return h.rows
	}
	return max(0, h.rows-j-h.diag())
}

func (h *mmHeader) describe() string {
	f := "array"
	if h.coord {
		f = "coordinate"
	}
	return fmt.Sprintf("%s %s %s", f, h.field, h.symmetry)
}

// readMMHeader reads the banner, comments and size line.
func readMMHeader(lr *lineReader, name string, opts ReadOptions) (*mmHeader, error) {
	if !lr.next() {
		if lr.err != nil {
			return nil, &Error{Path: name, Offset: 0, Msg: "read failed", Err: lr.err}
		}
		return nil, errPlain(name, "empty file")
	}
	ban := strings.Fields(string(lr.text))
	if len(ban) == 0 || !strings.EqualFold(ban[0], "%%MatrixMarket") {
		return nil, errLine(name, 1, 0, "not a MatrixMarket file: the first line must start with %%%%MatrixMarket")
	}
	if len(ban) != 5 {
		return nil, errLine(name, 1, 0, "MatrixMarket banner has %d words, want 5: %%%%MatrixMarket matrix <format> <field> <symmetry>", len(ban))
	}
	for i := range ban {
		ban[i] = strings.ToLower(ban[i])
	}
	h := &mmHeader{field: ban[3], symmetry: ban[4]}
	if ban[1] != "matrix" {
		return nil, errLine(name, 1, 0, "unsupported MatrixMarket object %s (only \"matrix\")", quote([]byte(ban[1])))
	}
	switch ban[2] {
	case "coordinate":
		h.coord = true
	case "array":
	default:
		return nil, errLine(name, 1, 0, "unknown MatrixMarket format %s (want coordinate or array)", quote([]byte(ban[2])))
	}
	switch h.field {
	case "real", "double", "integer", "pattern":
		if h.field == "double" {
			h.field = "real"
		}
	case "complex":
		return nil, errLine(name, 1, 0, "complex MatrixMarket matrices are not supported (real, integer or pattern only)")
	default:
		return nil, errLine(name, 1, 0, "unknown MatrixMarket field %s (want real, integer or pattern)", quote([]byte(h.field)))
	}
	switch h.symmetry {
	case "general", "symmetric", "skew-symmetric":
	case "hermitian":
		return nil, errLine(name, 1, 0, "hermitian MatrixMarket matrices are not supported (they are complex)")
	default:
		return nil, errLine(name, 1, 0, "unknown MatrixMarket symmetry %s (want general, symmetric or skew-symmetric)", quote([]byte(h.symmetry)))
	}
	if h.field == "pattern" && !h.coord {
		return nil, errLine(name, 1, 0, "a pattern matrix must use the coordinate format")
	}
	if h.field == "pattern" && h.symmetry == "skew-symmetric" {
		return nil, errLine(name, 1, 0, "a pattern matrix cannot be skew-symmetric")
	}
	// Comments and blank lines, then the size line.
	for {
		if !lr.next() {
			if lr.err != nil {
				return nil, &Error{Path: name, Offset: lr.off, Msg: "read failed", Err: lr.err}
			}
			return nil, errLine(name, lr.line+1, lr.off, "file ends before the size line (truncated)")
		}
		t := trim(lr.text)
		if len(t) == 0 || t[0] == '%' {
			continue
		}
		break
	}
	want := 2
	if h.coord {
		want = 3
	}
	fs, _ := fields(lr.text, nil, nil)
	if len(fs) != want {
		return nil, errLine(name, lr.line, lr.start, "size line has %d numbers, want %d (%s)", len(fs), want,
			map[bool]string{true: "rows cols entries", false: "rows cols"}[h.coord])
	}
	var v [3]int64
	for k, f := range fs {
		x, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil || x < 0 {
			return nil, errLine(name, lr.line, lr.start, "size line: %s is not a non-negative integer", quote(f))
		}
		v[k] = x
	}
	if v[0] == 0 || v[1] == 0 {
		return nil, errLine(name, lr.line, lr.start, "zero-sized matrix (%d x %d)", v[0], v[1])
	}
	if v[0] > math.MaxInt32 || v[1] > math.MaxInt32 {
		return nil, errLine(name, lr.line, lr.start, "matrix %d x %d is too large (at most %d rows and columns)", v[0], v[1], math.MaxInt32)
	}
	h.rows, h.cols = int(v[0]), int(v[1])
	if h.mirror() && h.rows != h.cols {
		return nil, errLine(name, lr.line, lr.start, "a %s matrix must be square, size line says %d x %d", h.symmetry, h.rows, h.cols)
	}
	if h.coord {
		if v[2] > math.MaxInt/2 {
			return nil, errLine(name, lr.line, lr.start, "implausible entry count %d", v[2])
		}
		h.nnz = int(v[2])
		k := int64(1)
		if h.mirror() {
			k = 2
		}
		need := mulCheck(int64(h.rows)+1, 8) + mulCheck(mulCheck(int64(h.nnz), 12), k)
		if err := opts.checkBudget(name, fmt.Sprintf("a %d x %d sparse matrix with %d entries", h.rows, h.cols, h.nnz), need); err != nil {
			return nil, err
		}
	} else {
		total := mulCheck(int64(h.rows), int64(h.cols))
		if total < 0 || total > math.MaxInt/8 {
			return nil, errLine(name, lr.line, lr.start, "matrix %d x %d is too large", h.rows, h.cols)
		}
		if err := opts.checkBudget(name, fmt.Sprintf("a %d x %d dense matrix", h.rows, h.cols), total*8); err != nil {
			return nil, err
		}
		switch h.symmetry {
		case "general":
			h.nnz = int(total)
		case "symmetric":
			h.nnz = h.rows * (h.rows + 1) / 2
		default:
			h.nnz = h.rows * (h.rows - 1) / 2
		}
	}
	h.dataLine, h.sizeOff, h.dataOff = lr.line, lr.start, lr.off
	return h, nil
}

// mmEntries parses the entry lines of a coordinate file.
type mmEntries struct {
	h    *mmHeader
	name string
	opts ReadOptions
	fs   [][]byte
	pos  []int
}

// parse parses one entry line (already known not to be blank or a comment)
// and returns the 0-based entry.
func (p *mmEntries) parse(text []byte, line int, start int64) (i, j int, v float64, err error) {
	p.fs, p.pos = fields(text, p.fs, p.pos)
	want := 3
	if p.h.field == "pattern" {
		want = 2
	}
	if len(p.fs) != want {
		return 0, 0, 0, errLine(p.name, line, start, "entry has %d fields, want %d (row column%s)", len(p.fs), want,
			map[bool]string{true: "", false: " value"}[want == 2])
	}
	idx := [2]int{}
	lim := [2]int{p.h.rows, p.h.cols}
	for k := 0; k < 2; k++ {
		x, perr := strconv.ParseInt(string(p.fs[k]), 10, 64)
		what := [2]string{"row", "column"}[k]
		if perr != nil {
			return 0, 0, 0, errLine(p.name, line, start+int64(p.pos[k]), "cannot parse %s index %s", what, quote(p.fs[k]))
		}
		if x < 1 || x > int64(lim[k]) {
			return 0, 0, 0, errLine(p.name, line, start+int64(p.pos[k]), "%s index %d out of range [1, %d] (indices are 1-based)", what, x, lim[k])
		}
		idx[k] = int(x) - 1
	}
	i, j = idx[0], idx[1]
	switch p.h.symmetry {
	case "symmetric":
		if i < j {
			return 0, 0, 0, errLine(p.name, line, start, "entry (%d, %d) above the diagonal: a symmetric file stores only the lower triangle", i+1, j+1)
		}
	case "skew-symmetric":
		if i <= j {
			return 0, 0, 0, errLine(p.name, line, start, "entry (%d, %d) on or above the diagonal: a skew-symmetric file stores only the strict lower triangle", i+1, j+1)
		}
	}
	v = 1
	if want == 3 {
		f := p.fs[2]
		if v, err = parseMMValue(f, p.h.field); err != nil {
			return 0, 0, 0, errLine(p.name, line, start+int64(p.pos[2]), "%v", err)
		}
		if !p.opts.AllowNonFinite && !finite(v) {
			return 0, 0, 0, &Error{Path: p.name, Line: line, Row: i + 1, Col: j + 1, Offset: start + int64(p.pos[2]),
				Msg: fmt.Sprintf("non-finite value %s (use ReadOptions.AllowNonFinite to accept it)", nonFinite(v))}
		}
	}
	return i, j, v, nil
}

// parseMMValue parses a real or integer value.
func parseMMValue(f []byte, field string) (float64, error) {
	if field == "integer" {
		x, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return 0, fmt.Errorf("integer %s out of int64 range", quote(f))
			}
			return 0, fmt.Errorf("cannot parse %s as an integer", quote(f))
		}
		return float64(x), nil
	}
	v, err := strconv.ParseFloat(string(f), 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("number %s out of float64 range", quote(f))
		}
		return 0, fmt.Errorf("cannot parse %s as a number", quote(f))
	}
	return v, nil
}

// appendEntry appends entry (i, j, v) and, for symmetric files, its mirror.
func appendEntry(ts []linalg.Triplet, h *mmHeader, i, j int, v float64) []linalg.Triplet {
	ts = append(ts, linalg.Triplet{I: i, J: j, V: v})
	if h.mirror() && i != j {
		ts = append(ts, linalg.Triplet{I: j, J: i, V: h.sign() * v})
	}
	return ts
}

// ReadMatrixMarket reads a MatrixMarket stream: a coordinate file gives a
// *linalg.CSR (duplicate entries summed, explicit zeros kept), an array file
// a *mat.Dense. Fields real, integer and pattern (value 1) and symmetries
// general, symmetric and skew-symmetric are supported; symmetric files
// store the lower triangle (strictly lower for skew-symmetric) and are
// expanded. Complex and hermitian files are rejected. Lines starting with
// '%' are comments; blank lines are ignored. name prefixes error messages.
func ReadMatrixMarket(r io.Reader, name string, opts ReadOptions) (mat.Matrix, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	lr := newLineReader(br, 0, 0)
	h, err := readMMHeader(lr, name, opts)
	if err != nil {
		return nil, err
	}
	if h.coord {
		m, err := readMMCoord(lr, h, name, opts)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
	m, err := readMMArray(br, h, name, opts)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func readMMCoord(lr *lineReader, h *mmHeader, name string, opts ReadOptions) (*linalg.CSR, error) {
	p := &mmEntries{h: h, name: name, opts: opts}
	ts := make([]linalg.Triplet, 0, min(h.nnz, 1<<16))
	count := 0
	for lr.next() {
		t := trim(lr.text)
		if len(t) == 0 || t[0] == '%' {
			continue
		}
		if count == h.nnz {
			return nil, errLine(name, lr.line, lr.start, "more entries than the %d the size line (line %d) declares", h.nnz, h.dataLine)
		}
		i, j, v, err := p.parse(lr.text, lr.line, lr.start)
		if err != nil {
			return nil, err
		}
		ts = appendEntry(ts, h, i, j, v)
		count++
	}
	if lr.err != nil {
		return nil, &Error{Path: name, Offset: lr.off, Msg: "read failed", Err: lr.err}
	}
	if count < h.nnz {
		return nil, errLine(name, lr.line+1, lr.off, "file ends after %d of the %d entries the size line (line %d) declares (truncated)", count, h.nnz, h.dataLine)
	}
	m, err := linalg.CSRFromTriplets(h.rows, h.cols, ts)
	if err != nil {
		return nil, errPlain(name, "%v", err)
	}
	if !opts.AllowNonFinite {
		for i := 0; i < h.rows; i++ {
			cols, vals := m.SparseRow(i)
			for k, v := range vals {
				if !finite(v) {
					return nil, &Error{Path: name, Row: i + 1, Col: int(cols[k]) + 1, Offset: -1,
						Msg: fmt.Sprintf("duplicate entries sum to %s", nonFinite(v))}
				}
			}
		}
	}
	return m, nil
}

// mmPos maps the k-th stored value of an array file to its matrix position
// incrementally.
type mmPos struct {
	h    *mmHeader
	i, j int // position of the next stored value
}

func newMMPos(h *mmHeader) mmPos {
	p := mmPos{h: h, i: h.diag()}
	p.settle()
	return p
}

// settle skips empty columns.
func (p *mmPos) settle() {
	for p.j < p.h.cols && p.i >= p.h.rows {
		p.j++
		p.i = p.j + p.h.diag()
		if !p.h.mirror() {
			p.i = 0
		}
	}
}

// first reports whether the next stored value starts its column.
func (p *mmPos) first() bool {
	if p.h.mirror() {
		return p.i == p.j+p.h.diag()
	}
	return p.i == 0
}

func (p *mmPos) advance() {
	p.i++
	p.settle()
}

func readMMArray(br *bufio.Reader, h *mmHeader, name string, opts ReadOptions) (*mat.Dense, error) {
	tr := &tokReader{br: br, st: tokState{off: h.dataOff, line: h.dataLine + 1, bol: true}}
	vals := make([]float64, 0, min(h.nnz, 1<<16))
	pos := newMMPos(h)
	for {
		tok, off, line, ok := tr.next()
		if !ok {
			break
		}
		if len(vals) == h.nnz {
			return nil, errLine(name, line, off, "more values than the %s %d x %d matrix of the size line (line %d) stores (%d)", h.symmetry, h.rows, h.cols, h.dataLine, h.nnz)
		}
		v, err := parseMMValue(tok, h.field)
		if err != nil {
			return nil, errLine(name, line, off, "%v", err)
		}
		if !opts.AllowNonFinite && !finite(v) {
			return nil, &Error{Path: name, Line: line, Row: pos.i + 1, Col: pos.j + 1, Offset: off,
				Msg: fmt.Sprintf("non-finite value %s (use ReadOptions.AllowNonFinite to accept it)", nonFinite(v))}
		}
		vals = append(vals, v)
		pos.advance()
	}
	if tr.err != nil {
		return nil, &Error{Path: name, Offset: tr.st.off, Msg: "read failed", Err: tr.err}
	}
	if len(vals) < h.nnz {
		return nil, errLine(name, tr.st.line, tr.st.off, "file ends after %d of the %d values the %s %d x %d matrix of the size line (line %d) stores (truncated)",
			len(vals), h.nnz, h.symmetry, h.rows, h.cols, h.dataLine)
	}
	d := mat.NewDense(h.rows, h.cols, nil)
	raw := d.RawMatrix()
	pos = newMMPos(h)
	s := h.sign()
	for _, v := range vals {
		raw.Data[pos.i*raw.Stride+pos.j] = v
		if h.mirror() && pos.i != pos.j {
			raw.Data[pos.j*raw.Stride+pos.i] = s * v
		}
		pos.advance()
	}
	return d, nil
}

// WriteMatrixMarket writes m in MatrixMarket format with %.17g values: a
// *linalg.CSR as "coordinate real general" (its stored entries, explicit
// zeros included), anything else as "array real general" (column-major).
func WriteMatrixMarket(w io.Writer, m mat.Matrix) error {
	r, c := m.Dims()
	if r == 0 || c == 0 {
		return errors.New("cannot write a zero-sized matrix")
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var b []byte
	if s, ok := m.(*linalg.CSR); ok {
		fmt.Fprintf(bw, "%%%%MatrixMarket matrix coordinate real general\n%d %d %d\n", r, c, s.NNZ())
		for i := 0; i < r; i++ {
			cols, vals := s.SparseRow(i)
			for k, j := range cols {
				b = strconv.AppendInt(b[:0], int64(i+1), 10)
				b = append(b, ' ')
				b = strconv.AppendInt(b, int64(j)+1, 10)
				b = append(b, ' ')
				b = strconv.AppendFloat(b, vals[k], 'g', 17, 64)
				b = append(b, '\n')
				if _, err := bw.Write(b); err != nil {
					return err
				}
			}
		}
		return bw.Flush()
	}
	fmt.Fprintf(bw, "%%%%MatrixMarket matrix array real general\n%d %d\n", r, c)
	for j := 0; j < c; j++ {
		for i := 0; i < r; i++ {
			b = strconv.AppendFloat(b[:0], m.At(i, j), 'g', 17, 64)
			b = append(b, '\n')
			if _, err := bw.Write(b); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}
