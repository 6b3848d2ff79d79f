package dataio

import (
	"bufio"
	"errors"
	"io"
)

// lineReader yields the lines of a text stream with their 1-based line
// numbers and byte offsets. Lines may be arbitrarily long; "\n" and a
// trailing "\r" are stripped.
type lineReader struct {
	br   *bufio.Reader
	line int   // number of the last line returned
	off  int64 // offset of the byte after the last line returned
	acc  []byte

	text  []byte // last line
	start int64  // offset of the last line
	err   error  // non-EOF read error
}

func newLineReader(br *bufio.Reader, line int, off int64) *lineReader {
	return &lineReader{br: br, line: line, off: off}
}

// next advances to the next line; it returns false at the end of input or
// on a read error (in lr.err).
func (lr *lineReader) next() bool {
	lr.acc = lr.acc[:0]
	var seg []byte
	var err error
	for {
		seg, err = lr.br.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			break
		}
		lr.acc = append(lr.acc, seg...)
	}
	if err != nil && err != io.EOF {
		lr.err = err
		return false
	}
	text := seg
	if len(lr.acc) > 0 {
		lr.acc = append(lr.acc, seg...)
		text = lr.acc
	}
	if len(text) == 0 {
		return false
	}
	lr.start = lr.off
	lr.off += int64(len(text))
	lr.line++
	if text[len(text)-1] == '\n' {
		text = text[:len(text)-1]
	}
	if len(text) > 0 && text[len(text)-1] == '\r' {
		text = text[:len(text)-1]
	}
	lr.text = text
	return true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// blank reports whether b holds only spaces and tabs.
func blank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// trim removes leading and trailing spaces and tabs.
func trim(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// fields appends the whitespace-separated fields of b to dst[:0], and
// their starting positions within b to pos[:0].
func fields(b []byte, dst [][]byte, pos []int) ([][]byte, []int) {
	dst, pos = dst[:0], pos[:0]
	i := 0
	for i < len(b) {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) {
			break
		}
		j := i
		for j < len(b) && !isSpace(b[j]) {
			j++
		}
		dst = append(dst, b[i:j])
		pos = append(pos, i)
		i = j
	}
	return dst, pos
}

// tokState is a resumable position of a tokReader: the byte offset of the
// next byte, its line, and whether only whitespace precedes it on its line.
type tokState struct {
	off  int64
	line int
	bol  bool
}

// tokReader yields whitespace-separated tokens, skipping lines whose first
// non-blank character is '%' (MatrixMarket comments).
type tokReader struct {
	br  *bufio.Reader
	st  tokState
	tok []byte
	err error // non-EOF read error
}

// next returns the next token with the offset and line where it starts;
// ok is false at the end of input or on a read error (in t.err).
func (t *tokReader) next() (tok []byte, off int64, line int, ok bool) {
	t.tok = t.tok[:0]
	for {
		c, err := t.br.ReadByte()
		if err != nil {
			if err != io.EOF {
				t.err = err
			}
			return nil, 0, 0, false
		}
		t.st.off++
		switch {
		case c == '\n':
			t.st.line++
			t.st.bol = true
		case isSpace(c):
		case c == '%' && t.st.bol:
			for {
				seg, err := t.br.ReadSlice('\n')
				t.st.off += int64(len(seg))
				if err == nil {
					t.st.line++
					break
				}
				if !errors.Is(err, bufio.ErrBufferFull) {
					if err != io.EOF {
						t.err = err
					}
					return nil, 0, 0, false
				}
			}
		default:
			off, line = t.st.off-1, t.st.line
			t.st.bol = false
			t.tok = append(t.tok, c)
			for {
				c, err := t.br.ReadByte()
				if err != nil {
					if err != io.EOF {
						t.err = err
						return nil, 0, 0, false
					}
					return t.tok, off, line, true
				}
				t.st.off++
				if c == '\n' {
					t.st.line++
					t.st.bol = true
					return t.tok, off, line, true
				}
				if isSpace(c) {
					return t.tok, off, line, true
				}
				t.tok = append(t.tok, c)
			}
		}
	}
}
