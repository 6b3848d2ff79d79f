package dataio

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Error is the error type returned for bad input: it says what went wrong
// (Msg, and Err for an underlying I/O error) and where. Its message starts
// with Path, followed by whichever locations are known:
//
//	data.csv: line 7, row 6, column 3: cannot parse "1.2.3" as a number
//	A.npy: byte offset 128: data truncated: ...
//
// Line, Row and Col are 1-based (0 = not applicable); Row and Col are matrix
// positions for value errors and the field number for CSV parse errors.
// Offset is the 0-based byte offset from the start of the file (-1 = not
// applicable).
type Error struct {
	Path   string
	Line   int
	Row    int
	Col    int
	Offset int64
	Msg    string
	Err    error
}

// Error formats the error as "path: location: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	var loc []string
	if e.Line > 0 {
		loc = append(loc, "line "+strconv.Itoa(e.Line))
	}
	if e.Row > 0 {
		loc = append(loc, "row "+strconv.Itoa(e.Row))
	}
	if e.Col > 0 {
		loc = append(loc, "column "+strconv.Itoa(e.Col))
	}
	if e.Offset >= 0 {
		loc = append(loc, "byte offset "+strconv.FormatInt(e.Offset, 10))
	}
	if len(loc) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(loc, ", "))
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying I/O error, if any.
func (e *Error) Unwrap() error { return e.Err }

// errAt returns an error located at a byte offset only.
func errAt(path string, off int64, format string, args ...any) *Error {
	return &Error{Path: path, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// errLine returns an error located at a text line (and byte offset).
func errLine(path string, line int, off int64, format string, args ...any) *Error {
	return &Error{Path: path, Line: line, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// errPlain returns an error with no location beyond the path.
func errPlain(path string, format string, args ...any) *Error {
	return &Error{Path: path, Offset: -1, Msg: fmt.Sprintf(format, args...)}
}

// nonFinite names a non-finite value for messages.
func nonFinite(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	default:
		return "-Inf"
	}
}

// finite reports whether v is neither NaN nor ±Inf.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// ReadOptions adjusts the readers. The zero value is the default used by
// ReadMatrix and ReadVector.
type ReadOptions struct {
	// AllowNonFinite accepts NaN and ±Inf values. The default (false)
	// rejects them with an error naming the position.
	AllowNonFinite bool
	// MaxBytes bounds the memory the decoded matrix may take (8 bytes per
	// dense entry; 8 per row plus 12 per stored entry for a sparse one),
	// checked against the header before anything is allocated. Use it when
	// reading untrusted input. 0 means no limit. Dense data is allocated as
	// it arrives, so a header that promises more data than the input holds
	// never causes a large allocation even without a limit.
	MaxBytes int64
}

// checkBudget returns an error if a matrix needing need bytes exceeds the
// limit.
func (o ReadOptions) checkBudget(path string, what string, need int64) error {
	if o.MaxBytes > 0 && (need < 0 || need > o.MaxBytes) {
		return errPlain(path, "%s needs more than the %d-byte limit (ReadOptions.MaxBytes)", what, o.MaxBytes)
	}
	return nil
}

// mulCheck returns a*b, or -1 if it overflows int64 (a, b >= 0).
func mulCheck(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return -1
	}
	return a * b
}

// quote quotes b for a message, shortened to at most 40 bytes.
func quote(b []byte) string {
	if len(b) > 40 {
		return strconv.Quote(string(b[:37])) + "..."
	}
	return strconv.Quote(string(b))
}
