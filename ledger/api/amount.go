package api

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/sketchwork/sketchwork/ledger/consensus"
)

// FormatGC formats base units as a GC decimal with no trailing zeros
// ("1.5", "0.00000001", "50").
func FormatGC(units uint64) string {
	whole, frac := units/consensus.Coin, units%consensus.Coin
	if frac == 0 {
		return strconv.FormatUint(whole, 10)
	}
	f := strings.TrimRight(fmt.Sprintf("%08d", frac), "0")
	return strconv.FormatUint(whole, 10) + "." + f
}

// ParseAmount parses an amount typed by a person into base units:
//
//	"1.5", "1.5gc", "2 GC"   GC with up to 8 decimals (1 GC = 10^8 units)
//	"1500u", "1500 units"    base units (an integer)
//
// A bare number is GC. Negative numbers, more than 8 decimals, exponents
// and values above 2^64-1 units are errors.
func ParseAmount(s string) (uint64, error) {
	in := s
	s = strings.ToLower(strings.TrimSpace(s))
	units := false
	for _, suf := range []string{"units", "unit", "u"} {
		if t, ok := strings.CutSuffix(s, suf); ok {
			s, units = strings.TrimSpace(t), true
			break
		}
	}
	if !units {
		if t, ok := strings.CutSuffix(s, "gc"); ok {
			s = strings.TrimSpace(t)
		}
	}
	if s == "" {
		return 0, fmt.Errorf("amount %q: no number", in)
	}
	if units {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("amount %q: base units must be a non-negative integer", in)
		}
		return v, nil
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" && (!hasDot || frac == "") {
		return 0, fmt.Errorf("amount %q: no number", in)
	}
	if !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("amount %q: want a decimal like 1.5 (GC) or an integer with suffix u (base units)", in)
	}
	if len(frac) > 8 {
		return 0, fmt.Errorf("amount %q: more than 8 decimals (the smallest unit is 0.00000001 GC)", in)
	}
	var w uint64
	if whole != "" {
		var err error
		if w, err = strconv.ParseUint(whole, 10, 64); err != nil {
			return 0, fmt.Errorf("amount %q: too large", in)
		}
	}
	var f uint64
	if frac != "" {
		f, _ = strconv.ParseUint(frac+strings.Repeat("0", 8-len(frac)), 10, 64)
	}
	hi, lo := bits.Mul64(w, consensus.Coin)
	sum, carry := bits.Add64(lo, f, 0)
	if hi != 0 || carry != 0 {
		return 0, fmt.Errorf("amount %q: too large", in)
	}
	return sum, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
