package dataio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/mat"
)

// ReadCSV reads comma-separated numbers into a new dense matrix, one row per
// line. Fields may be padded with spaces or tabs; lines may end in "\r\n".
// The first line is a header, and skipped, when none of its fields parses
// as a number (a first line mixing numbers and text is an error, so a typo
// in the first data row is reported rather than silently dropped); a
// UTF-8 byte-order mark is ignored. Blank lines may follow the data but not
// interrupt it. Every row must have the same number of fields. name prefixes
// error messages, which give the line (and the field as "column").
func ReadCSV(r io.Reader, name string, opts ReadOptions) (*mat.Dense, error) {
	c := csvReader{name: name, opts: opts}
	return c.read(bufio.NewReaderSize(r, 1<<16))
}

type csvReader struct {
	name string
	opts ReadOptions

	cols       int // fields per row (0 until known)
	colsLine   int // line that fixed cols
	headerLine int // 1 if line 1 was a header
	rows       int
	data       []float64
	blankLine  int   // first blank line seen after data began
	firstLine  int   // line of the first data row
	firstOff   int64 // offset of the first data row
	discard    bool  // check rows without storing them (OpenStream)
	scratch    []float64
}

// read reads the whole input; with c.discard it only checks it and
// returns nil.
func (c *csvReader) read(br *bufio.Reader) (*mat.Dense, error) {
	lr := newLineReader(br, 0, 0)
	sawBytes := false
	for lr.next() {
		sawBytes = true
		text := lr.text
		if lr.line == 1 {
			text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
		}
		if blank(text) {
			if c.blankLine == 0 {
				c.blankLine = lr.line
			}
			continue
		}
		if c.blankLine != 0 {
			where := "inside"
			if c.rows == 0 && c.headerLine == 0 {
				where = "before"
			}
			return nil, errLine(c.name, c.blankLine, -1, "blank line %s the data (only trailing blank lines are allowed)", where)
		}
		if lr.line == 1 && csvIsHeader(text) {
			c.headerLine = 1
			c.cols = len(splitHeader(text))
			c.colsLine = 1
			continue
		}
		if err := c.row(text, lr.line, lr.start); err != nil {
			return nil, err
		}
	}
	if lr.err != nil {
		return nil, &Error{Path: c.name, Offset: lr.off, Msg: "read failed", Err: lr.err}
	}
	if !sawBytes {
		return nil, errPlain(c.name, "empty file")
	}
	if c.rows == 0 {
		return nil, errPlain(c.name, "no data rows (zero-sized matrix)")
	}
	if c.discard {
		return nil, nil
	}
	return mat.NewDense(c.rows, c.cols, c.data), nil
}

// row checks and parses one data line, appending its values to c.data
// (or only checking them when c.discard is set).
func (c *csvReader) row(text []byte, line int, start int64) error {
	n := bytes.Count(text, []byte{','}) + 1
	if c.cols == 0 {
		c.cols, c.colsLine = n, line
	} else if n != c.cols {
		return c.ragged(n, line, start)
	}
	if c.rows == 0 {
		c.firstLine, c.firstOff = line, start
	}
	var dst []float64
	if c.discard {
		if len(c.scratch) < n {
			c.scratch = make([]float64, n)
		}
		dst = c.scratch[:n]
	} else {
		if need := mulCheck(int64(len(c.data)+n), 8); c.opts.MaxBytes > 0 && need > c.opts.MaxBytes {
			return c.opts.checkBudget(c.name, fmt.Sprintf("a matrix of more than %d rows x %d columns", c.rows, c.cols), need)
		}
		l := len(c.data)
		c.data = slices.Grow(c.data, n)[:l+n]
		dst = c.data[l:]
	}
	if err := c.parseFields(text, line, start, c.rows+1, dst); err != nil {
		return err
	}
	c.rows++
	return nil
}

func (c *csvReader) ragged(n, line int, start int64) error {
	what := "the first data row"
	if c.colsLine == c.headerLine && c.headerLine != 0 {
		what = "the header"
	}
	return errLine(c.name, line, start, "ragged row: %d fields, but %s (line %d) has %d", n, what, c.colsLine, c.cols)
}

// parseFields parses the len(dst) comma-separated fields of text (matrix
// row number row) into dst.
func (c *csvReader) parseFields(text []byte, line int, start int64, row int, dst []float64) error {
	pos := 0
	for j := range dst {
		end := bytes.IndexByte(text[pos:], ',')
		if end < 0 {
			end = len(text)
		} else {
			end += pos
		}
		f := trim(text[pos:end])
		v, err := strconv.ParseFloat(string(f), 64)
		if err != nil {
			msg := "cannot parse " + quote(f) + " as a number"
			if errors.Is(err, strconv.ErrRange) {
				msg = "number " + quote(f) + " out of float64 range"
			}
			if line == 1 {
				msg += " (the first line is taken as a header only when none of its fields is a number)"
			}
			return &Error{Path: c.name, Line: line, Row: row, Col: j + 1, Offset: start + int64(pos), Msg: msg}
		}
		if !c.opts.AllowNonFinite && !finite(v) {
			return &Error{Path: c.name, Line: line, Row: row, Col: j + 1, Offset: start + int64(pos),
				Msg: fmt.Sprintf("non-finite value %s (use %s.AllowNonFinite to accept it)", nonFinite(v), c.optName())}
		}
		dst[j] = v
		pos = end + 1
	}
	return nil
}

func (c *csvReader) optName() string {
	if c.discard {
		return "StreamOptions"
	}
	return "ReadOptions"
}

// csvIsHeader reports whether no field of the line parses as a number.
func csvIsHeader(text []byte) bool {
	for _, f := range splitHeader(text) {
		if _, err := strconv.ParseFloat(string(trim(f)), 64); err == nil || errors.Is(err, strconv.ErrRange) {
			return false
		}
	}
	return true
}

// splitHeader splits a header line at commas outside double quotes.
func splitHeader(text []byte) [][]byte {
	var out [][]byte
	inQ := false
	start := 0
	for i, ch := range text {
		switch {
		case ch == '"':
			inQ = !inQ
		case ch == ',' && !inQ:
			out = append(out, text[start:i])
			start = i + 1
		}
	}
	return append(out, text[start:])
}

// WriteCSV writes m as comma-separated numbers, one row per line, each
// formatted with %.17g (which reads back exactly), no header.
func WriteCSV(w io.Writer, m mat.Matrix) error {
	r, c := m.Dims()
	if r == 0 || c == 0 {
		return errors.New("cannot write a zero-sized matrix")
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	rows := newRowReader(m)
	var b []byte
	for i := 0; i < r; i++ {
		b = b[:0]
		for j, v := range rows.row(i) {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, v, 'g', 17, 64)
		}
		b = append(b, '\n')
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}
