package fixed

import "math/bits"

// FracBits is the number of fractional bits of a Q8.24 value.
const FracBits = 24

// One is 1.0 in Q8.24.
const One int64 = 1 << FracBits

// ExpMin is the smallest argument ExpQ distinguishes: arguments below -32
// (in Q8.24) are clamped to it.
const ExpMin = -32 * One

// Ln2Q30 is round(ln(2) * 2^30). It converts a Q.24 base-2 logarithm into
// nats: nats = (log2 * Ln2Q30) >> 30.
const Ln2Q30 int64 = 744261118

// Log2EQ30 is round(log2(e) * 2^30). It converts a Q.24 exponent in nats into
// base 2: t = (-d * Log2EQ30) >> 30.
const Log2EQ30 int64 = 1549082005

// ExpQ returns e^(d/2^24) in Q.32 (that is, scaled by 2^32) for a Q8.24
// argument d <= 0, following gradientcoin.md section 4.2 bit for bit.
// ExpQ(0) = 2^32. Arguments below ExpMin are clamped to ExpMin. It panics if
// d > 0, which is a programming error: callers subtract the maximum first.
func ExpQ(d int64) uint64 {
	if d > 0 {
		panic("fixed: ExpQ argument must be <= 0")
	}
	if d < ExpMin {
		d = ExpMin
	}
	t := uint64((-d * Log2EQ30) >> 30) // -d*log2(e) in Q.24, >= 0
	n := t >> FracBits
	f := t & uint64(One-1)
	i := f >> 16
	r := f & 0xFFFF
	v := expTable[i] - ((expTable[i]-expTable[i+1])*r)>>16
	if n >= 64 {
		return 0
	}
	return v >> n
}

// Log2Q returns log2(x) in Q.24 for an integer x >= 1, following
// gradientcoin.md section 4.2 bit for bit: the exponent from the bit length
// plus a linearly interpolated mantissa logarithm. It is non-decreasing in x.
// It panics if x == 0, which is a programming error: callers pass max(x, 1).
func Log2Q(x uint64) int64 {
	if x == 0 {
		panic("fixed: Log2Q argument must be >= 1")
	}
	k := bits.Len64(x) - 1
	m := x << (63 - k)
	i := (m >> 55) & 0xFF
	r := int64((m >> 39) & 0xFFFF)
	return int64(k)<<FracBits + log2Table[i] + ((log2Table[i+1]-log2Table[i])*r)>>16
}

// NatsFromLog2 converts a non-negative Q.24 base-2 logarithm difference into
// nats in Q8.24: (l * Ln2Q30) >> 30. Valid for 0 <= l < 2^33 (no overflow).
func NatsFromLog2(l int64) int64 { return (l * Ln2Q30) >> 30 }
