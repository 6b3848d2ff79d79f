// Package fixed is the integer fixed-point arithmetic of GradientCoin's
// consensus path (papers/gradientcoin.md section 4.2).
//
// # Problem
//
// Every node must compute bit-identical model weights and losses on any CPU.
// Hardware floating point cannot promise that: Go contracts a*b+c into a fused
// multiply-add on arm64 and on amd64 built with GOAMD64=v3, and the standard
// library's exponential and logarithm use per-architecture assembly. So the
// consensus computation uses Q8.24 integers only (value = int / 2^24, One =
// 1<<24), and this package supplies the two transcendental functions it needs:
//
//   - ExpQ(d): e^d for d <= 0 (Q8.24 in, Q.32 out), by d*log2(e) split into an
//     integer shift n and a fraction whose 2^(-f) comes from the 257-entry
//     table T[i] = round(2^(-i/256)*2^32) with linear interpolation;
//     arguments below -32 are clamped.
//   - Log2Q(x): log2 of an integer x >= 1 in Q.24, by the bit length plus
//     the 257-entry table L[i] = round(log2(1+i/256)*2^24) with linear
//     interpolation on the next 16 mantissa bits.
//
// The constants Ln2Q30 = round(ln2*2^30) = 744261118 and Log2EQ30 =
// round(log2(e)*2^30) = 1549082005 convert between bases.
//
// # Tables
//
// The tables are consensus constants. gen_tables.go (build tag ignore; run
// with "go run gen_tables.go") computes them once with math/big at 320-bit
// precision, refuses entries that sit within 2^-64 of a rounding midpoint,
// re-derives the two constants, and writes tables.go. A golden SHA-256 test
// pins the committed tables; nothing is computed at start-up.
//
// # Accuracy (measured by the tests on dense grids)
//
// ExpQ: the linear interpolation of 2^(-x) with step 1/256 overestimates by
// at most (ln2/256)^2/8 = 9.2e-7 relative, and the final shift truncates to a
// multiple of 2^-32, so |ExpQ(d)/2^32 - e^d| <= 1e-6*e^d + 2^-32 on [-32, 0];
// the 1e-6 relative bound alone holds on [-8, 0] (measured 9.58e-7), not
// below, where a Q.32 output cannot carry six significant digits (see
// TestExpQAccuracy). Log2Q: linear interpolation of log2(1+u) with step 1/256
// errs by up to (1/256)^2/8/ln2 = 2.75e-6, so the measured absolute bound is
// 2.89e-6 (derived bound 2.93e-6), not the 1e-6 that section 10.1 of the
// specification hoped for (see TestLog2QAccuracy). Both functions are exactly reproducible,
// which is what consensus needs; the accuracy only bounds how far the model's
// loss is from the real-valued one (a few 1e-6 nats).
//
// # Cost
//
// ExpQ and Log2Q are a handful of integer operations and one table lookup
// each (a few nanoseconds). The package imports only math/bits, and its
// non-test files never mention hardware floating-point types or the math
// package (internal/archtest enforces this).
package fixed
